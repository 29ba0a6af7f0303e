"""The Lambda runtime's CPython (3.12): where to find it, and `make setup` making sure there is one.

`make package` compiles the Lambda zips' bytecode with it, and the packaged-artifact
tests (tests/unit/test_package.py) run the built zips under it, so CI must have one:
a test that skips when it is missing would hide a broken artifact.

Looked for, in order: $LAMBDA_PYTHON, python3.12 on PATH, a pyenv 3.12
($PYENV_ROOT or ~/.pyenv), a uv-managed 3.12. Each candidate is run once to check it
really is CPython 3.12 (a pyenv shim on PATH for a version that is not active fails).

    python -m scripts.lambda_python            print the interpreter, or exit 1
    python -m scripts.lambda_python --ensure   what make setup runs: when none is found,
                                               `uv python install 3.12` (a python-build-standalone
                                               build from its release host); when that cannot be had
                                               either, exit 1 under CI (CI=true), a warning elsewhere
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

LAMBDA_PYTHON = "3.12"


def _uv() -> str | None:
    beside = Path(sys.executable).parent / "uv"  # the virtualenv's, from requirements/bootstrap.txt
    return str(beside) if beside.is_file() else shutil.which("uv")


def _uv_managed() -> str | None:
    uv = _uv()
    if uv is None:
        return None
    found = subprocess.run(
        [uv, "python", "find", "--managed-python", "--no-project", LAMBDA_PYTHON],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return found.stdout.strip() or None if found.returncode == 0 else None


def _is_lambda_python(candidate: str) -> bool:
    probe = subprocess.run(
        [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.implementation.name)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return probe.returncode == 0 and probe.stdout.split() == [LAMBDA_PYTHON, "cpython"]


def lambda_python() -> str | None:
    """A CPython of the Lambda runtime's version, or None."""
    if (chosen := os.environ.get("LAMBDA_PYTHON")) and _is_lambda_python(chosen):
        return chosen
    if (on_path := shutil.which(f"python{LAMBDA_PYTHON}")) and _is_lambda_python(on_path):
        return on_path
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for pyenv in sorted(
        pyenv_root.glob(f"versions/{LAMBDA_PYTHON}.*/bin/python{LAMBDA_PYTHON}"), reverse=True
    ):
        if _is_lambda_python(str(pyenv)):
            return str(pyenv)
    managed = _uv_managed()  # last: it costs a uv process
    return managed if managed and _is_lambda_python(managed) else None


def ensure(*, ci: bool) -> int:
    """0 with a CPython 3.12 found or installed; 1 without one under CI; 0 with a warning elsewhere."""
    found = lambda_python()
    if found is None and (uv := _uv()) is not None:
        print(f"setup: no CPython {LAMBDA_PYTHON} (the Lambda runtime's Python): installing one with uv")
        installed = subprocess.run(
            [uv, "python", "install", LAMBDA_PYTHON], capture_output=True, text=True, check=False
        )
        if installed.returncode != 0:
            print(installed.stderr.strip(), file=sys.stderr)
        found = lambda_python()
    if found is not None:
        print(f"setup: the Lambda runtime's Python: {found}")
        return 0
    reason = (
        f"no CPython {LAMBDA_PYTHON} found (LAMBDA_PYTHON, python{LAMBDA_PYTHON} on PATH, pyenv, uv) and uv "
        f"could not install one: the Lambda zips would carry no bytecode and the packaged-artifact tests "
        f"cannot run. Install a CPython {LAMBDA_PYTHON} (pyenv install {LAMBDA_PYTHON}, or uv python install "
        f"{LAMBDA_PYTHON} where its download host is reachable) or point LAMBDA_PYTHON at one."
    )
    if ci:
        print(f"setup: error: {reason}", file=sys.stderr)
        return 1
    print(f"setup: warning: {reason}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"The Lambda runtime's CPython ({LAMBDA_PYTHON})")
    parser.add_argument("--ensure", action="store_true", help="install one with uv when none is found")
    args = parser.parse_args(argv)
    if args.ensure:
        return ensure(ci=os.environ.get("CI", "").lower() in ("1", "true", "yes"))
    found = lambda_python()
    if found is None:
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())

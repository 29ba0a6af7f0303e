"""scripts/lambda_python.py: make setup provides the Lambda runtime's CPython, or CI fails saying why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import lambda_python

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run_ensure(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m scripts.lambda_python --ensure` on a machine with no 3.12 anywhere and nothing to download.

    PATH has only Debian's own Python (3.11), pyenv's root and uv's install directory
    are empty, and uv's download mirror is an empty local folder, so the install fails
    at once, as it does where the release host cannot be reached.
    """
    for folder in ("pyenv", "uv-pythons", "mirror", "home"):
        (tmp_path / folder).mkdir(exist_ok=True)
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "PYENV_ROOT": str(tmp_path / "pyenv"),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv-pythons"),
        "UV_PYTHON_INSTALL_MIRROR": (tmp_path / "mirror").as_uri(),
        "UV_NO_CONFIG": "1",
        "PYTHONPATH": str(REPO_ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "scripts.lambda_python", "--ensure"],
        env=base | env, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_setup_fails_in_ci_when_no_cpython_312_can_be_found_or_installed(tmp_path: Path) -> None:
    proc = _run_ensure(tmp_path, CI="true")
    assert proc.returncode == 1
    assert "installing one with uv" in proc.stdout  # it tried before failing
    assert "setup: error: no CPython 3.12 found" in proc.stderr
    assert "LAMBDA_PYTHON" in proc.stderr


def test_setup_warns_a_developer_without_cpython_312_and_goes_on(tmp_path: Path) -> None:
    proc = _run_ensure(tmp_path)
    assert proc.returncode == 0
    assert "setup: warning: no CPython 3.12 found" in proc.stderr


def test_setup_names_the_cpython_312_it_found(tmp_path: Path) -> None:
    found = lambda_python.lambda_python()
    assert found is not None, "this machine has no CPython 3.12: run make setup"
    proc = _run_ensure(tmp_path, CI="true", LAMBDA_PYTHON=found)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"setup: the Lambda runtime's Python: {found}"


def test_an_interpreter_of_another_version_is_not_taken_for_the_runtimes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAMBDA_PYTHON", sys.executable)  # this virtualenv's 3.11
    assert lambda_python.lambda_python() != sys.executable


def test_a_pyenv_shim_for_an_inactive_version_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyenv puts python3.12 on PATH even when 3.12 is not the active version; running it fails."""
    shim = tmp_path / "shims" / "python3.12"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    monkeypatch.delenv("LAMBDA_PYTHON", raising=False)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}/usr/bin:/bin")
    found = lambda_python.lambda_python()
    assert found != str(shim)

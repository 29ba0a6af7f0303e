"""Build the Lambda and Glue artifacts, reproducibly (`make package`).

    build/lambda/dependencies-layer.zip   the locked third-party packages (requirements/lambda.lock)
                                          as Linux x86_64 / CPython 3.12 wheels, under python/
    build/lambda/<function>.zip           thin function zips: lambdas/ (shared + the function's own
                                          package), config/ and schemas/ at the zip root
    build/glue/glue_libs.zip              --extra-py-files of the Glue job: lambdas/shared, the
                                          glue_jobs modules the job imports (not the entry script,
                                          which is uploaded as the job script) and athena/tables/
    build/lambda/manifest.json            {artifact: {sha256_base64, bytes}} of each zip

The same inputs give byte-identical zips: entries sorted, one fixed timestamp
and mode for every entry, no __pycache__/*.pyc, and the installer's
per-machine files (RECORD with hashes of generated scripts, INSTALLER, bin/)
left out of the layer. Terraform's filebase64sha256() of a zip (the Lambda
source_code_hash) therefore changes only when its content does.

    python -m scripts.package                       everything
    python -m scripts.package --only functions      only the thin function zips (no download)
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import TypedDict

REPO_ROOT = Path(__file__).resolve().parents[1]

# Function artifact name -> its package; the handler lives in <package>/handler.py.
FUNCTIONS = {
    "ingest": "lambdas/ingest",
    "fanout": "lambdas/fanout",
    "kafka_bridge": "lambdas/kafka_bridge",
    "order_processor": "lambdas/consumers/order_processor",
}
# The Lambda runtime and architecture the layer is built for: python3.12 on x86_64 runs on
# Amazon Linux 2023 (glibc 2.34), so manylinux wheels up to 2_34 load there. manylinux2014
# (2_17) alone is not enough: confluent-kafka ships its Linux wheels as manylinux_2_28 only.
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORM = "x86_64-manylinux_2_34"
LOCK = "requirements/lambda.lock"

# Zip's epoch: every entry gets it, so the build time never enters the hash.
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16  # regular file, rw-r--r--
# What an installer writes that differs between machines or is not needed at run time.
_LAYER_EXCLUDED_NAMES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


class PackagingError(Exception):
    pass


class Artifact(TypedDict):
    sha256_base64: str
    bytes: int


def _wanted(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix != ".pyc" and not path.name.startswith(".")


def tree(root: Path, rel: str) -> dict[str, Path]:
    """Every file under root/rel, keyed by its archive name (the path relative to root)."""
    base = root / rel
    if not base.is_dir():
        raise PackagingError(f"{rel}/ is missing")
    return {
        p.relative_to(root).as_posix(): p
        for p in base.rglob("*")
        if p.is_file() and _wanted(p.relative_to(root))
    }


def write_zip(dest: Path, entries: dict[str, Path]) -> Path:
    """A deterministic zip: sorted entries, fixed timestamp and permissions, deflate level 9."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.external_attr = _FILE_MODE
            info.create_system = 3  # Unix, whatever the build machine
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
    tmp.replace(dest)
    return dest


def _package_inits(root: Path, rel: str) -> dict[str, Path]:
    """The __init__.py of rel and of every package above it, up to the top-level package."""
    found = {}
    parts = Path(rel).parts
    for depth in range(1, len(parts) + 1):
        init = Path(*parts[:depth]) / "__init__.py"
        if not (root / init).is_file():
            raise PackagingError(f"{init} is missing: {Path(*parts[:depth])} is not a package")
        found[init.as_posix()] = root / init
    return found


def function_entries(root: Path, name: str) -> dict[str, Path]:
    package = FUNCTIONS[name]
    if not (root / package / "handler.py").is_file():
        raise PackagingError(
            f"function {name!r}: {package}/handler.py is missing (is the package written yet?)"
        )
    entries = {
        **_package_inits(root, package),
        **tree(root, "lambdas/shared"),
        **tree(root, package),
        **tree(root, "config"),
        **tree(root, "schemas"),
    }
    # A thin zip holds one function's package: importing another one would fail only on AWS.
    packed = set(entries.values())
    for module in sorted(p for p in packed if p.suffix == ".py"):
        missing = sorted(str(p.relative_to(root)) for p in first_party_imports(root, module) - packed)
        if missing:
            raise PackagingError(
                f"function {name!r}: {module.relative_to(root)} imports {', '.join(missing)}, "
                "not in its zip (code shared by functions goes in lambdas/shared)"
            )
    return entries


def _module_file(root: Path, module: str) -> Path | None:
    path = root.joinpath(*module.split("."))
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _absolute(root: Path, source: Path, module: str | None, level: int) -> str:
    """The absolute module name of a (possibly relative) `from ... import` in source."""
    if level == 0:
        return module or ""
    package = source.relative_to(root).parent.parts
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def first_party_imports(
    root: Path, entry: Path, packages: tuple[str, ...] = ("lambdas", "glue_jobs")
) -> set[Path]:
    """The modules of `packages` that entry imports, directly or through each other (by reading the code)."""
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        source = todo.pop()
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(root, source, node.module, node.level)
                # `from pkg import mod` may import a submodule or a name: try both.
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] not in packages:
                    continue
                # Importing a.b.c imports a and a.b first.
                parts = name.split(".")
                for depth in range(1, len(parts) + 1):
                    found = _module_file(root, ".".join(parts[:depth]))
                    if found is not None and found not in seen:
                        seen.add(found)
                        todo.append(found)
    return seen


def glue_entries(root: Path) -> dict[str, Path]:
    jobs = sorted((root / "glue_jobs").glob("*/job.py"))
    if not jobs:
        raise PackagingError("glue_jobs/<job>/job.py: no Glue job entry script found")
    modules: set[Path] = set()
    for job in jobs:
        modules |= first_party_imports(root, job)
    entries = {p.relative_to(root).as_posix(): p for p in modules if p not in jobs}
    entries.update(tree(root, "lambdas/shared"))
    entries.update(_package_inits(root, "lambdas/shared"))
    # glue_jobs.contract reads the table contracts from inside this zip.
    entries.update({k: v for k, v in tree(root, "athena/tables").items() if k.endswith(".json")})
    return entries


def _uv() -> str:
    beside_python = Path(sys.executable).parent / "uv"
    found = str(beside_python) if beside_python.exists() else shutil.which("uv")
    if found is None:
        raise PackagingError("uv is not installed: run `make setup`")
    return found


def layer_entries(root: Path, target: Path) -> dict[str, Path]:
    """Install the locked wheels for the Lambda runtime into target; their files under python/."""
    cmd = [
        _uv(), "pip", "install", "--quiet",
        "--target", str(target),
        "--python-version", LAMBDA_PYTHON,
        "--python-platform", LAMBDA_PLATFORM,
        "--only-binary", ":all:",
        "--require-hashes", "--no-deps",  # the lock is complete: nothing unpinned gets in
        "--no-compile-bytecode",  # .pyc would carry timestamps; the runtime compiles in memory
        "-r", str(root / LOCK),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PackagingError(f"installing {LOCK} for the Lambda runtime failed:\n{proc.stderr}")
    entries = {}
    for path in target.rglob("*"):
        rel = path.relative_to(target)
        if not path.is_file() or not _wanted(rel) or rel.parts[0] == "bin":
            continue
        if rel.parts[0].endswith(".dist-info") and rel.name in _LAYER_EXCLUDED_NAMES:
            continue
        entries[f"python/{rel.as_posix()}"] = path
    return entries


def artifact_info(path: Path) -> Artifact:
    """What Terraform's filebase64sha256() gives (the Lambda source_code_hash), and the size."""
    data = path.read_bytes()
    return {"sha256_base64": base64.b64encode(hashlib.sha256(data).digest()).decode(), "bytes": len(data)}


def build(root: Path, out: Path, only: set[str], functions: list[str]) -> dict[str, Artifact]:
    built: list[Path] = []
    if "functions" in only:
        for name in functions:
            built.append(write_zip(out / "lambda" / f"{name}.zip", function_entries(root, name)))
    if "glue" in only:
        built.append(write_zip(out / "glue" / "glue_libs.zip", glue_entries(root)))
    if "layer" in only:
        with tempfile.TemporaryDirectory() as target:
            built.append(
                write_zip(out / "lambda" / "dependencies-layer.zip", layer_entries(root, Path(target)))
            )
    manifest_path = out / "lambda" / "manifest.json"
    # Artifacts not rebuilt this time keep their entry, so a partial build leaves a whole manifest.
    manifest: dict[str, Artifact] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest.update({p.relative_to(out).as_posix(): artifact_info(p) for p in built})
    manifest = {k: v for k, v in sorted(manifest.items()) if (out / k).exists()}
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return {p.relative_to(out).as_posix(): manifest[p.relative_to(out).as_posix()] for p in built}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Lambda and Glue artifacts into build/")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    parser.add_argument(
        "--only", action="append", choices=["layer", "functions", "glue"], help="repeatable; default: all"
    )
    parser.add_argument(
        "--function", action="append", choices=sorted(FUNCTIONS), help="repeatable; default: all"
    )
    args = parser.parse_args(argv)
    try:
        built = build(
            REPO_ROOT,
            args.out,
            set(args.only or ["layer", "functions", "glue"]),
            args.function or list(FUNCTIONS),
        )
    except PackagingError as exc:
        print(f"package: error: {exc}", file=sys.stderr)
        return 1
    for name, info in built.items():
        print(f"{name:40} {info['bytes'] / 1e6:8.2f} MB  sha256 {info['sha256_base64']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

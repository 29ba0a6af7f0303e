"""Build the Lambda and Glue artifacts, reproducibly (`make package`).

    build/lambda/dependencies-layer.zip   the locked third-party packages (requirements/lambda.lock)
                                          as Linux x86_64 / CPython 3.12 wheels, under python/
    build/lambda/<function>.zip           thin function zips: lambdas/ (shared + the function's own
                                          package), config/ and schemas/ at the zip root
    build/glue/glue_libs.zip              --extra-py-files of the Glue job: platform_core, the
                                          glue_jobs modules the job imports (not the entry script,
                                          which is uploaded as the job script) and athena/tables/
    build/lambda/manifest.json            {artifact: {sha256_base64, bytes}} of each zip

The same inputs give byte-identical zips: entries sorted, one fixed timestamp
and mode for every entry, no __pycache__/*.pyc from the build machine, and the
installer's per-machine files (RECORD with hashes of generated scripts,
INSTALLER, bin/) left out of the layer. Terraform's filebase64sha256() of a zip
(the Lambda source_code_hash) therefore changes only when its content does.

The Lambda zips carry bytecode compiled by a CPython 3.12 (the runtime's
version): Lambda's file system is read-only, so without .pyc files every cold
start compiles every module it imports from source (boto3 and the X-Ray SDK
alone: ~0.3 s on 2 cores). The .pyc files are hash-based and unchecked (PEP
552: no timestamps, deterministic) and name the paths Lambda runs them from
(/var/task, /opt/python) rather than the build machine's. The interpreter: $LAMBDA_PYTHON, else python3.12 on
PATH, else a pyenv 3.12; without one the zips are built without bytecode, with
a warning, and the manifest says so.

    python -m scripts.package                       everything
    python -m scripts.package --only functions      only the thin function zips (no download)
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import TypedDict

REPO_ROOT = Path(__file__).resolve().parents[1]

# Function artifact name -> its package; the handler lives in <package>/handler.py.
FUNCTIONS = {
    "ingest": "lambdas/ingest",
    "fanout": "lambdas/fanout",
    "kafka_bridge": "lambdas/kafka_bridge",
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
    bytecode: str | None  # the cache tag of the .pyc files inside (cpython-312), None without


# Where Lambda extracts each kind of zip: the .pyc files name these paths, not the build's
# scratch directory, so every machine builds the same bytes.
FUNCTION_ROOT = "/var/task"
LAYER_ROOT = "/opt"

BYTECODE_TAG = f"cpython-{LAMBDA_PYTHON.replace('.', '')}"

# Run by the runtime's interpreter: [source, .pyc archive name, runtime path] per module on
# stdin; on stdout the .pyc it could not compile, with the reason.
_COMPILE_SCRIPT = """
import json, py_compile, sys
from pathlib import Path
out = Path(sys.argv[1])
failed = {}
for source, pyc, runtime_path in json.load(sys.stdin):
    try:
        py_compile.compile(source, cfile=str(out / pyc), dfile=runtime_path, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    except py_compile.PyCompileError as exc:
        failed[pyc] = exc.msg.strip().splitlines()[-1]
print(json.dumps(failed))
"""


def lambda_python() -> str | None:
    """A CPython of the Lambda runtime's version: $LAMBDA_PYTHON, python3.12 on PATH, or a pyenv one."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    pyenv = sorted(pyenv_root.glob(f"versions/{LAMBDA_PYTHON}.*/bin/python{LAMBDA_PYTHON}"), reverse=True)
    for candidate in (
        os.environ.get("LAMBDA_PYTHON"),
        shutil.which(f"python{LAMBDA_PYTHON}"),
        *map(str, pyenv),
    ):
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.implementation.name)"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.split() == [LAMBDA_PYTHON, "cpython"]:
            return candidate
    return None


def with_bytecode(entries: dict[str, Path], python: str, runtime_root: str, workdir: Path) -> dict[str, Path]:
    """entries plus a __pycache__/<module>.cpython-312.pyc beside each module, compiled by python.

    A module the runtime's Python cannot compile (a package's test data, code for
    another version) stays source only, as an installer leaves it; compile() at
    import would fail on it just the same.
    """
    pyc_names = {}
    for name in sorted(n for n in entries if n.endswith(".py")):
        module = PurePosixPath(name)
        pyc_names[name] = str(module.parent / "__pycache__" / f"{module.stem}.{BYTECODE_TAG}.pyc")
    jobs = [[str(entries[name]), pyc, f"{runtime_root}/{name}"] for name, pyc in pyc_names.items()]
    proc = subprocess.run(
        [python, "-I", "-c", _COMPILE_SCRIPT, str(workdir)],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=False,
        # Marshal output can depend on hash order: one seed, one process, one order.
        env={"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")},
    )
    if proc.returncode != 0:
        raise PackagingError(f"compiling bytecode with {python} failed:\n{proc.stderr}")
    failed = json.loads(proc.stdout)
    compiled = dict(entries)
    compiled.update({pyc: workdir / pyc for pyc in pyc_names.values() if pyc not in failed})
    return compiled


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
        **tree(root, "platform_core"),
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
                "not in its zip (code shared by functions goes in platform_core)"
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
    root: Path, entry: Path, packages: tuple[str, ...] = ("platform_core", "lambdas", "glue_jobs")
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
    entries.update(tree(root, "platform_core"))
    entries.update(_package_inits(root, "platform_core"))
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
        "--no-compile-bytecode",  # the installer's .pyc carry timestamps: with_bytecode() compiles
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


def artifact_info(path: Path, bytecode: str | None) -> Artifact:
    """What Terraform's filebase64sha256() gives (the Lambda source_code_hash), the size, the bytecode."""
    data = path.read_bytes()
    return {
        "sha256_base64": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "bytes": len(data),
        "bytecode": bytecode,
    }


def build(
    root: Path, out: Path, only: set[str], functions: list[str], python: str | None = None
) -> dict[str, Artifact]:
    """Build the artifacts in `only`; Lambda zips get bytecode from python (default: lambda_python())."""
    if only & {"functions", "layer"} and python is None:
        python = lambda_python()
    if only & {"functions", "layer"} and python is None:
        print(
            f"package: warning: no CPython {LAMBDA_PYTHON} found (set LAMBDA_PYTHON): the Lambda zips "
            "carry no bytecode, so every cold start compiles its imports from source (~0.3 s more)",
            file=sys.stderr,
        )
    built: dict[Path, str | None] = {}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)

        def lambda_zip(dest: Path, entries: dict[str, Path], runtime_root: str) -> None:
            if python is not None:
                entries = with_bytecode(entries, python, runtime_root, work / dest.stem)
            built[write_zip(dest, entries)] = BYTECODE_TAG if python is not None else None

        if "functions" in only:
            for name in functions:
                lambda_zip(out / "lambda" / f"{name}.zip", function_entries(root, name), FUNCTION_ROOT)
        if "glue" in only:
            # Glue imports these from the zip once per job run: not worth a second interpreter.
            built[write_zip(out / "glue" / "glue_libs.zip", glue_entries(root))] = None
        if "layer" in only:
            entries = layer_entries(root, work / "layer-install")
            lambda_zip(out / "lambda" / "dependencies-layer.zip", entries, LAYER_ROOT)
    manifest_path = out / "lambda" / "manifest.json"
    # Artifacts not rebuilt this time keep their entry, so a partial build leaves a whole manifest.
    manifest: dict[str, Artifact] = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest.update({p.relative_to(out).as_posix(): artifact_info(p, tag) for p, tag in built.items()})
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
        bytecode = f"  .pyc {info['bytecode']}" if info["bytecode"] else ""
        print(f"{name:40} {info['bytes'] / 1e6:8.2f} MB  sha256 {info['sha256_base64']}{bytecode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build the Lambda and Glue artifacts, reproducibly (`make package`), from the declarations.

Every function is packaged: the platform's own (ingest, fan-out, kafka-bridge)
and each service declared in config/platform.yaml; no list here names one.

    build/lambda/dependencies-layer.zip   the locked third-party packages (requirements/lambda.lock)
                                          as Linux x86_64 / CPython 3.12 wheels, under python/
    build/lambda/layers/<extras>.zip      a layer per set of `packaging.extras` a zip service
                                          declares: the packages of requirements/lambda-extras/
                                          <extra>.lock that the dependencies layer lacks
    build/lambda/<function>.zip           thin function zips: platform_core, the handler's package,
                                          config/ and schemas/ at the zip root
    build/glue/glue_libs.zip              --extra-py-files of the Glue job: platform_core, the
                                          glue_jobs modules the job imports (not the entry script,
                                          which is uploaded as the job script) and athena/tables/
    build/lambda/manifest.json            what Terraform reads (below)

The manifest: `artifacts` {path under build/: {sha256_base64, bytes, bytecode}}
(sha256_base64 is what filebase64sha256() gives, the Lambda source_code_hash),
`layers` {name: {artifact, requirements}}, and `functions` {function: {handler,
packaging, artifact, layers}} with the layers a zip function runs over, in order.
A service declared with `packaging: {type: image}` is built by the image hook,
`scripts/images.py` `build_image(root, out, name, service) -> dict`, whose
answer is the function's manifest entry.

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
(/var/task, /opt/python) rather than the build machine's. The interpreter is the one
scripts/lambda_python.py finds (make setup provides it); without one the zips are built
without bytecode, with a warning, and the manifest says so.

    python -m scripts.package                       everything
    python -m scripts.package --only functions      only the thin function zips (no download)
    python -m scripts.package --config <path> --code-path <dir>   another configuration, and where
                                                    the code of services outside the repository lives
"""

from __future__ import annotations

import argparse
import ast
import base64
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from platform_core.config import PlatformConfig, Service, get_config, load_config
from platform_core.resources import PLATFORM_HANDLERS
from scripts.lambda_python import LAMBDA_PYTHON, lambda_python

REPO_ROOT = Path(__file__).resolve().parents[1]
EXTRAS_LOCKS = "requirements/lambda-extras"
DEPENDENCIES_LAYER = "dependencies"
IMAGE_HOOK = "scripts.images"
# The Lambda runtime and architecture the layer is built for: python3.12 on x86_64 runs on
# Amazon Linux 2023 (glibc 2.34), so manylinux wheels up to 2_34 load there. manylinux2014
# (2_17) alone is not enough: confluent-kafka ships its Linux wheels as manylinux_2_28 only.
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


@dataclass(frozen=True)
class FunctionPackage:
    """What packaging needs of a function: its handler, its extras, how it is shipped."""

    name: str
    handler: str
    extras: tuple[str, ...] = ()
    packaging: str = "zip"

    @property
    def package_dir(self) -> str:
        """The handler's package (the function's own code), e.g. lambdas/ingest."""
        return self.handler.rsplit(".", 2)[0].replace(".", "/")

    @property
    def module_file(self) -> str:
        return self.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"

    @property
    def layer(self) -> str | None:
        """The name of its extras layer (one per distinct set of extras), None without extras."""
        return "-".join(sorted(self.extras)) if self.extras else None


def function_packages(config: PlatformConfig) -> dict[str, FunctionPackage]:
    """Every function to package: the platform's, then each declared service in config order."""
    packages = {name: FunctionPackage(name, handler) for name, handler in PLATFORM_HANDLERS.items()}
    for name, service in config.services.items():
        packages[name] = FunctionPackage(
            name, service.handler, tuple(service.packaging.extras), service.packaging.type
        )
    return packages


def code_root(root: Path, code_paths: Sequence[Path], relative: str) -> Path:
    """The first of root and code_paths that holds `relative` (a function's code may live outside)."""
    for candidate in (root, *code_paths):
        if (candidate / relative).exists():
            return candidate
    return root


def function_entries(
    root: Path, function: FunctionPackage, code_paths: Sequence[Path] = ()
) -> dict[str, Path]:
    own = code_root(root, code_paths, function.module_file)
    if not (own / function.module_file).is_file():
        raise PackagingError(
            f"function {function.name!r}: {function.module_file} is missing (is the package written yet?)"
        )
    entries = {
        **_package_inits(own, function.package_dir),
        **tree(root, "platform_core"),
        **tree(own, function.package_dir),
        **tree(root, "config"),
        **tree(root, "schemas"),
    }
    # A thin zip holds one function's package: importing another one would fail only on AWS.
    packed = set(entries.values())
    top = function.package_dir.split("/")[0]
    packages = tuple(dict.fromkeys(("platform_core", "lambdas", "glue_jobs", top)))
    roots = (root, *(r for r in code_paths if r != root))
    for module in sorted(p for p in packed if p.suffix == ".py"):
        imported = first_party_imports(root, module, packages, roots[1:])
        missing = sorted(_shown(p, roots) for p in imported - packed)
        if missing:
            raise PackagingError(
                f"function {function.name!r}: {_shown(module, roots)} imports {', '.join(missing)}, "
                "not in its zip (code shared by functions goes in platform_core)"
            )
    return entries


def _shown(path: Path, roots: Sequence[Path]) -> str:
    return next((str(path.relative_to(r)) for r in roots if path.is_relative_to(r)), str(path))


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
    root: Path,
    entry: Path,
    packages: tuple[str, ...] = ("platform_core", "lambdas", "glue_jobs"),
    more_roots: Sequence[Path] = (),
) -> set[Path]:
    """The modules of `packages` that entry imports, directly or through each other (by reading the code),
    found under root or more_roots (where code outside the repository lives)."""
    roots = (root, *more_roots)
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        source = todo.pop()
        source_root = next((r for r in roots if source.is_relative_to(r)), root)
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(source_root, source, node.module, node.level)
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
                    module_name = ".".join(parts[:depth])
                    found = next((f for r in roots if (f := _module_file(r, module_name)) is not None), None)
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


def locked_requirements(lock: Path) -> dict[str, str]:
    """Package name -> its pinned requirement with its hashes, as written in a uv lock."""
    blocks: dict[str, str] = {}
    name = None
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            name = line.split("==", 1)[0].strip().lower()
            blocks[name] = line
        elif name and line.strip().startswith("--hash"):
            blocks[name] += "\n" + line
        elif line.strip().startswith("#"):
            name = None if not line[0].isspace() else name
    return blocks


def extras_requirements(root: Path, extras: Sequence[str]) -> list[str]:
    """The pinned requirements the extras add to the dependencies layer (from their Lambda locks)."""
    base = locked_requirements(root / LOCK)
    added: dict[str, str] = {}
    for extra in extras:
        lock = root / EXTRAS_LOCKS / f"{extra}.lock"
        if not lock.is_file():
            raise PackagingError(
                f"{lock.relative_to(root)} is missing: lock the extra for Lambda "
                f"(uv pip compile pyproject.toml --extra {extra} --constraint {LOCK} --python-version "
                f"{LAMBDA_PYTHON} --python-platform x86_64-manylinux2014 --generate-hashes -o {EXTRAS_LOCKS}/{extra}.lock)"
            )
        for name, requirement in locked_requirements(lock).items():
            pinned = requirement.split(" ", 1)[0]
            if name in base:
                if base[name].split(" ", 1)[0] != pinned:
                    raise PackagingError(
                        f"{lock.name} pins {pinned}, {LOCK} another version: re-lock the extra"
                    )
                continue
            if name in added and added[name].split(" ", 1)[0] != pinned:
                raise PackagingError(f"extras {', '.join(extras)} pin different versions of {name}")
            added[name] = requirement
    return [added[name] for name in sorted(added)]


def layer_entries(root: Path, target: Path, requirements: Path | None = None) -> dict[str, Path]:
    """Install the locked wheels for the Lambda runtime into target; their files under python/."""
    requirements = requirements or root / LOCK
    cmd = [
        _uv(), "pip", "install", "--quiet",
        "--target", str(target),
        "--python-version", LAMBDA_PYTHON,
        "--python-platform", LAMBDA_PLATFORM,
        "--only-binary", ":all:",
        "--require-hashes", "--no-deps",  # the lock is complete: nothing unpinned gets in
        "--no-compile-bytecode",  # the installer's .pyc carry timestamps: with_bytecode() compiles
        "-r", str(requirements),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PackagingError(f"installing {requirements.name} for the Lambda runtime failed:\n{proc.stderr}")
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
    root: Path,
    out: Path,
    only: set[str],
    functions: Sequence[str] | None = None,
    python: str | None = None,
    *,
    config: PlatformConfig | None = None,
    code_paths: Sequence[Path] = (),
) -> dict[str, Artifact]:
    """Build the artifacts in `only` for `functions` (default: every function of the configuration);
    Lambda zips get bytecode from python (default: lambda_python())."""
    packages = function_packages(config or get_config())
    chosen = [packages[name] for name in (functions if functions is not None else packages)]
    if only & {"functions", "layer"} and python is None:
        python = lambda_python()
    if only & {"functions", "layer"} and python is None:
        print(
            f"package: warning: no CPython {LAMBDA_PYTHON} found (set LAMBDA_PYTHON): the Lambda zips "
            "carry no bytecode, so every cold start compiles its imports from source (~0.3 s more)",
            file=sys.stderr,
        )
    built: dict[Path, str | None] = {}
    images: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        builder = _LambdaZips(Path(scratch), python, built)
        if "functions" in only:
            for function in chosen:
                if function.packaging == "image":
                    images[function.name] = _image(root, out, function, config or get_config())
                else:
                    entries = function_entries(root, function, code_paths)
                    builder.write(out / "lambda" / f"{function.name}.zip", entries, FUNCTION_ROOT)
        if "glue" in only:
            # Glue imports these from the zip once per job run: not worth a second interpreter.
            built[write_zip(out / "glue" / "glue_libs.zip", glue_entries(root))] = None
        if "layer" in only:
            _build_layers(root, out, chosen, builder)
    return _write_manifest(out, built, packages, images)


class _LambdaZips:
    """Writes Lambda zips, with the runtime's bytecode when a CPython of its version is at hand."""

    def __init__(self, work: Path, python: str | None, built: dict[Path, str | None]):
        self._work, self._python, self._built = work, python, built

    def write(self, dest: Path, entries: dict[str, Path], runtime_root: str) -> None:
        if self._python is not None:
            entries = with_bytecode(entries, self._python, runtime_root, self._work / dest.stem)
        self._built[write_zip(dest, entries)] = BYTECODE_TAG if self._python is not None else None

    @property
    def work(self) -> Path:
        return self._work


def _build_layers(root: Path, out: Path, functions: Sequence[FunctionPackage], builder: _LambdaZips) -> None:
    """The dependencies layer, then one layer per set of extras the zip functions declare."""
    entries = layer_entries(root, builder.work / "layer-install")
    builder.write(out / "lambda" / "dependencies-layer.zip", entries, LAYER_ROOT)
    for layer, extras in _extras_layers(functions).items():
        requirements = builder.work / f"{layer}.txt"
        requirements.write_text("\n".join(extras_requirements(root, extras)) + "\n")
        entries = layer_entries(root, builder.work / f"layer-{layer}", requirements)
        builder.write(out / "lambda" / "layers" / f"{layer}.zip", entries, LAYER_ROOT)


def _extras_layers(functions: Sequence[FunctionPackage]) -> dict[str, tuple[str, ...]]:
    return {f.layer: tuple(sorted(f.extras)) for f in functions if f.layer and f.packaging == "zip"}


def _image(root: Path, out: Path, function: FunctionPackage, config: PlatformConfig) -> dict[str, Any]:
    """A container-image function, built by the image hook (scripts/images.py)."""
    try:
        images = importlib.import_module(IMAGE_HOOK)
    except ModuleNotFoundError as exc:
        raise PackagingError(
            f"function {function.name!r} is packaged as an image, and {IMAGE_HOOK} (the image builder) is missing"
        ) from exc
    service: Service = config.services[function.name]
    return dict(images.build_image(root, out, function.name, service))


# Lambda's limit on a function's code and layers together, unzipped: 250 MB (the same for every runtime).
LAMBDA_UNZIPPED_LIMIT = 262_144_000


def unzipped_bytes(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(entry.file_size for entry in archive.infolist())


def _check_unzipped(out: Path, name: str, artifacts: Sequence[str]) -> int:
    """A zip function's code and layers, unzipped; over Lambda's limit the build fails, saying so."""
    present = [out / a for a in artifacts if (out / a).exists()]
    size = sum(unzipped_bytes(path) for path in present)
    if len(present) == len(artifacts) and size > LAMBDA_UNZIPPED_LIMIT:
        raise PackagingError(
            f"{name}: {size / 1e6:.1f} MB unzipped with its layers, over Lambda's "
            f"{LAMBDA_UNZIPPED_LIMIT / 1e6:.1f} MB: package it as an image (packaging.type: image)"
        )
    return size


def _write_manifest(
    out: Path,
    built: dict[Path, str | None],
    packages: dict[str, FunctionPackage],
    images: dict[str, dict[str, Any]],
) -> dict[str, Artifact]:
    manifest_path = out / "lambda" / "manifest.json"
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    # Artifacts not rebuilt this time keep their entry, so a partial build leaves a whole manifest.
    artifacts: dict[str, Artifact] = dict(previous.get("artifacts", {}))
    artifacts.update({p.relative_to(out).as_posix(): artifact_info(p, tag) for p, tag in built.items()})
    artifacts = {k: v for k, v in sorted(artifacts.items()) if (out / k).exists()}
    layers: dict[str, Any] = {DEPENDENCIES_LAYER: {"artifact": "lambda/dependencies-layer.zip", "extras": []}}
    functions: dict[str, Any] = {}
    for name, function in packages.items():
        if function.packaging == "image":
            entry = images.get(name) or previous.get("functions", {}).get(name)
            if entry is not None:
                functions[name] = {**entry, "packaging": "image"}
            continue
        function_layers = [DEPENDENCIES_LAYER]
        if function.layer:
            layers[function.layer] = {
                "artifact": f"lambda/layers/{function.layer}.zip",
                "extras": sorted(function.extras),
            }
            function_layers.append(function.layer)
        artifact = f"lambda/{name}.zip"
        functions[name] = {
            "handler": function.handler,
            "packaging": "zip",
            "artifact": artifact,
            "layers": function_layers,
            "unzipped_bytes": _check_unzipped(
                out, name, [artifact, *(str(layers[layer]["artifact"]) for layer in function_layers)]
            ),
        }
    manifest = {"artifacts": artifacts, "layers": layers, "functions": functions}
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return {p.relative_to(out).as_posix(): artifacts[p.relative_to(out).as_posix()] for p in built}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Lambda and Glue artifacts into build/")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    parser.add_argument(
        "--only", action="append", choices=["layer", "functions", "glue"], help="repeatable; default: all"
    )
    parser.add_argument(
        "--function", action="append", help="a function's short name; repeatable; default: all"
    )
    parser.add_argument(
        "--config", type=Path, help="the platform configuration (default config/platform.yaml)"
    )
    parser.add_argument(
        "--code-path", action="append", type=Path, default=[], help="where code outside the repository lives"
    )
    args = parser.parse_args(argv)
    config = load_config(args.config) if args.config else get_config()
    unknown = sorted(set(args.function or ()) - set(function_packages(config)))
    if unknown:
        parser.error(
            f"unknown function(s) {', '.join(unknown)}; known: {', '.join(function_packages(config))}"
        )
    try:
        built = build(
            REPO_ROOT,
            args.out,
            set(args.only or ["layer", "functions", "glue"]),
            args.function,
            config=config,
            code_paths=args.code_path,
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

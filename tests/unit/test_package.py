"""scripts/package.py: the artifacts are reproducible, laid out as Lambda and Glue expect, and clean."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from platform_core.config import get_config
from scripts import package

SOURCES = ("platform_core", "lambdas", "config", "schemas", "glue_jobs", "athena")
PACKAGES = package.function_packages(get_config())
BUILT_FUNCTIONS = [
    n for n, f in PACKAGES.items() if f.packaging == "zip" and (package.REPO_ROOT / f.module_file).is_file()
]


@pytest.fixture(scope="module")
def lambda_python() -> str:
    """The Lambda runtime's CPython: a failure, never a skip, without one (make setup provides it)."""
    found = package.lambda_python()
    if found is None:
        pytest.fail("no CPython 3.12 (the Lambda runtime's Python): run make setup, or set LAMBDA_PYTHON")
    return found


def _copy_repo(dest: Path, mtime: float, mode: int) -> Path:
    """The packaged sources, with the given file times and permissions, and a stray __pycache__."""
    for name in SOURCES:
        shutil.copytree(
            package.REPO_ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    (dest / "platform_core" / "__pycache__").mkdir()
    (dest / "platform_core" / "__pycache__" / "config.cpython-311.pyc").write_bytes(b"stale")
    (dest / "platform_core" / "stale.pyc").write_bytes(b"stale")
    for path in dest.rglob("*"):
        if path.is_file():
            path.chmod(mode)
            os.utime(path, (mtime, mtime))
    return dest


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same sources, copied twice with different times and modes, built twice."""
    outs = []
    for i, (mtime, mode) in enumerate([(1_000_000_000, 0o644), (1_700_000_000, 0o600)]):
        root = _copy_repo(tmp_path_factory.mktemp(f"src{i}"), mtime, mode)
        out = tmp_path_factory.mktemp(f"build{i}")
        package.build(root, out, {"functions", "glue"}, BUILT_FUNCTIONS)
        outs.append(out)
    return outs[0], outs[1]


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_builds_are_byte_identical(builds: tuple[Path, Path]) -> None:
    first, second = builds
    artifacts = [f"lambda/{name}.zip" for name in BUILT_FUNCTIONS] + ["glue/glue_libs.zip"]
    for artifact in artifacts:
        assert (first / artifact).read_bytes() == (second / artifact).read_bytes(), artifact
    assert (first / "lambda/manifest.json").read_text() == (second / "lambda/manifest.json").read_text()


def test_manifest_gives_terraforms_source_code_hash(builds: tuple[Path, Path]) -> None:
    out = builds[0]
    manifest = (out / "lambda" / "manifest.json").read_text()
    for name in BUILT_FUNCTIONS:
        info = package.artifact_info(out / "lambda" / f"{name}.zip", package.BYTECODE_TAG)
        assert f'"sha256_base64": "{info["sha256_base64"]}"' in manifest
        assert info["bytes"] == (out / "lambda" / f"{name}.zip").stat().st_size


@pytest.mark.parametrize("name", BUILT_FUNCTIONS)
def test_function_zip_layout(builds: tuple[Path, Path], name: str) -> None:
    names = _names(builds[0] / "lambda" / f"{name}.zip")
    own = PACKAGES[name].package_dir
    assert names == sorted(names)
    assert "lambdas/__init__.py" in names
    assert "platform_core/config.py" in names
    assert PACKAGES[name].module_file in names
    assert "config/platform.yaml" in names
    assert any(n.startswith("schemas/") and n.endswith(".json") for n in names)
    # Only its own function package: nothing of the other functions, nor the Glue job.
    others = {f.package_dir for f in PACKAGES.values()} - {own}
    assert not [n for n in names if any(n.startswith(p + "/") for p in others)]
    assert not [n for n in names if n.startswith("glue_jobs/")]
    assert "lambdas/__init__.py" in names  # its parent package comes too


def test_fixed_metadata_and_no_bytecode_from_the_build_machine(builds: tuple[Path, Path]) -> None:
    for artifact in sorted(builds[0].rglob("*.zip")):
        with zipfile.ZipFile(artifact) as archive:
            for info in archive.infolist():
                # The source tree's stray cpython-311 .pyc never gets in; only the runtime's.
                assert not info.filename.endswith(".pyc") or info.filename.endswith(".cpython-312.pyc")
                assert info.filename != "platform_core/stale.pyc"
                assert info.date_time == (1980, 1, 1, 0, 0, 0)
                assert info.external_attr >> 16 == 0o100644
                assert info.compress_type == zipfile.ZIP_DEFLATED
    assert not [n for n in _names(builds[0] / "glue" / "glue_libs.zip") if n.endswith(".pyc")]


@pytest.mark.usefixtures("lambda_python")
@pytest.mark.parametrize("name", BUILT_FUNCTIONS)
def test_function_zips_carry_unchecked_hash_bytecode_for_every_module(
    builds: tuple[Path, Path], name: str
) -> None:
    with zipfile.ZipFile(builds[0] / "lambda" / f"{name}.zip") as archive:
        names = set(archive.namelist())
        modules = [n for n in names if n.endswith(".py")]
        assert modules
        for module in modules:
            directory, _, file = module.rpartition("/")
            pyc = f"{directory}/__pycache__/{file[:-3]}.cpython-312.pyc"
            assert pyc in names, module
            # PEP 552 flags: 0b01 = hash-based, check_source off (no timestamps, never revalidated).
            assert archive.read(pyc)[4:8] == b"\x01\x00\x00\x00", pyc
    manifest = json.loads((builds[0] / "lambda" / "manifest.json").read_text())
    assert manifest["artifacts"][f"lambda/{name}.zip"]["bytecode"] == "cpython-312"
    assert manifest["artifacts"]["glue/glue_libs.zip"]["bytecode"] is None


def test_the_runtime_loads_the_shipped_bytecode_under_the_lambda_path(
    builds: tuple[Path, Path], tmp_path: Path, lambda_python: str
) -> None:
    """CPython 3.12, writing no bytecode (Lambda's read-only task root), imports the shipped .pyc."""
    with zipfile.ZipFile(builds[0] / "lambda" / "ingest.zip") as archive:
        archive.extractall(tmp_path)
    code = "import sys; sys.path[:0] = [sys.argv[1]]; import platform_core.naming"
    proc = subprocess.run(
        [lambda_python, "-I", "-S", "-B", "-v", "-c", code, str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    naming = tmp_path / "platform_core" / "naming.py"
    assert f"code object from '{naming.parent}/__pycache__/naming.cpython-312.pyc'" in proc.stderr


def test_without_a_lambda_python_the_zips_are_built_without_bytecode_and_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(package, "lambda_python", lambda: None)
    built = package.build(package.REPO_ROOT, tmp_path, {"functions"}, ["ingest"])
    assert built["lambda/ingest.zip"]["bytecode"] is None
    assert not [n for n in _names(tmp_path / "lambda" / "ingest.zip") if n.endswith(".pyc")]
    assert "no CPython 3.12 found" in capsys.readouterr().err


def test_glue_libs_hold_what_the_job_imports_but_not_the_entry_script(builds: tuple[Path, Path]) -> None:
    names = _names(builds[0] / "glue" / "glue_libs.zip")
    assert "glue_jobs/__init__.py" in names
    assert "platform_core/envelope.py" in names
    assert any(n.startswith("athena/tables/") and n.endswith(".json") for n in names)
    jobs = sorted((package.REPO_ROOT / "glue_jobs").glob("*/job.py"))
    for job in jobs:
        assert job.relative_to(package.REPO_ROOT).as_posix() not in names
        imported = package.first_party_imports(package.REPO_ROOT, job)
        for module in imported - {job}:
            assert module.relative_to(package.REPO_ROOT).as_posix() in names
    assert not [n for n in names if n.startswith(("lambdas/ingest/", "lambdas/fanout/", "config/"))]


def test_first_party_imports_follow_the_chain(tmp_path: Path) -> None:
    for rel, text in {
        "glue_jobs/__init__.py": "",
        "glue_jobs/job/__init__.py": "",
        "glue_jobs/job/job.py": "import json\nfrom glue_jobs.job import run\n",
        "glue_jobs/job/run.py": "from glue_jobs.contract import table\nimport platform_core.envelope\n",
        "glue_jobs/contract.py": "from sqlglot import exp\ntable = 1\n",
        "glue_jobs/unused.py": "",
        "lambdas/__init__.py": "",
        "platform_core/__init__.py": "",
        "platform_core/envelope.py": "from . import naming\nfrom .sub.deep import x\n",
        "platform_core/naming.py": "",
        "platform_core/sub/__init__.py": "",
        "platform_core/sub/deep.py": "from ..naming import y\nx = 1\n",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = {
        p.relative_to(tmp_path).as_posix()
        for p in package.first_party_imports(tmp_path, tmp_path / "glue_jobs/job/job.py")
    }
    assert found == {
        "glue_jobs/__init__.py",
        "glue_jobs/job/__init__.py",
        "glue_jobs/job/run.py",
        "glue_jobs/contract.py",
        "platform_core/__init__.py",
        "platform_core/envelope.py",
        "platform_core/naming.py",
        "platform_core/sub/__init__.py",
        "platform_core/sub/deep.py",
    }


def test_a_missing_function_package_fails_clearly(tmp_path: Path) -> None:
    root = _copy_repo(tmp_path / "src", 1_000_000_000, 0o644)
    shutil.rmtree(root / "lambdas" / "kafka_bridge", ignore_errors=True)
    with pytest.raises(
        package.PackagingError, match=r"'kafka-bridge': lambdas/kafka_bridge/handler.py is missing"
    ):
        package.build(root, tmp_path / "out", {"functions"}, ["kafka-bridge"])


def test_a_function_importing_another_functions_package_fails(tmp_path: Path) -> None:
    root = _copy_repo(tmp_path / "src", 1_000_000_000, 0o644)
    handler = root / "lambdas" / "ingest" / "handler.py"
    handler.write_text(handler.read_text() + "\nfrom lambdas.fanout import handler as fanout_handler\n")
    with pytest.raises(
        package.PackagingError,
        match=r"lambdas/ingest/handler.py imports .*lambdas/fanout/handler.py.*, not in its zip",
    ):
        package.build(root, tmp_path / "out", {"functions"}, ["ingest"])


@pytest.mark.slow
@pytest.mark.usefixtures("lambda_python")
def test_dependencies_layer_is_reproducible_and_linux_x86_64(tmp_path: Path) -> None:
    """Installs requirements/lambda.lock for python3.12 x86_64 twice (downloads wheels once)."""
    hashes = []
    for i in range(2):
        out = tmp_path / f"out{i}"
        built = package.build(package.REPO_ROOT, out, {"layer"}, [])
        hashes.append(built["lambda/dependencies-layer.zip"]["sha256_base64"])
    assert hashes[0] == hashes[1]
    names = _names(tmp_path / "out0" / "lambda" / "dependencies-layer.zip")
    assert all(n.startswith("python/") for n in names)
    assert any(n.startswith("python/pydantic_core/") and "cpython-312-x86_64-linux-gnu" in n for n in names)
    assert any(n.startswith("python/confluent_kafka/") for n in names)
    assert "python/boto3/__init__.py" in names
    assert not [n for n in names if n.startswith("python/bin/") or n.endswith(("/RECORD", "/INSTALLER"))]
    assert "python/boto3/__pycache__/__init__.cpython-312.pyc" in names


@pytest.mark.slow
def test_each_handler_imports_with_only_its_zip_and_the_layer(tmp_path: Path, lambda_python: str) -> None:
    """What Lambda does at cold start: /var/task = the function zip, /opt = the layer, nothing else."""
    python = lambda_python
    package.build(package.REPO_ROOT, tmp_path / "out", {"layer", "functions"}, BUILT_FUNCTIONS)
    manifest = json.loads((tmp_path / "out" / "lambda" / "manifest.json").read_text())
    for name in BUILT_FUNCTIONS:
        task, opt = tmp_path / "task" / name, tmp_path / "opt" / name
        with zipfile.ZipFile(tmp_path / "out" / "lambda" / f"{name}.zip") as function:
            function.extractall(task)
        for layer in manifest["functions"][name]["layers"]:  # Lambda extracts every layer into /opt
            with zipfile.ZipFile(tmp_path / "out" / manifest["layers"][layer]["artifact"]) as archive:
                archive.extractall(opt)
        module, _, attribute = PACKAGES[name].handler.rpartition(".")
        code = (
            f"import sys; sys.path[:0] = [{str(task)!r}, {str(opt / 'python')!r}]; "
            f"import importlib, confluent_kafka, pydantic_core; "
            f"assert callable(getattr(importlib.import_module({module!r}), {attribute!r})); "
            f"print(sys.version_info[:2], confluent_kafka.libversion()[0])"
        )
        # -I -S: no site-packages at all, no PYTHONPATH, no current directory: only the two paths above.
        env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1"}
        proc = subprocess.run(
            [python, "-I", "-S", "-c", code], cwd=task, env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"{name}: {proc.stderr}"
        assert proc.stdout.startswith("(3, 12)"), proc.stdout


def test_the_manifest_says_each_functions_artifact_handler_and_layers(builds: tuple[Path, Path]) -> None:
    manifest = json.loads((builds[0] / "lambda" / "manifest.json").read_text())
    # Every declared zip function, no hand list; image functions come from the image hook, whose
    # build takes minutes (tests/integration/test_invoice_image.py, make test-slow).
    assert set(manifest["functions"]) == {n for n, f in PACKAGES.items() if f.packaging == "zip"}
    for name in BUILT_FUNCTIONS:
        entry = manifest["functions"][name]
        assert entry["artifact"] in manifest["artifacts"]
        assert entry["handler"] == PACKAGES[name].handler
        assert entry["layers"][0] == package.DEPENDENCIES_LAYER
        extras = get_config().services[name].packaging.extras if name in get_config().services else ()
        assert entry["layers"][1:] == (["-".join(sorted(extras))] if extras else [])


def test_an_extras_layer_holds_what_the_dependencies_layer_lacks() -> None:
    base = package.locked_requirements(package.REPO_ROOT / package.LOCK)
    # Image functions carry their extras in their image (requirements/images/<service>.lock), not a layer.
    for extra in {e for f in PACKAGES.values() if f.packaging == "zip" for e in f.extras}:
        added = package.extras_requirements(package.REPO_ROOT, [extra])
        names = {requirement.split("==")[0].lower() for requirement in added}
        assert names and not names & set(base), extra
        assert all(
            "--hash=sha256:" in requirement for requirement in added
        )  # installable with --require-hashes


def test_an_image_function_needs_the_image_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = get_config()
    name = next(iter(config.services))
    service = config.services[name]
    image = service.model_copy(update={"packaging": service.packaging.model_copy(update={"type": "image"})})
    config = config.model_copy(update={"services": {**config.services, name: image}})
    monkeypatch.setattr(package, "IMAGE_HOOK", "scripts.no_such_image_builder")
    with pytest.raises(package.PackagingError, match=f"{name!r} is packaged as an image"):
        package.build(package.REPO_ROOT, tmp_path, {"functions"}, [name], config=config)


def test_a_zip_function_over_lambdas_unzipped_limit_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lambda").mkdir()
    for name, size in (("lambda/f.zip", 600), ("lambda/layer.zip", 500)):
        with zipfile.ZipFile(tmp_path / name, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data", b"\0" * size)
    assert package._check_unzipped(tmp_path, "f", ["lambda/f.zip", "lambda/layer.zip"]) == 1100
    monkeypatch.setattr(package, "LAMBDA_UNZIPPED_LIMIT", 1000)
    with pytest.raises(package.PackagingError, match=r"f: .* unzipped with its layers, over Lambda"):
        package._check_unzipped(tmp_path, "f", ["lambda/f.zip", "lambda/layer.zip"])

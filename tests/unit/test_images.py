"""Container-image packaging (scripts/images.py): derived from the declaration, deterministic, a valid OCI layout."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import tarfile
from io import BytesIO
from pathlib import Path

from platform_core.config import get_config
from scripts.images import (
    BASE_PACKAGES,
    app_entries,
    dockerfile,
    image_services,
    lock_path,
    tar_of_tree,
    write_context,
    write_oci_layout,
)
from scripts.package import REPO_ROOT


def test_every_image_service_has_its_lock_and_its_packages_in_the_dockerfile() -> None:
    services = image_services(get_config())
    assert "invoices" in services
    for name, service in services.items():
        lock = lock_path(REPO_ROOT, name).read_text()
        assert "awslambdaric==" in lock
        text = dockerfile(service)
        for package in (*BASE_PACKAGES, *service.packaging.debian_packages):
            assert package in text
        assert f'CMD ["{service.handler}"]' in text


def test_setup_installs_the_debian_packages_every_image_declares() -> None:
    """The local platform runs every service on this machine: what an image carries, setup installs."""
    script = (REPO_ROOT / "scripts" / "setup.sh").read_text()
    installed = {
        package
        for line in script.splitlines()
        if re.fullmatch(r'[A-Z_]+_PACKAGES="[^"]*"', line)
        for package in line.split("=", 1)[1].strip('"').split()
    }
    for name, service in image_services(get_config()).items():
        missing = set(service.packaging.debian_packages) - installed
        assert not missing, f"scripts/setup.sh does not install {sorted(missing)}, which {name} declares"


def test_the_image_carries_the_services_code_and_nothing_of_other_services(tmp_path: Path) -> None:
    service = get_config().services["invoices"]
    entries = app_entries(REPO_ROOT, service)
    assert "lambdas/invoices/handler.py" in entries and "config/billing.yaml" in entries
    assert "lambdas/invoices/templates/invoice.typ" in entries
    assert not any(name.startswith(("lambdas/orders/", "lambdas/documents/")) for name in entries)
    context = write_context(REPO_ROOT, tmp_path, "invoices", service)
    assert (context / "Dockerfile").is_file() and (
        context / "app" / "lambdas" / "invoices" / "render.py"
    ).is_file()


def test_layers_and_layouts_are_byte_identical_from_the_same_inputs(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "a.py").write_text("print('a')\n")
    (source / "b.txt").write_text("b\n")
    first = tar_of_tree(source, "/var/task")
    (source / "b.txt").touch()  # a new mtime changes nothing
    assert tar_of_tree(source, "/var/task") == first
    with tarfile.open(fileobj=BytesIO(first)) as archive:
        members = archive.getmembers()
    assert [m.name for m in members] == [
        "var",
        "var/task",
        "var/task/b.txt",
        "var/task/pkg",
        "var/task/pkg/a.py",
    ]
    assert {m.uid for m in members} == {0} and len({m.mtime for m in members}) == 1

    service = get_config().services["invoices"]
    digest = write_oci_layout(tmp_path / "one", [first], service, "invoices")
    assert write_oci_layout(tmp_path / "two", [first], service, "invoices") == digest
    index = json.loads((tmp_path / "one" / "index.json").read_text())
    manifest_blob = tmp_path / "one" / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(manifest_blob.read_text())
    layer = manifest["layers"][0]
    data = (tmp_path / "one" / "blobs" / "sha256" / layer["digest"].split(":")[1]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == layer["digest"].split(":")[1] and layer["size"] == len(data)
    config_blob = tmp_path / "one" / "blobs" / "sha256" / manifest["config"]["digest"].split(":")[1]
    config = json.loads(config_blob.read_text())
    assert config["rootfs"]["diff_ids"] == [f"sha256:{hashlib.sha256(gzip.decompress(data)).hexdigest()}"]
    assert config["config"]["Entrypoint"] == ["/usr/bin/python3", "-m", "awslambdaric"]
    assert config["config"]["Cmd"] == [service.handler]

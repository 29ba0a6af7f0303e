"""The invoice service's container image, built here without Docker, runs the service: its own Debian
Python, fonts and packages issue a PDF/A-3 Factur-X invoice inside the image's root file system.

Slow (mmdebstrap fetches Debian packages: minutes): `make test-slow`. Needs root for chroot, as CI has.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from platform_core.config import get_config
from scripts.images import build_image
from scripts.package import REPO_ROOT
from tests.fixtures.invoices import invoice_request, issued

pytestmark = pytest.mark.slow

SMOKE = """
import sys
from lambdas.invoices.models import Invoice
from lambdas.invoices.facturx_xml import build_xml
from lambdas.invoices.render import Renderer
from lambdas.invoices.conformance import check_pdfa3_facturx
import awslambdaric, lambdas.invoices.handler  # the entry point's module and the handler's
invoice = Invoice.model_validate_json(open("/tmp/invoice.json").read())
pdf = Renderer().pdf(invoice, build_xml(invoice))
problems = check_pdfa3_facturx(pdf)
open("/tmp/invoice.pdf", "wb").write(pdf)
print("problems:", problems)
sys.exit(1 if problems else 0)
"""


def test_the_built_image_issues_an_invoice_with_its_own_python_and_fonts(tmp_path: Path) -> None:
    built = build_image(REPO_ROOT, tmp_path, "invoices", get_config().services["invoices"])
    layout = tmp_path / built["layout"]
    inspected = json.loads(
        subprocess.run(
            ["skopeo", "inspect", f"oci:{layout}:latest"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert inspected["Digest"] == built["digest"] and len(inspected["Layers"]) == 3

    rootfs = tmp_path / "rootfs"
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(
        (layout / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text()
    )
    for layer in manifest["layers"]:
        blob = (layout / "blobs" / "sha256" / layer["digest"].split(":")[1]).read_bytes()
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob))) as archive:
            archive.extractall(rootfs, filter="fully_trusted")  # device nodes and links of a root file system
    (rootfs / "tmp" / "invoice.json").write_text(issued(invoice_request()).model_dump_json())
    # What Lambda's sandbox provides too: /proc and /dev (SaxonC's native image needs /proc).
    mounts = [rootfs / "proc", rootfs / "dev"]
    subprocess.run(["mount", "-t", "proc", "proc", str(mounts[0])], check=True)
    try:
        subprocess.run(["mount", "--bind", "/dev", str(mounts[1])], check=True)
        run = subprocess.run(
            [shutil.which("chroot") or "/usr/sbin/chroot", str(rootfs), "/usr/bin/python3", "-c", SMOKE],
            capture_output=True,
            text=True,
            env={
                "PYTHONPATH": "/var/task:/opt/python",
                "PATH": "/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "HOME": "/tmp",
            },
            check=False,
        )
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", str(mount)], check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (rootfs / "tmp" / "invoice.pdf").read_bytes().startswith(b"%PDF-1.")

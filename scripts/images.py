"""Container images for declared services whose native libraries Lambda's runtime lacks (`packaging.type: image`).

OCR needs Tesseract, invoices the fonts their PDFs embed and large native wheels (Typst, SaxonC):
neither fits a zip or a layer well (250 MB unzipped, no Debian packages), so these services run as
Lambda container images. Each image is
Debian bookworm (its `python3`, 3.11, and the service's declared `debian_packages`), the locked
Python packages of the platform and of the service's `extras` plus the Lambda Runtime Interface
Client (`awslambdaric`), and the service's code under /var/task; its entry point runs the
declared handler through the runtime interface client, as Lambda's own base images do.

    python -m scripts.images lock                  # requirements/images/<service>.lock, per image service
    python -m scripts.images build                 # build/images/<service>/: context/ and oci/
    python -m scripts.images build --context-only  # only the build context (Dockerfile, lock, app/)
    python -m scripts.images push --service invoices --repository <account>.dkr.ecr.<region>.amazonaws.com/<name>

`make package` (scripts/package.py) calls `build_image` for each image service and puts its answer
in build/lambda/manifest.json. `build` needs no Docker: it assembles an OCI image layout from three layers, each a tar with
sorted entries, fixed owners and timestamps, gzipped without a timestamp: the Debian root file
system made by `mmdebstrap` (from the Debian mirror of /etc/apt, SOURCE_DATE_EPOCH fixed), the
Python packages installed by uv for manylinux_2_36 / CPython 3.11 from the hash-pinned lock, and
the code. Given the same mirror state, lock and code, the same bytes come out; the digests go to
build/images/manifest.json for Terraform. `push` copies the layout to ECR with skopeo (`make
apply` runs it with the account's credentials). The context (a Dockerfile over the same lock and
code) is for whoever builds with Docker, BuildKit or CodeBuild instead.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from platform_core.config import PlatformConfig, Service, get_config
from scripts.package import REPO_ROOT, PackagingError, _package_inits, _uv, first_party_imports, tree

DEBIAN_SUITE = "bookworm"
DEBIAN_MIRRORS = (
    "deb http://deb.debian.org/debian bookworm main",
    "deb http://deb.debian.org/debian bookworm-updates main",
    "deb http://deb.debian.org/debian-security bookworm-security main",
)
# What every image needs beyond the service's own packages: Debian's Python, TLS roots, time zones
# (zoneinfo), and the C++ runtime that manylinux wheels may link to (the manylinux policy counts on
# the system having it).
BASE_PACKAGES = ("python3", "ca-certificates", "libstdc++6", "tzdata")
IMAGE_PYTHON = "3.11"  # bookworm's python3
IMAGE_PLATFORM = "x86_64-manylinux_2_36"  # bookworm's glibc
RUNTIME_EXTRA = "lambda-image"  # pyproject's group with awslambdaric
PACKAGES_DIR = "/opt/python"
TASK_DIR = "/var/task"
SOURCE_DATE_EPOCH = 1735689600  # 2025-01-01: every file of every layer carries this time
# Documentation, manuals and translations are not needed to run a Lambda function.
DPKG_EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*")
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


def image_services(config: PlatformConfig) -> dict[str, Service]:
    return {name: s for name, s in config.services.items() if s.packaging.type == "image"}


def lock_path(root: Path, name: str) -> Path:
    return root / "requirements" / "images" / f"{name}.lock"


def lock_command(root: Path, name: str, service: Service) -> list[str]:
    extras = [arg for extra in (*service.packaging.extras, RUNTIME_EXTRA) for arg in ("--extra", extra)]
    return [
        _uv(), "pip", "compile", "pyproject.toml", *extras,
        "--python-version", IMAGE_PYTHON, "--python-platform", IMAGE_PLATFORM,
        "--generate-hashes", "--quiet", "-o", str(lock_path(root, name).relative_to(root)),
    ]  # fmt: skip


def app_entries(root: Path, service: Service) -> dict[str, Path]:
    """The service's code as in a function zip: its package, platform_core, config/ and schemas/."""
    package = service.package.replace(".", "/")
    entries = {
        **_package_inits(root, package),
        **tree(root, "platform_core"),
        **tree(root, package),
        **tree(root, "config"),
        **tree(root, "schemas"),
    }
    packed = set(entries.values())
    for module in sorted(p for p in packed if p.suffix == ".py"):
        missing = sorted(str(p.relative_to(root)) for p in first_party_imports(root, module) - packed)
        if missing:
            raise PackagingError(f"{module.relative_to(root)} imports {', '.join(missing)}, not in the image")
    return entries


def dockerfile(service: Service) -> str:
    packages = " ".join(sorted({*BASE_PACKAGES, *service.packaging.debian_packages}))
    return f"""# Generated by python -m scripts.images from the service's declaration: do not edit.
FROM debian:{DEBIAN_SUITE}-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {packages} \\
 && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
RUN python3 -m venv /tmp/pip && /tmp/pip/bin/pip install --no-cache-dir --no-deps --require-hashes \\
      --target {PACKAGES_DIR} -r /tmp/requirements.lock && rm -rf /tmp/pip /tmp/requirements.lock
COPY app/ {TASK_DIR}/
WORKDIR {TASK_DIR}
ENV PYTHONPATH={TASK_DIR}:{PACKAGES_DIR} PYTHONDONTWRITEBYTECODE=1
ENTRYPOINT ["/usr/bin/python3", "-m", "awslambdaric"]
CMD ["{service.handler}"]
"""


def write_context(root: Path, out: Path, name: str, service: Service) -> Path:
    context = out / "images" / name / "context"
    if context.exists():
        shutil.rmtree(context)
    (context / "app").mkdir(parents=True)
    lock = lock_path(root, name)
    if not lock.is_file():
        raise PackagingError(f"{lock.relative_to(root)} is missing: run python -m scripts.images lock")
    shutil.copyfile(lock, context / "requirements.lock")
    (context / "Dockerfile").write_text(dockerfile(service))
    for arcname, source in sorted(app_entries(root, service).items()):
        target = context / "app" / arcname
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return context


# -- layers ------------------------------------------------------------------------------------------


def _normalized(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = SOURCE_DATE_EPOCH
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def tar_of_tree(directory: Path, prefix: str) -> bytes:
    """A tar of directory's files under prefix: sorted, owned by root, one timestamp."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        parents: set[str] = set()
        for path in sorted(directory.rglob("*")):
            rel = path.relative_to(directory).as_posix()
            name = f"{prefix.strip('/')}/{rel}"
            parts = name.split("/")
            for depth in range(1, len(parts)):
                parent = "/".join(parts[:depth])
                if parent not in parents:
                    parents.add(parent)
                    info = tarfile.TarInfo(parent)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    archive.addfile(_normalized(info))
            if path.is_dir():
                continue
            info = archive.gettarinfo(str(path), arcname=name)
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            with path.open("rb") as handle:
                archive.addfile(_normalized(info), handle)
    return buffer.getvalue()


def debian_rootfs(service: Service, dest: Path) -> Path:
    """Debian's essential packages, Python and the service's packages, as a tar (mmdebstrap)."""
    if shutil.which("mmdebstrap") is None:
        raise PackagingError(
            "mmdebstrap is not installed (Debian package mmdebstrap; make setup installs it)"
        )
    packages = ",".join(sorted({*BASE_PACKAGES, *service.packaging.debian_packages}))
    excludes = [f"--dpkgopt=path-exclude={pattern}" for pattern in DPKG_EXCLUDES]
    mode = "root" if os.geteuid() == 0 else "unshare"
    command = [
        "mmdebstrap", f"--mode={mode}", "--variant=essential", f"--include={packages}", *excludes,
        "--quiet", DEBIAN_SUITE, str(dest), *DEBIAN_MIRRORS,
    ]  # fmt: skip
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)}
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise PackagingError(f"mmdebstrap failed:\n{proc.stderr[-3000:]}")
    return dest


def python_packages(root: Path, name: str, target: Path) -> Path:
    cmd = [
        _uv(), "pip", "install", "--quiet", "--target", str(target),
        "--python-version", IMAGE_PYTHON, "--python-platform", IMAGE_PLATFORM,
        "--only-binary", ":all:", "--require-hashes", "--no-deps", "--no-compile-bytecode",
        "-r", str(lock_path(root, name)),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise PackagingError(f"installing {lock_path(root, name).name} failed:\n{proc.stderr[-3000:]}")
    for installer_file in target.glob("*.dist-info/RECORD"):
        installer_file.unlink()  # carries hashes of generated scripts: differs between machines
    shutil.rmtree(target / "bin", ignore_errors=True)
    return target


def _blob(layout: Path, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    path = layout / "blobs" / "sha256" / digest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return f"sha256:{digest}", len(data)


def write_oci_layout(layout: Path, layers: list[bytes], service: Service, name: str) -> str:
    """An OCI image layout (oci-layout, index.json, blobs/) of gzipped layers; the manifest's digest."""
    if layout.exists():
        shutil.rmtree(layout)
    layout.mkdir(parents=True)
    descriptors, diff_ids = [], []
    for layer in layers:
        diff_ids.append(f"sha256:{hashlib.sha256(layer).hexdigest()}")
        compressed = io.BytesIO()
        with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=6) as zipped:
            zipped.write(layer)
        digest, size = _blob(layout, compressed.getvalue())
        descriptors.append({"mediaType": LAYER_MEDIA_TYPE, "digest": digest, "size": size})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": [
                f"PYTHONPATH={TASK_DIR}:{PACKAGES_DIR}",
                "PYTHONDONTWRITEBYTECODE=1",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
            ],
            "Entrypoint": ["/usr/bin/python3", "-m", "awslambdaric"],
            "Cmd": [service.handler],
            "WorkingDir": TASK_DIR,
            "Labels": {"org.opencontainers.image.title": name},
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_digest, config_size = _blob(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size,
        },
        "layers": descriptors,
    }
    manifest_digest, manifest_size = _blob(layout, json.dumps(manifest, sort_keys=True).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }
        ],
    }
    (layout / "index.json").write_text(json.dumps(index, sort_keys=True))
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return manifest_digest


def build_image(root: Path, out: Path, name: str, service: Service) -> dict[str, Any]:
    context = write_context(root, out, name, service)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        rootfs = debian_rootfs(service, work / "rootfs.tar").read_bytes()
        packages = tar_of_tree(python_packages(root, name, work / "python"), PACKAGES_DIR)
        code = tar_of_tree(context / "app", TASK_DIR)
        digest = write_oci_layout(out / "images" / name / "oci", [rootfs, packages, code], service, name)
    return {"digest": digest, "layout": f"images/{name}/oci", "handler": service.handler}


def _manifest(out: Path, built: dict[str, dict[str, Any]]) -> None:
    path = out / "images" / "manifest.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(built)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(current.items())), indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Container images of the services declared with packaging.type image"
    )
    parser.add_argument("command", choices=["lock", "build", "push"], nargs="?", default="build")
    parser.add_argument("--service", action="append", help="repeatable; default: every image service")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build")
    parser.add_argument("--context-only", action="store_true", help="build: only the Docker build context")
    parser.add_argument("--repository", help="push: the ECR repository URI")
    args = parser.parse_args(argv)
    services = image_services(get_config())
    unknown = set(args.service or ()) - set(services)
    if unknown:
        parser.error(
            f"not image services: {', '.join(sorted(unknown))} (image services: {', '.join(services)})"
        )
    chosen = {n: s for n, s in services.items() if not args.service or n in args.service}
    try:
        if args.command == "lock":
            for name, service in chosen.items():
                lock_path(REPO_ROOT, name).parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(lock_command(REPO_ROOT, name, service), cwd=REPO_ROOT, check=True)
                print(f"images: {lock_path(REPO_ROOT, name).relative_to(REPO_ROOT)}")
        elif args.command == "push":
            if not args.repository or len(chosen) != 1:
                parser.error("push needs --repository and exactly one --service")
            [name] = chosen
            layout = args.out / "images" / name / "oci"
            digest = json.loads((args.out / "images" / "manifest.json").read_text())[name]["digest"]
            tag = digest.removeprefix("sha256:")[:16]
            subprocess.run(
                ["skopeo", "copy", f"oci:{layout}:latest", f"docker://{args.repository}:{tag}"], check=True
            )
            print(f"images: {args.repository}@{digest}")
        else:
            built = {}
            for name, service in chosen.items():
                if args.context_only:
                    print(
                        f"images: {write_context(REPO_ROOT, args.out, name, service).relative_to(args.out.parent)}"
                    )
                    continue
                built[name] = build_image(REPO_ROOT, args.out, name, service)
                print(f"images: {name} {built[name]['digest']}")
            if built:
                _manifest(args.out, built)
    except (PackagingError, subprocess.CalledProcessError) as exc:
        print(f"images: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Extract the hashicorp/aws provider schema from the cdktn-provider-aws jsii assembly.

`terraform providers schema -json` needs the provider binary, which cannot be
downloaded on the offline machines this project is checked on. The
`cdktn-provider-aws` wheel (and the `@cdktn/provider-aws` npm package) bundle a
jsii assembly generated from that very schema: every resource is a class with a
`<Name>Config` struct, every nested block a struct, and every property's docs
link to the registry page with the Terraform name as the anchor. This script
turns the assembly into a compact JSON schema that check.py reads:

    {"provider": "hashicorp/aws", "provider_version": "6.69.1",
     "package": "cdktn-provider-aws==25.8.1",
     "provider_config": {...},
     "resources": {"aws_s3_bucket": {"attributes": {"bucket": {"required": false}, ...},
                                     "blocks": {"versioning": {"required": false, "single": true,
                                                               "attributes": {...}, "blocks": {...}}},
                                     "computed": ["arn", "bucket_domain_name", ...]}},
     "data_sources": {...}, "ephemeral_resources": {...}}

An attribute of object type (nested attributes, and the SDK's attributes that
may be written as blocks, like aws_security_group's ingress) carries its
fields under "object". A block is "single" when the provider allows at most one (jsii types it as one
struct, not an array); "any" marks the few blocks whose contents are not
checked: those the generator gave up typing (too deeply nested) and the
self-nesting ones (a wafv2 statement inside an and/or/not statement).

Regenerate (needs PyPI or the npm registry):
    python -m scripts.terraform.extract_provider_schema --package-version 25.8.1
or from an already downloaded wheel / npm tarball / .jsii file:
    python -m scripts.terraform.extract_provider_schema --from-file cdktn_provider_aws-25.8.1-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from scripts.terraform.hcl import REPO_ROOT, aws_version_constraints, relative, version_satisfies

SCHEMA_PATH = REPO_ROOT / "scripts" / "terraform" / "aws_provider_schema.json.gz"
DEFAULT_PACKAGE_VERSION = "25.8.1"
PYPI_PACKAGE = "cdktn-provider-aws"
NPM_PACKAGE = "@cdktn/provider-aws"
ASSEMBLY = "@cdktn/provider-aws"

# "{@link https://registry.terraform.io/providers/hashicorp/aws/6.69.1/docs/resources/s3_bucket#cors_rule S3Bucket#cors_rule}"
_PROPERTY_LINK = re.compile(
    r"\{@link https://registry\.terraform\.io/providers/hashicorp/aws/\S*#(\w+) \S+\}"
)
# "Represents a {@link https://registry.terraform.io/providers/hashicorp/aws/6.69.1/docs/resources/s3_bucket aws_s3_bucket}."
_CLASS_LINK = re.compile(
    r"\{@link https://registry\.terraform\.io/providers/hashicorp/aws/([^/\s]+)/docs"
    r"(?:/(resources|data-sources|ephemeral-resources)/\w+)? (\w+)\}"
)
_README_VERSION = re.compile(r"hashicorp/aws provider version (\d+\.\d+\.\d+)")
_BLOCK_SUMMARY = re.compile(r"^\w+ block\.")

_KINDS = {
    "cdktn.TerraformResource": "resources",
    "cdktn.TerraformDataSource": "data_sources",
    "cdktn.TerraformEphemeralResource": "ephemeral_resources",
}


def camel_to_snake(name: str) -> str:
    """The inverse of the cdktn generator's snake_case -> camelCase for ordinary names.

    `ipv6CidrBlock` -> `ipv6_cidr_block`, `s3Bucket` -> `s3_bucket`. It is lossy for
    names whose digits start a word (`address_line_1` became `addressLine1`) and for
    names the generator renamed (`self` -> `selfAttribute`), which is why the
    registry link anchor in the property docs is preferred whenever present.
    """
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def terraform_name(prop: dict[str, Any]) -> str:
    """The Terraform argument name of a jsii property: the docs link anchor, else the conversion."""
    docs = prop.get("docs", {})
    anchors = _PROPERTY_LINK.findall(docs.get("summary", "") + " " + docs.get("remarks", ""))
    return str(anchors[-1]) if anchors else camel_to_snake(prop["name"])


def _struct_refs(type_ref: dict[str, Any]) -> tuple[list[str], bool]:
    """The provider struct fqns a property type refers to, and whether it is a collection."""
    if "fqn" in type_ref:
        fqn = type_ref["fqn"]
        return ([fqn] if fqn.startswith(ASSEMBLY + ".") else []), False
    if "collection" in type_ref:
        element_refs, _ = _struct_refs(type_ref["collection"]["elementtype"])
        return element_refs, True
    if "union" in type_ref:
        refs: list[str] = []
        collection = False
        for member in type_ref["union"]["types"]:
            member_refs, member_collection = _struct_refs(member)
            refs += member_refs
            collection = collection or member_collection
        return refs, collection
    return [], False


class _Converter:
    def __init__(self, types: dict[str, Any]) -> None:
        self.types = types
        self.lossy_names: list[tuple[str, str]] = []
        self._stack: list[str] = []

    def struct(self, fqn: str) -> dict[str, Any]:
        self._stack.append(fqn)
        try:
            return self._struct(fqn)
        finally:
            self._stack.pop()

    def _struct(self, fqn: str) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for prop in self.types[fqn].get("properties", []):
            name = terraform_name(prop)
            if camel_to_snake(prop["name"]) != name:
                self.lossy_names.append((prop["name"], name))
            required = not prop.get("optional", False)
            summary = prop.get("docs", {}).get("summary", "")
            refs, collection = _struct_refs(prop["type"])
            if not _BLOCK_SUMMARY.match(summary):
                attributes[name] = {"required": required}
                if refs and refs[0] not in self._stack:
                    # An attribute of object type: the framework's nested attributes, and the
                    # SDK's "attributes as blocks" (aws_security_group ingress), which HCL may
                    # also write as blocks; their fields are checked when they are.
                    attributes[name]["object"] = self.struct(refs[0])
                continue
            if refs and refs[0] in self._stack:
                # Self-nesting statements (wafv2 and/or/not): the inner levels are left unchecked.
                block = {"any": True}
            elif refs:
                block = self.struct(refs[0])
                if not collection:
                    block["single"] = True
            else:
                block = {"any": True}
            block["required"] = required
            blocks[name] = block
        return {"attributes": dict(sorted(attributes.items())), "blocks": dict(sorted(blocks.items()))}


def normalise(name: str) -> str:
    """A name with case and underscores dropped: `address_line_1` and `addressLine1` agree."""
    return name.replace("_", "").lower()


def computed_attributes(cls: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The attributes a resource exports beyond its arguments (arn, ...), readable as `aws_x.y.arn`.

    The class getters carry no registry link, so these names come from the camelCase
    conversion; the checker compares them with `normalise` so the conversion's lossy
    cases (digits, `selfAttribute`) cannot cause false reports.
    """
    arguments = {normalise(n) for n in [*schema["attributes"], *schema["blocks"]]}
    return sorted(
        {
            camel_to_snake(p["name"])
            for p in cls.get("properties", [])
            if not p.get("static")
            and not p["name"].endswith("Input")
            and normalise(p["name"]) not in arguments
        }
    )


def convert_assembly(assembly: dict[str, Any]) -> dict[str, Any]:
    """The compact schema of every resource, data source and ephemeral resource in the assembly."""
    types: dict[str, Any] = assembly["types"]
    converter = _Converter(types)
    out: dict[str, Any] = {"resources": {}, "data_sources": {}, "ephemeral_resources": {}}
    provider_version = None
    provider_config: dict[str, Any] = {}
    for cls in types.values():
        if cls["kind"] != "class" or "initializer" not in cls:
            continue
        base = cls.get("base")
        if base not in _KINDS and base != "cdktn.TerraformProvider":
            continue
        match = _CLASS_LINK.search(cls.get("docs", {}).get("summary", ""))
        if not match:
            raise ValueError(f"{cls['fqn']}: no registry link in the class docs to name the Terraform type")
        version, _, tf_type = match.groups()
        provider_version = provider_version or version
        if version != provider_version:
            raise ValueError(f"{cls['fqn']} documents provider {version}, others {provider_version}")
        config = next(p for p in cls["initializer"]["parameters"] if p["name"] == "config")
        schema = converter.struct(config["type"]["fqn"])
        if base == "cdktn.TerraformProvider":
            provider_config = schema
        else:
            schema["computed"] = computed_attributes(cls, schema)
            out[_KINDS[base]][tf_type] = schema
    if provider_version is None:
        raise ValueError("the assembly has no provider classes")
    readme_version = _README_VERSION.search(assembly.get("readme", {}).get("markdown", ""))
    if readme_version and readme_version.group(1) != provider_version:
        raise ValueError(f"README says provider {readme_version.group(1)}, class docs say {provider_version}")
    return {
        "provider": "hashicorp/aws",
        "provider_version": provider_version,
        "package": f"{PYPI_PACKAGE}=={assembly['version']}",
        "provider_config": provider_config,
        **{kind: dict(sorted(entries.items())) for kind, entries in out.items()},
        # Names the camelCase conversion alone would get wrong; the anchors fixed them.
        "renamed_properties": sorted({f"{jsii}->{tf}" for jsii, tf in converter.lossy_names}),
    }


def _read_assembly_json(data: bytes, open_sibling: Any) -> dict[str, Any]:
    assembly: dict[str, Any] = json.loads(data)
    if assembly.get("schema") == "jsii/file-redirect":
        # A small .jsii pointing at the real (usually gzip-compressed) assembly next to it.
        target = open_sibling(assembly["filename"])
        if assembly.get("compression") == "gzip":
            target = gzip.decompress(target)
        assembly = json.loads(target)
    return assembly


def _assembly_from_tar(tar: tarfile.TarFile) -> dict[str, Any]:
    def member(name: str) -> bytes:
        handle = tar.extractfile(f"package/{name}")
        if handle is None:
            raise FileNotFoundError(name)
        return handle.read()

    names = tar.getnames()
    if "package/.jsii" in names:
        return _read_assembly_json(member(".jsii"), member)
    if "package/.jsii.gz" in names:
        return _read_assembly_json(gzip.decompress(member(".jsii.gz")), member)
    raise FileNotFoundError("no .jsii in the package tarball")


def load_assembly(path: Path) -> dict[str, Any]:
    """The jsii assembly from a wheel, an npm tarball, a .jsii(.gz) file."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            inner = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")]
            if len(inner) != 1:
                raise FileNotFoundError(f"{path}: expected one bundled .jsii.tgz, found {inner}")
            with tarfile.open(fileobj=io.BytesIO(wheel.read(inner[0])), mode="r:gz") as tar:
                return _assembly_from_tar(tar)
    if path.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(path, mode="r:gz") as tar:
            return _assembly_from_tar(tar)
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return _read_assembly_json(data, lambda name: (path.parent / name).read_bytes())


def download(package_version: str, source: str, dest: Path) -> Path:
    """Fetch the package with its registry's own client; no dependencies, nothing installed."""
    if source == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--disable-pip-version-check", "-q", "-d", str(dest), f"{PYPI_PACKAGE}=={package_version}"]
    else:
        cmd = ["npm", "pack", "--silent", "--pack-destination", str(dest), f"{NPM_PACKAGE}@{package_version}"]
    subprocess.run(cmd, check=True)
    found = [p for p in dest.iterdir() if p.suffix in (".whl", ".tgz")]
    if len(found) != 1:
        raise FileNotFoundError(f"expected one downloaded package in {dest}, found {found}")
    return found[0]


def write_schema(schema: dict[str, Any], path: Path) -> None:
    """Compact, key-sorted JSON, gzip'd with a zero mtime so regenerating is byte-for-byte stable."""
    data = json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--package-version",
        default=DEFAULT_PACKAGE_VERSION,
        help=f"cdktn-provider-aws version, generated from the provider you pin (default {DEFAULT_PACKAGE_VERSION})",
    )
    parser.add_argument(
        "--source", choices=["pypi", "npm"], default="pypi", help="registry to download from (same assembly)"
    )
    parser.add_argument("--from-file", type=Path, help="a downloaded wheel, npm tarball or .jsii file")
    parser.add_argument("--output", type=Path, default=SCHEMA_PATH, help=f"default {relative(SCHEMA_PATH)}")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        package = args.from_file or download(args.package_version, args.source, Path(tmp))
        schema = convert_assembly(load_assembly(package))

    # The schema is only worth committing if it is the provider the configuration pins.
    for where, constraint in aws_version_constraints():
        if not version_satisfies(schema["provider_version"], constraint):
            print(f"error: provider {schema['provider_version']} does not satisfy {constraint!r} in {where}")
            return 1
    write_schema(schema, args.output)
    counts = {kind: len(schema[kind]) for kind in ("resources", "data_sources", "ephemeral_resources")}
    print(f"{args.output}: hashicorp/aws {schema['provider_version']} from {schema['package']}, {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

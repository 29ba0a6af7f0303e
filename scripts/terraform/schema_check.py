"""Every aws_* resource, data source and provider block against the pinned provider's schema.

This is the part of `terraform validate` that needs the provider binary: does
the type exist, is every argument and nested block one the provider declares,
is every required one present, is a block used as a block (an argument as an
argument), and does every `aws_x.name.attr` read an attribute aws_x has. The
schema comes from extract_provider_schema.py.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from scripts.terraform.extract_provider_schema import SCHEMA_PATH, normalise
from scripts.terraform.hcl import BLOCK, RESOURCE_REF, Block, Configuration, version_satisfies

# Arguments Terraform itself handles, whatever the resource type.
_META = {
    "resource": {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"},
    "data": {"count", "for_each", "depends_on", "provider", "lifecycle"},
    "ephemeral": {"count", "for_each", "depends_on", "provider", "lifecycle"},
    "provider": {"alias", "version"},
}
_SCHEMA_KEY = {"resource": "resources", "data": "data_sources", "ephemeral": "ephemeral_resources"}


@cache
def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    with gzip.open(path) as raw:
        schema: dict[str, Any] = json.load(raw)
    return schema


def _is_block(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get(BLOCK) for v in value)
    )


def _dynamic_contents(value: Any) -> list[tuple[str, dict[str, Any]]]:
    """(block type, content body) of each `dynamic "type" { content { ... } }`."""
    found = []
    for entry in value:
        for block_type, dynamic in entry.items():
            if block_type == BLOCK:
                continue
            for content in dynamic.get("content", []):
                found.append((block_type, content))
    return found


def _sort_body(
    body: dict[str, Any], schema: dict[str, Any], path: str, skip: set[str]
) -> tuple[list[str], dict[str, list[dict[str, Any]]], set[str]]:
    """(problems of the arguments, the nested blocks by type, the types written as dynamic blocks)."""
    problems: list[str] = []
    blocks: dict[str, list[dict[str, Any]]] = {}
    dynamic_types: set[str] = set()
    for key, value in body.items():
        if key == BLOCK or key in skip:
            continue
        if key == "dynamic" and isinstance(value, list):
            for block_type, content in _dynamic_contents(value):
                dynamic_types.add(block_type)
                blocks.setdefault(block_type, []).append(content)
        elif key in schema["attributes"]:
            problems += _check_argument(key, value, schema["attributes"][key], path)
        elif key in schema["blocks"] and _is_block(value):
            blocks.setdefault(key, []).extend(value)
        elif key in schema["blocks"]:
            problems.append(f"{path}: {key} is a block, write `{key} {{ ... }}`, not `{key} = ...`")
        else:
            problems.append(f"{path}: unsupported argument or block {key!r}")
    return problems, blocks, dynamic_types


def _check_argument(key: str, value: Any, attribute: dict[str, Any], path: str) -> list[str]:
    """An argument; one written as a block is fine only for "attributes as blocks" (object lists)."""
    if not _is_block(value):
        return []
    if "object" not in attribute:
        return [f"{path}: {key} is an argument, write `{key} = ...`, not a block"]
    return [
        p for occurrence in value for p in check_body(occurrence, attribute["object"], f"{path}.{key}", set())
    ]


def _check_blocks(
    blocks: dict[str, list[dict[str, Any]]], dynamic_types: set[str], schema: dict[str, Any], path: str
) -> list[str]:
    """Required, single and unknown nested blocks, and each nested block's own body."""
    problems: list[str] = []
    for name, block_schema in schema["blocks"].items():
        present = blocks.get(name, [])
        if block_schema["required"] and not present:
            problems.append(f"{path}: missing required block {name!r}")
        if block_schema.get("single") and len(present) > 1 and name not in dynamic_types:
            problems.append(f"{path}: at most one {name!r} block is allowed, found {len(present)}")
        if not block_schema.get("any"):
            for occurrence in present:
                problems += check_body(occurrence, block_schema, f"{path}.{name}", set())
    problems += [
        f"{path}: unsupported block type {n!r} (dynamic)" for n in blocks if n not in schema["blocks"]
    ]
    return problems


def check_body(body: dict[str, Any], schema: dict[str, Any], path: str, skip: set[str]) -> list[str]:
    """Problems in one block body (recursively), each prefixed with its address."""
    problems, blocks, dynamic_types = _sort_body(body, schema, path, skip)
    problems += [
        f"{path}: missing required argument {name!r}"
        for name, attribute in schema["attributes"].items()
        if attribute["required"] and name not in body
    ]
    return problems + _check_blocks(blocks, dynamic_types, schema, path)


def _check_block(block: Block, schema: dict[str, Any]) -> list[str]:
    if block.kind == "provider":
        address = f"provider.{block.labels[0]}"
        return check_body(
            block.body, schema["provider_config"], f"{block.where}: {address}", _META["provider"]
        )
    tf_type, name = block.labels
    address = f"{'data.' if block.kind == 'data' else ''}{tf_type}.{name}"
    known = schema[_SCHEMA_KEY[block.kind]]
    if tf_type not in known:
        kind = {"resource": "resource type", "data": "data source", "ephemeral": "ephemeral resource"}
        return [
            f"{block.where}: {address}: hashicorp/aws {schema['provider_version']} has no {kind[block.kind]} {tf_type!r}"
        ]
    return check_body(block.body, known[tf_type], f"{block.where}: {address}", _META[block.kind])


def _readable(type_schema: dict[str, Any]) -> set[str]:
    names = [*type_schema["attributes"], *type_schema["blocks"], *type_schema["computed"], "id"]
    return {normalise(n) for n in names}


def check_attribute_references(config: Configuration, schema: dict[str, Any]) -> list[str]:
    """Every `aws_x.name.attr` / `data.aws_x.name.attr` read names an attribute aws_x has."""
    declared = {}
    for block in config.of_kind("resource") + config.of_kind("data"):
        tf_type, name = block.labels
        known = schema[_SCHEMA_KEY[block.kind]].get(tf_type)
        if known is not None:
            declared[f"{'data.' if block.kind == 'data' else ''}{tf_type}.{name}"] = known
    problems = []
    for block, expression in config.expressions():
        for match in RESOURCE_REF.finditer(expression):
            data, tf_type, name, _, attribute = match.groups()
            address = f"{data or ''}{tf_type}.{name}"
            if attribute is None or address not in declared:
                continue
            readable = _readable(declared[address])
            # The generator renames attributes that clash with its own names (self -> selfAttribute).
            if normalise(attribute) not in readable and normalise(attribute) + "attribute" not in readable:
                problems.append(
                    f"{block.where}: {address}.{attribute}: {tf_type} has no attribute {attribute!r}"
                )
    return problems


def check_schema(configs: list[Configuration], schema: dict[str, Any]) -> tuple[list[str], str]:
    """(problems, summary) over every aws_* block of every configuration."""
    problems: list[str] = []
    checked: Counter[str] = Counter()
    for config in configs:
        problems += config.parse_errors
        for block in config.blocks:
            aws_block = block.kind in _SCHEMA_KEY and block.labels[0].startswith("aws_")
            aws_provider = block.kind == "provider" and block.labels[0] == "aws"
            if aws_block or aws_provider:
                checked[block.kind] += 1
                problems += _check_block(block, schema)
        problems += check_attribute_references(config, schema)
        for block in config.of_kind("terraform"):
            for providers in block.body.get("required_providers", []):
                aws = providers.get("aws")
                constraint = aws.get("version") if isinstance(aws, dict) else None
                if constraint and not version_satisfies(schema["provider_version"], str(constraint)):
                    problems.append(
                        f"{block.where}: the provider schema is hashicorp/aws {schema['provider_version']}, "
                        f"which does not satisfy {constraint!r}: regenerate it (docs/terraform-checks.md)"
                    )
    summary = (
        f"hashicorp/aws {schema['provider_version']} ({schema['package']}): "
        f"{checked['resource']} resources, {checked['data']} data sources, "
        f"{checked['ephemeral']} ephemeral, {checked['provider']} provider blocks"
    )
    return problems, summary

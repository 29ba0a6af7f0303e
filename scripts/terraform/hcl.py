"""Reading the repository's Terraform: every configuration directory, parsed with python-hcl2.

The checks in this package need the same facts about each directory (its
variables, outputs, module calls, resources and the references its
expressions make), so they are extracted once here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_ROOTS = ("terraform", "modules")
BLOCK = "__is_block__"

OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)

NAME = r"[A-Za-z_][\w-]*"
# An optional instance key: [0], ["k"], [each.key], [*], one level of nested brackets.
INDEX = r"(\[(?:[^\[\]]|\[[^\[\]]*\])*\])?"
# aws_x.name, data.aws_x.name, with an optional index and attribute. Only the provider this
# repository uses: other dotted names (for-expression variables, each, count) are not addresses.
RESOURCE_REF = re.compile(rf"(?<![\w.])(data\.)?(aws_\w+)\.({NAME}){INDEX}(?:\.({NAME}))?")


@dataclass(frozen=True)
class Block:
    """A labelled top-level block (resource, data, module, variable, output, ...)."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: Path
    line: int

    @property
    def where(self) -> str:
        return f"{relative(self.file)}:{self.line}"


@dataclass
class Configuration:
    """One directory of .tf files: a root, a module or an example."""

    path: Path
    blocks: list[Block] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]

    @property
    def variables(self) -> dict[str, bool]:
        """Declared variable -> whether it is required (no default)."""
        return {b.labels[0]: "default" not in b.body for b in self.of_kind("variable")}

    @property
    def outputs(self) -> set[str]:
        return {b.labels[0] for b in self.of_kind("output")}

    @property
    def locals(self) -> set[str]:
        return {name for b in self.of_kind("locals") for name in b.body if name != BLOCK}

    def expressions(self) -> Iterator[tuple[Block, str]]:
        """Every expression (the text inside ${...} and %{...}) of every block."""
        for block in self.blocks:
            for text in _strings(block.body):
                for expression in template_expressions(text):
                    yield block, expression


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def template_expressions(text: str) -> list[str]:
    """The contents of the ${...} interpolations and %{...} directives in a parsed value.

    python-hcl2 renders every non-literal expression as "${...}", so this finds
    references wherever they occur, while literal text (and escaped $${ }) is skipped.
    """
    found: list[str] = []
    i = 0
    while i < len(text) - 1:
        if text[i] in "$%" and text[i + 1] == "{":
            if i > 0 and text[i - 1] == text[i]:  # $${ and %%{ are escapes
                i += 2
                continue
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            found.append(text[i + 2 : j - 1])
            i = j
        else:
            i += 1
    return found


def _labels_and_bodies(value: Any, depth: int) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Unwrap python-hcl2's nesting of labels: {"aws_s3_bucket": {"b": {...body...}}}."""
    if depth == 0:
        yield (), value
        return
    for label, inner in value.items():
        if label == BLOCK:
            continue
        for labels, body in _labels_and_bodies(inner, depth - 1):
            yield (label, *labels), body


# How many labels each top-level block type has.
_LABELS = {
    "resource": 2,
    "data": 2,
    "ephemeral": 2,
    "module": 1,
    "variable": 1,
    "output": 1,
    "provider": 1,
    "check": 1,
    "locals": 0,
    "terraform": 0,
    "moved": 0,
    "import": 0,
    "removed": 0,
}


def _line_of(text: str, kind: str, labels: tuple[str, ...]) -> int:
    pattern = r"^[ \t]*" + re.escape(kind) + "".join(r'\s+"?' + re.escape(label) + '"?' for label in labels)
    match = re.compile(pattern + r"\s*\{", re.M).search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def parse_file(path: Path) -> list[Block]:
    text = path.read_text()
    parsed = hcl2.loads(text, serialization_options=OPTIONS)
    blocks: list[Block] = []
    for kind, entries in parsed.items():
        depth = _LABELS.get(kind)
        if depth is None:
            continue
        for entry in entries:
            for labels, body in _labels_and_bodies(entry, depth):
                blocks.append(Block(kind, labels, body, path, _line_of(text, kind, labels)))
    return blocks


def load_configuration(path: Path) -> Configuration:
    config = Configuration(path)
    for tf_file in sorted(path.glob("*.tf")):
        try:
            config.blocks += parse_file(tf_file)
        except Exception as exc:  # python-hcl2 raises lark errors of several types
            config.parse_errors.append(f"{relative(tf_file)}: cannot parse: {str(exc).splitlines()[0]}")
    return config


def configuration_dirs(root: Path = REPO_ROOT) -> list[Path]:
    """Every directory holding .tf files under terraform/ and modules/ (not .terraform caches)."""
    dirs = {
        tf.parent
        for top in TERRAFORM_ROOTS
        for tf in (root / top).rglob("*.tf")
        if ".terraform" not in tf.relative_to(root).parts
    }
    return sorted(dirs)


def load_all(root: Path = REPO_ROOT) -> list[Configuration]:
    return [load_configuration(d) for d in configuration_dirs(root)]


def aws_version_constraints(root: Path = REPO_ROOT) -> list[tuple[str, str]]:
    """(where, constraint) for every hashicorp/aws version constraint in required_providers."""
    found: list[tuple[str, str]] = []
    for config in load_all(root):
        for block in config.of_kind("terraform"):
            for providers in block.body.get("required_providers", []):
                aws = providers.get("aws")
                if isinstance(aws, dict) and "version" in aws:
                    found.append((block.where, str(aws["version"])))
    return found


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("-")[0].split("."))


def version_satisfies(version: str, constraints: str) -> bool:
    """Terraform's version-constraint semantics (=, !=, >, >=, <, <=, ~>), comma = and."""
    have = _version_tuple(version)
    for constraint in constraints.split(","):
        match = re.fullmatch(r"\s*(~>|>=|<=|!=|=|>|<)?\s*v?([\d.]+)\s*", constraint)
        if not match:
            raise ValueError(f"unsupported version constraint {constraint!r}")
        op, wanted_text = match.group(1) or "=", match.group(2)
        wanted = _version_tuple(wanted_text)
        padded = wanted + (0,) * (len(have) - len(wanted))
        if op == "~>":
            # ~> 6.0 allows 6.x; ~> 6.1.2 allows 6.1.x (>= 6.1.2): the last given part may grow.
            prefix = wanted[:-1] if len(wanted) > 1 else ()
            ok = have >= padded and have[: len(prefix)] == prefix
        else:
            ok = {
                "=": have == padded,
                "!=": have != padded,
                ">": have > padded,
                ">=": have >= padded,
                "<": have < padded,
                "<=": have <= padded,
            }[op]
        if not ok:
            return False
    return True


# Types served by Terraform's built-in provider: no download needed.
_BUILTIN_TYPES = {"terraform_data", "terraform_remote_state"}


def provider_free(
    config: Configuration, configs: dict[Path, Configuration], seen: frozenset[Path] = frozenset()
) -> bool:
    """Whether a configuration, with its local submodules, needs no provider plugin."""
    for block in config.blocks:
        if block.kind == "provider":
            return False
        if block.kind in ("resource", "data", "ephemeral") and block.labels[0] not in _BUILTIN_TYPES:
            return False
        if block.kind == "terraform" and any(
            name != BLOCK for providers in block.body.get("required_providers", []) for name in providers
        ):
            return False
        if block.kind == "module":
            source = str(block.body.get("source", ""))
            if not source.startswith(("./", "../")):
                return False  # a registry module is downloaded: not offline either
            child = (config.path / source).resolve()
            if (
                child in seen
                or child not in configs
                or not provider_free(configs[child], configs, seen | {child})
            ):
                return False
    return True

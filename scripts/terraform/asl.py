"""Every Step Functions state machine definition, validated with asl-validator.

The definitions are rendered as Terraform renders them, offline:

- the `definition` expression (`jsonencode(local.x)`, `templatefile("${path.module}/x.asl.json",
  {...})`, ...) is evaluated by `terraform console` in a scratch root holding the locals it
  needs, with what only exists once deployed replaced by placeholders: the partition, region
  and account by `aws`, `eu-west-1` and `123456789012`; any other resource, data source or
  module output, and any variable without a default, by the string `placeholder` (an empty
  value of the variable's type for collections, an empty map for a whole module).

Each rendered definition goes to the `asl-validator` npm package (package.json, installed by
`npm ci` in scripts/setup.sh), which checks the Amazon States Language: state types and
fields, transitions to existing states, terminal states, JSONPath and intrinsic functions,
and Resource ARNs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.terraform.console import EvaluationError, evaluate
from scripts.terraform.docs import attribute_source, expression_end
from scripts.terraform.hcl import REPO_ROOT, Block, Configuration, relative

VALIDATOR = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
STATE_MACHINE = "aws_sfn_state_machine"
# What a deployed account would give: the partition, region and account of the placeholders.
KNOWN = {
    r"data\.aws_partition\.\w+\.partition": '"aws"',
    r"data\.aws_region\.\w+\.(?:region|name)": '"eu-west-1"',
    r"data\.aws_caller_identity\.\w+\.account_id": '"123456789012"',
}
_INDEX = r"(?:\[[^\[\]]*\])?"
# Any other resource, data source or module attribute: a placeholder string.
_REFERENCE = re.compile(
    rf"(?<![\w.])(?:data\.)?aws_\w+\.[A-Za-z_][\w-]*{_INDEX}(?:\.[A-Za-z_][\w-]*{_INDEX})*"
)
_LOCAL = re.compile(r"(?<![\w.])local\.([A-Za-z_][\w-]*)")
_VAR = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)")
_MODULE = re.compile(rf"(?<![\w.])module\.([A-Za-z_][\w-]*)({_INDEX}(?:\.[A-Za-z_][\w-]*{_INDEX})*)")
PLACEHOLDER = '"placeholder"'


@dataclass(frozen=True)
class Definition:
    where: str  # file:line: address
    text: str  # the rendered JSON


class RenderError(RuntimeError):
    pass


def _locals(config: Configuration) -> dict[str, str]:
    """Every local of a configuration: name -> its expression as written (any number of blocks)."""
    found = {}
    for tf_file in sorted(config.path.glob("*.tf")):
        text = tf_file.read_text()
        for block in re.finditer(r"^locals\s*\{", text, re.M):
            body = text[block.start() : expression_end(text, block.end() - 1)]
            for attribute in re.finditer(r"^  ([A-Za-z_][\w-]*)\s*=\s*", body, re.M):
                found[attribute.group(1)] = body[attribute.end() : expression_end(body, attribute.end())]
    return found


def _substitute(expression: str, module_dir: Path) -> str:
    """The expression with what needs a provider replaced (see the module's docstring)."""
    # Templates are read from the module's directory, not the scratch root's.
    expression = re.sub(r"(?<![\w.])path\.module(?![\w])", json.dumps(str(module_dir.resolve())), expression)
    for pattern, value in KNOWN.items():
        expression = re.sub(rf"(?<![\w.]){pattern}", value, expression)
    expression = _REFERENCE.sub(PLACEHOLDER, expression)
    # A module's output is a placeholder string; a whole module (iterated over) an empty map.
    return _MODULE.sub(lambda m: PLACEHOLDER if m.group(2).startswith(".") else "{}", expression)


def _needed(expression: str, local_values: dict[str, str]) -> set[str]:
    """The locals an expression needs, transitively."""
    needed: set[str] = set()
    pending = set(_LOCAL.findall(expression))
    while pending:
        name = pending.pop()
        if name in needed or name not in local_values:
            continue
        needed.add(name)
        pending |= set(_LOCAL.findall(local_values[name]))
    return needed


def _placeholder_value(block: Block) -> Any:
    """A variable's default, or an empty value of its type, or a placeholder string."""
    if "default" in block.body:
        return block.body["default"]
    declared = str(block.body.get("type", "string"))
    if "list(" in declared or "set(" in declared or "tuple(" in declared:
        return []
    if "map(" in declared or "object(" in declared:
        return {}
    if "number" in declared:
        return 0
    if "bool" in declared:
        return False
    return "placeholder"


def _scratch_root(config: Configuration, expression: str) -> tuple[str, dict[str, Any]]:
    """The .tf text and variable values that let Terraform evaluate an expression of `config`."""
    local_values = _locals(config)
    needed = sorted(_needed(expression, local_values))
    texts = [_substitute(local_values[n], config.path) for n in needed]
    definition = _substitute(expression, config.path)
    used_vars = {v for text in [*texts, definition] for v in _VAR.findall(text)}
    variables = {b.labels[0]: b for b in config.of_kind("variable")}
    parts = [f'variable "{v}" {{\n  type = any\n}}\n' for v in sorted(used_vars)]
    values = {v: _placeholder_value(variables[v]) for v in used_vars if v in variables}
    parts.append(
        "locals {\n"
        + "".join(f"  {n} = {text}\n" for n, text in zip(needed, texts, strict=True))
        + f"  asl_definition = {definition}\n}}\n"
    )
    return "\n".join(parts), values


def _constant(text: str) -> Callable[[Path], str]:
    """A main.tf that does not depend on where the scratch root is (it names no local module)."""
    return lambda _root: text


def definitions(configs: list[Configuration]) -> tuple[list[Definition], list[str]]:
    """Every state machine's rendered definition (and what could not be rendered)."""
    found, problems = [], []
    for config in configs:
        for block in config.of_kind("resource"):
            if block.labels[0] != STATE_MACHINE:
                continue
            where = f"{block.where}: {'.'.join(block.labels)}"
            expression = attribute_source(block, "definition")
            if expression is None:
                problems.append(f"{where}: no definition")
                continue
            # The raw text (fold() put it on one line, which HCL reads the same).
            try:
                root_text, values = _scratch_root(config, expression)
                rendered = evaluate(_constant(root_text), values, "local.asl_definition")
                found.append(Definition(where, rendered))
            except (RenderError, EvaluationError) as exc:
                problems.append(f"{where}: cannot render the definition offline: {exc}")
    return found, problems


def validate(definition: str) -> list[str]:
    """asl-validator's errors for one definition (empty when it is valid)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write(definition)
    try:
        proc = subprocess.run(
            [str(VALIDATOR), "--json-path", handle.name],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.unlink(handle.name)
    if proc.returncode == 0:
        return []
    return [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()] or ["invalid"]


def check_state_machines(configs: list[Configuration]) -> tuple[list[str], str]:
    if not VALIDATOR.exists():
        return [f"{relative(VALIDATOR)} is missing: run `make setup` (npm ci)"], ""
    rendered, problems = definitions(configs)
    for definition in rendered:
        problems += [f"{definition.where}: {error}" for error in validate(definition.text)]
    return problems, f"{len(rendered)} state machine definitions, asl-validator"

"""Module wiring: the part of `terraform validate` that needs no provider at all.

For every configuration directory:
- every `module` call with a local source passes only variables the module
  declares, and every variable it declares without a default;
- every `module.X.Y` reference names a module call X of this directory and,
  for a local source, an output Y that X declares;
- every `var.X` and `local.X` used is declared in the directory, and so is
  every variable its *.tfvars files set;
- every `aws_*` resource or data source referenced (`aws_x.name`,
  `data.aws_x.name`) is declared in the directory;
- a module or resource with count/for_each is indexed before an attribute is
  read from it (`module.x["k"].y`, not `module.x.y`);
- provider configurations: `provider = aws.X` and the values of a module's
  `providers` map name a provider alias this directory declares (a
  `provider` block with that alias, or a `configuration_aliases` entry), and
  a module with `configuration_aliases` gets each of them, and only those;
- a `moved` block's `to` names a resource (or module call) that exists,
  following module calls into their directories, and its `from` one that no
  longer does (Terraform refuses a move whose source still exists).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2

from scripts.terraform.hcl import (
    BLOCK,
    INDEX,
    NAME,
    OPTIONS,
    RESOURCE_REF,
    Block,
    Configuration,
    load_configuration,
    relative,
)

# Blocks whose arguments are addresses, not expressions: checked by _check_moved.
_ADDRESS_BLOCKS = {"moved", "removed"}
# module.a["k"].module.b.aws_x.name[0]: module steps, then an optional (data.)type.name.
_ADDRESS_STEP = re.compile(rf"module\.({NAME}){INDEX}\.?")
_ADDRESS_RESOURCE = re.compile(rf"^((?:data\.)?\w+\.{NAME}){INDEX}$")

# Module block arguments that Terraform interprets itself.
_MODULE_META = {"source", "version", "count", "for_each", "depends_on", "providers"}

# module.x.out, module.x[0].out, module.x["k"].out, module.x[each.key].out, module.x[*].out
_MODULE_REF = re.compile(rf"(?<![\w.])module\.({NAME}){INDEX}(?:\.({NAME}))?")
_VAR_REF = re.compile(rf"(?<![\w.])var\.({NAME})")
_LOCAL_REF = re.compile(rf"(?<![\w.])local\.({NAME})")

Loader = Callable[[Configuration, str], Configuration | None]


def _is_local(source: str) -> bool:
    return source.startswith(("./", "../"))


def _multi(block: Block) -> bool:
    return "count" in block.body or "for_each" in block.body


def _expression(value: Any) -> str:
    """A provider reference as written: `aws.x` (python-hcl2 may wrap it in ${...})."""
    text = str(value).strip()
    return text[2:-1].strip() if text.startswith("${") and text.endswith("}") else text


def configuration_aliases(config: Configuration) -> set[str]:
    """The `aws.x` provider configurations a module expects from its caller."""
    aliases = set()
    for block in config.of_kind("terraform"):
        for providers in block.body.get("required_providers", []):
            for name, requirement in providers.items():
                if name != BLOCK and isinstance(requirement, dict):
                    aliases |= {_expression(a) for a in requirement.get("configuration_aliases", [])}
    return aliases


def _available_providers(config: Configuration) -> set[str]:
    declared = {f"{b.labels[0]}.{b.body['alias']}" for b in config.of_kind("provider") if "alias" in b.body}
    return declared | configuration_aliases(config)


def _check_calls(config: Configuration, load: Loader) -> tuple[list[str], dict[str, Configuration | None]]:
    problems: list[str] = []
    modules: dict[str, Configuration | None] = {}
    available = _available_providers(config)
    for call in config.of_kind("module"):
        name = call.labels[0]
        prefix = f"{call.where}: module.{name}"
        source = str(call.body.get("source", ""))
        target = load(config, source) if _is_local(source) else None
        modules[name] = target  # None for a registry module: its interface is not in this repository
        if _is_local(source) and target is None:
            problems.append(f"{prefix}: source {source!r} is not a directory")
        providers = call.body.get("providers", {})
        passed_providers = {_expression(k) for k in providers if k != BLOCK}
        for value in (_expression(v) for k, v in providers.items() if k != BLOCK):
            if "." in value and value not in available:
                problems.append(f"{prefix}: provider {value} is not configured here (no provider alias)")
        if target is None:
            continue
        declared = target.variables
        passed = {k for k in call.body if k not in _MODULE_META and k != BLOCK}
        for arg in sorted(passed - declared.keys()):
            problems.append(f"{prefix}: {relative(target.path)} declares no variable {arg!r}")
        for var in sorted(v for v, required in declared.items() if required and v not in passed):
            problems.append(f"{prefix}: required variable {var!r} is not passed")
        expected = configuration_aliases(target)
        for alias in sorted(expected - passed_providers):
            problems.append(f"{prefix}: the module needs provider {alias}: pass it in `providers`")
        for alias in sorted(a for a in passed_providers - expected if "." in a):
            problems.append(f"{prefix}: the module declares no configuration_aliases entry {alias}")
    return problems, modules


def _module_problems(
    block: Block, expression: str, modules: dict[str, Configuration | None], multi: set[str]
) -> tuple[list[str], int]:
    problems, count = [], 0
    for match in _MODULE_REF.finditer(expression):
        count += 1
        name, index, output = match.groups()
        if name not in modules:
            problems.append(f"{block.where}: module.{name} is referenced but not declared")
            continue
        if output is not None and index is None and name in multi:
            problems.append(
                f"{block.where}: module.{name}.{output}: module.{name} has count/for_each, index it"
            )
        target = modules[name]
        if target is not None and output is not None and output not in target.outputs:
            problems.append(
                f"{block.where}: module.{name}.{output}: {relative(target.path)} has no output {output!r}"
            )
    return problems, count


def _resource_problems(block: Block, expression: str, resources: dict[str, Block]) -> tuple[list[str], int]:
    problems, count = [], 0
    for match in RESOURCE_REF.finditer(expression):
        count += 1
        data, tf_type, name, index, attribute = match.groups()
        address = f"{data or ''}{tf_type}.{name}"
        if address not in resources:
            problems.append(f"{block.where}: {address} is referenced but not declared")
        elif attribute is not None and index is None and _multi(resources[address]):
            problems.append(f"{block.where}: {address}.{attribute}: {address} has count/for_each, index it")
    return problems, count


def _check_references(
    config: Configuration, modules: dict[str, Configuration | None]
) -> tuple[list[str], int]:
    problems: list[str] = []
    count = 0
    declared = {"var": set(config.variables), "local": config.locals}
    multi_modules = {b.labels[0] for b in config.of_kind("module") if _multi(b)}
    resources = {".".join(b.labels): b for b in config.of_kind("resource")}
    resources |= {"data." + ".".join(b.labels): b for b in config.of_kind("data")}
    for block, expression in config.expressions():
        if block.kind in _ADDRESS_BLOCKS:
            continue
        module_problems, module_count = _module_problems(block, expression, modules, multi_modules)
        resource_problems, resource_count = _resource_problems(block, expression, resources)
        problems += module_problems + resource_problems
        count += module_count + resource_count
        for kind, pattern in (("var", _VAR_REF), ("local", _LOCAL_REF)):
            for match in pattern.finditer(expression):
                count += 1
                if match.group(1) not in declared[kind]:
                    problems.append(f"{block.where}: {kind}.{match.group(1)} is not declared")
    return problems, count


def _check_provider_meta(config: Configuration) -> list[str]:
    available = _available_providers(config)
    problems = []
    for block in config.blocks:
        if block.kind in ("resource", "data", "ephemeral") and "provider" in block.body:
            provider = _expression(block.body["provider"])
            if "." in provider and provider not in available:
                address = ".".join(block.labels)
                problems.append(f"{block.where}: {address}: provider {provider} is not configured here")
    return problems


def _resolve(config: Configuration, address: str, load: Loader) -> bool | None:
    """Whether an address names something declared (None: it goes through a registry module)."""
    rest = address
    while match := _ADDRESS_STEP.match(rest):
        call = next((b for b in config.of_kind("module") if b.labels[0] == match.group(1)), None)
        if call is None:
            return False
        source = str(call.body.get("source", ""))
        if not _is_local(source):
            return None
        target = load(config, source)
        if target is None:
            return False
        config, rest = target, rest[match.end() :]
    if not rest:
        return True
    resource = _ADDRESS_RESOURCE.match(rest)
    if resource is None:
        return False
    declared = {".".join(b.labels) for b in config.of_kind("resource")}
    declared |= {"data." + ".".join(b.labels) for b in config.of_kind("data")}
    return resource.group(1) in declared


def _check_moved(config: Configuration, load: Loader) -> list[str]:
    problems = []
    for block in config.of_kind("moved"):
        source, target = (_expression(block.body.get(k, "")) for k in ("from", "to"))
        if _resolve(config, target, load) is False:
            problems.append(f"{block.where}: moved to {target}, which is not declared")
        if _resolve(config, source, load):
            problems.append(f"{block.where}: moved from {source}, which is still declared")
    return problems


def _tfvars_files(config: Configuration) -> list[Path]:
    """The directory's .tfvars files, and those of its subdirectories without .tf files (envs/<env>.tfvars)."""
    found = []
    for tfvars in config.path.rglob("*.tfvars"):
        relative_path = tfvars.relative_to(config.path)
        between = [config.path / p for p in relative_path.parents if p != Path(".")]
        if ".terraform" in relative_path.parts or any(any(d.glob("*.tf")) for d in between):
            continue
        found.append(tfvars)
    return sorted(found)


def _check_tfvars(config: Configuration) -> list[str]:
    """Every variable a .tfvars file of the directory sets is declared there."""
    problems = []
    for tfvars in _tfvars_files(config):
        try:
            assigned = hcl2.loads(tfvars.read_text(), serialization_options=OPTIONS)
        except Exception as exc:  # python-hcl2 raises lark errors of several types
            problems.append(f"{relative(tfvars)}: cannot parse: {str(exc).splitlines()[0]}")
            continue
        for name in sorted(set(assigned) - config.variables.keys()):
            problems.append(f"{relative(tfvars)}: sets {name!r}, which is not a declared variable")
    return problems


def check_wiring(configs: list[Configuration]) -> tuple[list[str], str]:
    """(problems, summary) for the module calls and references of every configuration."""
    cache: dict[Path, Configuration] = {c.path: c for c in configs}

    def load(config: Configuration, source: str) -> Configuration | None:
        path = (config.path / source).resolve()
        if not path.is_dir():
            return None
        if path not in cache:
            cache[path] = load_configuration(path)
        return cache[path]

    problems: list[str] = []
    calls = references = 0
    for config in configs:
        problems += config.parse_errors
        call_problems, modules = _check_calls(config, load)
        reference_problems, count = _check_references(config, modules)
        problems += call_problems + reference_problems + _check_provider_meta(config) + _check_tfvars(config)
        problems += _check_moved(config, load)
        calls += len(modules)
        references += count
    # One problem reported once, even when the same line repeats the reference.
    unique = list(dict.fromkeys(problems))
    summary = f"{len(configs)} configurations, {calls} module calls, {references} references"
    return unique, summary

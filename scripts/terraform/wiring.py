"""Module wiring: the part of `terraform validate` that needs no provider at all.

For every configuration directory:
- every `module` call with a local source passes only variables the module
  declares, and every variable it declares without a default;
- every `module.X.Y` reference names a module call X of this directory and,
  for a local source, an output Y that X declares;
- every `var.X` and `local.X` used is declared in the directory;
- every `aws_*` resource or data source referenced (`aws_x.name`,
  `data.aws_x.name`) is declared in the directory.
"""

from __future__ import annotations

import re
from pathlib import Path

from scripts.terraform.hcl import Configuration, load_configuration, relative

# Module block arguments that Terraform interprets itself.
_MODULE_META = {"source", "version", "count", "for_each", "depends_on", "providers"}

_NAME = r"[A-Za-z_][\w-]*"
# module.x.out, module.x[0].out, module.x["k"].out, module.x[each.key].out, module.x[*].out
_MODULE_REF = re.compile(rf"(?<![\w.])module\.({_NAME})(?:\[(?:[^\[\]]|\[[^\[\]]*\])*\])?(?:\.({_NAME}))?")
_VAR_REF = re.compile(rf"(?<![\w.])var\.({_NAME})")
_LOCAL_REF = re.compile(rf"(?<![\w.])local\.({_NAME})")
# Resource references of the providers this repository uses; other names (for-expression
# variables, each/count/self) are not resource addresses.
_RESOURCE_REF = re.compile(rf"(?<![\w.])(data\.)?(aws_\w+)\.({_NAME})")


def _is_local(source: str) -> bool:
    return source.startswith(("./", "../"))


def check_wiring(configs: list[Configuration]) -> tuple[list[str], str]:
    """(problems, summary) for the module calls and references of every configuration."""
    cache: dict[Path, Configuration] = {c.path: c for c in configs}
    problems: list[str] = []
    calls = references = 0

    def target_of(config: Configuration, source: str) -> Configuration | None:
        path = (config.path / source).resolve()
        if not path.is_dir():
            return None
        if path not in cache:
            cache[path] = load_configuration(path)
        return cache[path]

    for config in configs:
        problems += config.parse_errors
        modules: dict[str, Configuration | None] = {}
        for call in config.of_kind("module"):
            calls += 1
            name = call.labels[0]
            source = str(call.body.get("source", ""))
            if not _is_local(source):
                modules[name] = None  # a registry module: its interface is not in this repository
                continue
            target = target_of(config, source)
            if target is None:
                problems.append(f"{call.where}: module.{name}: source {source!r} is not a directory")
                modules[name] = None
                continue
            modules[name] = target
            declared = target.variables
            passed = {k for k in call.body if k not in _MODULE_META and k != "__is_block__"}
            for arg in sorted(passed - declared.keys()):
                problems.append(
                    f"{call.where}: module.{name}: {relative(target.path)} declares no variable {arg!r}"
                )
            for var in sorted(v for v, required in declared.items() if required and v not in passed):
                problems.append(f"{call.where}: module.{name}: required variable {var!r} is not passed")

        variables = config.variables
        local_names = config.locals
        declared_resources = {".".join(b.labels) for b in config.of_kind("resource")}
        declared_resources |= {"data." + ".".join(b.labels) for b in config.of_kind("data")}
        for block, expression in config.expressions():
            for match in _MODULE_REF.finditer(expression):
                references += 1
                name, output = match.group(1), match.group(2)
                if name not in modules:
                    problems.append(f"{block.where}: module.{name} is referenced but not declared")
                    continue
                target = modules[name]
                if target is not None and output is not None and output not in target.outputs:
                    problems.append(
                        f"{block.where}: module.{name}.{output}: {relative(target.path)} has no output {output!r}"
                    )
            for match in _VAR_REF.finditer(expression):
                references += 1
                if match.group(1) not in variables:
                    problems.append(f"{block.where}: var.{match.group(1)} is not declared")
            for match in _LOCAL_REF.finditer(expression):
                references += 1
                if match.group(1) not in local_names:
                    problems.append(f"{block.where}: local.{match.group(1)} is not declared")
            for match in _RESOURCE_REF.finditer(expression):
                references += 1
                address = f"{match.group(1) or ''}{match.group(2)}.{match.group(3)}"
                if address not in declared_resources:
                    problems.append(f"{block.where}: {address} is referenced but not declared")
    # One problem reported once, even when the same line repeats the reference.
    unique = list(dict.fromkeys(problems))
    summary = f"{len(configs)} configurations, {calls} module calls, {references} references"
    return unique, summary

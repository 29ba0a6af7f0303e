"""Module READMEs generated from the code, between terraform-docs' own markers.

Each `modules/<name>/README.md` starts with prose written by hand (what the module is for,
how it is meant to be used); the part between `<!-- BEGIN_TF_DOCS -->` and
`<!-- END_TF_DOCS -->` is generated from the module's `.tf` files: requirements, the modules it
calls, its resources, its inputs and outputs. Types and defaults are the HCL as written in
`variables.tf`, folded onto one line (`list(string)`, `{ rate_limit = 1000 }`), never a parser's
Python reprs.

    python -m scripts.terraform.docs           rewrite every module README (make tf-docs)
    python -m scripts.terraform.docs --check   list the READMEs that differ (part of the checks)

The check also wants every variable and output described and every variable typed, since the
tables are only as good as those, and every module to validate at least one of its inputs.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from scripts.terraform.hcl import BLOCK, REPO_ROOT, Block, Configuration, load_configuration, relative

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _strip_comment(line: str) -> str:
    """A line without its `#` or `//` comment (outside string literals)."""
    in_string = False
    for i, char in enumerate(line):
        if char == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        elif not in_string and (char == "#" or line.startswith("//", i)):
            return line[:i]
    return line


def fold(expression: str) -> str:
    """An HCL expression written over several lines, on one line: newline-separated object
    attributes and list items get their commas, brackets their spaces."""
    parts: list[str] = []
    for raw in expression.splitlines():
        line = _strip_comment(raw).strip()
        if not line:
            continue
        if parts and not parts[-1].endswith(("(", "[", "{", ",")) and not line.startswith((")", "]", "}")):
            parts[-1] += ","
        parts.append(line)
    # terraform fmt aligns `=` with runs of spaces: one space is enough on one line.
    text = re.sub(r"\s{2,}", " ", " ".join(parts))
    text = re.sub(r"([(\[{]) ", r"\1", text)
    text = re.sub(r",? ([)\]}])", r"\1", text)
    # Objects read `{ a = 1 }`, as terraform fmt writes them; empty ones stay `{}`.
    text = re.sub(r"\{(?=[^}\s])", "{ ", text)
    return re.sub(r"(?<=[^{\s])\}", " }", text)


def expression_end(text: str, start: int) -> int:
    """Where the expression starting at `start` ends: the end of its line, or of its brackets."""
    depth: list[str] = []
    in_string = False
    i = start
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in _CLOSERS:
            depth.append(_CLOSERS[char])
        elif depth and char == depth[-1]:
            depth.pop()
        elif char == "\n" and not depth:
            return i
        i += 1
    return i


def block_text(block: Block) -> str:
    """The source text of a top-level block, from its first line to its closing brace."""
    text = block.file.read_text()
    lines = text.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: block.line - 1])
    return text[start : expression_end(text, text.index("{", start))]


def attribute_source(block: Block, name: str) -> str | None:
    """The expression of a top-level attribute of a block, as written (None when absent)."""
    text = block_text(block)
    match = re.search(rf"^  {re.escape(name)}\s*=\s*", text, re.M)
    if match is None:
        return None
    return fold(text[match.end() : expression_end(text, match.end())])


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _prose(text: str) -> str:
    """A description in a table cell: `<project>` must not read as an HTML tag."""
    return _cell(text).replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if "`" not in text else f"<code>{_prose(text)}</code>"


def _requirements(config: Configuration) -> list[str]:
    rows = []
    for block in config.of_kind("terraform"):
        if "required_version" in block.body:
            rows.append(f"| terraform | {_code(str(block.body['required_version']))} |")
        for providers in block.body.get("required_providers", []):
            for name, requirement in providers.items():
                if name != BLOCK and isinstance(requirement, dict):
                    version = requirement.get("version")
                    rows.append(f"| {name} | {_code(str(version)) if version else 'any'} |")
    if not rows:
        return []
    return ["## Requirements", "", "| Name | Version |", "|---|---|", *rows, ""]


def _modules(config: Configuration) -> list[str]:
    calls = config.of_kind("module")
    if not calls:
        return []
    rows = [f"| {b.labels[0]} | `{b.body.get('source', '')}` |" for b in calls]
    return ["## Modules", "", "| Name | Source |", "|---|---|", *rows, ""]


def _resources(config: Configuration) -> list[str]:
    resources = config.of_kind("resource")
    if not resources:
        return []
    rows = []
    for block in resources:
        repeat = next((k for k in ("for_each", "count") if k in block.body), None)
        rows.append(f"| `{'.'.join(block.labels)}` | {repeat or ''} |")
    return ["## Resources", "", "| Name | Repeated by |", "|---|---|", *rows, ""]


def _inputs(config: Configuration) -> list[str]:
    variables = config.of_kind("variable")
    if not variables:
        return []
    rows = []
    for block in variables:
        type_source = attribute_source(block, "type") or "any"
        default = attribute_source(block, "default")
        rows.append(
            f"| `{block.labels[0]}` | {_prose(str(block.body.get('description', '')))} | {_code(type_source)} | "
            f"{'n/a' if default is None else _code(default)} | {'yes' if default is None else 'no'} |"
        )
    return [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|---|---|---|---|:---:|",
        *rows,
        "",
    ]


def _outputs(config: Configuration) -> list[str]:
    outputs = config.of_kind("output")
    if not outputs:
        return []
    rows = [f"| `{b.labels[0]}` | {_prose(str(b.body.get('description', '')))} |" for b in outputs]
    return ["## Outputs", "", "| Name | Description |", "|---|---|", *rows, ""]


def render(config: Configuration) -> str:
    """The generated part of a module's README, markers included."""
    lines = [BEGIN, *_requirements(config), *_modules(config), *_resources(config)]
    lines += [*_inputs(config), *_outputs(config)]
    while lines[-1] == "":
        lines.pop()
    return "\n".join([*lines, END])


def updated_readme(current: str, generated: str) -> str:
    """The README with its generated part replaced (appended when it has no markers yet)."""
    if BEGIN in current and END in current:
        head, _, rest = current.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + generated + tail
    return current.rstrip("\n") + "\n\n" + generated + "\n"


def code_problems(config: Configuration) -> list[str]:
    """What would make the tables useless: untyped or undescribed variables, undescribed outputs."""
    problems = []
    for block in config.of_kind("variable"):
        for needed in ("type", "description"):
            if needed not in block.body:
                problems.append(f"{block.where}: variable {block.labels[0]} has no {needed}")
    for block in config.of_kind("output"):
        if "description" not in block.body:
            problems.append(f"{block.where}: output {block.labels[0]} has no description")
    variables = config.of_kind("variable")
    if variables and not any("validation" in b.body for b in variables):
        problems.append(f"{relative(config.path)}: no variable is validated (add validation blocks)")
    return problems


def module_dirs(root: Path = REPO_ROOT) -> list[Path]:
    return sorted(p for p in (root / "modules").iterdir() if p.is_dir() and any(p.glob("*.tf")))


def sync(root: Path = REPO_ROOT, write: bool = False) -> tuple[list[str], str]:
    """(problems, summary): READMEs that differ from the code (rewritten when `write`) and code problems."""
    problems: list[str] = []
    changed = 0
    dirs = module_dirs(root)
    for path in dirs:
        config = load_configuration(path)
        problems += config.parse_errors + code_problems(config)
        readme = path / "README.md"
        current = readme.read_text() if readme.exists() else f"# {path.name}\n"
        wanted = updated_readme(current, render(config))
        if wanted == current:
            continue
        changed += 1
        if write:
            readme.write_text(wanted)
        else:
            problems.append(f"{relative(readme)}: differs from the code (run make tf-docs)")
    verb = "rewritten" if write else "out of date"
    return problems, f"{len(dirs)} module READMEs, {changed} {verb}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the module READMEs' inputs/outputs from the code")
    parser.add_argument("--check", action="store_true", help="only report READMEs that differ")
    args = parser.parse_args(argv)
    problems, summary = sync(write=not args.check)
    print(summary)
    for problem in problems:
        print("  " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

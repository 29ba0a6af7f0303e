"""The IAM check: no policy grants `*` or `<service>:*` actions, or `*` resources, unless AWS requires it.

Every IAM policy the Terraform defines is read:

  - `data "aws_iam_policy_document"` statements (plain and `dynamic "statement"` blocks),
  - `jsonencode({... Statement = [...] ...})` and literal JSON in `policy` / `assume_role_policy` /
    `inline_policy` arguments,
  - policy template files (`*.json`, `*.json.tftpl`) under terraform/ and modules/ that hold a
    `Statement` (rendered with `templatefile()`), interpolations replaced by a placeholder,
  - attachments of AWS managed policies (`arn:...:iam::aws:policy/...`): their contents are AWS's
    and cannot be read here, so each one must be listed with its reason like any other exception.

Only `Allow` statements grant. An `Allow` with `NotAction` or `NotResource` grants everything but a
list, so it counts as a wildcard too. `Deny` statements (SCPs, TLS-only bucket policies) are never a
finding: a broad deny narrows access.

A finding passes when scripts/terraform/iam_exceptions.yaml lists it (file, address, and the
statement's Sid or the managed policy's name) with the reason AWS requires it. An exception that
matches nothing is itself a problem, so the list cannot go stale. Statements whose resources are a
computed expression are taken as the expression says (a literal `"*"` element is still found); the
callers of a module that takes a policy as a variable are checked where the policy is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import hcl2
import yaml

from scripts.terraform.hcl import (
    BLOCK,
    REPO_ROOT,
    TERRAFORM_ROOTS,
    Block,
    Configuration,
    relative,
    template_expressions,
)

EXCEPTIONS_FILE = Path(__file__).with_name("iam_exceptions.yaml")
POLICY_ARGUMENTS = ("policy", "assume_role_policy", "inline_policy")
MANAGED_POLICY = re.compile(r"^arn:[^:]*:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")
_OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True)


@dataclass(frozen=True)
class Statement:
    """One Allow statement, normalised from whichever syntax wrote it."""

    file: str
    address: str  # data.aws_iam_policy_document.x, aws_iam_policy.y, or the template's path
    sid: str | None
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_actions: bool = False
    not_resources: bool = False


@dataclass(frozen=True)
class Finding:
    file: str
    address: str
    name: str | None  # the statement's Sid, or the managed policy's name
    what: str

    def __str__(self) -> str:
        label = (
            f"statement {self.name!r}" if self.name else "a statement without a Sid (add one to except it)"
        )
        return f"{self.file}: {self.address}: {label}: {self.what}"


@dataclass(frozen=True)
class Exception_:
    file: str
    address: str
    name: str
    reason: str


def wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def findings_of(statement: Statement) -> list[str]:
    what = []
    broad = [a for a in statement.actions if wildcard_action(a)]
    if statement.not_actions:
        what.append("Allow with NotAction (grants every other action)")
    elif broad:
        what.append(f"wildcard actions {', '.join(broad)}")
    if statement.not_resources:
        what.append("Allow with NotResource (grants every other resource)")
    elif "*" in statement.resources:
        what.append('Resource "*"')
    return what


# -- reading the policies ---------------------------------------------------------------


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _document_statements(block: Block) -> Iterator[Statement]:
    body = block.body
    raw = list(body.get("statement", []))
    for dynamic in body.get("dynamic", []):
        for name, inner in dynamic.items():
            if name == "statement":
                raw.extend(inner.get("content", []))
    for entry in raw:
        if str(entry.get("effect", "Allow")) == "Deny":
            continue
        yield Statement(
            file=relative(block.file),
            address=f"data.{block.labels[0]}.{block.labels[1]}",
            sid=entry.get("sid"),
            actions=_as_list(entry.get("actions")) + _as_list(entry.get("not_actions")),
            resources=_as_list(entry.get("resources")) + _as_list(entry.get("not_resources")),
            not_actions="not_actions" in entry,
            not_resources="not_resources" in entry,
        )


def json_statements(document: Any, file: str, address: str) -> Iterator[Statement]:
    """Allow statements of a policy document already in JSON (IAM) shape."""
    if not isinstance(document, dict):
        return
    statements = document.get("Statement", [])
    for entry in statements if isinstance(statements, list) else [statements]:
        if not isinstance(entry, dict) or entry.get("Effect", "Allow") == "Deny":
            continue
        yield Statement(
            file=file,
            address=address,
            sid=entry.get("Sid"),
            actions=_as_list(entry.get("Action")) + _as_list(entry.get("NotAction")),
            resources=_as_list(entry.get("Resource")) + _as_list(entry.get("NotResource")),
            not_actions="NotAction" in entry,
            not_resources="NotResource" in entry,
        )


def _jsonencode_argument(text: str) -> str | None:
    """The HCL object inside `${jsonencode(...)}`, when that is the whole expression."""
    expressions = template_expressions(text)
    if len(expressions) != 1 or not text.startswith("${"):
        return None
    match = re.fullmatch(r"\s*jsonencode\((?P<arg>.*)\)\s*", expressions[0], re.S)
    return match.group("arg") if match else None


def _inline_policy(value: str, file: str, address: str) -> Iterator[Statement]:
    argument = _jsonencode_argument(value)
    if argument is not None:
        try:
            document = hcl2.loads(f"policy = {argument}\n", serialization_options=_OPTIONS)["policy"]
        except Exception:  # python-hcl2 raises lark errors of several types
            return
        yield from json_statements(_strip_blocks(document), file, address)
    elif "${" not in value:
        # python-hcl2 keeps a heredoc's markers: <<EOT / <<-EOT ... EOT.
        heredoc = re.fullmatch(r"<<-?(\w+)\n(?P<body>.*)\n\s*\1", value, re.S)
        try:
            yield from json_statements(json.loads(heredoc.group("body") if heredoc else value), file, address)
        except json.JSONDecodeError:
            return


def _strip_blocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_blocks(v) for k, v in value.items() if k != BLOCK}
    if isinstance(value, list):
        return [_strip_blocks(v) for v in value]
    return value


def configuration_statements(config: Configuration) -> Iterator[Statement]:
    for block in config.blocks:
        if block.kind == "data" and block.labels[0] == "aws_iam_policy_document":
            yield from _document_statements(block)
        elif block.kind == "resource":
            address = f"{block.labels[0]}.{block.labels[1]}"
            for argument in POLICY_ARGUMENTS:
                values = block.body.get(argument)
                for value in values if isinstance(values, list) else [values]:
                    if isinstance(value, dict):  # inline_policy { policy = ... } blocks
                        value = value.get("policy")
                    if isinstance(value, str):
                        yield from _inline_policy(value, relative(block.file), address)


def managed_policy_findings(config: Configuration) -> Iterator[Finding]:
    """Attachments of AWS managed policies, whose statements are AWS's and unreadable here.

    The ARN is either literal, or `each.value...` over `for_each = local.<map>`: then every
    managed policy ARN in that local counts.
    """
    locals_ = {name: value for block in config.of_kind("locals") for name, value in block.body.items()}
    for block in config.of_kind("resource"):
        if not block.labels[0].endswith("policy_attachment"):
            continue
        arn = str(block.body.get("policy_arn", ""))
        candidates = [arn]
        for_each = re.fullmatch(r"\$\{local\.(\w+)\}", str(block.body.get("for_each", "")))
        if arn.startswith("${each.value") and for_each:
            candidates = list(_strings_in(locals_.get(for_each.group(1))))
        for text in candidates:
            match = MANAGED_POLICY.match(re.sub(r"\$\{[^}]*\}", "aws", text, count=1))
            if match:
                yield Finding(
                    relative(block.file),
                    f"{block.labels[0]}.{block.labels[1]}",
                    match.group("name"),
                    "AWS managed policy (its statements are AWS's, not checked here)",
                )


def _strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)
    elif isinstance(value, str):
        yield value


def template_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for top in TERRAFORM_ROOTS:
        for pattern in ("*.json", "*.json.tftpl"):
            files += [p for p in (root / top).rglob(pattern) if ".terraform" not in p.relative_to(root).parts]
    return sorted(set(files))


def render_placeholders(text: str) -> str:
    """A policy template with every ${...} interpolation replaced, so it parses as JSON.

    `${jsonencode(...)}` stands for a JSON value of its own (a list of ARNs): it becomes a string;
    any other interpolation sits inside a JSON string and becomes a word of it.
    """
    text = re.sub(r"(?<!\$)\$\{\s*jsonencode\([^}]*\)\s*\}", '"TEMPLATED"', text)
    return re.sub(r"(?<!\$)\$\{[^}]*\}", "TEMPLATED", text)


def template_statements(path: Path) -> tuple[list[Statement], list[str]]:
    text = path.read_text(encoding="utf-8")
    if '"Statement"' not in text:
        return [], []
    try:
        document = json.loads(render_placeholders(text))
    except json.JSONDecodeError as exc:
        return [], [f"{relative(path)}: policy template is not JSON once interpolations are filled: {exc}"]
    return list(json_statements(document, relative(path), relative(path))), []


# -- exceptions and the check -----------------------------------------------------------


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> tuple[list[Exception_], list[str]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    exceptions, problems = [], []
    for index, entry in enumerate(document.get("exceptions", [])):
        missing = [k for k in ("file", "address", "name", "reason") if not str(entry.get(k) or "").strip()]
        if missing:
            problems.append(f"{relative(path)}: exception #{index + 1} lacks {', '.join(missing)}")
            continue
        exceptions.append(Exception_(entry["file"], entry["address"], entry["name"], entry["reason"]))
    return exceptions, problems


def all_findings(configs: list[Configuration], root: Path) -> tuple[list[Finding], list[str], int]:
    """(findings, parse problems, statements read)."""
    findings: list[Finding] = []
    problems: list[str] = []
    statements: list[Statement] = []
    for config in configs:
        statements += configuration_statements(config)
        findings += managed_policy_findings(config)
    for path in template_files(root):
        found, errors = template_statements(path)
        statements += found
        problems += errors
    for statement in statements:
        file, address = _under(root, statement.file), _under(root, statement.address)
        findings += [Finding(file, address, statement.sid, w) for w in findings_of(statement)]
    findings = [replace(f, file=_under(root, f.file)) for f in findings]
    # One attachment over a map can attach the same managed policy twice: one finding.
    return list(dict.fromkeys(findings)), problems, len(statements)


def _under(root: Path, text: str) -> str:
    """A path relative to the checked root (the repository, or a test's planted tree)."""
    path = Path(text)
    if path.is_absolute() and path.is_relative_to(root):
        return str(path.relative_to(root))
    return text


def check_iam(
    configs: list[Configuration], root: Path = REPO_ROOT, exceptions_file: Path = EXCEPTIONS_FILE
) -> tuple[list[str], str]:
    """(problems, summary) for scripts/terraform/check.py."""
    findings, problems, read = all_findings(configs, root)
    exceptions, exception_problems = load_exceptions(exceptions_file)
    problems += exception_problems
    used: set[Exception_] = set()
    excepted = 0
    for finding in findings:
        match = next(
            (
                e
                for e in exceptions
                if (e.file, e.address, e.name) == (finding.file, finding.address, finding.name)
            ),
            None,
        )
        if match is None:
            problems.append(str(finding))
        else:
            used.add(match)
            excepted += 1
    for exception in exceptions:
        if exception not in used:
            problems.append(
                f"{relative(exceptions_file)}: exception {exception.file}: {exception.address}: "
                f"{exception.name!r} matches no finding (remove it)"
            )
    summary = (
        f"{read} Allow statements, {excepted} findings excepted with a reason, {len(exceptions)} exceptions"
    )
    return problems, summary

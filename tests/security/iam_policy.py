"""The team-access policy as Terraform renders it, and an evaluator of identity-based IAM policies.

`team_policy()` renders modules/team_access/policies/team_access.json.tftpl with the variables
modules/team_access/main.tf passes to templatefile(), taken from config/platform.yaml and the
naming rules, then drops the Queue* statements of a team without a queue exactly as main.tf does.
test_team_access.py checks that this rendering equals Terraform's own templatefile() output.

`evaluate()` decides a request (action, resource, request context) the way IAM does for
identity-based policies: an explicit Deny wins, else any matching Allow, else an implicit deny.
It supports what the platform's policies use: Action/NotAction, Resource/NotResource with `*`
and `?` wildcards (actions case-insensitive), and the condition operators StringEquals,
StringLike, StringNotEquals, StringNotLike, ArnEquals, ArnLike, Bool, with the ForAnyValue:/
ForAllValues: set qualifiers and the IfExists suffix. An operator it does not know raises
instead of being skipped, so a policy can never look stricter, or looser, than it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from platform_core import naming
from platform_core.config import ROOT, PlatformConfig
from platform_core.resources import Resources

TEMPLATE = ROOT / "modules" / "team_access" / "policies" / "team_access.json.tftpl"
PARTITION = "aws"

ContextValue = str | Sequence[str]


# -- rendering ---------------------------------------------------------------------------


def render_template(text: str, variables: Mapping[str, Any]) -> str:
    """Terraform's templatefile() for the subset the policy uses: ${name} and ${jsonencode(name)}."""
    if "%{" in text:
        raise ValueError("template directives (%{...}) are not supported by this renderer")

    def substitute(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        encoded = re.fullmatch(r"jsonencode\((\w+)\)", expression)
        if encoded:
            return json.dumps(variables[encoded.group(1)], separators=(",", ":"))
        if re.fullmatch(r"\w+", expression):
            value = variables[expression]
            if not isinstance(value, str):
                raise ValueError(f"${{{expression}}} interpolates a {type(value).__name__}, not a string")
            return value
        raise ValueError(f"unsupported template expression ${{{expression}}}")

    return re.sub(r"(?<!\$)\$\{([^}]*)\}", substitute, text)


def workgroup_name(config: PlatformConfig, env: str, team: str) -> str:
    return naming.team_workgroup(config.project, env, team)


def glue_database(config: PlatformConfig, env: str) -> str:
    return naming.glue_database(config.project, env)


def queue_arn(resources: Resources, name: str, account_id: str) -> str:
    return f"arn:{PARTITION}:sqs:{resources.config.region}:{account_id}:{name}"


def kms_key_arn(region: str, account_id: str) -> str:
    return f"arn:{PARTITION}:kms:{region}:{account_id}:key/00000000-0000-4000-8000-000000000000"


def template_variables(resources: Resources, team: str) -> dict[str, Any]:
    """The variables modules/team_access/main.tf passes to templatefile(), as modules/environment wires them."""
    config, account_id = resources.config, resources.account_id or ""
    subscribes = team in config.sqs_subscriber_teams
    return {
        "team": team,
        "partition": PARTITION,
        "region": config.region,
        "account_id": account_id,
        "kms_key_arn": kms_key_arn(config.region, account_id),
        "curated_bucket": resources.curated_bucket,
        "results_bucket": resources.athena_results_bucket,
        "glue_database": glue_database(config, resources.env),
        "workgroup": workgroup_name(config, resources.env, team),
        "queue_arns": [
            queue_arn(resources, resources.team_queue(team), account_id),
            queue_arn(resources, resources.team_dlq(team), account_id),
        ]
        if subscribes
        else [],
    }


def team_policy(resources: Resources, team: str, template: Path = TEMPLATE) -> dict[str, Any]:
    variables = template_variables(resources, team)
    document: dict[str, Any] = json.loads(render_template(template.read_text(encoding="utf-8"), variables))
    # As main.tf: a team without a queue keeps no Queue* statement.
    if not variables["queue_arns"]:
        document["Statement"] = [s for s in document["Statement"] if not s["Sid"].startswith("Queue")]
    return document


_HCL_TO_IAM = (
    ("actions", "Action"),
    ("not_actions", "NotAction"),
    ("resources", "Resource"),
    ("not_resources", "NotResource"),
)


def _substitute(text: str, values: Mapping[str, str | list[str]]) -> list[str]:
    """One HCL string with its `${expression}`s replaced: a list when it is a whole list expression."""
    whole = re.fullmatch(r"\$\{([^{}]*)\}", text)
    if whole and isinstance(values[whole.group(1)], list):
        return list(values[whole.group(1)])

    def one(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if not isinstance(value, str):
            raise ValueError(f"${{{match.group(1)}}} is a list inside a string")
        return value

    return [re.sub(r"\$\{([^}]*)\}", one, text)]


def _strings(value: Any, values: Mapping[str, str | list[str]]) -> list[str]:
    return [
        out
        for item in (value if isinstance(value, list) else [value])
        for out in _substitute(str(item), values)
    ]


def policy_document(body: Mapping[str, Any], values: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """A `data "aws_iam_policy_document"` block, as python-hcl2 parses it, in IAM's JSON shape.

    Each `${expression}` is replaced by its value in `values` (a list value stands for a whole
    list expression, e.g. a for-expression over queues); an expression without a value raises
    KeyError, so no part of the document is silently dropped. Plain `statement` blocks only.
    """
    if "dynamic" in body:
        raise ValueError("dynamic statements are not supported: render them with their values first")
    statements = []
    for block in body.get("statement", []):
        statement: dict[str, Any] = {"Effect": str(block.get("effect", "Allow"))}
        if "sid" in block:
            statement["Sid"] = block["sid"]
        for hcl, iam in _HCL_TO_IAM:
            if hcl in block:
                statement[iam] = _strings(block[hcl], values)
        for condition in block.get("condition", []):
            tests = statement.setdefault("Condition", {}).setdefault(condition["test"], {})
            tests[condition["variable"]] = _strings(condition["values"], values)
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


# -- evaluation --------------------------------------------------------------------------


class Decision(Enum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOW


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, ContextValue] | None = None


def _glob(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    # IAM wildcards: * any run of characters (including /), ? one character; nothing else is special.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches(statement: Mapping[str, Any], key: str, value: str, *, case_sensitive: bool) -> bool:
    positive, negative = key, f"Not{key}"
    if positive in statement:
        return any(_glob(p, value, case_sensitive=case_sensitive) for p in _as_list(statement[positive]))
    if negative in statement:
        return not any(_glob(p, value, case_sensitive=case_sensitive) for p in _as_list(statement[negative]))
    raise ValueError(f"statement {statement.get('Sid')!r} has neither {positive} nor {negative}")


def _string_test(base: str, expected: str, actual: str) -> bool:
    if base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        return expected == actual
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return _glob(expected, actual, case_sensitive=True)
    if base == "Bool":
        return expected.lower() == actual.lower()
    raise ValueError(f"unsupported condition operator {base!r}")


_NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, ContextValue]) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    _string_test(base, "", "")  # unknown operators raise here, whatever the request
    if qualifier not in ("", "ForAnyValue", "ForAllValues"):
        raise ValueError(f"unsupported condition qualifier {qualifier!r}")
    wanted = _as_list(expected)
    if key not in context:
        # A missing key fails every test but IfExists and ForAllValues (vacuously true), as IAM does.
        return if_exists or qualifier == "ForAllValues"
    raw = context[key]
    actual = [raw] if isinstance(raw, str) else list(raw)
    negated = base in _NEGATED

    def one(value: str) -> bool:
        hit = any(_string_test(base, w, value) for w in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in actual)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in actual)
    if len(actual) != 1:
        raise ValueError(f"{key} is multivalued: use ForAnyValue/ForAllValues")
    return one(actual[0])


def _conditions_hold(statement: Mapping[str, Any], context: Mapping[str, ContextValue]) -> bool:
    conditions: Mapping[str, Mapping[str, Any]] = statement.get("Condition", {})
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, tests in conditions.items()
        for key, expected in tests.items()
    )


def evaluate(policies: Sequence[Mapping[str, Any]], request: Request) -> Decision:
    context = request.context or {}
    allowed = False
    for policy in policies:
        statements = policy["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if not (
                _matches(statement, "Action", request.action, case_sensitive=False)
                and _matches(statement, "Resource", request.resource, case_sensitive=True)
                and _conditions_hold(statement, context)
            ):
                continue
            if statement["Effect"] == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY

"""The services check: what Terraform deploys for each declared service, evaluated offline.

`modules/service_specs` is the provider-free module that gives every `platform_service` its
spec (declaration, names, environment, trigger sources, role statements). This check
evaluates that very module with `terraform console`, for any configuration file and with
placeholder ARNs, and checks each service's spec against the Python side of the platform:

- every service of the configuration has a spec, and no other;
- its names are platform_core/naming.py's, and its environment is
  `Resources.function_environment()`, which the local runtime gives its workers;
- its trigger has a source: the team's queue (the team subscribes by SQS), its Kafka topics
  (the team subscribes to them), its own bucket's inbox, a schedule, its routes in
  api/openapi.yaml (`x-platform-function`) or the security schemes it authorizes;
- its role grants no `*`/`service:*` action and no `*` resource (but the listed exception).

    python -m scripts.terraform.check --only services [--config <file>] [--environment <env>]

`plan_services(config_path)` returns the specs for a test to inspect (the toy-service test
declares a service in a temporary copy of the configuration and finds its function, trigger,
role and tables here).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from platform_core import naming
from platform_core.config import PlatformConfig, load_config
from platform_core.resources import Resources
from scripts.terraform.console import EvaluationError, evaluate
from scripts.terraform.hcl import REPO_ROOT, relative
from scripts.terraform.iam_check import Statement, findings_of

SPECS_MODULE = REPO_ROOT / "modules" / "service_specs"
OPENAPI = REPO_ROOT / "api" / "openapi.yaml"
# Placeholders for what only exists once deployed.
ACCOUNT_ID = "123456789012"
API_ID = "abc123"
STAGE = "live"
# Statements that AWS requires on Resource "*" (sid -> why).
# Actions IAM cannot scope to a resource: a declared permission names "*" for these only (the same list
# as modules/service_policy's validation).
UNSCOPED_ACTIONS = frozenset({"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"})
WILDCARD_EXCEPTIONS = {
    "MskPollerNetworkInterfaces": (
        "Lambda's MSK poller creates its network interfaces in the cluster's subnets with the "
        "function's role; ec2:CreateNetworkInterface and the Describe* actions take no resource ARN"
    ),
}


@dataclass(frozen=True)
class ServicePlan:
    """What Terraform deploys for one service."""

    name: str
    team: str
    function: str
    role: str
    trigger: str  # a sentence: the trigger and its source
    tables: dict[str, str]  # short name -> table
    buckets: dict[str, str]
    secrets: dict[str, str]
    environment: dict[str, str]
    statements: list[dict[str, Any]]
    spec: dict[str, Any]  # the whole spec, as service_specs gives it


def _region(config: PlatformConfig) -> str:
    return config.region


def placeholders(config: PlatformConfig) -> dict[str, str]:
    region = _region(config)
    return {
        "api_url": f"https://{API_ID}.execute-api.{region}.amazonaws.com/{STAGE}",
        "kms_key": f"arn:aws:kms:{region}:{ACCOUNT_ID}:key/00000000-0000-0000-0000-000000000000",
        "api_execution": f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{API_ID}",
    }


def evaluate_specs(config_path: Path, environment: str) -> dict[str, Any]:
    """service_specs' `services` output for a configuration file, evaluated by Terraform."""
    values = placeholders(load_config(config_path))

    def main_tf(root: Path) -> str:
        # A local source must be a relative path (an absolute one is read as a remote package).
        return f"""
variable "config_yaml" {{
  type = string
}}

variable "environment" {{
  type = string
}}

module "specs" {{
  source      = {json.dumps(os.path.relpath(SPECS_MODULE, root))}
  config_yaml = var.config_yaml
  environment = var.environment
  account_id  = "{ACCOUNT_ID}"
  api_url     = "{values["api_url"]}"
  arns = {{
    kms_key       = "{values["kms_key"]}"
    api_execution = "{values["api_execution"]}"
  }}
}}
"""

    variables = {"config_yaml": Path(config_path).read_text(encoding="utf-8"), "environment": environment}
    specs: dict[str, Any] = evaluate(main_tf, variables, "module.specs.services")
    return specs


def _trigger(
    name: str, spec: dict[str, Any], routes: dict[str, list[str]], schemes: dict[str, list[str]]
) -> str:
    declaration, names = spec["declaration"], spec["names"]
    trigger, batch = declaration["trigger"], declaration["batch"]
    kind = trigger["type"]
    batching = f"batch {batch['size']}, window {batch['window_seconds']} s"
    if kind == "queue":
        queue = (spec.get("team_queue") or {}).get("name", "no queue")
        return f"queue {queue} ({batching})"
    if kind == "s3":
        return (
            f"s3 {names['buckets'].get(trigger['bucket'], trigger['bucket'])}/{trigger['prefix']}*{trigger['suffix']} "
            f"-> {names['inbox_queue']} (DLQ {names['inbox_dlq']}; {batching})"
        )
    if kind == "kafka":
        topics = ", ".join(f"{t} (group {names['consumer_group']}.{et})" for et, t in spec["topics"].items())
        return f"kafka {topics} ({batching})"
    if kind == "schedule":
        return f"schedule {trigger['expression']} (UTC)"
    if kind == "api":
        return "api " + (", ".join(routes.get(name, [])) or "no route")
    return "authorizer of " + (", ".join(schemes.get(name, [])) or "no security scheme")


def _api_document() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Function -> its routes, and function -> the security schemes it authorizes, from api/openapi.yaml."""
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    routes: dict[str, list[str]] = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "x-platform-function" in operation:
                routes.setdefault(operation["x-platform-function"], []).append(f"{method.upper()} {path}")
    schemes: dict[str, list[str]] = {}
    for scheme, settings in document.get("components", {}).get("securitySchemes", {}).items():
        if "x-platform-function" in settings:
            schemes.setdefault(settings["x-platform-function"], []).append(scheme)
    return routes, schemes


def plan_services(config_path: Path | str, environment: str | None = None) -> dict[str, ServicePlan]:
    """What Terraform deploys for each service of a configuration file (first environment by default)."""
    path = Path(config_path)
    config = load_config(path)
    env = environment or next(iter(config.environments))
    specs = evaluate_specs(path, env)
    routes, schemes = _api_document()
    plans = {}
    for name, spec in specs.items():
        names = spec["names"]
        plans[name] = ServicePlan(
            name=name,
            team=spec["declaration"]["team"],
            function=names["function"],
            role=names["function"],
            trigger=_trigger(name, spec, routes, schemes),
            tables=names["tables"],
            buckets=names["buckets"],
            secrets=names["secrets"],
            environment=spec["environment"],
            statements=spec["statements"],
            spec=spec,
        )
    return plans


def _name_problems(plan: ServicePlan, config: PlatformConfig, env: str) -> list[str]:
    service = config.services[plan.name]
    project, team = config.project, service.team
    expected = {
        "function": naming.service_function(project, env, team, plan.name),
        "tables": {s: naming.service_table(project, env, team, s) for s in service.tables},
        "buckets": {s: naming.service_bucket(project, env, team, s, ACCOUNT_ID) for s in service.buckets},
        "secrets": {s: naming.service_secret(project, env, team, s) for s in service.secrets},
        "inbox_queue": naming.service_queue(project, env, team, plan.name),
        "inbox_dlq": naming.service_dlq(project, env, team, plan.name),
        "consumer_group": naming.service_consumer_group(project, env, team, plan.name),
        "api_key_secret": naming.team_api_key_secret(project, env, team),
        "search_domain": Resources(config, env).service_search_domain(plan.name),
    }
    names = plan.spec["names"]
    return [
        f"{plan.name}: {key} is {names.get(key)!r} in Terraform, {value!r} in platform_core/naming.py"
        for key, value in expected.items()
        if names.get(key) != value
    ]


def _environment_problems(plan: ServicePlan, config: PlatformConfig, env: str) -> list[str]:
    resources = Resources(config, env, ACCOUNT_ID)
    python = resources.function_environment(plan.name, api_url=placeholders(config)["api_url"])
    problems = []
    for key in sorted(set(python) | set(plan.environment)):
        ours, theirs = plan.environment.get(key), python.get(key)
        if ours != theirs:
            problems.append(
                f"{plan.name}: environment {key} is {ours!r} in Terraform, {theirs!r} in "
                "Resources.function_environment (the local runtime's)"
            )
    return problems


def _trigger_problems(plan: ServicePlan, config: PlatformConfig) -> list[str]:
    trigger = plan.spec["declaration"]["trigger"]
    kind = trigger["type"]
    team = config.teams[plan.team]
    if kind == "queue" and plan.spec.get("team_queue") is None:
        return [
            f"{plan.name}: trigger queue, but team {plan.team} subscribes to nothing by SQS (it has no queue)"
        ]
    if kind == "kafka":
        missing = [et for et in trigger["event_types"] if et not in team.subscriptions.kafka]
        return [
            f"{plan.name}: trigger kafka on {et}, which team {plan.team} does not read on Kafka"
            for et in missing
        ]
    if kind == "api" and plan.trigger == "api no route":
        return [
            f"{plan.name}: trigger api, but no operation of api/openapi.yaml names it (x-platform-function)"
        ]
    if kind == "authorizer" and plan.trigger.endswith("no security scheme"):
        return [f"{plan.name}: trigger authorizer, but no security scheme of api/openapi.yaml names it"]
    return []


def _statement_problems(plan: ServicePlan) -> list[str]:
    problems = []
    for statement in plan.statements:
        found = findings_of(
            Statement(
                relative(SPECS_MODULE),
                plan.name,
                statement["sid"],
                tuple(statement["actions"]),
                tuple(statement["resources"]),
            )
        )
        if found == ['Resource "*"'] and set(statement["actions"]) <= UNSCOPED_ACTIONS:
            continue
        if found and statement["sid"] not in WILDCARD_EXCEPTIONS:
            problems.append(f"{plan.name}: role statement {statement['sid']}: {'; '.join(found)}")
    return problems


def _document_problems(config: PlatformConfig) -> list[str]:
    """Every route of api/openapi.yaml names ingest or an api service, every authorizer scheme an authorizer."""
    routes, schemes = _api_document()
    problems = []
    for function, paths in routes.items():
        service = config.services.get(function)
        if function != "ingest" and (service is None or service.trigger.type != "api"):
            problems += [
                f"api/openapi.yaml: {p} names {function}, which is neither ingest nor an api service"
                for p in paths
            ]
    for function, names in schemes.items():
        service = config.services.get(function)
        if service is None or service.trigger.type != "authorizer":
            problems += [
                f"api/openapi.yaml: security scheme {n} names {function}, which is not an authorizer service"
                for n in names
            ]
    return problems


def check_services(
    config_path: Path = REPO_ROOT / "config" / "platform.yaml",
) -> tuple[list[str], str, list[str]]:
    """(problems, summary, one line per service) for every environment's specs of a configuration file."""
    config = load_config(config_path)
    problems: list[str] = _document_problems(config)
    report: list[str] = []
    for env in config.environments:
        try:
            plans = plan_services(config_path, env)
        except EvaluationError as exc:
            return [f"{relative(config_path)} ({env}): {exc}"], "Terraform could not evaluate the specs", []
        extra, missing = set(plans) - set(config.services), set(config.services) - set(plans)
        problems += [
            f"{name}: a spec for a service the configuration does not declare" for name in sorted(extra)
        ]
        problems += [f"{name}: declared, but Terraform has no spec for it" for name in sorted(missing)]
        for name in sorted(set(plans) & set(config.services)):
            plan = plans[name]
            problems += _name_problems(plan, config, env) + _environment_problems(plan, config, env)
            problems += _trigger_problems(plan, config) + _statement_problems(plan)
            if env == next(iter(config.environments)):
                report.append(describe(plan))
    unique = list(dict.fromkeys(problems))
    summary = f"{len(config.services)} services x {len(config.environments)} environments, from {relative(config_path)}"
    return unique, summary, report


def describe(plan: ServicePlan) -> str:
    sids = ", ".join(s["sid"] for s in plan.statements)
    tables = ", ".join(plan.tables.values()) or "none"
    buckets = ", ".join(plan.buckets.values()) or "none"
    return (
        f"{plan.name} (team {plan.team}): function {plan.function}; trigger {plan.trigger}; "
        f"role {plan.role} [{sids}]; tables {tables}; buckets {buckets}"
    )

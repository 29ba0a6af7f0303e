"""The services check: Terraform's view of each declared service, for any configuration file.

Each test declares a toy service in a temporary copy of config/platform.yaml (no other file is
edited) and reads what `modules/service_specs` gives it, as `python -m scripts.terraform.check
--only services --config <copy>` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.terraform import check
from scripts.terraform.services import check_services, plan_services

CONFIG = Path(__file__).resolve().parents[2] / "config" / "platform.yaml"

TOY = """
  toy:
    team: documents
    description: A toy that files what its team's queue brings
    handler: lambdas.toy.handler.lambda_handler
    trigger: {type: queue}
    batch: {size: 5, window_seconds: 2}
    tables:
      things: {hash_key: id, ttl_attribute: expires_at}
    permissions:
      - actions: ["sqs:SendMessage"]
        resources: ["arn:aws:sqs:eu-west-1:123456789012:elsewhere"]
"""


def _config_with(tmp_path: Path, service: str) -> Path:
    # `services:` is the last section of the file: a service appended at the end is declared.
    path = tmp_path / "platform.yaml"
    path.write_text(CONFIG.read_text(encoding="utf-8").rstrip("\n") + "\n" + service)
    return path


def test_a_toy_service_gets_its_function_trigger_role_and_table(tmp_path: Path) -> None:
    plans = plan_services(_config_with(tmp_path, TOY))
    toy = plans["toy"]
    assert toy.function == "stockoss-dev-documents-toy"
    assert toy.trigger == "queue stockoss-dev-documents-events (batch 5, window 2 s)"
    assert toy.role == "stockoss-dev-documents-toy"
    assert [s["sid"] for s in toy.statements] == [
        "OwnTables",
        "ConsumeTheTriggerQueue",
        "UseTheDataKey",
        "Declared0",
    ]
    assert toy.tables == {"things": "stockoss-dev-documents-things"}
    assert toy.environment["TABLE_THINGS"] == "stockoss-dev-documents-things"
    assert toy.spec["declaration"]["tables"]["things"]["ttl_attribute"] == "expires_at"


def test_the_check_lists_the_toy_and_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config_with(tmp_path, TOY)
    assert check.main(["--only", "services", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert (
        "toy (team documents): function stockoss-dev-documents-toy; trigger queue stockoss-dev-documents-events"
        in out
    )
    assert out.rstrip().endswith("terraform: 1 passed, 0 failed")


def test_an_api_service_without_a_route_is_reported(tmp_path: Path) -> None:
    api_toy = TOY.replace("trigger: {type: queue}", "trigger: {type: api}")
    problems, _, _ = check_services(_config_with(tmp_path, api_toy))
    assert problems == [
        "toy: trigger api, but no operation of api/openapi.yaml names it (x-platform-function)"
    ]


def test_a_declared_wildcard_permission_is_refused(tmp_path: Path) -> None:
    greedy = TOY.replace('actions: ["sqs:SendMessage"]', 'actions: ["sqs:*"]')
    problems, summary, _ = check_services(_config_with(tmp_path, greedy))
    assert summary == "Terraform could not evaluate the specs"
    assert len(problems) == 1 and "never service:*" in problems[0]


def test_the_repository_services_pass() -> None:
    problems, summary, report = check_services(CONFIG)
    assert problems == []
    assert summary.endswith("from config/platform.yaml")
    from platform_core.config import load_config

    assert len(report) == len(load_config(CONFIG).services)


def test_terraform_reads_every_field_of_the_service_declaration(tmp_path: Path) -> None:
    """A field added to platform_core/config.py Service must be normalised by modules/platform_config
    (with the model's default), or Terraform would silently ignore it."""
    from platform_core.config import Batch, Packaging, Service, ServiceBucket, StateTable

    spec = plan_services(_config_with(tmp_path, TOY))["toy"].spec["declaration"]
    assert set(Service.model_fields) <= set(spec), (
        "normalise the new Service fields in modules/platform_config"
    )
    assert set(Batch.model_fields) == set(spec["batch"])
    assert set(Packaging.model_fields) == set(spec["packaging"])
    assert set(StateTable.model_fields) == set(spec["tables"]["things"])
    bucket = plan_services(
        _config_with(tmp_path, TOY.replace("tables:", "buckets:\n      box: {}\n    tables:"))
    )
    assert set(ServiceBucket.model_fields) == set(bucket["toy"].spec["declaration"]["buckets"]["box"])


SEARCHING_TOYS = (
    TOY.replace("tables:", "search: {instance_count: 2}\n    tables:")
    + """
  toy-finder:
    team: documents
    description: Searches what the toy indexed
    handler: lambdas.toy.finder.lambda_handler
    trigger: {type: schedule, expression: rate(1 hour)}
    uses: [toy]
"""
)


def test_a_search_domain_gives_its_owner_writes_and_its_users_searches(tmp_path: Path) -> None:
    from platform_core.config import SearchDomain

    config = _config_with(tmp_path, SEARCHING_TOYS)
    plans = plan_services(config)
    toy, finder = plans["toy"], plans["toy-finder"]
    assert toy.spec["names"]["search_domain"] == "stockoss-dev-documents-toy"
    declared = toy.spec["declaration"]["search"]
    assert declared == {**SearchDomain().model_dump(), "instance_count": 2}
    assert toy.environment["SEARCH_BACKEND"] == finder.environment["SEARCH_BACKEND"] == "opensearch"
    domain = "arn:aws:es:eu-west-1:123456789012:domain/stockoss-dev-documents-toy"
    [own] = [s for s in toy.statements if s["sid"] == "WriteAndSearchItsSearchDomain"]
    assert own["actions"] == ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"]
    assert own["resources"] == [f"{domain}/*"]
    [used] = [s for s in finder.statements if s["sid"] == "SearchTheUsedSearchDomains"]
    assert (used["actions"], used["resources"]) == (
        ["es:ESHttpGet", "es:ESHttpPost"],
        [f"{domain}/*/_search"],
    )
    assert check_services(config)[0] == []

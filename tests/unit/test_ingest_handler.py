"""The ingest handler fed real API Gateway REST proxy events (the documented version 1.0 shape)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lambdas.ingest import handler as ingest
from lambdas.ingest.service import IngestService
from lambdas.ingest.settings import IngestSettings
from lambdas.ingest.store import StoreMisconfigured, StoreUnavailable
from platform_core.config import get_config
from platform_core.lambda_context import LocalLambdaContext
from platform_core.registry import get_registry
from tests.unit.test_ingest_service import MemoryEvents, MemoryRejected
from tools.traffic import TrafficGenerator

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "apigw_rest_post_events.json"
KEY_ID = "u1v2w3x4y5"  # requestContext.identity.apiKeyId in the fixture


def rest_event(body: Any = None, **changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(json.loads(FIXTURE.read_text()))
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    event.update(changes)
    return event


def get_event(path: str, resource: str, path_parameters: dict[str, str] | None = None) -> dict[str, Any]:
    event = rest_event(path=path, resource=resource, httpMethod="GET", pathParameters=path_parameters)
    event["requestContext"].update(httpMethod="GET", resourcePath=resource, path=f"/dev{path}")
    del event["headers"]["Content-Type"], event["multiValueHeaders"]["Content-Type"]
    return event


def context() -> LocalLambdaContext:
    return LocalLambdaContext("stockoss-dev-ingest", "eu-west-1")


@pytest.fixture
def stores() -> tuple[MemoryEvents, MemoryRejected]:
    return MemoryEvents(), MemoryRejected()


def serve(service: IngestService) -> Iterator[Any]:
    """The deployed entry point, its service replaced the way Powertools documents (dependency overrides)."""
    ingest.app.dependency_overrides[ingest.ingest_service] = lambda: service
    try:
        yield ingest.lambda_handler
    finally:
        ingest.app.dependency_overrides.clear()


@pytest.fixture
def handler(stores: tuple[MemoryEvents, MemoryRejected]) -> Iterator[Any]:
    events, rejected = stores
    yield from serve(IngestService(get_config(), get_registry(), events, rejected, {KEY_ID: "orders"}))


def orders_event(seed: int = 1) -> dict[str, Any]:
    return TrafficGenerator(seed).event_of_type("orders.order_created")[1]


def test_post_events_from_a_documented_rest_proxy_event(handler: Any, stores: Any) -> None:
    response = handler(rest_event(orders_event()), context())
    assert response["statusCode"] == 202
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]
    request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"  # requestContext.requestId in the fixture
    assert response["multiValueHeaders"]["X-Correlation-Id"] == [request_id]
    body = json.loads(response["body"])
    assert body["request_id"] == body["correlation_id"] == request_id
    assert body["results"][0] == {"index": 0, "event_id": orders_event()["event_id"], "status": "accepted"}
    assert len(stores[0].items) == 1


def test_headers_are_case_insensitive(handler: Any) -> None:
    event = rest_event(orders_event())
    event["headers"] = {k.lower(): v for k, v in event["headers"].items()}
    event["headers"]["x-correlation-id"] = "corr-lower"
    response = handler(event, context())
    assert response["statusCode"] == 202
    assert json.loads(response["body"])["correlation_id"] == "corr-lower"


def test_rejected_events_carry_reasons_and_null_ids(handler: Any) -> None:
    response = handler(rest_event([{"event_type": 3}]), context())
    assert response["statusCode"] == 400
    [result] = json.loads(response["body"])["results"]
    assert result["event_id"] is None
    assert {"path": "event_id", "message": "Field required"} in result["reasons"]


@pytest.mark.parametrize(("key_id", "status"), [(None, 401), ("someone-else", 403)])
def test_api_key_id_from_the_request_context(handler: Any, key_id: str | None, status: int) -> None:
    event = rest_event(orders_event())
    event["requestContext"]["identity"]["apiKeyId"] = key_id
    response = handler(event, context())
    assert response["statusCode"] == status
    assert json.loads(response["body"])["message"]


def test_logs_and_metrics_carry_correlation_id_team_and_type(
    handler: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    event = rest_event(orders_event())
    event["headers"]["X-Correlation-Id"] = "checkout-7"
    with caplog.at_level("INFO"):
        handler(event, context())
    assert ingest.logger.get_correlation_id() == "checkout-7"
    [record] = [r for r in caplog.records if r.getMessage() == "ingest request"]
    assert (record.team, record.status) == ("orders", 202)  # type: ignore[attr-defined]
    assert record.summary == {"accepted": 1, "duplicate": 0, "rejected": 0}  # type: ignore[attr-defined]

    # EMF documents on stdout: CloudWatch turns them into metrics.
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [emf] = [line for line in lines if "_aws" in line]
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    assert directive["Dimensions"] == [["team", "event_type"]]
    assert (emf["team"], emf["event_type"], emf["accepted"]) == ("orders", "orders.order_created", [1.0])
    assert directive["Namespace"] == get_config().project


def test_storage_outage_is_503_with_retry_after(stores: Any) -> None:
    class Down:
        def put_new(self, items: Any) -> list[bool]:
            raise StoreUnavailable("throttled")

    for handler in serve(IngestService(get_config(), get_registry(), Down(), stores[1], {KEY_ID: "orders"})):
        response = handler(rest_event(orders_event()), context())
    assert response["statusCode"] == 503
    assert response["multiValueHeaders"]["Retry-After"] == ["1"]
    assert "retry" in json.loads(response["body"])["message"]


def test_a_storage_fault_no_retry_can_cure_is_500_without_retry_after(stores: Any) -> None:
    class Missing:
        def put_new(self, items: Any) -> list[bool]:
            raise StoreMisconfigured("ResourceNotFoundException: no such table")

    service = IngestService(get_config(), get_registry(), Missing(), stores[1], {KEY_ID: "orders"})
    for handler in serve(service):
        response = handler(rest_event(orders_event()), context())
    assert response["statusCode"] == 500
    assert "Retry-After" not in response["multiValueHeaders"]
    assert "retrying will not help" in json.loads(response["body"])["message"]


def test_schema_routes(handler: Any) -> None:
    listing = handler(get_event("/v1/schemas", "/v1/schemas"), context())
    assert listing["statusCode"] == 200
    assert {s["event_type"] for s in json.loads(listing["body"])["schemas"]} >= {"orders.order_created"}

    one = handler(
        get_event(
            "/v1/schemas/billing.invoice_issued/1",
            "/v1/schemas/{event_type}/{version}",
            {"event_type": "billing.invoice_issued", "version": "1"},
        ),
        context(),
    )
    assert one["statusCode"] == 200
    assert one["multiValueHeaders"]["Content-Type"] == ["application/schema+json"]
    assert json.loads(one["body"])["title"] == "Invoice issued"

    missing = handler(
        get_event("/v1/schemas/billing.nope", "/v1/schemas/{event_type}", {"event_type": "billing.nope"}),
        context(),
    )
    assert missing["statusCode"] == 404


def test_unknown_route_is_404(handler: Any) -> None:
    response = handler(get_event("/v2/anything", "/{proxy+}", {"proxy": "v2/anything"}), context())
    assert response["statusCode"] == 404
    assert "no route" in json.loads(response["body"])["message"]


def test_the_deployed_entry_point_builds_its_service_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLATFORM_ENV", "dev")
    monkeypatch.setenv("API_KEY_TEAMS", json.dumps({KEY_ID: "documents"}))
    monkeypatch.setenv("EVENTS_TABLE", "stockoss-dev-events")
    monkeypatch.setenv("REJECTED_BUCKET", "stockoss-dev-rejected")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    ingest.ingest_service.reset()  # a cold start: built from this environment (the schema routes call no AWS)
    try:
        response = ingest.lambda_handler(get_event("/v1/schemas", "/v1/schemas"), context())
        assert response["statusCode"] == 200
        assert ingest.ingest_service().team_for(KEY_ID) == "documents"
    finally:
        ingest.ingest_service.reset()


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"EVENTS_TABLE": "t", "REJECTED_BUCKET": "b", "API_KEY_TEAMS": "{}"}, "api_key_teams"),
        ({"EVENTS_TABLE": "t", "REJECTED_BUCKET": "b", "API_KEY_TEAMS": "[]"}, "api_key_teams"),
        ({"REJECTED_BUCKET": "b", "API_KEY_TEAMS": '{"k": "orders"}'}, "events_table"),
    ],
)
def test_a_missing_or_malformed_variable_fails_the_cold_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], named: str
) -> None:
    for name in ("EVENTS_TABLE", "REJECTED_BUCKET", "API_KEY_TEAMS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLATFORM_ENV", "dev")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=named):
        IngestSettings.from_environment()


def test_echoed_client_text_that_is_not_unicode_still_gives_valid_json(handler: Any) -> None:
    event = orders_event()
    event["event_id"] = "\ud800"
    response = handler(rest_event(json.dumps([event])), context())  # the body holds the escape "\\ud800"
    assert response["statusCode"] == 400
    body = json.loads(response["body"])
    assert body["results"][0]["event_id"] == "\ud800"

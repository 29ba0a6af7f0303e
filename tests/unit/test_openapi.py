"""api/openapi.yaml is valid, matches the models, and documents every response the API gives.

Each response is produced by the real handler behind the local gateway (with
in-memory stores) and validated against the schema the document gives for its
path, method, status and media type, headers included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from lambdas.ingest import handler as ingest
from lambdas.ingest.models import API_SCHEMAS_DIR, exported_schemas, render
from lambdas.ingest.service import IngestService
from lambdas.ingest.store import StoreMisconfigured, StoreUnavailable
from local_platform.functions.in_process import InProcessFunction
from local_platform.gateway import OPENAPI_PATH, LocalApiGateway, api_key_teams, generate_api_keys
from platform_core.config import ApiLimits, get_config
from platform_core.dependencies import hosted
from platform_core.registry import get_registry
from tests.fixtures.gateway import functions_with
from tests.unit.test_ingest_service import MemoryEvents, MemoryRejected
from tools.traffic import TrafficGenerator

DOCUMENT = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
BASE = OPENAPI_PATH.resolve().as_uri()


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1")
    validate_openapi(DOCUMENT, base_uri=BASE)


@pytest.mark.parametrize("name", sorted(exported_schemas()))
def test_committed_schemas_equal_the_models(name: str) -> None:
    committed = (API_SCHEMAS_DIR / name).read_text(encoding="utf-8")
    assert committed == render(exported_schemas()[name]), "run `python -m lambdas.ingest.models` and commit"


def test_document_limits_match_the_configuration() -> None:
    limits = get_config().api
    batch = DOCUMENT["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch["oneOf"][1]["maxItems"] == limits.max_batch_events
    description = " ".join(DOCUMENT["info"]["description"].split())
    assert f"at most {limits.max_batch_events} events and 1 MiB per request" in description
    assert limits.max_body_bytes == 1024 * 1024
    assert f"each event at most {limits.max_event_bytes} bytes" in description
    assert DOCUMENT["components"]["securitySchemes"]["apiKey"] == {
        **DOCUMENT["components"]["securitySchemes"]["apiKey"],
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }


# -- responses against the document -------------------------------------------------


def _registry() -> Registry:
    """The document and the files it references, so `$ref`s resolve as a client would resolve them."""
    resources = [(BASE, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012))]
    for path in API_SCHEMAS_DIR.glob("*.json"):
        resources.append((path.resolve().as_uri(), Resource.from_contents(json.loads(path.read_text()))))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def documented_response(path: str, method: str, status: int) -> tuple[str, dict[str, Any]]:
    """(JSON pointer, response object) of a documented response, following a components/responses $ref."""
    response = DOCUMENT["paths"][path][method]["responses"].get(str(status))
    assert response is not None, f"{method.upper()} {path} does not document {status}"
    pointer = _pointer("#", "paths", path, method, "responses", str(status))
    if "$ref" in response:
        pointer = response["$ref"]
        response = DOCUMENT["components"]["responses"][pointer.rsplit("/", 1)[1]]
    return pointer, response


def check_response(path: str, method: str, response: requests.Response) -> None:
    pointer, documented = documented_response(path, method, response.status_code)
    media_type = response.headers["Content-Type"].split(";")[0]
    assert media_type in documented["content"], f"{response.status_code} is documented without {media_type}"
    schema_ref = f"{BASE}{pointer}/{_pointer('content', media_type, 'schema')}"
    Draft202012Validator({"$ref": schema_ref}, registry=REGISTRY).validate(response.json())
    for header in documented.get("headers", {}):
        assert header in response.headers, f"{response.status_code} documents the {header} header"


class Switchable:
    """Event store that can be made unavailable (the 503 path) or refuse for good (the 500 path)."""

    def __init__(self) -> None:
        self.memory = MemoryEvents()
        self.fault: Exception | None = None

    def put_new(self, items: Any) -> list[bool]:
        if self.fault is not None:
            raise self.fault
        return self.memory.put_new(items)


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[str, dict[str, str], Switchable]]:
    config = get_config()
    keys = generate_api_keys(tuple(config.teams))
    store = Switchable()
    service = IngestService(config, get_registry(), store, MemoryRejected(), api_key_teams(keys))
    handler = hosted(ingest.lambda_handler, {ingest.ingest_service: service})
    limits = {
        name: ApiLimits(rate_limit=1000, burst_limit=1000, quota_per_day=10**6) for name in config.teams
    }
    limits["documents"] = ApiLimits(rate_limit=0.01, burst_limit=1, quota_per_day=10)
    function = InProcessFunction(handler, name="ingest")
    with LocalApiGateway(functions_with(function), keys, limits, region=config.region) as gateway:
        yield gateway.url, {team: key.value for team, key in keys.items()}, store


def _events(count: int) -> list[dict[str, Any]]:
    generator = TrafficGenerator(21)
    out: list[dict[str, Any]] = []
    while len(out) < count:
        out.extend(e for t, e in generator.order_flow() if t == "orders")
    return out[:count]


POST_CASES: dict[str, tuple[int, Any, dict[str, str]]] = {
    # name: (expected status, body (bytes or JSON), header changes)
    "accepted": (202, _events(3), {}),
    "partly rejected": (202, [*_events(1), {"event_type": "x"}], {}),
    "all rejected": (400, [{"event_type": "x"}], {}),
    "not JSON": (400, b"{nope", {}),
    "over 500 events": (400, _events(1) * 501, {}),
    "bad correlation id": (400, _events(1), {"X-Correlation-Id": "a b"}),
    "no key": (401, _events(1), {"x-api-key": ""}),
    "unknown key": (403, _events(1), {"x-api-key": "nope"}),
    "too large": (413, b"[" + b" " * (1024 * 1024) + b"]", {}),
    "wrong content type": (415, _events(1), {"Content-Type": "text/plain"}),
}


@pytest.mark.parametrize("case", sorted(POST_CASES))
def test_post_events_responses_are_documented(api: Any, case: str) -> None:
    url, keys, _ = api
    status, body, changes = POST_CASES[case]
    headers = {"x-api-key": keys["orders"], "Content-Type": "application/json", **changes}
    headers = {k: v for k, v in headers.items() if v}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = requests.post(f"{url}/v1/events", data=data, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    check_response("/v1/events", "post", response)


def test_throttled_unavailable_and_misconfigured_responses_are_documented(api: Any) -> None:
    url, keys, store = api
    headers = {"x-api-key": keys["documents"], "Content-Type": "application/json"}
    requests.get(f"{url}/v1/schemas", headers=headers, timeout=30)  # spends the only token
    throttled = requests.post(f"{url}/v1/events", data=b"{}", headers=headers, timeout=30)
    assert throttled.status_code == 429
    check_response("/v1/events", "post", throttled)

    for fault, status in ((StoreUnavailable("throttled"), 503), (StoreMisconfigured("no such table"), 500)):
        store.fault = fault
        try:
            response = requests.post(
                f"{url}/v1/events",
                data=json.dumps(_events(1)),
                headers={"x-api-key": keys["orders"], "Content-Type": "application/json"},
                timeout=30,
            )
        finally:
            store.fault = None
        assert response.status_code == status
        check_response("/v1/events", "post", response)


@pytest.mark.parametrize(
    ("path", "resource", "status"),
    [
        ("/v1/schemas", "/v1/schemas", 200),
        ("/v1/schemas/orders.order_created", "/v1/schemas/{event_type}", 200),
        ("/v1/schemas/orders.unknown", "/v1/schemas/{event_type}", 404),
        ("/v1/schemas/orders.order_created/1", "/v1/schemas/{event_type}/{version}", 200),
        ("/v1/schemas/orders.order_created/9", "/v1/schemas/{event_type}/{version}", 404),
    ],
)
def test_schema_responses_are_documented(api: Any, path: str, resource: str, status: int) -> None:
    url, keys, _ = api
    response = requests.get(f"{url}{path}", headers={"x-api-key": keys["billing"]}, timeout=30)
    assert response.status_code == status
    check_response(resource, "get", response)
    unauthorized = requests.get(f"{url}{path}", timeout=30)
    assert unauthorized.status_code == 401
    check_response(resource, "get", unauthorized)


def test_every_documented_post_status_is_exercised() -> None:
    documented = {int(s) for s in DOCUMENT["paths"]["/v1/events"]["post"]["responses"]}
    exercised = {status for status, _, _ in POST_CASES.values()} | {429, 500, 503}
    # 502 is the gateway's answer to a failing function: tests/unit/test_ingest_gateway.py.
    assert documented - exercised == {502}


def test_the_document_paths_are_what_the_gateway_routes() -> None:
    assert Path(OPENAPI_PATH).name == "openapi.yaml"
    assert set(DOCUMENT["paths"]) == {
        "/v1/events",
        "/v1/schemas",
        "/v1/schemas/{event_type}",
        "/v1/schemas/{event_type}/{version}",
        "/v1/orders",
        "/v1/orders/{order_id}",
        # The document service's routes (x-platform-function: documents-api).
        "/v1/documents",
        "/v1/documents/search",
        "/v1/documents/{document_id}",
        # The notifications API (x-platform-function: notifications-api).
        "/v1/notifications",
        "/v1/notifications/{id}/read",
        "/v1/notifications/preferences",
        "/v1/notifications/push-subscriptions",
        # The console's pages (x-platform-function: console).
        "/console",
        "/console/flow",
        "/console/flow/redrive",
        "/console/trace",
        "/console/kpis",
        "/console/invoices",
        "/console/invoices/pdf",
        "/console/documents",
        "/console/notifications",
        "/console/notifications/inbox",
    }

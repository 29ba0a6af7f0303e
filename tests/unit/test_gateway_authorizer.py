"""The local API Gateway's REST API from an OpenAPI document: service routes, REQUEST authorizers, usage plans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from local_platform.functions.in_process import InProcessFunction
from local_platform.gateway import LocalApiGateway, generate_api_keys
from local_platform.routes import load_api
from platform_core.config import ApiLimits

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "security": [{"apiKey": []}],
    "paths": {
        "/v1/events": {"post": {"x-platform-function": "ingest", "responses": {}}},
        "/v1/orders/{order_id}": {
            "get": {"x-platform-function": "orders-api", "security": [{"token": []}], "responses": {}},
            "delete": {"x-platform-function": "orders-api", "security": [{"token": []}], "responses": {}},
        },
        "/v1/open": {"get": {"x-platform-function": "orders-api", "security": [], "responses": {}}},
    },
    "components": {
        "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "token": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "x-platform-function": "orders-authorizer",
                "x-amazon-apigateway-authorizer": {
                    "type": "request",
                    "identitySource": "method.request.header.Authorization",
                    "authorizerResultTtlInSeconds": 300,
                },
            },
        }
    },
}


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def proxy_ok(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": json.dumps({"event": event})}


class Authorizer:
    """Allows GET on orders for `Bearer good`, denies DELETE; `Bearer bad` is Unauthorized."""

    def __init__(self, usage_key: str | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.usage_key = usage_key

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.calls.append(event)
        token = event["headers"].get("Authorization")
        if token == "Bearer bad":
            raise RuntimeError("Unauthorized")
        if token == "Bearer broken":
            return {"not": "a policy"}
        arn_prefix = event["methodArn"].split("/dev/")[0] + "/dev"
        response: dict[str, Any] = {
            "principalId": "customer-7",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{arn_prefix}/GET/*"},
                    {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": f"{arn_prefix}/DELETE/*"},
                ],
            },
            "context": {"client": "web-app", "scopes": "orders/read", "admin": False, "level": 3},
        }
        if self.usage_key:
            response["usageIdentifierKey"] = self.usage_key
        return response


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(DOCUMENT))
    return path


def gateway(
    document: Path, authorizer: Authorizer, clock: Clock, plans: dict[str, ApiLimits]
) -> LocalApiGateway:
    keys = generate_api_keys(("orders", "web-app"))
    functions = {
        "ingest": InProcessFunction(proxy_ok, name="ingest"),
        "orders-api": InProcessFunction(proxy_ok, name="orders-api"),
        "orders-authorizer": InProcessFunction(authorizer, name="orders-authorizer"),
    }
    gw = LocalApiGateway(
        functions.__getitem__,
        keys,
        plans,
        region="eu-west-1",
        stage="dev",
        api=load_api(document),
        clock=clock,
    )
    gw.keys = keys  # type: ignore[attr-defined]
    return gw


PLANS = {
    "orders": ApiLimits(rate_limit=100, burst_limit=100, quota_per_day=1000),
    "web-app": ApiLimits(rate_limit=1, burst_limit=2, quota_per_day=1000),
}


@pytest.fixture
def running(document: Path) -> Iterator[tuple[LocalApiGateway, Authorizer, Clock]]:
    authorizer, clock = Authorizer(), Clock()
    with gateway(document, authorizer, clock, PLANS) as gw:
        yield gw, authorizer, clock


def test_each_route_invokes_the_function_its_operation_names() -> None:
    routes = {(r.method, r.resource): r for r in load_api_from(DOCUMENT)}
    assert routes[("POST", "/v1/events")].function == "ingest"
    assert routes[("POST", "/v1/events")].api_key_required
    order = routes[("GET", "/v1/orders/{order_id}")]
    assert order.function == "orders-api" and not order.api_key_required
    assert order.authorizer is not None and order.authorizer.function == "orders-authorizer"
    assert order.authorizer.identity_sources == (("header", "Authorization"),)
    assert routes[("GET", "/v1/open")].authorizer is None and not routes[("GET", "/v1/open")].api_key_required


def load_api_from(document: dict[str, Any]) -> Any:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(document, handle)
    return load_api(Path(handle.name)).routes


def test_an_operation_without_a_function_is_refused(tmp_path: Path) -> None:
    broken = json.loads(json.dumps(DOCUMENT))
    del broken["paths"]["/v1/open"]["get"]["x-platform-function"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(ValueError, match="GET /v1/open names no function"):
        load_api(path)


def test_path_parameters_query_and_the_authorizer_context_reach_the_service(running: Any) -> None:
    gw, authorizer, _ = running
    response = requests.get(
        f"{gw.url}/v1/orders/ORD-9?expand=lines&expand=timeline",
        headers={"Authorization": "Bearer good"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    event = response.json()["event"]
    assert event["resource"] == "/v1/orders/{order_id}" and event["path"] == "/v1/orders/ORD-9"
    assert event["pathParameters"] == {"order_id": "ORD-9"}
    assert event["multiValueQueryStringParameters"] == {"expand": ["lines", "timeline"]}
    context = event["requestContext"]["authorizer"]
    assert context["principalId"] == "customer-7"
    assert (context["client"], context["scopes"], context["admin"], context["level"]) == (
        "web-app",
        "orders/read",
        "false",
        "3",
    )
    [call] = authorizer.calls
    assert call["type"] == "REQUEST" and call["pathParameters"] == {"order_id": "ORD-9"}
    assert call["methodArn"].endswith(":local/dev/GET/v1/orders/ORD-9")


def test_no_identity_is_401_without_calling_the_authorizer(running: Any) -> None:
    gw, authorizer, _ = running
    response = requests.get(f"{gw.url}/v1/orders/ORD-1", timeout=10)
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})
    assert authorizer.calls == []


@pytest.mark.parametrize(
    ("token", "method", "status"),
    [("Bearer bad", "GET", 401), ("Bearer good", "DELETE", 403), ("Bearer broken", "GET", 500)],
)
def test_the_authorizers_answer_decides(running: Any, token: str, method: str, status: int) -> None:
    gw, _, _ = running
    response = requests.request(
        method, f"{gw.url}/v1/orders/ORD-1", headers={"Authorization": token}, timeout=10
    )
    assert response.status_code == status


def test_the_result_is_cached_per_identity_for_its_ttl_and_applies_to_other_methods(running: Any) -> None:
    gw, authorizer, clock = running
    headers = {"Authorization": "Bearer good"}
    assert requests.get(f"{gw.url}/v1/orders/A", headers=headers, timeout=10).status_code == 200
    assert requests.get(f"{gw.url}/v1/orders/B", headers=headers, timeout=10).status_code == 200
    # The cached policy denies DELETE without calling the authorizer again.
    assert requests.delete(f"{gw.url}/v1/orders/B", headers=headers, timeout=10).status_code == 403
    assert len(authorizer.calls) == 1
    clock.now += 301
    assert requests.get(f"{gw.url}/v1/orders/C", headers=headers, timeout=10).status_code == 200
    assert len(authorizer.calls) == 2


def test_the_usage_identifier_key_puts_a_token_client_on_its_own_plan(document: Path) -> None:
    keys = generate_api_keys(("orders", "web-app"))
    authorizer = Authorizer(usage_key=keys["web-app"].value)
    functions = {
        "orders-api": InProcessFunction(proxy_ok, name="orders-api"),
        "orders-authorizer": InProcessFunction(authorizer, name="orders-authorizer"),
    }
    with LocalApiGateway(
        functions.__getitem__,
        keys,
        PLANS,
        region="eu-west-1",
        stage="dev",
        api=load_api(document),
        clock=Clock(),
    ) as gw:
        statuses = [
            requests.get(
                f"{gw.url}/v1/orders/A", headers={"Authorization": "Bearer good"}, timeout=10
            ).status_code
            for _ in range(3)
        ]
        stats = gw.stats()
    assert statuses == [200, 200, 429]  # web-app's burst of 2
    assert stats["web-app"] == {200: 2, 429: 1}


def test_an_open_route_needs_no_credentials(running: Any) -> None:
    gw, _, _ = running
    assert requests.get(f"{gw.url}/v1/open", timeout=10).status_code == 200

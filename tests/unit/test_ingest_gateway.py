"""The local API Gateway's own behaviour: routes, keys, usage plans and the proxy event it builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from local_platform.functions.in_process import InProcessFunction
from local_platform.functions.spec import FunctionSpec
from local_platform.gateway import (
    DailyQuota,
    LocalApiGateway,
    TokenBucket,
    api_key_teams,
    generate_api_keys,
    routes_from_openapi,
)
from platform_core.config import ApiLimits
from tests.fixtures.gateway import functions_with

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "apigw_rest_post_events.json"
PLAN = ApiLimits(rate_limit=10, burst_limit=5, quota_per_day=1000)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_the_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.5)  # one token every 1/rate seconds
    clock.now += 0.5
    assert bucket.take() == 0
    clock.now += 100  # refills up to the burst, never beyond
    assert [bucket.take() == 0 for _ in range(4)] == [True, True, True, False]


def test_daily_quota_resets_with_the_day() -> None:
    day = ["2026-11-21"]
    quota = DailyQuota(2, today=lambda: day[0])
    assert [quota.take(), quota.take(), quota.take()] == [True, True, False]
    day[0] = "2026-11-22"
    assert quota.take()


def test_routes_come_from_the_openapi_document_with_their_function() -> None:
    from platform_core.config import ApiTrigger, get_config

    routes = {(r.method, r.resource): r for r in routes_from_openapi()}
    ingest = {resource for resource, route in routes.items() if route.function == "ingest"}
    assert ingest == {
        ("POST", "/v1/events"),
        ("GET", "/v1/schemas"),
        ("GET", "/v1/schemas/{event_type}"),
        ("GET", "/v1/schemas/{event_type}/{version}"),
    }
    services = get_config().services
    for route in routes.values():  # every other route invokes a declared service with an api trigger
        if route.function != "ingest":
            assert isinstance(services[route.function].trigger, ApiTrigger), route
        assert route.api_key_required or route.authorizer is not None, f"{route.resource} is open"
    for key in (("POST", "/v1/orders"), ("GET", "/v1/orders/{order_id}")):
        authorizer = routes[key].authorizer
        assert routes[key].function == "orders-api" and routes[key].api_key_required
        assert authorizer is not None and authorizer.function == "orders-authorizer"


def test_generated_keys_look_like_api_gateway_keys() -> None:
    keys = generate_api_keys(("orders", "billing"))
    assert {k.team for k in keys.values()} == {"orders", "billing"}
    assert all(len(k.key_id) == 10 and len(k.value) == 40 for k in keys.values())
    assert api_key_teams(keys) == {k.key_id: k.team for k in keys.values()}


class Recorder:
    """A stand-in function that records the events it receives."""

    def __init__(self, response: Any = None, fail: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.response = response or {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": "{}",
        }
        self.fail = fail

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        if self.fail:
            raise RuntimeError("boom")
        self.events.append(event)
        self.contexts.append(context)
        return self.response


@pytest.fixture
def keys() -> Any:
    return generate_api_keys(("orders", "billing"))


def make_gateway(keys: Any, handler: Any, plan: ApiLimits = PLAN) -> LocalApiGateway:
    spec = FunctionSpec(name="ingest", handler="<recorder>", environment={}, timeout_seconds=29)
    function = InProcessFunction(handler, spec)
    # A clock that stands still: the buckets refill only when a test says so.
    return LocalApiGateway(
        functions_with(function),
        keys,
        {"orders": plan, "billing": plan},
        region="eu-west-1",
        stage="dev",
        clock=Clock(),
    )


def test_proxy_event_has_the_documented_shape(keys: Any) -> None:
    function = Recorder()
    with make_gateway(keys, function) as gateway:
        response = requests.post(
            f"{gateway.url}/v1/events?trace=1&trace=2&flag",
            data=b'{"a": 1}',
            headers={"x-api-key": keys["orders"].value, "Content-Type": "application/json", "X-Thing": "t"},
            timeout=10,
        )
    assert response.status_code == 200
    assert response.headers["x-amzn-RequestId"]
    [event] = function.events
    documented = json.loads(FIXTURE.read_text())
    assert set(event) == set(documented)
    # The platform's routes take the team's API key alone: no authorizer, no authorizer context.
    assert set(event["requestContext"]) == set(documented["requestContext"])
    assert set(event["requestContext"]["identity"]) == set(documented["requestContext"]["identity"])
    assert event["resource"] == event["path"] == "/v1/events"
    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    assert event["headers"]["X-Thing"] == "t"
    assert event["multiValueHeaders"]["X-Thing"] == ["t"]
    assert event["queryStringParameters"] == {"trace": "2", "flag": ""}
    assert event["multiValueQueryStringParameters"] == {"trace": ["1", "2"], "flag": [""]}
    identity = event["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == (keys["orders"].value, keys["orders"].key_id)
    assert identity["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["stage"] == "dev"
    assert event["requestContext"]["path"] == "/dev/v1/events"
    assert response.headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]
    context = function.contexts[0]
    assert context.invoked_function_arn.endswith(":function:ingest")
    assert 0 < context.get_remaining_time_in_millis() <= 30_000


def test_path_parameters_and_binary_bodies(keys: Any) -> None:
    function = Recorder()
    with make_gateway(keys, function) as gateway:
        headers = {"x-api-key": keys["billing"].value}
        requests.get(f"{gateway.url}/v1/schemas/orders.order_created/1", headers=headers, timeout=10)
        requests.post(f"{gateway.url}/v1/events", data=b"\xff\xfe", headers=headers, timeout=10)
    first, second = function.events
    assert first["resource"] == "/v1/schemas/{event_type}/{version}"
    assert first["pathParameters"] == {"event_type": "orders.order_created", "version": "1"}
    assert first["body"] is None
    assert (second["body"], second["isBase64Encoded"]) == ("//4=", True)


@pytest.mark.parametrize(
    ("method", "path", "key", "status"),
    [
        ("POST", "/v1/events", None, 401),
        ("POST", "/v1/events", "wrong", 403),
        ("GET", "/v1/nowhere", "orders", 404),
        ("DELETE", "/v1/events", "orders", 405),
    ],
)
def test_gateway_refusals_never_reach_the_function(
    keys: Any, method: str, path: str, key: str | None, status: int
) -> None:
    function = Recorder()
    with make_gateway(keys, function) as gateway:
        headers = {} if key is None else {"x-api-key": keys[key].value if key in keys else key}
        response = requests.request(method, f"{gateway.url}{path}", headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["message"]
    assert function.events == []


def test_throttling_is_per_team_with_retry_after(keys: Any) -> None:
    function = Recorder()
    with make_gateway(keys, function, ApiLimits(rate_limit=0.2, burst_limit=2, quota_per_day=100)) as gateway:
        url = f"{gateway.url}/v1/schemas"
        orders = [
            requests.get(url, headers={"x-api-key": keys["orders"].value}, timeout=10) for _ in range(3)
        ]
        billing = requests.get(url, headers={"x-api-key": keys["billing"].value}, timeout=10)
        stats = gateway.stats()
    assert [r.status_code for r in orders] == [200, 200, 429]
    assert orders[2].headers["Retry-After"] == "5"
    assert orders[2].json()["message"] == "Too Many Requests"
    assert billing.status_code == 200
    assert stats == {"orders": {200: 2, 429: 1}, "billing": {200: 1}}


def test_daily_quota_is_enforced(keys: Any) -> None:
    with make_gateway(
        keys, Recorder(), ApiLimits(rate_limit=100, burst_limit=100, quota_per_day=2)
    ) as gateway:
        headers = {"x-api-key": keys["orders"].value}
        statuses = [requests.get(f"{gateway.url}/v1/schemas", headers=headers, timeout=10) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert statuses[2].json()["message"] == "Limit Exceeded"


@pytest.mark.parametrize("function", [Recorder(fail=True), Recorder(response={"not": "a proxy response"})])
def test_a_failing_function_is_502(keys: Any, function: Recorder) -> None:
    with make_gateway(keys, function) as gateway:
        response = requests.get(
            f"{gateway.url}/v1/schemas", headers={"x-api-key": keys["orders"].value}, timeout=10
        )
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_multi_value_and_base64_responses_are_returned_as_sent(keys: Any) -> None:
    function = Recorder(
        {
            "statusCode": 201,
            "multiValueHeaders": {"Set-Thing": ["a", "b"], "Content-Type": ["application/octet-stream"]},
            "body": "AAEC",
            "isBase64Encoded": True,
        }
    )
    with make_gateway(keys, function) as gateway:
        response = requests.get(
            f"{gateway.url}/v1/schemas", headers={"x-api-key": keys["orders"].value}, timeout=10
        )
    assert response.status_code == 201
    assert response.content == b"\x00\x01\x02"
    assert response.headers["Set-Thing"] == "a, b"

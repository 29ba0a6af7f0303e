"""The orders API's function behind API Gateway's proxy integration, over the local AWS endpoint (moto)
and the real ingest API: placing, idempotent retries, conflicts, refusals, who sees what."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from lambdas.orders import api_handler
from lambdas.orders.authorization import API_KEY, CUSTOMER, PARTNER, Caller
from lambdas.orders.placing import OrderDesk
from lambdas.orders.store import DynamoOrderStore
from local_platform.emulators.odoo import STOCKOSS_CATALOG
from platform_core.aws import client
from platform_core.lambda_context import LocalLambdaContext
from platform_core.producer import EventProducer, derived_event_id
from platform_core.registry import get_registry
from tests.fixtures.aws import RunningGateway
from tests.fixtures.orders import api_event, order_request, orders_tables

pytestmark = pytest.mark.integration

PRICES = {sku: (Decimal(price), Decimal(rate)) for sku, (_, price, rate, _) in STOCKOSS_CATALOG.items()}
ANN = Caller(CUSTOMER, "web-app", "cust-ann", frozenset({"read", "write"}))
BOB = Caller(CUSTOMER, "web-app", "cust-bob", frozenset({"read", "write"}))
ACME = Caller(PARTNER, "partner-demo", "partner-demo", frozenset({"read", "write"}))


@pytest.fixture
def orders_api(ingest_gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    tables = orders_tables(ingest_gateway.resources)
    desk = OrderDesk(
        DynamoOrderStore(client("dynamodb"), tables["orders"]),
        EventProducer(ingest_gateway.url, ingest_gateway.api_keys["orders"].value),
        get_registry(),
    )
    monkeypatch.setattr(api_handler, "desk", lambda: desk)
    yield ingest_gateway


def call(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = api_handler.lambda_handler(event, LocalLambdaContext("orders-api", "eu-west-1"))
    body = json.loads(response["body"]) if response.get("body") else None
    headers = {**(response.get("headers") or {})}
    headers.update({k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()})
    return response["statusCode"], headers, body


def post(caller: Caller | None, body: Any, **headers: str) -> tuple[int, dict[str, str], Any]:
    return call(api_event("POST", "/v1/orders", caller, body=body, headers=headers))


def get(caller: Caller | None, order_id: str) -> tuple[int, dict[str, str], Any]:
    path = f"/v1/orders/{order_id}"
    return call(
        api_event("GET", path, caller, resource="/v1/orders/{order_id}", path_params={"order_id": order_id})
    )


def stored_event(gateway: RunningGateway, event_id: str) -> dict[str, Any] | None:
    item = (
        client("dynamodb")
        .get_item(
            TableName=gateway.resources.events_table,
            Key={"pk": {"S": f"orders#{event_id}"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return json.loads(item["envelope"]["S"]) if item else None


def test_a_customer_places_an_order_and_follows_it(orders_api: RunningGateway) -> None:
    request = order_request(PRICES, [("SKU-LAMP-LED", 2)])
    status, headers, order = post(ANN, request, **{"X-Correlation-Id": "checkout-7"})
    assert status == 202 and order["status"] == "received"
    assert headers["Location"] == f"/v1/orders/{order['order_id']}"
    event = stored_event(orders_api, str(derived_event_id(order["order_id"], "orders.order_created")))
    assert event is not None and event["schema_version"] == "2" and event["correlation_id"] == "checkout-7"
    assert event["payload"]["placed_by"] == {
        "kind": "customer",
        "client_id": "web-app",
        "subject": "cust-ann",
    }
    assert event["payload"]["customer_id"] == "cust-ann" and event["payload"]["channel"] == "web"
    status, _, again = get(ANN, order["order_id"])
    assert status == 200 and again == order


@pytest.mark.parametrize("header", ["has spaces", "x" * 200, "<script>", "-leading-dash"])
def test_an_unusable_correlation_id_is_replaced_by_the_request_id(
    orders_api: RunningGateway, header: str
) -> None:
    event = api_event(
        "POST",
        "/v1/orders",
        ANN,
        body=order_request(PRICES, [("SKU-LAMP-LED", 1)]),
        headers={"X-Correlation-Id": header},
    )
    request_id = event["requestContext"]["requestId"]
    status, headers, order = call(event)
    assert status == 202, order
    assert headers["X-Correlation-Id"] == request_id
    stored = stored_event(orders_api, str(derived_event_id(order["order_id"], "orders.order_created")))
    assert stored is not None and stored["correlation_id"] == request_id


def test_a_retried_post_is_the_same_order_and_no_second_event(orders_api: RunningGateway) -> None:
    request = order_request(PRICES, [("SKU-MUG-SET", 1)], client_order_ref="CART-RETRY-1")
    first, second = post(ANN, request), post(ANN, request)
    assert first[0] == second[0] == 202 and first[2]["order_id"] == second[2]["order_id"]
    items = client("dynamodb").scan(TableName=orders_api.resources.events_table)["Items"]
    assert (
        sum(1 for item in items if json.loads(item["envelope"]["S"])["event_type"] == "orders.order_created")
        == 1
    )


def test_the_same_reference_with_another_order_is_a_conflict(orders_api: RunningGateway) -> None:
    assert post(ANN, order_request(PRICES, [("SKU-MUG-SET", 1)], client_order_ref="CART-9"))[0] == 202
    status, _, body = post(ANN, order_request(PRICES, [("SKU-MUG-SET", 5)], client_order_ref="CART-9"))
    assert status == 409 and "CART-9" in body["message"]
    # Another customer's CART-9 is another order.
    assert post(BOB, order_request(PRICES, [("SKU-MUG-SET", 5)], client_order_ref="CART-9"))[0] == 202


def test_an_invalid_order_is_refused_with_every_reason(orders_api: RunningGateway) -> None:
    request = order_request(PRICES, [("SKU-MUG-SET", 0)])
    request["buyer"]["email"] = "not-an-email"
    request["customer_id"] = "someone-else"  # the identity never comes from the body
    status, _, body = post(ANN, request)
    assert status == 400
    assert {r["path"] for r in body["reasons"]} == {"body", "body.buyer.email", "body.lines[0].quantity"}
    assert post(ANN, b"{not json")[0] == 400


def test_a_french_business_buyer_needs_its_siren(orders_api: RunningGateway) -> None:
    request = order_request(PRICES, [("SKU-MUG-SET", 1)])
    request["buyer"]["kind"] = "business"
    status, _, body = post(ANN, request)
    assert status == 400
    assert body["reasons"] == [{"path": "body.buyer", "message": '"siren" is a required property'}]


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        (None, 401),
        (Caller(API_KEY, "", "", frozenset()), 403),
        (Caller(CUSTOMER, "web-app", "cust-ann", frozenset({"read"})), 403),
    ],
)
def test_callers_without_the_write_scope_cannot_place_orders(
    orders_api: RunningGateway, caller: Caller | None, status: int
) -> None:
    assert post(caller, order_request(PRICES, [("SKU-MUG-SET", 1)]))[0] == status


def test_only_the_client_that_placed_an_order_sees_it(orders_api: RunningGateway) -> None:
    _, _, order = post(ANN, order_request(PRICES, [("SKU-MUG-SET", 1)]))
    assert get(BOB, order["order_id"])[0] == 404
    assert get(ACME, order["order_id"])[0] == 404
    assert get(ANN, "ORD-NOPE")[0] == 404


def test_a_partner_orders_for_its_buyers_under_its_own_customer_ids(orders_api: RunningGateway) -> None:
    _, _, order = post(ACME, order_request(PRICES, [("SKU-MUG-SET", 1)]))
    event = stored_event(orders_api, str(derived_event_id(order["order_id"], "orders.order_created")))
    assert event is not None
    assert event["payload"]["customer_id"].startswith("partner-demo.")
    assert event["payload"]["channel"] == "api" and event["payload"]["placed_by"]["kind"] == "partner"
    assert get(ACME, order["order_id"])[0] == 200


def test_when_the_platform_is_down_the_order_waits_for_the_clients_retry(
    orders_api: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    working = api_handler.desk()
    down = OrderDesk(working._store, EventProducer("http://127.0.0.1:9", "k", retries=0), get_registry())
    monkeypatch.setattr(api_handler, "desk", lambda: down)
    request = order_request(PRICES, [("SKU-LAMP-LED", 1)])
    status, headers, _ = post(ANN, request)
    assert status == 503 and headers["Retry-After"] == "2"
    monkeypatch.setattr(api_handler, "desk", lambda: working)
    status, _, order = post(ANN, request)  # the client's retry: same order, its event emitted now
    assert status == 202
    assert stored_event(orders_api, str(derived_event_id(order["order_id"], "orders.order_created")))

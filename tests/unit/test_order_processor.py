"""The orders team's order state machine and its consumer handler (in-memory store)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdas.order_processor.handler import build_handler
from lambdas.order_processor.orders import NotYet, OrderState, Rejected, apply
from lambdas.order_processor.service import OrderProcessor
from lambdas.order_processor.store import Conflict, InMemoryOrderStore
from platform_core.envelope import Event
from platform_core.lambda_context import LocalLambdaContext
from tools.traffic import TrafficGenerator


def lifecycle(seed: int, cancelled: bool = False) -> dict[str, Event]:
    """One order's events by type, as the traffic generator makes them (consistent business data)."""
    generator = TrafficGenerator(seed=seed)
    for _ in range(200):
        flow = {raw["event_type"]: (team, raw) for team, raw in generator.order_flow()}
        if ("orders.order_cancelled" in flow) == cancelled:
            return {
                t: Event.model_validate(
                    {
                        **raw,
                        "team": team,
                        "received_at": datetime.now(UTC),
                        "ingest_id": "r",
                        "correlation_id": "c",
                    }
                )
                for t, (team, raw) in flow.items()
            }
    raise AssertionError("no such lifecycle")


def test_created_reserved_invoiced() -> None:
    events = lifecycle(1)
    order = apply(None, events["orders.order_created"])
    assert order is not None and order.state is OrderState.CREATED
    order = apply(order, events["orders.stock_reserved"])
    assert order is not None and order.state is OrderState.RESERVED
    order = apply(order, events["billing.invoice_issued"])
    assert order is not None and order.state is OrderState.INVOICED
    assert [state for state, _ in order.history] == ["created", "reserved", "invoiced"]


def test_an_event_applies_once() -> None:
    events = lifecycle(2)
    order = apply(None, events["orders.order_created"])
    assert apply(order, events["orders.order_created"]) is None


def test_out_of_order_events_wait_for_their_predecessor() -> None:
    events = lifecycle(3)
    with pytest.raises(NotYet):
        apply(None, events["orders.stock_reserved"])
    created = apply(None, events["orders.order_created"])
    with pytest.raises(NotYet):
        apply(created, events["billing.invoice_issued"])


def test_cancel_before_invoicing_and_never_after() -> None:
    events = lifecycle(4, cancelled=True)
    order = apply(None, events["orders.order_created"])
    order = apply(order, events["orders.stock_reserved"])
    cancelled = apply(order, events["orders.order_cancelled"])
    assert cancelled is not None and cancelled.state is OrderState.CANCELLED
    invoiced = lifecycle(5)
    order = apply(None, invoiced["orders.order_created"])
    order = apply(order, invoiced["orders.stock_reserved"])
    order = apply(order, invoiced["billing.invoice_issued"])
    cancel = lifecycle(5, cancelled=True)["orders.order_cancelled"]
    with pytest.raises(Rejected, match="credit note"):
        apply(order, cancel.model_copy(update={"payload": {**cancel.payload, "order_id": order.order_id}}))


def test_business_rules_reject_inconsistent_events() -> None:
    events = lifecycle(6)
    order = apply(None, events["orders.order_created"])
    reserved = events["orders.stock_reserved"]
    short = {**reserved.payload, "lines": reserved.payload["lines"][:1] or reserved.payload["lines"]}
    short["lines"] = [{**short["lines"][0], "quantity": short["lines"][0]["quantity"] + 1}]
    with pytest.raises(Rejected, match="ordered lines"):
        apply(order, reserved.model_copy(update={"payload": short, "event_id": uuid.uuid4()}))
    order = apply(order, reserved)
    invoice = events["billing.invoice_issued"]
    wrong = {**invoice.payload, "total": {"amount": "0.01", "currency": "EUR"}}
    with pytest.raises(Rejected, match="differs"):
        apply(order, invoice.model_copy(update={"payload": wrong}))


def test_the_store_refuses_a_stale_write() -> None:
    store = InMemoryOrderStore()
    processor = OrderProcessor(store, "ns")
    events = lifecycle(7)
    processor.handle(events["orders.order_created"].model_dump_json())
    stale = store.orders[next(iter(store.orders))]
    processor.handle(events["orders.stock_reserved"].model_dump_json())
    with pytest.raises(Conflict):
        store.save(stale.__class__(**{**stale.__dict__, "version": stale.version + 1}))


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": "rh",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {"correlation_id": {"stringValue": "c", "dataType": "String"}},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
                "awsRegion": "eu-west-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def test_the_handler_reports_only_the_messages_that_failed() -> None:
    events = lifecycle(8)
    processor = OrderProcessor(InMemoryOrderStore(), "ns")
    handler = build_handler(lambda: processor)
    bodies = [
        events["orders.stock_reserved"].model_dump_json(),  # before its order: retried later
        events["orders.order_created"].model_dump_json(),
        "garbage",  # poison: retried until the DLQ
        events["orders.order_created"].model_dump_json(),  # duplicate: fine
    ]
    response = handler(sqs_event(bodies), LocalLambdaContext("orders"))
    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == {"m0", "m2"}
    response = handler(sqs_event(bodies[:1]), LocalLambdaContext("orders"))
    assert response == {"batchItemFailures": []}

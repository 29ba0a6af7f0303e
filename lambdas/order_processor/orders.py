"""The orders team's order state machine: created -> reserved -> invoiced, or cancelled before invoicing.

Pure logic, no I/O. SQS standard queues do not keep order, so an event may
arrive before the one it follows (a reservation before its order): that is
`NotYet` (retry later; the message comes back after the visibility timeout).
An event that breaks a business rule is `Rejected`: it will never apply, and
after maxReceiveCount receives the queue's redrive policy parks it in the DLQ
for a human. Each event is applied at most once: its id is remembered in
the order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from platform_core.envelope import Event

ORDER_CREATED = "orders.order_created"
STOCK_RESERVED = "orders.stock_reserved"
ORDER_CANCELLED = "orders.order_cancelled"
INVOICE_ISSUED = "billing.invoice_issued"
HANDLED_TYPES = frozenset({ORDER_CREATED, STOCK_RESERVED, ORDER_CANCELLED, INVOICE_ISSUED})


class OrderState(StrEnum):
    CREATED = "created"
    RESERVED = "reserved"
    INVOICED = "invoiced"
    CANCELLED = "cancelled"


class NotYet(Exception):
    """The event depends on one not seen yet: retry later."""


class Rejected(Exception):
    """The event can never apply (a business rule says no): it belongs in the DLQ."""


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    state: OrderState
    total: tuple[Decimal, str]  # amount, currency
    lines: dict[str, int]  # sku -> quantity
    applied_event_ids: frozenset[str] = frozenset()
    version: int = 0
    history: tuple[tuple[str, str], ...] = field(default=())  # (state, event_id)


def _money(value: dict[str, Any]) -> tuple[Decimal, str]:
    return Decimal(value["amount"]), value["currency"]


def apply(order: Order | None, event: Event) -> Order | None:
    """The order after the event; None when the event changes nothing (already applied)."""
    event_id = str(event.event_id)
    payload = event.payload
    if order is not None and event_id in order.applied_event_ids:
        return None
    match event.event_type:
        case "orders.order_created":
            if order is not None:
                raise Rejected(f"order {order.order_id} already exists (created by another event)")
            lines: dict[str, int] = {}
            for line in payload["lines"]:
                lines[line["sku"]] = lines.get(line["sku"], 0) + int(line["quantity"])
            total = _money(payload["total"])
            computed = sum(
                (Decimal(line["unit_price"]["amount"]) * int(line["quantity"]) for line in payload["lines"]),
                Decimal(0),
            )
            if any(line["unit_price"]["currency"] != total[1] for line in payload["lines"]):
                raise Rejected("order lines are priced in a currency other than the order total")
            if computed > total[0]:
                raise Rejected(f"order total {total[0]} is below the sum of its lines {computed}")
            return Order(
                order_id=payload["order_id"],
                customer_id=payload["customer_id"],
                state=OrderState.CREATED,
                total=total,
                lines=lines,
                applied_event_ids=frozenset({event_id}),
                history=((OrderState.CREATED.value, event_id),),
            )
        case "orders.stock_reserved":
            order = _existing(order, event)
            if order.state is OrderState.CANCELLED:
                return _remember(order, event_id)  # a late reservation of a cancelled order changes nothing
            if order.state is not OrderState.CREATED:
                raise Rejected(f"stock reserved for an order that is already {order.state}")
            reserved: dict[str, int] = {}
            for line in payload["lines"]:
                reserved[line["sku"]] = reserved.get(line["sku"], 0) + int(line["quantity"])
            if reserved != order.lines:
                raise Rejected("the reservation does not hold the ordered lines")
            return _move(order, OrderState.RESERVED, event_id)
        case "billing.invoice_issued":
            order = _existing(order, event)
            if order.state is OrderState.CREATED:
                raise NotYet("invoice issued before the stock reservation was seen")
            if order.state is not OrderState.RESERVED:
                raise Rejected(f"invoice issued for an order that is {order.state}")
            if _money(payload["total"]) != order.total:
                raise Rejected(f"invoice total {payload['total']} differs from the order total")
            return _move(order, OrderState.INVOICED, event_id)
        case "orders.order_cancelled":
            order = _existing(order, event)
            if order.state is OrderState.CANCELLED:
                return _remember(order, event_id)
            if order.state is OrderState.INVOICED:
                raise Rejected("an invoiced order cannot be cancelled (it needs a credit note)")
            return _move(order, OrderState.CANCELLED, event_id)
        case _:
            raise Rejected(f"the order processor does not handle {event.event_type}")


def _existing(order: Order | None, event: Event) -> Order:
    if order is None:
        raise NotYet(f"{event.event_type} for order {event.payload.get('order_id')} arrived before the order")
    return order


def _remember(order: Order, event_id: str) -> Order:
    return replace(order, applied_event_ids=order.applied_event_ids | {event_id})


def _move(order: Order, state: OrderState, event_id: str) -> Order:
    return replace(
        _remember(order, event_id),
        state=state,
        history=(*order.history, (state.value, event_id)),
    )

"""One event from the orders team's queue, to what it means for an order.

- `orders.order_created` v2 (placed through the orders API): run the saga.
  The order's record is normally there already (the API writes it before it
  emits); one placed by another producer of the team gets its record here.
- `billing.invoice_issued`: the order's timeline records its invoice.
- anything else, and order_created v1 (placed outside the orders API, with no
  buyer to invoice): nothing to do for the saga; acknowledged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from lambdas.orders.model import ORDER_CREATED, ORDER_CREATED_VERSION
from lambdas.orders.runner import SagaRunner
from lambdas.orders.saga import SagaState
from lambdas.orders.store import Conflict, OrderRecord, OrderStore, PlacedBy
from platform_core.envelope import Event

INVOICE_ISSUED = "billing.invoice_issued"


class NotAnEvent(Exception):
    """The message is not a platform event: retrying cannot help (the queue's DLQ is its place)."""


def record_from_event(event: Event) -> OrderRecord:
    payload = event.payload
    placed_by = payload["placed_by"]
    return OrderRecord(
        order_id=payload["order_id"],
        placed_by=PlacedBy(placed_by["kind"], placed_by["client_id"], placed_by["subject"]),
        client_order_ref=payload["client_order_ref"],
        customer_id=payload["customer_id"],
        request_hash=hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest(),
        payload=payload,
        placed_at=event.occurred_at.isoformat(),
        saga=SagaState(order_id=payload["order_id"]),
    )


class OrderEvents:
    def __init__(self, store: OrderStore, runner: SagaRunner):
        self._store = store
        self._runner = runner

    def handle(self, body: str) -> str:
        """What the event did (for logs and metrics). Raises Deferred when the order must wait."""
        try:
            event = Event.from_json(body)
        except ValueError as exc:
            raise NotAnEvent(f"message body is not a stored platform event: {exc}") from exc
        if event.event_type == ORDER_CREATED:
            if event.schema_version != ORDER_CREATED_VERSION:
                return "ignored: order_created v1 (placed outside the orders API)"
            order_id = str(event.payload["order_id"])
            if self._store.get(order_id) is None:
                self._store.create(record_from_event(event))  # False: created meanwhile, same order
            return self._runner.run(order_id, event.correlation_id).stage.value
        if event.event_type == INVOICE_ISSUED:
            return self._invoiced(event)
        return f"ignored: {event.event_type}"

    def _invoiced(self, event: Event) -> str:
        order_id = str(event.payload.get("order_id", ""))
        number = str(event.payload.get("invoice_number", ""))
        for _ in range(5):
            record = self._store.get(order_id)
            if record is None:
                return "ignored: invoice of an order not placed through the orders API"
            if record.invoice is not None:
                return "invoiced (already recorded)"
            try:
                self._store.save(replace(record, invoice=(number, event.occurred_at.isoformat())))
            except Conflict:
                continue  # the saga wrote meanwhile: read again
            return "invoiced"
        raise Conflict(f"order {order_id} kept changing while its invoice was recorded")

"""One delivered event -> the order state machine -> the store."""

from __future__ import annotations

from dataclasses import replace

from lambdas.order_processor.orders import HANDLED_TYPES, Rejected, apply
from lambdas.order_processor.store import OrderStore
from platform_core.envelope import Event


class OrderProcessor:
    def __init__(self, store: OrderStore, metrics_namespace: str):
        self._store = store
        self.metrics_namespace = metrics_namespace

    def handle(self, body: str) -> str:
        """Apply one SQS message body (the stored event); what happened, for logs and metrics.

        Raises NotYet or Conflict (retry later), Rejected (never: the DLQ's business).
        """
        try:
            event = Event.model_validate_json(body)
        except ValueError as exc:
            raise Rejected(f"message body is not a stored event: {exc}") from exc
        if event.event_type not in HANDLED_TYPES:
            raise Rejected(f"the orders queue should not receive {event.event_type}")
        order_id = event.payload.get("order_id")
        if not isinstance(order_id, str):
            raise Rejected("the payload has no order_id")
        current = self._store.get(order_id)
        updated = apply(current, event)
        if updated is None:
            return "duplicate"
        self._store.save(replace(updated, version=(current.version if current else 0) + 1))
        return updated.state.value

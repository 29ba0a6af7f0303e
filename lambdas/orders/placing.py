"""Placing and reading orders (the orders API's rules), independent of HTTP.

Placing is idempotent per client and `client_order_ref` (per customer of an
app, per partner): the order id is derived from both, the order's record is written once (conditionally), and
`orders.order_created` carries an id derived from the order, so a client that
retries after a timeout gets the same order, not a second one. The same
reference with a different body is a conflict (409), never a silent overwrite.
The record is written before the event is emitted: a crash in between leaves
a record whose event the client's retry emits; the saga also creates a missing
record from the event, for orders placed by other producers of the team.

Who placed the order comes from the authorizer (the token or the key), never
from the body: a customer orders for themself (the customer id is the
token's subject); a partner orders for its buyers (their customer id is scoped
by the partner).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs

from lambdas.orders import events
from lambdas.orders.authorization import CUSTOMER, PARTNER, Caller
from lambdas.orders.model import order_id_for, request_schema
from lambdas.orders.saga import SagaState
from lambdas.orders.store import OrderRecord, OrderStore, PlacedBy
from platform_core.producer import Emitter
from platform_core.registry import Reason, SchemaRegistry

WRITE, READ = "write", "read"


class Refused(Exception):
    """The request is refused with an HTTP status and a message (and, for 400, the reasons)."""

    def __init__(self, status: int, message: str, reasons: Sequence[Reason] = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reasons = list(reasons)


@dataclass(frozen=True)
class Placed:
    record: OrderRecord
    new: bool  # False: the same request again (a retry), answered with the same order


def _reference_scope(caller: Caller) -> str:
    """Whose references a client_order_ref is unique among: a partner's, or one customer's of an app."""
    return caller.client if caller.kind == PARTNER else f"{caller.client}/{caller.subject}"


def customer_id_of(caller: Caller, buyer: dict[str, Any]) -> str:
    if caller.kind == CUSTOMER:
        return caller.subject
    # A partner's buyers: scoped by the partner, stable per buyer e-mail, never another client's customer.
    digest = hashlib.sha256(str(buyer["email"]).lower().encode()).hexdigest()[:16]
    return f"{caller.client}.{digest}"


class OrderDesk:
    def __init__(
        self,
        store: OrderStore,
        emitter: Emitter,
        registry: SchemaRegistry,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._store = store
        self._emitter = emitter
        self._validator = jsonschema_rs.Draft202012Validator(request_schema(registry), validate_formats=True)
        self._clock = clock

    @staticmethod
    def require(caller: Caller | None, scope: str) -> Caller:
        if caller is None:
            raise Refused(401, "no authenticated caller (the route's authorizer did not run)")
        if caller.kind not in (CUSTOMER, PARTNER):
            raise Refused(403, "this API key is not a client of the orders API")
        if scope not in caller.scopes:
            raise Refused(403, f"the credentials lack the scope {scope!r}")
        return caller

    def validate(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Refused(400, "the body must be a JSON object (an order)")
        if not self._validator.is_valid(body):
            reasons = [
                Reason(_path(error.instance_path), error.message)
                for error in sorted(
                    self._validator.iter_errors(body), key=lambda e: tuple(map(str, e.instance_path))
                )
            ]
            raise Refused(400, "the order is not valid", reasons)
        return body

    def place(self, caller: Caller, body: dict[str, Any], correlation_id: str | None) -> Placed:
        request = self.validate(body)
        order_id = order_id_for(_reference_scope(caller), request["client_order_ref"])
        customer_id = customer_id_of(caller, request["buyer"])
        shipping = (request.get("delivery_address") or request["buyer"]["address"])["country"]
        payload = {
            **request,
            "order_id": order_id,
            "placed_by": {"kind": caller.kind, "client_id": caller.client, "subject": caller.subject},
            "customer_id": customer_id,
            "channel": "web" if caller.kind == CUSTOMER else "api",
            "shipping_country": shipping,
        }
        now = self._clock()
        record = OrderRecord(
            order_id=order_id,
            placed_by=PlacedBy(caller.kind, caller.client, caller.subject),
            client_order_ref=request["client_order_ref"],
            customer_id=customer_id,
            request_hash=hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest(),
            payload=payload,
            placed_at=now.isoformat(),
            saga=SagaState(order_id=order_id),
        )
        new = self._store.create(record)
        if not new:
            existing = self._store.get(order_id)
            if existing is None:  # created and gone within the call: never happens, orders are not deleted
                raise Refused(503, "the order could not be read back; retry the same request")
            if existing.request_hash != record.request_hash:
                raise Refused(
                    409, f"client_order_ref {request['client_order_ref']!r} names another order ({order_id})"
                )
            record = existing
        # Emitted on every call: a retry after a crash between the write and the emit sends it; otherwise
        # the platform answers `duplicate` (the same derived event id).
        placed_at = datetime.fromisoformat(record.placed_at)
        self._emitter.emit([events.order_created(record.payload, placed_at)], correlation_id)
        return Placed(record, new)

    def read(self, caller: Caller, order_id: str) -> OrderRecord:
        record = self._store.get(order_id)
        # Someone else's order is answered as if it did not exist: its existence is not the caller's business.
        if record is None or not _visible(caller, record):
            raise Refused(404, f"no order {order_id}")
        return record


def _visible(caller: Caller, record: OrderRecord) -> bool:
    placed = record.placed_by
    if caller.kind == CUSTOMER:
        return placed.kind == CUSTOMER and placed.subject == caller.subject
    return placed.kind == PARTNER and placed.client_id == caller.client


def _path(parts: Sequence[Any]) -> str:
    path = "body"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def view(record: OrderRecord) -> dict[str, Any]:
    """The order as `GET /v1/orders/{id}` shows it: status, what was ordered, and its timeline."""
    saga = record.saga
    payload = record.payload
    body: dict[str, Any] = {
        "order_id": record.order_id,
        "client_order_ref": record.client_order_ref,
        "status": record.status,
        "placed_at": record.placed_at,
        "lines": payload["lines"],
        "total": payload["total"],
        "timeline": [{"status": "received", "at": record.placed_at}]
        + [{"status": stage, "at": at} for stage, at in saga.history],
    }
    if saga.sale_order_name and saga.sale_order_id is not None:
        body["sale_order"] = saga.sale_order_name
    if saga.rejection is not None:
        body["rejection"] = {
            "reason": saga.rejection.reason.value,
            "detail": saga.rejection.detail,
            "shortages": [
                {"sku": s.sku, "requested": s.requested, "available": s.available}
                for s in saga.rejection.shortages
            ],
            "compensations": [{"action": action, "reference": ref} for action, ref in saga.compensations],
        }
    if record.invoice is not None:
        body["invoice"] = {"number": record.invoice[0], "issued_at": record.invoice[1]}
        body["timeline"].append({"status": "invoiced", "at": record.invoice[1]})
    return body

"""Realistic StockOSS traffic: order lifecycles across the three teams, seedable, plus bad input.

One order's life: `orders.order_created` -> `orders.stock_reserved` ->
`orders.order_confirmed` -> `billing.invoice_requested` (orders team) ->
`billing.invoice_issued` (billing) -> `documents.document_uploaded` (the
invoice PDF, documents team) and `notifications.notification_requested`
(orders team); about one order in ten is cancelled after the reservation
instead (`orders.order_cancelled`), one in twenty rejected for want of stock
(`orders.order_rejected`).
Payloads carry consistent business data (the invoice total is the order total,
the reservation holds the ordered lines). The same seed gives the same events.

`TrafficGenerator.mix()` adds what real producers also send: retries of
events already sent (same event_id) and invalid events (each mutation is one
a client really makes, and is rejected with a known reason). The demo, the
benchmarks and the load generator all draw from here.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import requests

from platform_core.config import PlatformConfig, get_config

SOURCES = {"orders": "order-service", "billing": "billing-service", "documents": "document-service"}
CATALOG = {  # sku -> unit price (EUR)
    "SKU-CHAIR-OAK": Decimal("149.00"),
    "SKU-DESK-180": Decimal("499.90"),
    "SKU-LAMP-LED": Decimal("39.99"),
    "SKU-SHELF-5": Decimal("89.50"),
    "SKU-RUG-200": Decimal("210.00"),
    "SKU-MUG-SET": Decimal("24.90"),
    "SKU-SOFA-3P": Decimal("1299.00"),
    "SKU-CABLE-USB": Decimal("9.99"),
}
COUNTRIES = {
    "FR": ("fr-FR", Decimal("0.20")),
    "DE": ("de-DE", Decimal("0.19")),
    "ES": ("es-ES", Decimal("0.21")),
}
CHANNELS = ("web", "web", "web", "mobile", "mobile", "store", "api", "marketplace")
WAREHOUSES = ("WH-PAR-1", "WH-LYO-2", "WH-BER-1")
CANCEL_REASONS = ("customer_request", "payment_failed", "out_of_stock", "fraud_suspected")
CENT = Decimal("0.01")
REJECTED_EVERY = 20  # one order in twenty is rejected by the saga (out of stock)


class Kind(StrEnum):
    """What a sent event is, hence the verdict the platform must give it."""

    VALID = "valid"  # -> accepted
    DUPLICATE = "duplicate"  # a retry of an event already sent -> duplicate
    INVALID = "invalid"  # -> rejected


@dataclass(frozen=True)
class Sent:
    team: str
    event: dict[str, Any]
    kind: Kind
    mutation: str | None = None  # for INVALID: which mutation made it invalid


def _money(amount: Decimal, currency: str = "EUR") -> dict[str, str]:
    return {"amount": str(amount.quantize(CENT)), "currency": currency}


HISTORY = timedelta(minutes=5)


class TrafficGenerator:
    def __init__(self, seed: int = 0, config: PlatformConfig | None = None, start: datetime | None = None):
        self._rng = random.Random(seed)
        self._config = config or get_config()
        # Without an explicit start the simulated business clock begins a few minutes
        # back and never runs ahead of the wall clock, so occurred_at precedes
        # received_at as it does for real producers.
        self._follow_wall_clock = start is None
        self._clock = start or datetime.now(UTC).replace(microsecond=0) - HISTORY
        self._orders = 0
        self._invoices = 0
        # Business ids are sequential within a generator and carry a series drawn from
        # the seed, so generators with different seeds never reuse an order or invoice id.
        self._series = self._rng.randint(1000, 9999)

    # -- the envelope ----------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _tick(self) -> datetime:
        self._clock += timedelta(milliseconds=self._rng.randint(5, 900))
        if self._follow_wall_clock:
            self._clock = min(self._clock, datetime.now(UTC))
        return self._clock

    def envelope(
        self, event_type: str, payload: dict[str, Any], at: datetime | None = None
    ) -> tuple[str, dict]:
        """(producing team, event) for a payload, with a fresh event_id."""
        team = self._config.producer_of(event_type)
        if team is None:
            raise ValueError(f"no team produces {event_type} in the platform configuration")
        event = {
            "event_id": self._uuid(),
            "event_type": event_type,
            "schema_version": "1",
            "occurred_at": (at or self._tick()).isoformat(),
            "source": SOURCES.get(team, f"{team}-service"),
            "payload": payload,
        }
        return team, event

    # -- one order's lifecycle -------------------------------------------------

    def order_flow(self) -> list[tuple[str, dict[str, Any]]]:
        rng = self._rng
        self._orders += 1
        year = self._clock.year
        order_id = f"ORD-{year}-{self._series}-{self._orders:06d}"
        customer_id = f"CUST-{rng.randint(1, 50_000):06d}"
        country = rng.choice(list(COUNTRIES))
        locale, vat_rate = COUNTRIES[country]
        skus = rng.sample(list(CATALOG), k=rng.randint(1, 4))
        quantities = {sku: rng.randint(1, 3) for sku in skus}
        lines: list[dict[str, Any]] = [
            {
                "sku": sku,
                "quantity": quantities[sku],
                "unit_price": _money(CATALOG[sku]),
                "description": sku[4:].title(),
            }
            for sku in skus
        ]
        total = sum((CATALOG[sku] * quantity for sku, quantity in quantities.items()), Decimal(0))
        flow = [
            self.envelope(
                "orders.order_created",
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "channel": rng.choice(CHANNELS),
                    "lines": lines,
                    "total": _money(total),
                    "shipping_country": country,
                },
            )
        ]
        if self._orders % REJECTED_EVERY == 0:
            flow.append(self._rejected(flow[0][1]["payload"]))
            return flow
        reserved_at = self._tick()
        flow.append(
            self.envelope(
                "orders.stock_reserved",
                {
                    "order_id": order_id,
                    "reservation_id": f"RES-{self._series}-{self._orders:06d}",
                    "warehouse_id": rng.choice(WAREHOUSES),
                    "lines": [{"sku": line["sku"], "quantity": line["quantity"]} for line in lines],
                    "expires_at": (reserved_at + timedelta(minutes=30)).isoformat(),
                },
                at=reserved_at,
            )
        )
        if rng.random() < 0.1:
            reason = rng.choice(CANCEL_REASONS)
            cancelled: dict[str, Any] = {
                "order_id": order_id,
                "customer_id": customer_id,
                "reason": reason,
                "cancelled_by": "system" if reason in ("payment_failed", "fraud_suspected") else "customer",
            }
            if reason == "customer_request":
                cancelled["refund"] = _money(total)
            flow.append(self.envelope("orders.order_cancelled", cancelled))
            return flow

        flow.append(self._confirmed(flow[0][1]["payload"], vat_rate))
        flow.append(
            self.envelope(
                "billing.invoice_requested",
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "amount": _money(total),
                    "payment_terms_days": rng.choice((0, 14, 30, 30, 45)),
                    "billing_country": country,
                },
            )
        )
        self._invoices += 1
        invoice_number = f"INV-{year}-{self._series}{self._invoices:06d}"
        net = (total / (1 + vat_rate)).quantize(CENT)
        issued_at = self._tick()
        flow.append(
            self.envelope(
                "billing.invoice_issued",
                {
                    "invoice_id": f"inv_{self._series}_{self._invoices:06d}",
                    "invoice_number": invoice_number,
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "net": _money(net),
                    "tax": _money(total - net),
                    "total": _money(total),
                    "issued_at": issued_at.isoformat(),
                    "due_date": (issued_at + timedelta(days=30)).date().isoformat(),
                },
                at=issued_at,
            )
        )
        file_name = f"{invoice_number}.pdf"
        flow.append(
            self.envelope(
                "documents.document_uploaded",
                {
                    "document_id": f"DOC-{self._series}-{self._invoices:06d}",
                    "document_type": "invoice",
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "file_name": file_name,
                    "content_type": "application/pdf",
                    "size_bytes": rng.randint(40_000, 400_000),
                    "sha256": hashlib.sha256(f"{invoice_number}:{rng.random()}".encode()).hexdigest(),
                    "storage_uri": f"s3://stockoss-documents/invoices/{year}/{file_name}",
                },
            )
        )
        flow.append(
            self.envelope(
                "notifications.notification_requested",
                {
                    "notification_id": f"NOTIF-{self._series}-{self._invoices:06d}",
                    "customer_id": customer_id,
                    "channel": rng.choice(("email", "email", "sms", "push")),
                    "template": "invoice_issued",
                    "locale": locale,
                    "order_id": order_id,
                    "variables": {"invoice_number": invoice_number, "total": str(total.quantize(CENT))},
                },
            )
        )
        return flow

    def _confirmed(self, created: dict[str, Any], vat_rate: Decimal) -> tuple[str, dict[str, Any]]:
        """The saga's confirmation: the ERP's net prices (catalog prices include VAT)."""
        lines = []
        for line in created["lines"]:
            unit = (Decimal(line["unit_price"]["amount"]) / (1 + vat_rate)).quantize(CENT)
            lines.append(
                {
                    "sku": line["sku"],
                    "quantity": line["quantity"],
                    "unit_price": _money(unit),
                    "vat_rate": format((vat_rate * 100).normalize(), "f"),
                    "net": _money(unit * line["quantity"]),
                }
            )
        net = sum((Decimal(line["net"]["amount"]) for line in lines), Decimal(0))
        total = Decimal(created["total"]["amount"])
        return self.envelope(
            "orders.order_confirmed",
            {
                "order_id": created["order_id"],
                "client_order_ref": created["order_id"],
                "customer_id": created["customer_id"],
                "sale_order": {"id": self._orders, "name": f"S{self._orders:05d}"},
                "reservation_id": f"WH/OUT/{self._orders:05d}",
                "lines": lines,
                "net": _money(net),
                "tax": _money(total - net),
                "total": _money(total),
                "confirmed_at": self._clock.isoformat(),
            },
        )

    def _rejected(self, created: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The saga's rejection for want of stock, after cancelling the sale order it had opened."""
        line = created["lines"][0]
        return self.envelope(
            "orders.order_rejected",
            {
                "order_id": created["order_id"],
                "client_order_ref": created["order_id"],
                "customer_id": created["customer_id"],
                "reason": "out_of_stock",
                "detail": f"{line['sku']}: {line['quantity']} requested, none available",
                "shortages": [{"sku": line["sku"], "requested": line["quantity"], "available": 0}],
                "compensations": [{"action": "sale_order_cancelled", "reference": f"S{self._orders:05d}"}],
                "total": created["total"],
                "rejected_at": self._clock.isoformat(),
            },
        )

    def events(self, orders: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """(team, event) for `orders` order lifecycles, in the order they happen."""
        for _ in range(orders):
            yield from self.order_flow()

    def event_of_type(self, event_type: str) -> tuple[str, dict[str, Any]]:
        """One valid event of the given type (from a fresh order lifecycle)."""
        for _ in range(100):
            for team, event in self.order_flow():
                if event["event_type"] == event_type:
                    return team, event
        raise ValueError(f"the generator does not produce {event_type}")

    # -- bad input -------------------------------------------------------------

    MUTATIONS = (
        "missing_payload_field",
        "wrong_payload_type",
        "bad_event_id",
        "naive_timestamp",
        "unknown_schema_version",
        "foreign_event_type",
        "extra_envelope_field",
        "bad_currency",
    )

    def invalidate(self, event: dict[str, Any], mutation: str | None = None) -> tuple[dict[str, Any], str]:
        """A copy of a valid event made invalid by one realistic mistake (with a fresh event_id)."""
        mutation = mutation or self._rng.choice(self.MUTATIONS)
        bad = copy.deepcopy(event)
        bad["event_id"] = self._uuid()
        payload = bad["payload"]
        first_field = next(iter(payload))
        match mutation:
            case "missing_payload_field":
                del payload[first_field]
            case "wrong_payload_type":
                payload[first_field] = 12345
            case "bad_event_id":
                bad["event_id"] = f"evt-{self._rng.randint(1, 10**6)}"
            case "naive_timestamp":
                bad["occurred_at"] = bad["occurred_at"][:19]
            case "unknown_schema_version":
                bad["schema_version"] = "9"
            case "foreign_event_type":
                team = self._config.producer_of(bad["event_type"])
                foreign = [et for et in self._config.event_types if self._config.producer_of(et) != team]
                bad["event_type"] = self._rng.choice(foreign)
            case "extra_envelope_field":
                bad["tenant"] = "acme"
            case "bad_currency":
                money = next((k for k, v in payload.items() if isinstance(v, dict) and "currency" in v), None)
                if money is None:
                    bad["occurred_at"] = "yesterday"
                else:
                    payload[money]["currency"] = "euro"
            case _:
                raise ValueError(f"unknown mutation {mutation!r}")
        return bad, mutation

    def mix(self, orders: int, duplicate_rate: float = 0.05, invalid_rate: float = 0.03) -> list[Sent]:
        """Order lifecycles interleaved with retries of sent events and invalid events."""
        sent: list[Sent] = []
        valid: list[Sent] = []
        for team, event in self.events(orders):
            item = Sent(team, event, Kind.VALID)
            sent.append(item)
            valid.append(item)
            if self._rng.random() < duplicate_rate:
                again = self._rng.choice(valid[-50:])
                sent.append(Sent(again.team, copy.deepcopy(again.event), Kind.DUPLICATE))
            if self._rng.random() < invalid_rate:
                bad, mutation = self.invalidate(event)
                sent.append(Sent(team, bad, Kind.INVALID, mutation))
        return sent


def batches(sent: list[Sent], size: int) -> Iterator[tuple[str, list[Sent]]]:
    """Group the traffic per team into request batches of at most `size`, keeping each team's order.

    A duplicate always lands in a later batch than its original's (or in the
    same one, after it), so the expected verdicts hold in any batching.
    """
    per_team: dict[str, list[Sent]] = {}
    for item in sent:
        pending = per_team.setdefault(item.team, [])
        pending.append(item)
        if len(pending) == size:
            yield item.team, per_team.pop(item.team)
    for team, pending in per_team.items():
        yield team, pending


class IngestClient:
    """A producer's HTTP client for POST /v1/events (one per thread: requests sessions are not thread-safe)."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 30.0):
        self._url = f"{base_url.rstrip('/')}/v1/events"
        self._session = requests.Session()
        self._session.headers.update({"x-api-key": api_key, "Content-Type": "application/json"})
        self._timeout = timeout

    def post(
        self, events: list[dict[str, Any]] | dict[str, Any], correlation_id: str | None = None
    ) -> requests.Response:
        headers = {"X-Correlation-Id": correlation_id} if correlation_id else None
        return self._session.post(self._url, data=json.dumps(events), headers=headers, timeout=self._timeout)

    def post_until_admitted(
        self, events: list[dict[str, Any]] | dict[str, Any], max_wait: float = 60.0
    ) -> tuple[requests.Response, int]:
        """Post, and on 429 wait Retry-After and post again (what a well-behaved producer does).

        Returns the final response and how many 429s it took. Safe because
        ingestion is idempotent: a retried event is never stored twice.
        """
        throttled = 0
        deadline = time.monotonic() + max_wait
        while True:
            response = self.post(events)
            if response.status_code != 429 or time.monotonic() > deadline:
                return response, throttled
            throttled += 1
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 5.0) * self._jitter())

    @staticmethod
    def _jitter() -> float:
        return 0.5 + random.random()  # spread retries so they do not come back as one burst

    def close(self) -> None:
        self._session.close()

"""Realistic StockOSS traffic: order lifecycles across the three teams, seedable, plus bad input.

One order's life: `orders.order_created` -> `orders.stock_reserved` ->
`orders.order_confirmed` -> `billing.invoice_requested` (orders team) ->
`billing.invoice_issued` (billing) -> `documents.document_uploaded` (the
invoice PDF, documents team) and `notifications.notification_requested`
(orders team), then the notification service's report on it (sent, and for
an e-mail delivered or bounced; skipped; failed); about one order in ten is cancelled after the reservation
instead (`orders.order_cancelled`), one in twenty rejected for want of stock
(`orders.order_rejected`).
Payloads carry consistent business data (the invoice total is the order total,
the reservation holds the ordered lines). The same seed gives the same events.

Documents are also uploaded outside any order (contracts, receipts...), and the
document service's verdict on each upload follows it (`documents.document_processed`,
now and then `documents.document_rejected`).

`TrafficGenerator.mix()` adds what real producers also send: retries of
events already sent (same event_id) and invalid events (each mutation is one
a client really makes, and is rejected with a known reason). `stored()` gives
an event as the ingest API stores it, and `lake_events()` / `raw_objects()`
a history spread over hours, written as the fan-out writes the raw zone. The
demo, the load generator, the benchmarks and the tests all draw from here.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import requests

from platform_core import naming
from platform_core.config import PlatformConfig, get_config
from platform_core.envelope import Event
from platform_core.producer import RETRYABLE_STATUSES
from platform_core.raw_zone import encode_lines

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
COUNTRIES = {  # shipping country -> (locale, VAT rate, currency); catalog prices are read in that currency
    "FR": ("fr-FR", Decimal("0.20"), "EUR"),
    "DE": ("de-DE", Decimal("0.19"), "EUR"),
    "ES": ("es-ES", Decimal("0.21"), "EUR"),
    "GB": ("en-GB", Decimal("0"), "GBP"),  # an export: no VAT
}
EU_COUNTRIES = ("FR", "DE", "ES")
DOCUMENT_TYPES = ("delivery_note", "contract", "receipt", "identity_proof", "other")
CHANNELS = ("web", "web", "web", "mobile", "mobile", "store", "api", "marketplace")
WAREHOUSES = ("WH-PAR-1", "WH-LYO-2", "WH-BER-1")
CANCEL_REASONS = ("customer_request", "payment_failed", "out_of_stock", "fraud_suspected")
CENT = Decimal("0.01")
REJECTED_EVERY = 20  # one order in twenty is rejected by the saga (out of stock)
CANCELLED_SHARE = 0.1  # of the reserved orders
NOTIFICATIONS_SKIPPED_SHARE = 0.05  # the customer opted out of the channel
NOTIFICATIONS_FAILED_SHARE = 0.03
EMAILS_BOUNCED_SHARE = 0.05
PROVIDERS = {"email": "ses", "sms": "sms", "push": "webpush"}  # channel -> the provider the service uses
RETURNED_SHARE = 0.05  # of the invoiced orders: the goods come back, a credit note follows
UPLOADS_PER_ORDER = 0.2  # documents uploaded outside any order, per order
DOCUMENTS_REFUSED_SHARE = 0.05  # uploads the document service refuses (malformed files)
PROCESSED_TYPES = ("invoice", "delivery_note")  # upload types the document service's classifier also knows


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


@dataclass(frozen=True)
class _Order:
    order_id: str
    customer_id: str
    country: str
    locale: str
    vat_rate: Decimal
    currency: str
    lines: list[dict[str, Any]]
    total: Decimal

    def money(self, amount: Decimal) -> dict[str, str]:
        return _money(amount, self.currency)


@dataclass(frozen=True)
class _Invoice:
    order: _Order
    sequence: str
    number: str
    net: Decimal


class TrafficGenerator:
    def __init__(
        self,
        seed: int = 0,
        config: PlatformConfig | None = None,
        start: datetime | None = None,
        *,
        live_services: bool = False,
    ):
        self._rng = random.Random(seed)
        # Against a platform running the StockOSS services (the demo, make load), the order saga
        # asks billing for each invoice itself (billing.invoice_requested v2, which the invoice
        # service alone can answer): the traffic then leaves that request out rather than send the
        # v1 request of the simulated history, which the invoice service would park as poison.
        self._live_services = live_services
        self._config = config or get_config()
        # Without an explicit start the business clock is the wall clock's (never ahead of it):
        # an event occurs when it is generated, and a producer sends it soon after, so the
        # lake's occurred_at -> received_at latency measures the platform, not the generator.
        self._follow_wall_clock = start is None
        self._clock = start or datetime.now(UTC)
        self._orders = 0
        self._invoices = 0
        self._documents = 0
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

    def resume_at(self, at: datetime) -> None:
        """Move the business clock (the lake's generator spreads lifecycles over a time span)."""
        self._clock = at

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
        """(team, event) for one order, in the order they happen."""
        order = self._new_order()
        flow = [self._created(order)]
        if self._orders % REJECTED_EVERY == 0:
            return [*flow, self._rejected(flow[0][1]["payload"])]
        flow.append(self._reserved(order))
        if self._rng.random() < CANCELLED_SHARE:
            return [*flow, self._cancelled(order)]
        flow.append(self._confirmed(flow[0][1]["payload"], order.vat_rate))
        if not self._live_services:
            flow.append(self._invoice_requested(order))
        invoice = self._new_invoice(order)
        flow.append(self._invoice_issued(invoice))
        flow.append(pdf := self._invoice_pdf(invoice))
        flow.append(self._document_verdict(pdf))
        flow.append(mail := self._invoice_mail(invoice))
        flow.extend(self._notification_outcome(mail))
        if self._rng.random() < RETURNED_SHARE:
            flow.append(self._credit_note(invoice, ordered_at=flow[0][1]["occurred_at"]))
        return flow

    def _new_order(self) -> _Order:
        rng = self._rng
        self._orders += 1
        country = rng.choice(list(COUNTRIES))
        locale, vat_rate, currency = COUNTRIES[country]
        skus = rng.sample(list(CATALOG), k=rng.randint(1, 4))
        quantities = {sku: rng.randint(1, 3) for sku in skus}
        return _Order(
            order_id=f"ORD-{self._clock.year}-{self._series}-{self._orders:06d}",
            customer_id=f"CUST-{rng.randint(1, 50_000):06d}",
            country=country,
            locale=locale,
            vat_rate=vat_rate,
            currency=currency,
            lines=[
                {
                    "sku": sku,
                    "quantity": quantities[sku],
                    "unit_price": _money(CATALOG[sku], currency),
                    "description": sku[4:].title(),
                }
                for sku in skus
            ],
            total=sum((CATALOG[sku] * quantity for sku, quantity in quantities.items()), Decimal(0)),
        )

    def _created(self, order: _Order) -> tuple[str, dict[str, Any]]:
        return self.envelope(
            "orders.order_created",
            {
                "order_id": order.order_id,
                "customer_id": order.customer_id,
                "channel": self._rng.choice(CHANNELS),
                "lines": order.lines,
                "total": order.money(order.total),
                "shipping_country": order.country,
            },
        )

    def _reserved(self, order: _Order) -> tuple[str, dict[str, Any]]:
        reserved_at = self._tick()
        return self.envelope(
            "orders.stock_reserved",
            {
                "order_id": order.order_id,
                "reservation_id": f"RES-{self._series}-{self._orders:06d}",
                "warehouse_id": self._rng.choice(WAREHOUSES),
                "lines": [{"sku": line["sku"], "quantity": line["quantity"]} for line in order.lines],
                "expires_at": (reserved_at + timedelta(minutes=30)).isoformat(),
            },
            at=reserved_at,
        )

    def _cancelled(self, order: _Order) -> tuple[str, dict[str, Any]]:
        reason = self._rng.choice(CANCEL_REASONS)
        cancelled: dict[str, Any] = {
            "order_id": order.order_id,
            "customer_id": order.customer_id,
            "reason": reason,
            "cancelled_by": "system" if reason in ("payment_failed", "fraud_suspected") else "customer",
        }
        if reason == "customer_request":
            cancelled["refund"] = order.money(order.total)
        return self.envelope("orders.order_cancelled", cancelled)

    def _invoice_requested(self, order: _Order) -> tuple[str, dict[str, Any]]:
        return self.envelope(
            "billing.invoice_requested",
            {
                "order_id": order.order_id,
                "customer_id": order.customer_id,
                "amount": order.money(order.total),
                "payment_terms_days": self._rng.choice((0, 14, 30, 30, 45)),
                "billing_country": order.country,
            },
        )

    def _new_invoice(self, order: _Order) -> _Invoice:
        self._invoices += 1
        return _Invoice(
            order=order,
            sequence=f"{self._series}_{self._invoices:06d}",
            number=f"INV-{self._clock.year}-{self._series}{self._invoices:06d}",
            net=(order.total / (1 + order.vat_rate)).quantize(CENT),
        )

    def _invoice_issued(self, invoice: _Invoice) -> tuple[str, dict[str, Any]]:
        order = invoice.order
        issued_at = self._tick()
        return self.envelope(
            "billing.invoice_issued",
            {
                "invoice_id": f"inv_{invoice.sequence}",
                "invoice_number": invoice.number,
                "order_id": order.order_id,
                "customer_id": order.customer_id,
                "net": order.money(invoice.net),
                "tax": order.money(order.total - invoice.net),
                "total": order.money(order.total),
                "issued_at": issued_at.isoformat(),
                "due_date": (issued_at + timedelta(days=30)).date().isoformat(),
            },
            at=issued_at,
        )

    def _invoice_pdf(self, invoice: _Invoice) -> tuple[str, dict[str, Any]]:
        file_name = f"{invoice.number}.pdf"
        return self.envelope(
            "documents.document_uploaded",
            {
                "document_id": f"DOC-{invoice.sequence}",
                "document_type": "invoice",
                "order_id": invoice.order.order_id,
                "customer_id": invoice.order.customer_id,
                "file_name": file_name,
                "content_type": "application/pdf",
                "size_bytes": self._rng.randint(40_000, 400_000),
                "sha256": hashlib.sha256(f"{invoice.number}:{self._rng.random()}".encode()).hexdigest(),
                "storage_uri": f"s3://stockoss-documents/invoices/{self._clock.year}/{file_name}",
            },
        )

    def _invoice_mail(self, invoice: _Invoice) -> tuple[str, dict[str, Any]]:
        order = invoice.order
        return self.envelope(
            "notifications.notification_requested",
            {
                "notification_id": f"NOTIF-{invoice.sequence}",
                "customer_id": order.customer_id,
                "channel": self._rng.choice(("email", "email", "sms", "push")),
                "template": "invoice_issued",
                "locale": order.locale,
                "order_id": order.order_id,
                "variables": {"invoice_number": invoice.number, "total": str(order.total.quantize(CENT))},
            },
        )

    def _notification_outcome(self, request: tuple[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        """The notification service's report on a request: sent (an e-mail then delivered or bounced),
        skipped (the customer opted out) or failed."""
        event = request[1]
        asked = event["payload"]
        common = {
            "notification_id": asked["notification_id"],
            "delivery_id": f"d-{self._rng.getrandbits(128):032x}",
            "channel": asked["channel"],
            "customer_id": asked["customer_id"],
            "template": asked["template"],
            "order_id": asked["order_id"],
            "cause": event["event_type"],
            "requested_at": event["occurred_at"],
        }
        fate = self._rng.random()
        if fate < NOTIFICATIONS_SKIPPED_SHARE:
            skipped = {**common, "reason": "opted_out", "skipped_at": self._tick().isoformat()}
            return [self.envelope("notifications.notification_skipped", skipped)]
        if fate < NOTIFICATIONS_SKIPPED_SHARE + NOTIFICATIONS_FAILED_SHARE:
            failed = {
                **common,
                "reason": "invalid_destination",
                "detail": "the provider refused the destination",
                "attempts": 1,
                "failed_at": self._tick().isoformat(),
            }
            return [self.envelope("notifications.notification_failed", failed)]
        provider = PROVIDERS[asked["channel"]]
        sent = {**common, "provider": provider, "attempts": 1, "sent_at": self._tick().isoformat()}
        outcome = [self.envelope("notifications.notification_sent", sent)]
        if asked["channel"] == "email":
            if self._rng.random() < EMAILS_BOUNCED_SHARE:
                bounced = {**common, "bounce_type": "permanent", "bounced_at": self._tick().isoformat()}
                outcome.append(self.envelope("notifications.notification_bounced", bounced))
            else:
                delivered = {**common, "delivered_at": self._tick().isoformat()}
                outcome.append(self.envelope("notifications.notification_delivered", delivered))
        return outcome

    def _credit_note(self, invoice: _Invoice, ordered_at: str) -> tuple[str, dict[str, Any]]:
        """The customer sent the goods back: billing credits the whole invoice."""
        order = invoice.order
        issued_at = self._tick()
        number = f"AV-{issued_at.year}-{invoice.sequence.replace('_', '')}"
        tax = order.total - invoice.net
        in_eu = order.country in EU_COUNTRIES
        return self.envelope(
            "billing.credit_note_issued",
            {
                "invoice_id": f"cn_{invoice.sequence}",
                "invoice_number": number,
                "seller_entity": "stockoss-fr",
                "order_id": order.order_id,
                "customer_id": order.customer_id,
                "ordered_at": ordered_at,
                "issued_at": issued_at.isoformat(),
                "issue_date": issued_at.date().isoformat(),
                "currency": order.currency,
                "net": order.money(invoice.net),
                "tax": order.money(tax),
                "total": order.money(order.total),
                "vat_breakdown": [
                    {
                        "category_code": "S" if in_eu else "G",
                        "rate": format((order.vat_rate * 100).normalize(), "f"),
                        "taxable": order.money(invoice.net),
                        "tax": order.money(tax),
                    }
                ],
                "tax_regime": ("domestic" if order.country == "FR" else "eu_distance_sale")
                if in_eu
                else "export",
                "buyer_kind": "person",
                "buyer_country": order.country,
                "locale": order.locale,
                "document": {
                    "uri": f"s3://stockoss-billing-documents/credit-notes/{issued_at.year}/{number}.pdf",
                    "sha256": hashlib.sha256(number.encode()).hexdigest(),
                    "size_bytes": self._rng.randint(40_000, 200_000),
                    # Ten years, as French law keeps invoices (a day or two over, never under).
                    "retain_until": (issued_at + timedelta(days=3660)).date().isoformat(),
                },
                "emailed_by_billing": True,
                "credited_invoice_number": invoice.number,
                "credit_reference": f"RET-{invoice.sequence}",
                "reason": "goods returned by the customer",
            },
            at=issued_at,
        )

    def document_upload(self) -> tuple[str, dict[str, Any]]:
        """A document a customer or a clerk uploads outside any order (a contract, a receipt...)."""
        self._documents += 1
        document_type = self._rng.choice(DOCUMENT_TYPES)
        file_name = f"{document_type}-{self._series}-{self._documents:06d}.pdf"
        return self.envelope(
            "documents.document_uploaded",
            {
                "document_id": f"DOC-U{self._series}-{self._documents:06d}",
                "document_type": document_type,
                "customer_id": f"CUST-{self._rng.randint(1, 50_000):06d}",
                "file_name": file_name,
                "content_type": "application/pdf",
                "size_bytes": self._rng.randint(1_000, 5_000_000),
                "sha256": f"{self._rng.getrandbits(256):064x}",
                "storage_uri": f"s3://stockoss-documents/uploads/{self._clock.year}/{file_name}",
            },
        )

    def _confirmed(self, created: dict[str, Any], vat_rate: Decimal) -> tuple[str, dict[str, Any]]:
        """The saga's confirmation: the ERP's net prices (catalog prices include VAT)."""
        currency = created["total"]["currency"]
        lines = []
        for line in created["lines"]:
            unit = (Decimal(line["unit_price"]["amount"]) / (1 + vat_rate)).quantize(CENT)
            lines.append(
                {
                    "sku": line["sku"],
                    "quantity": line["quantity"],
                    "unit_price": _money(unit, currency),
                    "vat_rate": format((vat_rate * 100).normalize(), "f"),
                    "net": _money(unit * line["quantity"], currency),
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
                "net": _money(net, currency),
                "tax": _money(total - net, currency),
                "total": _money(total, currency),
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
        """(team, event) for `orders` order lifecycles and the documents uploaded meanwhile, in order."""
        for _ in range(orders):
            yield from self.order_flow()
            if self._rng.random() < UPLOADS_PER_ORDER:
                upload = self.document_upload()
                yield upload
                yield self._document_verdict(upload)

    def event_of_type(self, event_type: str) -> tuple[str, dict[str, Any]]:
        """One valid event of the given type (from a fresh order lifecycle)."""
        for _ in range(100):
            for team, event in self.order_flow():
                if event["event_type"] == event_type:
                    return team, event
        raise ValueError(f"the generator does not produce {event_type}")

    def _document_verdict(self, upload: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        """The document service's verdict on an upload: processed, or now and then refused."""
        team, event = upload
        document = event["payload"]
        common = {
            key: document[key]
            for key in ("document_id", "size_bytes", "sha256", "file_name", "order_id", "customer_id")
            if key in document
        }
        if self._rng.random() < DOCUMENTS_REFUSED_SHARE:
            return self.envelope(
                "documents.document_rejected",
                {
                    **common,
                    "owner_team": team,
                    "reason": "malformed",
                    "detail": "the PDF's cross-reference table is broken",
                    "declared_content_type": document["content_type"],
                    "rejected_uri": f"s3://stockoss-documents/rejected/{document['document_id']}.pdf",
                    "rejected_at": self._tick().isoformat(),
                },
            )
        invoice = document["document_type"] == "invoice"
        pages = self._rng.randint(1, 4)
        return self.envelope(
            "documents.document_processed",
            {
                **common,
                "owner_team": team,
                "document_type": document["document_type"]
                if document["document_type"] in PROCESSED_TYPES
                else "other",
                "confidence": round(self._rng.uniform(0.6, 0.99), 3),
                "needs_review": False,
                "language": self._rng.choice(("fr", "en")),
                "pages": pages,
                "ocr_pages": 0 if invoice else self._rng.randint(0, pages),
                "text_chars": self._rng.randint(300, 6_000),
                "content_type": document["content_type"],
                "storage_uri": document["storage_uri"],
                "uploaded_at": event["occurred_at"],
                "processed_at": self._tick().isoformat(),
                "fields": {"invoice_number": document["file_name"].removesuffix(".pdf")} if invoice else {},
            },
        )

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

    # -- as stored -------------------------------------------------------------

    def stored(self, team: str, event: dict[str, Any]) -> Event:
        """The event as the ingest API stores it: its team, received_at a moment after occurred_at
        (uploads take longer), the request's ingest id and correlation id."""
        slowest_ms = 2000 if event["event_type"].startswith("documents.") else 400
        occurred_at = datetime.fromisoformat(event["occurred_at"])
        return Event.model_validate(
            {
                **event,
                "team": team,
                "received_at": occurred_at + timedelta(milliseconds=self._rng.randint(5, slowest_ms)),
                "ingest_id": f"req-{self._rng.getrandbits(48):012x}",
                "correlation_id": f"corr-{self._rng.getrandbits(48):012x}",
            }
        )

    def stored_events(self, orders: int) -> list[Event]:
        """`events(orders)` as the ingest API stores them."""
        return [self.stored(team, event) for team, event in self.events(orders)]


def lake_events(count: int, start: datetime, span: timedelta, seed: int = 7) -> list[Event]:
    """`count` stored events whose order lifecycles start at random moments of [start, start + span)."""
    generator = TrafficGenerator(seed, start=start)
    spread = random.Random(seed)
    seconds = max(int(span.total_seconds()), 1)
    events: list[Event] = []
    while len(events) < count:
        generator.resume_at(
            start + timedelta(seconds=spread.randrange(seconds), microseconds=spread.randrange(10**6))
        )
        events.extend(generator.stored_events(1))
    return events[:count]


def raw_objects(events: Iterable[Event], batch_size: int = 500) -> dict[str, bytes]:
    """Group events as the fan-out does: per team and received hour, in batches -> {raw key: gzip JSON lines}."""
    groups: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        hour = event.received_at.astimezone(UTC).strftime("%Y-%m-%dT%H")
        groups.setdefault((event.team, hour), []).append(event)
    objects: dict[str, bytes] = {}
    for (team, hour), members in sorted(groups.items()):
        at = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        for i in range(0, len(members), batch_size):
            batch = members[i : i + batch_size]
            key = naming.raw_key(team, at, f"batch-{batch[0].event_id.hex[:16]}")
            objects[key] = encode_lines(e.to_json() for e in batch)
    return objects


def put_objects(s3: Any, bucket: str, objects: dict[str, bytes]) -> None:
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


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
    ) -> tuple[requests.Response, Counter[int]]:
        """Post, and while the answer says to come back (429 after Retry-After, a 5xx after a backoff),
        post again: what a well-behaved producer does (platform_core.producer does the same).

        Returns the final response and the statuses it was sent back with. Safe because
        ingestion is idempotent: a retried event is never stored twice.
        """
        retried: Counter[int] = Counter()
        deadline = time.monotonic() + max_wait
        while True:
            response = self.post(events)
            if response.status_code not in RETRYABLE_STATUSES or time.monotonic() > deadline:
                return response, retried
            retried[response.status_code] += 1
            wait = float(response.headers.get("Retry-After", "0") or 0) or 0.2 * 2 ** min(
                sum(retried.values()), 5
            )
            time.sleep(min(wait, 5.0) * self._jitter())

    @staticmethod
    def _jitter() -> float:
        return 0.5 + random.random()  # spread retries so they do not come back as one burst

    def close(self) -> None:
        self._session.close()

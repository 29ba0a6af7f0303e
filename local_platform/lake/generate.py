"""Synthetic StockOSS traffic for the lake: order lifecycles, invoices, documents, notifications.

Every event is a real `Event` (valid envelope, payload valid against its
registered JSON Schema), written to the raw zone exactly as fan-out writes it
(naming.raw_key, gzip JSON lines). The tests compute their expected KPI
answers from the returned events, independently of the SQL.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from platform_core import naming
from platform_core.envelope import Event
from platform_core.raw_zone import encode_lines

CURRENCIES = ("EUR", "USD", "GBP")
DOCUMENT_TYPES = ("invoice", "delivery_note", "contract", "receipt", "identity_proof", "other")


def _money(rng: random.Random, low: int = 5, high: int = 900) -> str:
    return str(Decimal(rng.randint(low * 100, high * 100)) / 100)


def _event(
    rng: random.Random,
    team: str,
    event_type: str,
    occurred: datetime,
    payload: dict[str, Any],
    latency_ms: int,
) -> Event:
    return Event(
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        event_type=event_type,
        schema_version="1",
        occurred_at=occurred,
        source=f"{team}-service",
        payload=payload,
        team=team,
        received_at=occurred + timedelta(milliseconds=latency_ms),
        ingest_id=f"req-{rng.getrandbits(48):012x}",
        correlation_id=f"corr-{rng.getrandbits(48):012x}",
    )


def order_lifecycle(rng: random.Random, start: datetime, n: int) -> Iterator[Event]:
    """The events of one order: created, then (usually) reserved and invoiced, sometimes cancelled."""
    order_id = f"ORD-{n:08d}"
    customer_id = f"CUST-{rng.randint(1, 5000):05d}"
    currency = rng.choice(CURRENCIES)
    lines = [
        {
            "sku": f"SKU-{rng.randint(1, 999):04d}",
            "quantity": rng.randint(1, 5),
            "unit_price": {"amount": _money(rng, 1, 90), "currency": currency},
        }
        for _ in range(rng.randint(1, 4))
    ]
    total = _money(rng)
    at = start
    yield _event(
        rng,
        "orders",
        "orders.order_created",
        at,
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "channel": rng.choice(["web", "mobile", "store", "api", "marketplace"]),
            "lines": lines,
            "total": {"amount": total, "currency": currency},
            "shipping_country": rng.choice(["DE", "FR", "NL", "GB", "US"]),
        },
        rng.randint(5, 400),
    )
    fate = rng.random()
    if fate < 0.1:
        at += timedelta(seconds=rng.randint(5, 600))
        yield _event(
            rng,
            "orders",
            "orders.order_cancelled",
            at,
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "reason": rng.choice(["customer_request", "payment_failed", "out_of_stock"]),
                "cancelled_by": "customer",
                "refund": {"amount": total, "currency": currency},
            },
            rng.randint(5, 400),
        )
        return
    at += timedelta(seconds=rng.randint(1, 120))
    yield _event(
        rng,
        "orders",
        "orders.stock_reserved",
        at,
        {
            "order_id": order_id,
            "reservation_id": f"RES-{n:08d}",
            "warehouse_id": rng.choice(["WH-1", "WH-2"]),
            "lines": [{"sku": line["sku"], "quantity": line["quantity"]} for line in lines],
            "expires_at": (at + timedelta(hours=1)).isoformat(),
        },
        rng.randint(5, 400),
    )
    if fate < 0.85:
        at += timedelta(seconds=rng.randint(1, 300))
        yield _event(
            rng,
            "billing",
            "billing.invoice_issued",
            at,
            {
                "invoice_id": f"INVC-{n:08d}",
                "invoice_number": f"INV-{at.year}-{n:06d}",
                "order_id": order_id,
                "customer_id": customer_id,
                "net": {"amount": total, "currency": currency},
                "tax": {"amount": "0", "currency": currency},
                "total": {"amount": total, "currency": currency},
                "issued_at": at.isoformat(),
                "due_date": (at + timedelta(days=30)).date().isoformat(),
            },
            rng.randint(5, 400),
        )


def document_upload(rng: random.Random, at: datetime, n: int) -> Event:
    return _event(
        rng,
        "documents",
        "documents.document_uploaded",
        at,
        {
            "document_id": f"DOC-{n:08d}",
            "document_type": rng.choice(DOCUMENT_TYPES),
            "customer_id": f"CUST-{rng.randint(1, 5000):05d}",
            "file_name": f"doc-{n}.pdf",
            "content_type": "application/pdf",
            "size_bytes": rng.randint(1_000, 5_000_000),
            "sha256": f"{rng.getrandbits(256):064x}",
            "storage_uri": f"s3://stockoss-documents/{n}.pdf",
        },
        rng.randint(5, 2000),
    )


def generate_events(count: int, start: datetime, span: timedelta, seed: int = 7) -> list[Event]:
    """About `count` events spread over [start, start + span): order lifecycles and document uploads."""
    rng = random.Random(seed)
    events: list[Event] = []
    n = 0
    seconds = max(int(span.total_seconds()), 1)
    while len(events) < count:
        n += 1
        at = start + timedelta(seconds=rng.randrange(seconds), microseconds=rng.randrange(1_000_000))
        if rng.random() < 0.2:
            events.append(document_upload(rng, at, n))
        else:
            events.extend(order_lifecycle(rng, at, n))
    return events[:count]


def raw_objects(events: Iterable[Event], batch_size: int = 500) -> dict[str, bytes]:
    """Group events as fan-out does: per team and received hour, in batches -> {raw key: gzip JSON lines}."""
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

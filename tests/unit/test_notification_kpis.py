"""The notification_deliveries view and the notifications KPIs, run by the local engine (Athena SQL on
DuckDB) over curated outcome events, against answers computed in Python from the same deliveries."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from glue_jobs.contract import load_tables
from local_platform.query.engine import ATHENA_DIR, LocalEngine
from tests.fixtures.curated import write_partition

NOW = datetime.now(UTC).replace(microsecond=0)
CHANNELS = ["email", "sms", "push", "webhook", "inbox"]
REASONS = {
    "skipped": ["opted_out", "suppressed", "no_destination"],
    "failed": ["refused", "retries_exhausted", "unsafe_destination"],
}


def deliveries(rng: random.Random) -> list[dict[str, Any]]:
    """Deliveries as the service would announce them: an outcome each, and a report for some sent ones."""
    made = []
    for n in range(400):
        channel = rng.choice(CHANNELS)
        requested = NOW - timedelta(days=rng.uniform(0, 12), seconds=rng.randint(0, 3600))
        outcome = rng.choices(["sent", "skipped", "failed"], [0.8, 0.12, 0.08])[0]
        delivery: dict[str, Any] = {
            "id": f"d-{n:032x}",
            "channel": channel,
            "requested_at": requested,
            "outcome": outcome,
        }
        if outcome == "sent":
            delivery["sent_at"] = requested + timedelta(milliseconds=rng.randint(40, 90_000))
            delivery["attempts"] = rng.choice([1, 1, 1, 2, 3])
            if channel in ("email", "sms"):
                report = rng.choices(
                    ["delivered", "permanent", "transient", "complaint", None], [0.8, 0.06, 0.04, 0.02, 0.08]
                )[0]
                delivery["report"] = report
        else:
            delivery["reason"] = rng.choice(REASONS[outcome])
        made.append(delivery)
    return made


def events_of(delivery: dict[str, Any]) -> list[tuple[str, dict[str, Any], datetime]]:
    common = {
        "notification_id": f"NTF-{delivery['id']}",
        "delivery_id": delivery["id"],
        "channel": delivery["channel"],
        "customer_id": "cust-1",
        "template": "order_confirmed",
        "cause": "notifications.notification_requested",
        "requested_at": delivery["requested_at"].isoformat(),
    }
    outcome = delivery["outcome"]
    if outcome == "sent":
        at = delivery["sent_at"]
        events = [
            (
                "sent",
                {**common, "sent_at": at.isoformat(), "provider": "ses", "attempts": delivery["attempts"]},
                at,
            )
        ]
        report = delivery.get("report")
        if report == "delivered":
            events.append(
                ("delivered", {**common, "delivered_at": (at + timedelta(seconds=3)).isoformat()}, at)
            )
        elif report:
            events.append(
                (
                    "bounced",
                    {**common, "bounced_at": (at + timedelta(seconds=5)).isoformat(), "bounce_type": report},
                    at,
                )
            )
        return events
    at = delivery["requested_at"] + timedelta(seconds=1)
    return [
        (
            outcome,
            {
                **common,
                f"{outcome}_at": at.isoformat(),
                "reason": delivery["reason"],
                "detail": "x",
                "attempts": 1,
            },
            at,
        )
    ]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    made = deliveries(random.Random(11))
    rows = [
        (f"notifications.notification_{kind}", payload, at)
        for d in made
        for kind, payload, at in events_of(d)
    ]
    rows.append(("orders.order_created", {"order_id": "ORD-1"}, NOW))  # not a notification: left out
    contract = load_tables()["events"]
    root = tmp_path_factory.mktemp("lake")
    partitions: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for i, (event_type, payload, at) in enumerate(rows):
        team = event_type.split(".")[0]
        partitions[(team, at.date().isoformat())].append(
            {
                "event_id": f"00000000-0000-4000-8000-{i:012d}",
                "event_type": event_type,
                "schema_version": "1",
                "domain": team,
                "occurred_at": at,
                "received_at": at,
                "order_id": payload.get("order_id"),
                "customer_id": payload.get("customer_id"),
                "payload_json": json.dumps(payload),
            }
        )
    for (team, day), events in partitions.items():
        columns = {c.name: [e.get(c.name) for e in events] for c in contract.columns}
        arrays = {
            name: pa.array(values, type=pa.timestamp("us", tz="UTC") if name.endswith("_at") else pa.string())
            if name.endswith("_at") or all(v is None or isinstance(v, str) for v in values)
            else pa.array(values)
            for name, values in columns.items()
        }
        write_partition(root, contract.name, (team, day), pa.table(arrays))
    return root, made


def run(root: Path, name: str) -> list[dict[str, Any]]:
    engine = LocalEngine(root)
    try:
        return engine.run_file(ATHENA_DIR / "queries" / f"{name}.sql").to_pylist()
    finally:
        engine.close()


def within(made: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    cutoff = datetime.combine((NOW - timedelta(days=days)).date(), datetime.min.time(), UTC)
    return [d for d in made if d["requested_at"] >= cutoff]


def test_delivery_rates_per_channel(lake) -> None:
    root, made = lake
    expected = []
    for channel in sorted(CHANNELS):
        mine = [d for d in within(made, 7) if d["channel"] == channel]
        sent = [d for d in mine if d["outcome"] == "sent"]
        skipped = sum(d["outcome"] == "skipped" for d in mine)
        delivered = sum(d.get("report") == "delivered" for d in sent)
        expected.append(
            {
                "channel": channel,
                "deliveries": len(mine),
                "sent": len(sent),
                "delivered": delivered,
                "bounced": sum(d.get("report") in ("permanent", "transient", "complaint") for d in sent),
                "failed": sum(d["outcome"] == "failed" for d in mine),
                "skipped": skipped,
                "sent_rate": round(len(sent) / (len(mine) - skipped), 6),
                "delivery_rate": round(delivered / len(sent), 6),
            }
        )
    got = [
        {k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}
        for row in run(root, "notifications_delivery_rate")
    ]
    assert got == expected


def test_latency_per_channel_from_request_to_send(lake) -> None:
    root, made = lake
    for row in run(root, "notifications_latency"):
        sent = [d for d in within(made, 7) if d["channel"] == row["channel"] and d["outcome"] == "sent"]
        waits = sorted(round((d["sent_at"] - d["requested_at"]).total_seconds() * 1000) for d in sent)
        assert row["sent"] == len(sent) and row["max_ms"] == waits[-1]
        assert round(row["mean_attempts"], 6) == round(sum(d["attempts"] for d in sent) / len(sent), 6)
        # Percentiles are approximate in Athena (and DuckDB): between the exact neighbours.
        assert waits[int(len(waits) * 0.4)] <= row["p50_ms"] <= waits[int(len(waits) * 0.6)]
        assert waits[int(len(waits) * 0.9)] <= row["p95_ms"] <= waits[-1]


def test_bounces_per_day_channel_and_kind_with_their_share_of_the_days_sends(lake) -> None:
    root, made = lake
    cutoff = datetime.combine((NOW - timedelta(days=30)).date(), datetime.min.time(), UTC)
    sent = [d for d in made if d["outcome"] == "sent" and d["sent_at"] >= cutoff]
    per_day = Counter((d["sent_at"].date().isoformat(), d["channel"]) for d in sent)
    bounces = Counter(
        (d["sent_at"].date().isoformat(), d["channel"], d["report"])
        for d in sent
        if d.get("report") in ("permanent", "transient", "complaint")
    )
    expected = [
        {
            "day": day,
            "channel": channel,
            "bounce_type": kind,
            "bounces": n,
            "bounce_rate": round(n / per_day[(day, channel)], 6),
        }
        for (day, channel, kind), n in sorted(bounces.items())
    ]
    got = [
        {k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}
        for row in run(root, "notifications_bounces")
    ]
    assert got == expected


def test_skipped_and_failed_deliveries_per_reason(lake) -> None:
    root, made = lake
    counts = Counter(
        (d["channel"], d["outcome"], d["reason"]) for d in within(made, 30) if d["outcome"] != "sent"
    )
    expected = [
        {"channel": c, "outcome": o, "reason": r, "deliveries": n} for (c, o, r), n in sorted(counts.items())
    ]
    assert run(root, "notifications_suppressed") == expected

"""The orders team's Athena view and KPI queries, run by the local engine over a lake the real job
curated from raw objects, against answers computed here from the events themselves."""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local_platform.lake import pipeline
from local_platform.lake.layout import lake_root
from local_platform.provision import provision
from local_platform.query.engine import LocalEngine
from local_platform.query.lint import ATHENA_DIR
from platform_core.aws import client
from platform_core.envelope import Event
from platform_core.producer import derived_event_id
from platform_core.resources import Resources
from tests.fixtures.aws import isolated_config
from tests.fixtures.orders import order_payload, order_request
from tests.integration.test_orders_api import PRICES
from tools.traffic import put_objects, raw_objects

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.needs_glue, pytest.mark.needs_athena]

ORDERS_KPIS = {"order_outcomes_by_reason", "order_time_to_confirm", "erp_error_rate"}
NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(hours=30)  # two days of placements, inside the queries' 7-day window
REASONS = ("out_of_stock", "price_changed", "erp_refused")


def _event(event_type: str, payload: dict[str, Any], at: datetime) -> Event:
    return Event.model_validate(
        {
            "event_id": str(derived_event_id(payload["order_id"], event_type)),
            "event_type": event_type,
            "schema_version": "2" if event_type == "orders.order_created" else "1",
            "occurred_at": at,
            "source": "orders-service",
            "payload": payload,
            "team": "orders",
            "received_at": at + timedelta(milliseconds=120),
            "ingest_id": f"req-{uuid.uuid4().hex[:8]}",
            "correlation_id": f"corr-{uuid.uuid4().hex[:8]}",
        }
    )


def order_events(count: int) -> tuple[list[Event], list[dict[str, Any]]]:
    """Orders placed over 30 hours, each confirmed, rejected or still pending; and the truth per order."""
    events: list[Event] = []
    truth: list[dict[str, Any]] = []
    for index in range(count):
        placed = START + timedelta(seconds=1_700 * index)
        payload = order_payload(order_request(PRICES, [("SKU-LAMP-LED", 1 + index % 3)]), subject=f"c{index}")
        events.append(_event("orders.order_created", payload, placed))
        erp = {
            "calls": 9 + index % 4,
            "failures": 2 if index % 5 == 0 else 0,
            "deferrals": 1 if index % 5 == 0 else 0,
        }
        common = {k: payload[k] for k in ("order_id", "client_order_ref", "customer_id")}
        row: dict[str, Any] = {"placed": placed, "erp": erp, "outcome": "pending", "reason": ""}
        decided = placed + timedelta(milliseconds=400 + (index * 733) % 9_000)
        if index % 10 in (0, 1, 2):
            reason = REASONS[index % 3]
            rejected = {
                **common,
                "reason": reason,
                "detail": reason,
                "compensations": [],
                "total": payload["total"],
                "rejected_at": decided.isoformat(),
                "erp": erp,
            }
            events.append(_event("orders.order_rejected", rejected, decided))
            row.update(outcome="rejected", reason=reason, decided=decided)
        elif index % 10 != 3:
            confirmed = {
                **common,
                "sale_order": {"id": index + 1, "name": f"S{index + 1:05d}"},
                "reservation_id": f"WH/OUT/{index + 1:05d}",
                "lines": [
                    {
                        "sku": "SKU-LAMP-LED",
                        "quantity": 1,
                        "unit_price": {"amount": "33.33", "currency": "EUR"},
                        "vat_rate": "20",
                        "net": {"amount": "33.33", "currency": "EUR"},
                    }
                ],
                "net": {"amount": "33.33", "currency": "EUR"},
                "tax": {"amount": "6.67", "currency": "EUR"},
                "total": payload["total"],
                "confirmed_at": decided.isoformat(),
                "erp": erp,
            }
            events.append(_event("orders.order_confirmed", confirmed, decided))
            row.update(outcome="confirmed", decided=decided)
        truth.append(row)
    return events, truth


def trino_round(value: float, digits: int) -> float:
    """Trino's round(double, n): half away from zero on the scaled value (Python's round is half even)."""
    factor = 10**digits
    return math.copysign(math.floor(abs(value) * factor + 0.5), value) / factor


@pytest.fixture(scope="module")
def kpis(
    aws_endpoint_url: str, spark: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    resources = Resources(isolated_config(), "dev")
    provision(resources)
    events, truth = order_events(80)
    put_objects(client("s3"), resources.raw_bucket, raw_objects(events, batch_size=50))
    workdir: Path = tmp_path_factory.mktemp("orders-lake")
    result = pipeline.run_lake(resources, workdir, spark=spark)
    assert result.ok, result.error
    engine = LocalEngine(lake_root(workdir))
    try:
        answers = {
            name: engine.run_file(ATHENA_DIR / "queries" / f"{name}.sql").to_pylist() for name in ORDERS_KPIS
        }
    finally:
        engine.close()
    yield {"answers": answers, "truth": truth}


def test_outcomes_by_reason_count_every_placed_order_once(kpis: dict[str, Any]) -> None:
    counts = Counter((row["outcome"], row["reason"]) for row in kpis["truth"])
    total = sum(counts.values())
    want = [
        {"outcome": o, "reason": r, "orders": n, "share": trino_round(n / total, 4)}
        for (o, r), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    ]
    assert kpis["answers"]["order_outcomes_by_reason"] == want


def _nearest_rank(values: list[int], q: float) -> int:
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def test_time_to_confirm_per_day_of_placement(kpis: dict[str, Any]) -> None:
    per_day: dict[str, list[int]] = defaultdict(list)
    for row in kpis["truth"]:
        if row["outcome"] == "confirmed":
            per_day[f"{row['placed']:%Y-%m-%d}"].append(
                (row["decided"] - row["placed"]) // timedelta(milliseconds=1)
            )
    answers = kpis["answers"]["order_time_to_confirm"]
    assert [r["placed_on"] for r in answers] == sorted(per_day)
    for row in answers:
        values = sorted(per_day[row["placed_on"]])
        assert row["confirmed"] == len(values) and row["max_ms"] == values[-1]
        # Percentiles are approximate in Athena (and here): between the exact neighbours.
        assert _nearest_rank(values, 0.40) <= row["p50_ms"] <= _nearest_rank(values, 0.60), row
        assert _nearest_rank(values, 0.90) <= row["p95_ms"] <= values[-1], row


def test_erp_error_rate_per_day_of_decision(kpis: dict[str, Any]) -> None:
    per_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in kpis["truth"]:
        if row["outcome"] != "pending":
            per_day[f"{row['decided']:%Y-%m-%d}"].append(row)
    want = []
    for day, rows in sorted(per_day.items()):
        calls = sum(r["erp"]["calls"] for r in rows)
        failures = sum(r["erp"]["failures"] for r in rows)
        want.append(
            {
                "decided_on": day,
                "orders": len(rows),
                "erp_calls": calls,
                "erp_failures": failures,
                "failure_rate": trino_round(failures / calls, 4),
                "orders_that_waited": sum(1 for r in rows if r["erp"]["deferrals"] > 0),
                "refused_by_erp": sum(1 for r in rows if r["reason"] == "erp_refused"),
            }
        )
    assert kpis["answers"]["erp_error_rate"] == want

"""The lake end to end on the local platform: raw objects in the (moto) raw bucket -> run_lake -> every
named query compared with answers computed independently in Python; then an idempotent rerun, a failed
run that leaves the curated zone as it was (and alerts), an incremental run, and failing checks.

One Spark session and four job runs for the whole module (the steps build on each other, in order).
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from local_platform.lake import pipeline
from local_platform.lake.layout import MANIFEST_KEY, lake_root
from local_platform.provision import provision
from local_platform.query.engine import LocalEngine
from local_platform.query.lint import ATHENA_DIR
from platform_core import naming
from platform_core.aws import client
from platform_core.envelope import Event
from platform_core.naming import lake_alerts_topic
from platform_core.raw_zone import encode_lines
from platform_core.resources import Resources
from tests.fixtures.aws import isolated_config
from tests.integration.test_orders_kpis import ORDERS_KPIS
from tools.report import console_summary, write_report
from tools.traffic import lake_events, put_objects, raw_objects

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.needs_glue, pytest.mark.needs_athena]

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(hours=30)  # two event dates, well inside the queries' 7-day window


@dataclass
class Lake:
    resources: Resources
    workdir: Path
    events: dict[tuple[str, str], Event] = field(default_factory=dict)  # unique (team, event_id) -> event
    rejected: list[dict[str, Any]] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)
    pending: list[Event] = field(default_factory=list)  # written to raw by one step, curated by the next

    def add(self, events: list[Event]) -> None:
        for event in events:
            self.events.setdefault((event.team, str(event.event_id)), event)


@pytest.fixture(scope="module")
def lake(aws_endpoint_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    resources = Resources(isolated_config(), "dev")
    provision(resources)
    yield Lake(resources, tmp_path_factory.mktemp("lake"))


def curated_state(resources: Resources) -> dict[str, str]:
    """What readers see: every partition manifest and its ETag (a new version is invisible until switched)."""
    objects = pipeline.list_objects(resources.curated_bucket, "curated/")
    return {k: etag for k, etag in objects.items() if k.endswith("/manifest")}


def curated_rows(resources: Resources, workdir: Path) -> list[tuple[Any, ...]]:
    engine = LocalEngine(lake_root(workdir))
    try:
        return sorted(tuple(r.values()) for r in engine.execute("SELECT * FROM events").to_pylist())
    finally:
        engine.close()


def rejected_document(
    rng: random.Random, team: str, at: datetime, n_events: int
) -> tuple[str, dict[str, Any]]:
    request_id = f"req-{uuid.UUID(int=rng.getrandbits(128))}"
    events = []
    for index in range(n_events):
        typed = rng.random() < 0.7
        event: dict[str, Any] = {
            "index": index,
            "reasons": [{"path": "payload.total.amount", "message": "'abc' does not match"}],
            "raw": {"event_type": "orders.order_created"} if typed else "not an object",
        }
        if typed:
            event["event_type"] = rng.choice(["orders.order_created", "orders.stock_reserved"])
            event["event_id"] = str(uuid.UUID(int=rng.getrandbits(128)))
        events.append(event)
    document = {
        "request_id": request_id,
        "team": team,
        "received_at": at.isoformat().replace("+00:00", "Z"),
        "correlation_id": request_id,
        "source_ip": "127.0.0.1",
        "events": events,
    }
    return naming.rejected_key(team, at, request_id), document


# --- independent answers ----------------------------------------------------------------------------


def half_up(numerator: int, denominator: int, places: int) -> float:
    """numerator / denominator rounded as SQL's round() does (half away from zero), not as Python's (half even)."""
    quotient = Decimal(numerator) / Decimal(denominator)
    return float(quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)


def expected(lake: Lake) -> dict[str, list[dict[str, Any]]]:
    events = [e for e in lake.events.values() if e.occurred_at >= START - timedelta(days=1)]
    created = [e for e in events if e.event_type == "orders.order_created"]

    per_minute = Counter(_utc(e.occurred_at).replace(second=0, microsecond=0) for e in created)
    peak = sorted(per_minute.items(), key=lambda kv: (-kv[1], kv[0]))[:10]

    revenue: dict[tuple[datetime, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for e in created:
        bucket = revenue[
            (_utc(e.occurred_at).replace(minute=0, second=0, microsecond=0), e.payload["total"]["currency"])
        ]
        bucket[0] += 1
        bucket[1] += Decimal(e.payload["total"]["amount"])

    flags: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if "order_id" in e.payload and e.event_type in (
            "orders.order_created",
            "orders.stock_reserved",
            "billing.invoice_issued",
            "orders.order_cancelled",
        ):
            flags[e.payload["order_id"]].add(e.event_type)
    n_created = sum(1 for f in flags.values() if "orders.order_created" in f)
    n_reserved = sum(1 for f in flags.values() if {"orders.order_created", "orders.stock_reserved"} <= f)
    n_invoiced = sum(
        1
        for f in flags.values()
        if {"orders.order_created", "orders.stock_reserved", "billing.invoice_issued"} <= f
    )
    n_cancelled = sum(1 for f in flags.values() if {"orders.order_created", "orders.order_cancelled"} <= f)

    outcomes: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for e in events:
        outcomes[(e.team, e.event_type)][0] += 1
    for document in lake.rejected:
        for r in document["events"]:
            outcomes[(document["team"], r.get("event_type", "unknown"))][1] += 1
    error_rate: list[dict[str, Any]] = [
        {"team": t, "event_type": et, "accepted": a, "rejected": r, "error_rate": half_up(r, a + r, 4)}
        for (t, et), (a, r) in outcomes.items()
    ]
    error_rate.sort(key=lambda row: (-row["error_rate"], row["team"], row["event_type"]))

    docs: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in events:
        if e.event_type == "documents.document_uploaded":
            docs[e.payload["document_type"]][0] += 1
            docs[e.payload["document_type"]][1] += e.payload["size_bytes"]

    volume: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, 0, set()])
    for e in events:
        row = volume[(e.team, f"{_utc(e.occurred_at):%Y-%m-%d}")]
        row[0] += 1
        row[1] += len(e.to_json().encode())
        row[2].add(e.event_type)

    return {
        "orders_per_minute_peak": [{"minute": m, "orders": n} for m, n in peak],
        "revenue_per_hour_by_currency": [
            {"hour": h, "currency": c, "orders": n, "revenue": total}
            for (h, c), (n, total) in sorted(revenue.items())
        ],
        "order_funnel": [
            {
                "created": n_created,
                "reserved": n_reserved,
                "invoiced": n_invoiced,
                "cancelled": n_cancelled,
                "reserved_rate": half_up(n_reserved, n_created, 4),
                "invoiced_rate": half_up(n_invoiced, n_reserved, 4),
                "cancellation_rate": half_up(n_cancelled, n_created, 4),
            }
        ],
        "ingestion_error_rate": error_rate,
        "documents_uploaded_by_type": sorted(
            (
                {"document_type": t, "documents": n, "total_bytes": b, "avg_bytes": half_up(b, n, 1)}
                for t, (n, b) in docs.items()
            ),
            key=lambda r: (-r["documents"], r["document_type"]),
        ),
        "team_event_volume": [
            {"team": t, "event_date": d, "events": n, "bytes": b, "event_types": len(types)}
            for (t, d), (n, b, types) in sorted(volume.items())
        ],
    }


def latencies(lake: Lake) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = defaultdict(list)
    for e in lake.events.values():
        out[(e.team, e.event_type)].append((e.received_at - e.occurred_at) // timedelta(milliseconds=1))
    return {k: sorted(v) for k, v in out.items()}


def nearest_rank(values: list[int], q: float) -> int:
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def normalise(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, Decimal):
        return value.normalize()
    return value


# Named queries over payloads this lake's generated traffic does not carry, each checked against
# independent answers by its own test (billing's invoices: tests/unit/test_invoice_kpis.py).
CHECKED_ELSEWHERE = {"invoiced_revenue_by_day", "vat_collected_by_rate", "order_to_invoice_days"}


def assert_kpis(lake: Lake) -> None:
    engine = LocalEngine(lake_root(lake.workdir))
    try:
        actual = {
            p.stem: engine.run_file(p).to_pylist() for p in sorted((ATHENA_DIR / "queries").glob("*.sql"))
        }
    finally:
        engine.close()
    want = expected(lake)
    # The invoice, order and document services' KPIs are checked on their own events in their own tests.
    documents = {p.stem for p in (ATHENA_DIR / "queries").glob("documents_*.sql")} - {
        "documents_uploaded_by_type"
    }
    notifications = {p.stem for p in (ATHENA_DIR / "queries").glob("notifications_*.sql")}
    checked_elsewhere = CHECKED_ELSEWHERE | ORDERS_KPIS | documents | notifications
    assert set(actual) == set(want) | {"ingest_latency_p95"} | checked_elsewhere, (
        "every named query is checked"
    )
    for name, rows in want.items():
        assert rows, f"{name}: the generated data must give the query something to answer"
        got = [{k: normalise(v) for k, v in row.items()} for row in actual[name]]
        assert got == [{k: normalise(v) for k, v in row.items()} for row in rows], name
    # p95 is approximate in Athena (and in DuckDB): it must fall between the exact 90th and 99th percentiles.
    exact = latencies(lake)
    assert {(r["team"], r["event_type"]) for r in actual["ingest_latency_p95"]} == set(exact)
    for row in actual["ingest_latency_p95"]:
        values = exact[(row["team"], row["event_type"])]
        assert row["events"] == len(values)
        assert row["max_ms"] == values[-1]
        assert nearest_rank(values, 0.90) <= row["p95_ms"] <= nearest_rank(values, 0.99), row


# --- the steps ----------------------------------------------------------------------------------------


def test_first_run_curates_dedupes_quarantines_and_answers_every_kpi(lake: Lake, spark: SparkSession) -> None:
    resources, s3 = lake.resources, client("s3")
    events = lake_events(900, START, timedelta(hours=28), seed=11)
    lake.add(events)
    objects = raw_objects(events, batch_size=200)
    # At-least-once upstream: 15 events stored again in another raw object.
    replayed = events[100:115]
    replay_key = naming.raw_key("orders", NOW - timedelta(hours=1), "batch-replay")
    objects[replay_key] = encode_lines(e.to_json() for e in replayed if e.team == "orders")
    bad_event = json.loads(events[0].to_json()) | {"event_id": "not-a-uuid"}
    lake.bad_lines = ["{this is not json", json.dumps(bad_event)]
    objects[naming.raw_key("orders", NOW - timedelta(hours=2), "batch-bad")] = encode_lines(
        [lake.bad_lines[0], events[1].to_json(), lake.bad_lines[1]]
    )
    put_objects(s3, resources.raw_bucket, objects)
    rng = random.Random(5)
    for i in range(6):
        key, document = rejected_document(
            rng, rng.choice(["orders", "billing"]), NOW - timedelta(hours=3 + i), 1 + i % 3
        )
        lake.rejected.append(document)
        s3.put_object(
            Bucket=resources.rejected_bucket,
            Key=key,
            Body=json.dumps(document, indent=2 if i % 2 else None).encode(),
        )

    result = pipeline.run_lake(resources, lake.workdir, spark=spark)

    assert result.ok, result.error
    assert result.new_raw_objects == len(objects)
    events_run = result.tables["events"]
    assert events_run.quarantined == 2
    assert events_run.added == len(lake.events)
    assert events_run.duplicates == events_run.input_rows - 2 - len(lake.events) > 0
    assert result.tables["rejected_events"].added == sum(len(d["events"]) for d in lake.rejected)
    assert all(c.passed for c in result.checks) and {c.name for c in result.checks} == {
        "curated_matches_raw",
        "no_duplicate_event_ids",
    }
    # Compacted: each partition's manifest names one zstd Parquet file.
    s3 = client("s3")
    for key in (k for k in curated_state(resources) if k.startswith("curated/events/")):
        body = s3.get_object(Bucket=resources.curated_bucket, Key=key)["Body"].read().decode()
        assert len(body.splitlines()) == 1, key
    sample = next(p for p in (lake_root(lake.workdir) / "curated").rglob("*.parquet"))
    assert pq.ParquetFile(sample).metadata.row_group(0).column(0).compression == "ZSTD"
    report = write_report(lake_root(lake.workdir), lake.workdir / "lake-report.html", result)
    assert "<svg" in report.read_text()

    assert_kpis(lake)
    summary = console_summary(result, report)
    assert "check curated_matches_raw: passed" in summary and "order_funnel" in summary
    assert f"KPI report: {report}" in summary
    engine = LocalEngine(lake_root(lake.workdir))
    quarantined = engine.execute(
        "SELECT raw_line, reasons, team FROM quarantined_events ORDER BY raw_line"
    ).to_pylist()
    engine.close()
    assert [q["raw_line"] for q in quarantined] == sorted(lake.bad_lines)
    assert {tuple(q["reasons"]) for q in quarantined} == {
        ("line is not valid JSON",),
        ("event_id: is not a UUID",),
    }
    assert {q["team"] for q in quarantined} == {"orders"}


def test_rerun_over_the_same_input_changes_nothing(lake: Lake, spark: SparkSession) -> None:
    resources = lake.resources
    rows_before = curated_rows(resources, lake.workdir)
    state_before = curated_state(resources)

    # Nothing new: the manifest says so, and no object is touched.
    result = pipeline.run_lake(resources, lake.workdir, spark=spark)
    assert result.ok and result.new_raw_objects == 0 and not result.tables
    assert curated_state(resources) == state_before

    # Forget the manifest: every raw object is processed again, and deduplicated against the curated zone.
    client("s3").delete_object(Bucket=resources.curated_bucket, Key=MANIFEST_KEY)
    result = pipeline.run_lake(resources, lake.workdir, spark=spark)
    assert result.ok, result.error
    assert result.tables["events"].added == 0
    assert result.tables["rejected_events"].added == 0
    assert curated_rows(resources, lake.workdir) == rows_before


class FailingUploads:
    """The S3 client, except that uploads fail after the first one (a crash in the middle of publishing)."""

    def __init__(self, real: Any):
        self.real = real
        self.uploads = 0

    def upload_file(self, *args: Any, **kwargs: Any) -> None:
        self.uploads += 1
        if self.uploads > 1:
            raise ConnectionError("simulated network failure while publishing")
        self.real.upload_file(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_failed_run_leaves_curated_as_it_was_and_alerts(
    lake: Lake, spark: SparkSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = lake.resources
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name=lake_alerts_topic(resources.project, resources.env))["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{resources.project}-alerts-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    more = lake_events(300, NOW - timedelta(hours=5), timedelta(hours=4), seed=12)
    put_objects(client("s3"), resources.raw_bucket, raw_objects(more, batch_size=100))
    lake.pending = more
    state_before = curated_state(resources)
    manifest_before = (
        client("s3").get_object(Bucket=resources.curated_bucket, Key=MANIFEST_KEY)["Body"].read()
    )

    real_client = pipeline.client
    failing = FailingUploads(real_client("s3"))
    monkeypatch.setattr(
        pipeline, "client", lambda service: failing if service == "s3" else real_client(service)
    )
    result = pipeline.run_lake(resources, lake.workdir, spark=spark)
    monkeypatch.undo()

    assert not result.ok and "simulated network failure" in (result.error or "")
    assert failing.uploads >= 2
    assert curated_state(resources) == state_before
    assert (
        client("s3").get_object(Bucket=resources.curated_bucket, Key=MANIFEST_KEY)["Body"].read()
        == manifest_before
    )
    assert result.alert_published
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2).get("Messages", [])
    assert messages and result.run_id in messages[0]["Body"]


def test_incremental_run_processes_only_the_new_objects(lake: Lake, spark: SparkSession) -> None:
    more = lake.pending
    new_objects = raw_objects(more, batch_size=100)
    result = pipeline.run_lake(lake.resources, lake.workdir, spark=spark)
    assert result.ok, result.error
    assert result.new_raw_objects == len(new_objects)
    before = len(lake.events)
    lake.add(more)
    assert result.tables["events"].added == len(lake.events) - before
    assert_kpis(lake)


def test_checks_catch_a_duplicated_file_and_the_job_is_not_rerun(lake: Lake) -> None:
    resources, s3 = lake.resources, client("s3")
    key = next(k for k in curated_state(resources) if k.startswith("curated/events/team=orders/"))
    manifest = s3.get_object(Bucket=resources.curated_bucket, Key=key)["Body"].read().decode()
    (location,) = manifest.splitlines()
    source = location.split("/", 3)[3]
    copy = source.replace(".parquet", "-copy.parquet")
    s3.copy_object(
        Bucket=resources.curated_bucket,
        Key=copy,
        CopySource={"Bucket": resources.curated_bucket, "Key": source},
    )
    # A manifest that names a file twice (a corrupted switch): every row of the partition is there twice.
    s3.put_object(
        Bucket=resources.curated_bucket,
        Key=key,
        Body=f"{manifest}{location.replace(source, copy)}\n".encode(),
    )
    # No Spark session: nothing is new, so the job does not start; the checks see the corruption.
    result = pipeline.run_lake(resources, lake.workdir, spark=object())
    assert not result.ok
    failed = {c.name: c for c in result.checks if not c.passed}
    assert set(failed) == {"no_duplicate_event_ids", "curated_matches_raw"}
    assert failed["no_duplicate_event_ids"].violations[0]["copies"] == 2
    assert result.error and "no_duplicate_event_ids" in result.error

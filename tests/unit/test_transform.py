"""The raw -> curated transform on small in-memory inputs (real Spark, one session for the file)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from glue_jobs.contract import table
from glue_jobs.raw_to_curated import run, transform, versions
from local_platform.query.engine import LocalEngine
from tools.traffic import TrafficGenerator

pytestmark = pytest.mark.spark

START = datetime(2026, 3, 1, 23, 59, 0, tzinfo=UTC)
KEY = "raw/team=orders/dt=2026-03-01/hour=23/batch-1.jsonl.gz"


def lines_df(spark: SparkSession, lines: list[str], key: str = KEY) -> DataFrame:
    return spark.createDataFrame(
        [(line, f"file:/tmp/stage/{key}") for line in lines], "value string, source_file string"
    )


def test_spark_schema_is_derived_from_the_contract() -> None:
    envelope_fields = transform.envelope_schema().fieldNames()
    assert {"event_id", "occurred_at", "payload", "team", "received_at"} <= set(envelope_fields)
    ddl = table("events").spark_ddl()
    assert "`amount` DECIMAL(18,4)" in ddl.replace(", 4", ",4")
    assert "`occurred_at` TIMESTAMP" in ddl


def test_parse_flattens_types_and_quarantines_with_reasons(spark: SparkSession) -> None:
    created = TrafficGenerator(1, start=START).stored_events(1)[0]
    # The same instant with a +02:00 offset: event_date must be the UTC date.
    shifted = json.loads(created.to_json())
    shifted["occurred_at"] = "2026-03-02T01:59:00+02:00"
    shifted["event_id"] = "0b1e8c3e-2a6c-4c47-9d0e-6f7c1d2b3a4f"
    bad_uuid = json.loads(created.to_json()) | {"event_id": "not-a-uuid"}
    no_source = {k: v for k, v in json.loads(created.to_json()).items() if k != "source"}
    wrong_team = json.loads(created.to_json()) | {
        "team": "billing",
        "event_id": "1b1e8c3e-2a6c-4c47-9d0e-6f7c1d2b3a4f",
    }
    bad_time = json.loads(created.to_json()) | {
        "occurred_at": "2026-03-01",
        "event_id": "2b1e8c3e-2a6c-4c47-9d0e-6f7c1d2b3a4f",
    }
    payload_list = json.loads(created.to_json()) | {
        "payload": [1],
        "event_id": "3b1e8c3e-2a6c-4c47-9d0e-6f7c1d2b3a4f",
    }
    lines = [
        created.to_json(),
        json.dumps(shifted),
        "{not json",
        "[1, 2]",
        json.dumps(bad_uuid),
        json.dumps(no_source),
        json.dumps(wrong_team),
        json.dumps(bad_time),
        json.dumps(payload_list),
        "   ",
    ]
    parsed = transform.parse_events(lines_df(spark, lines)).collect()
    assert len(parsed) == 9  # the blank line is not an event
    # Only the rows bound for the quarantine keep their raw line; every row has its hash.
    valid = {r["event_id"]: r for r in parsed if r["value"] is None}
    rows = {r["value"]: r for r in parsed if r["value"] is not None}
    assert set(valid) == {str(created.event_id), shifted["event_id"]}
    assert len({r[transform.LINE_HASH] for r in parsed}) == 9

    good = valid[str(created.event_id)]
    assert good["_reasons"] == []
    assert good["event_date"] == "2026-03-01"
    assert good["team"] == "orders"
    assert good["domain"] == "orders"
    assert good["amount"] == Decimal(created.payload["total"]["amount"]).quantize(Decimal("0.0001"))
    assert good["currency"] == created.payload["total"]["currency"]
    assert good["line_count"] == len(created.payload["lines"])
    assert good["order_id"] == created.payload["order_id"]
    assert good["document_type"] is None and good["size_bytes"] is None
    assert json.loads(good["payload_json"]) == created.payload
    assert good["event_bytes"] == len(created.to_json().encode())
    assert good["raw_object"] == KEY
    assert good["occurred_at"] == created.occurred_at.astimezone(UTC).replace(tzinfo=None)

    assert valid[shifted["event_id"]]["event_date"] == "2026-03-01"
    assert valid[shifted["event_id"]]["_reasons"] == []
    reasons = {line: row["_reasons"] for line, row in rows.items()}
    assert len(reasons) == 7
    assert reasons["{not json"] == ["line is not valid JSON"]
    assert reasons["[1, 2]"] == ["line is not valid JSON"] or reasons["[1, 2]"] == [
        "line is not a JSON object"
    ]
    assert reasons[json.dumps(bad_uuid)] == ["event_id: is not a UUID"]
    assert reasons[json.dumps(no_source)] == ["source: missing"]
    assert reasons[json.dumps(wrong_team)] == [
        "team: differs from the team of the raw object it was stored in"
    ]
    assert reasons[json.dumps(bad_time)] == ["occurred_at: is not an RFC 3339 date-time"]
    assert reasons[json.dumps(payload_list)] == ["payload: is not a JSON object"]
    for line in reasons:
        assert rows[line]["event_date"] is None


def test_document_fields(spark: SparkSession) -> None:
    generator = TrafficGenerator(2, start=START)
    doc = generator.stored(*generator.document_upload())
    key = "raw/team=documents/dt=2026-03-01/hour=23/b.jsonl.gz"
    (row,) = transform.parse_events(lines_df(spark, [doc.to_json()], key)).collect()
    assert row["_reasons"] == []
    assert row["document_type"] == doc.payload["document_type"]
    assert row["size_bytes"] == doc.payload["size_bytes"]
    assert row["amount"] is None and row["line_count"] is None


def test_rejected_documents_one_row_per_event(spark: SparkSession) -> None:
    document = {
        "request_id": "req-1",
        "team": "orders",
        "received_at": "2026-03-01T23:10:00.5Z",
        "correlation_id": "c-1",
        "source_ip": "10.0.0.1",
        "events": [
            {
                "index": 0,
                "event_type": "orders.order_created",
                "reasons": [{"path": "payload.total", "message": "required"}],
                "raw": {"a": 1},
            },
            {
                "index": 3,
                "reasons": [{"path": "event_type", "message": "missing"}, {"path": "x", "message": "y"}],
                "raw": "junk",
            },
        ],
    }
    key = "rejected/team=orders/dt=2026-03-01/hour=23/req-1.json"
    docs = spark.createDataFrame(
        [
            (json.dumps(document, indent=2), f"file:/s/{key}"),
            ("{oops", f"file:/s/{key.replace('req-1', 'req-2')}"),
        ],
        "value string, source_file string",
    )
    rows = transform.parse_rejected(docs).collect()
    good = sorted((r for r in rows if not r["_reasons"]), key=lambda r: r["event_index"])
    assert [(r["event_index"], r["event_type"], r["reason_count"]) for r in good] == [
        (0, "orders.order_created", 1),
        (3, None, 2),
    ]
    assert good[0]["first_reason"] == "payload.total: required"
    assert good[0]["event_date"] == "2026-03-01" and good[0]["team"] == "orders"
    assert json.loads(good[0]["raw_json"]) == {"a": 1}
    assert good[1]["raw_json"] == "junk"  # a bare JSON string keeps its text, unquoted
    (bad,) = [r for r in rows if r["_reasons"]]
    assert bad["team"] == "orders" and bad["event_date"] is None


def orders_events(seed: int, n: int, start: datetime = START) -> list[Any]:
    """n stored events of the orders team (the raw object they are read from is the orders team's)."""
    generated = TrafficGenerator(seed, start=start).stored_events(n * 8)
    return [e for e in generated if e.team == "orders"][:n]


def local_lake(tmp_path: Path, before_switch: Any = None) -> run.Lake:
    """The curated bucket as a directory (<tmp>/curated/<key>), as job.py runs off Glue."""
    root = str(tmp_path / "curated")
    store = versions.LocalStore(root)
    return run.Lake(store, read_root=root, write_root=root, before_switch=before_switch or (lambda: None))


def curated(
    tmp_path: Path, sql: str = "SELECT event_id, event_date FROM events ORDER BY event_id"
) -> list[tuple[Any, ...]]:
    """What a reader sees: the local Athena engine over the bucket (through the partitions' manifests)."""
    engine = LocalEngine(tmp_path)
    try:
        return [tuple(r.values()) for r in engine.execute(sql).to_pylist()]
    finally:
        engine.close()


def test_run_dedupes_within_run_and_against_curated_and_compacts(spark: SparkSession, tmp_path: Path) -> None:
    events = TrafficGenerator(3, start=START - timedelta(hours=1)).stored_events(29)
    events = [e for e in events if e.team == "orders"]
    first, second = events[: len(events) // 2], events[len(events) // 3 :]  # overlapping halves
    lake = local_lake(tmp_path)

    lines = [e.to_json() for e in first] + [first[0].to_json()]  # a duplicate within the run
    result = run.run(spark, lines_df(spark, lines), None, lake, "run-1")["events"]
    assert (result.input_rows, result.quarantined, result.added, result.duplicates) == (
        len(first) + 1,
        0,
        len(first),
        1,
    )

    lines = [e.to_json() for e in second] + ["garbage"]
    result = run.run(spark, lines_df(spark, lines), None, lake, "run-2")["events"]
    overlap = len({e.event_id for e in first} & {e.event_id for e in second})
    assert result.quarantined == 1
    assert result.added == len(second) - overlap
    assert result.duplicates == overlap

    assert sorted(r[0] for r in curated(tmp_path)) == sorted(str(e.event_id) for e in events)
    manifest = versions.read_manifest(lake.store, versions.manifest_key("events", ("orders", "2026-03-01")))
    assert len(manifest) == 1 and "/_versions/run-2/" in manifest[0]  # compacted: one file, this run's
    assert (tmp_path / "curated" / versions.key_of(manifest[0])).read_bytes()[:4] == b"PAR1"
    quarantined = []
    for path in (tmp_path / "curated" / "quarantine").rglob("*.json.gz"):
        with gzip.open(path, "rt") as handle:
            quarantined += [json.loads(line) for line in handle]
    assert [q["raw_line"] for q in quarantined] == ["garbage"]
    assert quarantined[0]["reasons"] == ["line is not valid JSON"]


def test_the_first_copy_wins_across_dates_and_a_curated_row_always_wins(
    spark: SparkSession, tmp_path: Path
) -> None:
    created = TrafficGenerator(5, start=START).stored_events(1)[0]
    original = json.loads(created.to_json())
    # A later copy of the same event that claims another day, and an earlier one with another amount.
    later = original | {"received_at": "2026-03-05T00:00:00Z", "occurred_at": "2026-03-04T23:00:00Z"}
    earlier = original | {"received_at": "2000-01-01T00:00:00Z"}
    earlier["payload"] = original["payload"] | {"total": {"amount": "1.00", "currency": "EUR"}}
    lake = local_lake(tmp_path)

    lines = [json.dumps(later), json.dumps(original), json.dumps(original)]  # two identical copies too
    result = run.run(spark, lines_df(spark, lines), None, lake, "run-1")["events"]
    assert (result.input_rows, result.added, result.duplicates) == (3, 1, 2)
    assert curated(tmp_path) == [(original["event_id"], "2026-03-01")]

    result = run.run(spark, lines_df(spark, [json.dumps(earlier)]), None, lake, "run-2")["events"]
    assert (result.added, result.duplicates) == (0, 1)
    assert curated(tmp_path, "SELECT amount FROM events") == [
        (Decimal(original["payload"]["total"]["amount"]).quantize(Decimal("0.0001")),)
    ]


def test_a_copy_claiming_a_partition_the_run_does_not_touch_is_not_curated_twice(
    spark: SparkSession, tmp_path: Path
) -> None:
    """A producer re-sends an event after the idempotency window with another occurred_at: the copy falls in
    a partition that holds nothing of the event, in a later run; the key index still knows it."""
    events = orders_events(9, 6)
    lake = local_lake(tmp_path)
    run.run(spark, lines_df(spark, [e.to_json() for e in events]), None, lake, "run-1")
    before = curated(tmp_path)
    resent = json.loads(events[2].to_json()) | {
        "occurred_at": "2026-04-10T08:00:00Z",
        "received_at": "2026-04-10T08:00:01Z",
    }
    fresh = orders_events(10, 1, start=START + timedelta(days=40))[0]
    lines = [json.dumps(resent), fresh.to_json()]
    result = run.run(spark, lines_df(spark, lines, key=KEY.replace("03-01", "04-10")), None, lake, "run-2")
    assert (result["events"].added, result["events"].duplicates) == (1, 1)
    after = curated(tmp_path)
    assert Counter(r[0] for r in after)[str(events[2].event_id)] == 1
    assert sorted(after) == sorted([*before, (str(fresh.event_id), fresh.occurred_at.strftime("%Y-%m-%d"))])


def test_a_run_dying_between_write_and_switch_changes_nothing_readers_see(
    spark: SparkSession, tmp_path: Path
) -> None:
    events = orders_events(11, 8)
    first, second = events[:5], events[3:]
    run.run(spark, lines_df(spark, [e.to_json() for e in first]), None, local_lake(tmp_path), "run-1")
    seen = curated(tmp_path, "SELECT * FROM events ORDER BY event_id")
    bucket = tmp_path / "curated"
    manifests = {p: p.read_bytes() for p in bucket.rglob("manifest")}

    def dies() -> None:
        raise RuntimeError("injected: the run dies between write and switch")

    lines = lines_df(spark, [e.to_json() for e in second] + ["garbage"])
    with pytest.raises(RuntimeError, match="between write and switch"):
        run.run(spark, lines, None, local_lake(tmp_path, before_switch=dies), "run-2")
    assert any((bucket / versions.version_prefix("events", "run-2")).rglob("*.parquet"))  # written...
    assert {p: p.read_bytes() for p in bucket.rglob("manifest")} == manifests  # ...not switched
    assert curated(tmp_path, "SELECT * FROM events ORDER BY event_id") == seen
    assert not list((bucket / "quarantine").rglob("*.json.gz"))

    result = run.run(spark, lines, None, local_lake(tmp_path), "run-3")["events"]
    assert (result.added, result.quarantined) == (len(events) - len(first), 1)
    assert sorted(r[0] for r in curated(tmp_path)) == sorted(str(e.event_id) for e in events)
    # The dead run's files are gone, and so are the ones run-3's switch replaced once a later run starts.
    assert not (bucket / versions.version_prefix("events", "run-2")).exists() or not any(
        (bucket / versions.version_prefix("events", "run-2")).rglob("*.parquet")
    )
    assert len(list((bucket / "quarantine").rglob("*.json.gz"))) == 1


def test_a_run_dying_after_its_commit_is_switched_in_by_the_next_run(
    spark: SparkSession, tmp_path: Path
) -> None:
    events = orders_events(12, 6)
    lake = local_lake(tmp_path)
    run.run(spark, lines_df(spark, [e.to_json() for e in events[:3]]), None, lake, "run-1")
    applied = versions.apply

    def dies_after_one_manifest(store: Any, pending: versions.Commit) -> None:
        key, locations = sorted(pending.manifests.items())[0]
        store.write(key, "".join(f"{loc}\n" for loc in locations).encode())
        raise RuntimeError("injected: the run dies during its switch")

    versions.apply = dies_after_one_manifest
    try:
        with pytest.raises(RuntimeError, match="during its switch"):
            run.run(spark, lines_df(spark, [e.to_json() for e in events[3:]]), None, lake, "run-2")
    finally:
        versions.apply = applied
    assert lake.store.read(versions.PENDING_KEY) is not None  # committed, not fully switched
    # The next run (with nothing new) finishes the switch first.
    result = run.run(spark, lines_df(spark, [events[0].to_json()]), None, lake, "run-3")["events"]
    assert (result.added, result.duplicates) == (0, 1)
    assert lake.store.read(versions.PENDING_KEY) is None
    assert sorted(r[0] for r in curated(tmp_path)) == sorted(str(e.event_id) for e in events)


@pytest.mark.parametrize(
    ("occurred_at", "valid"),
    [
        ("2026-03-01T10:00:00Z", True),
        ("2026-03-01T10:00:00.1+02:00", True),
        ("2026-03-01T10:00:00.123456789-05:30", True),
        ("2026-03-01T10:00:00", False),  # no offset
        ("2026-03-01 10:00:00Z", False),
        ("2026-03-01", False),
        ("2026-02-30T10:00:00Z", False),
        ("2026-03-01T10:00:00+0200", False),
    ],
)
def test_date_times_must_be_rfc3339(spark: SparkSession, occurred_at: str, valid: bool) -> None:
    event = json.loads(TrafficGenerator(7, start=START).stored_events(1)[0].to_json())
    (row,) = transform.parse_events(
        lines_df(spark, [json.dumps(event | {"occurred_at": occurred_at})])
    ).collect()
    assert row["_reasons"] == ([] if valid else ["occurred_at: is not an RFC 3339 date-time"])

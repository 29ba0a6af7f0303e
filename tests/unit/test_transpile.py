"""The local engine: Trino SQL transpiled to DuckDB over files laid out like the buckets (no Spark here)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from glue_jobs.contract import load_tables
from local_platform.query.engine import LocalEngine, transpile
from tests.fixtures.curated import write_partition
from tools.query import main as query_main

# What the Glue job writes for each contract type (Spark's Parquet types).
ARROW_TYPES = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "decimal(18,4)": pa.decimal128(18, 4),
    "int": pa.int32(),
    "bigint": pa.int64(),
}


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    contract = load_tables()["events"]
    rows: dict[str, list[Any]] = {c.name: [None, None, None] for c in contract.columns}
    rows["event_id"] = ["e1", "e2", "e3"]
    rows["event_type"] = ["orders.order_created"] * 3
    rows["occurred_at"] = [
        datetime(2026, 3, 1, 10, 0, 0),
        datetime(2026, 3, 1, 10, 0, 1, 500000),
        datetime(2026, 3, 1, 11, 0),
    ]
    rows["received_at"] = [
        datetime(2026, 3, 1, 10, 0, 0, 250000),
        datetime(2026, 3, 1, 10, 0, 2),
        datetime(2026, 3, 1, 11, 0, 1),
    ]
    rows["amount"] = [Decimal("10.5000"), Decimal("2.2500"), Decimal("1.0000")]
    rows["event_bytes"] = [2_000_000_000, 2_000_000_000, 10]
    rows["payload_json"] = ['{"total": {"amount": "10.50"}}', "{}", "{}"]
    schema = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in contract.columns])
    write_partition(tmp_path, "events", ("orders", "2026-03-01"), pa.table(rows, schema=schema))
    raw = tmp_path / "raw" / "raw" / "team=orders" / "dt=2026-03-01" / "hour=23"
    raw.mkdir(parents=True)
    lines = [
        json.dumps(
            {
                "event_id": "e1",
                "occurred_at": "2026-03-02T01:30:00+02:00",
                "received_at": "2026-03-01T23:30:01Z",
            }
        ),
        "{broken",
        json.dumps({"event_id": "e9", "occurred_at": "garbage", "received_at": "2026-03-01T23:30:01Z"}),
    ]
    (raw / "b.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    return tmp_path


def test_tables_have_the_contract_types(lake: Path) -> None:
    engine = LocalEngine(lake)
    described = {r[0]: r[1] for r in engine.connection.execute("DESCRIBE events").fetchall()}
    engine.close()
    assert described["amount"] == "DECIMAL(18,4)"
    assert described["occurred_at"] == "TIMESTAMP"
    assert described["event_bytes"] == "INTEGER"
    assert described["team"] == "VARCHAR" and described["event_date"] == "VARCHAR"


def test_integer_sums_are_bigint_as_in_athena(lake: Path) -> None:
    engine = LocalEngine(lake)
    result = engine.execute("SELECT sum(event_bytes) AS bytes, count(*) AS n FROM events WHERE amount > 1")
    engine.close()
    assert result.schema.field("bytes").type == pa.int64() and result.schema.field("n").type == pa.int64()
    assert result.to_pylist() == [{"bytes": 4_000_000_000, "n": 2}]


def test_trino_functions_answer_like_trino(lake: Path) -> None:
    engine = LocalEngine(lake)
    (row,) = engine.execute(
        """
        SELECT
            date_format(min(occurred_at), '%Y-%m-%d %H:%i') AS first_minute,
            date_trunc('hour', max(occurred_at)) AS last_hour,
            max(date_diff('millisecond', occurred_at, received_at)) AS max_ms,
            max(json_extract_scalar(payload_json, '$.total.amount')) AS json_amount,
            approx_percentile(date_diff('millisecond', occurred_at, received_at), 0.5) AS p50
        FROM events WHERE team = 'orders'
        """
    ).to_pylist()
    engine.close()
    assert row == {
        "first_minute": "2026-03-01 10:00",
        "last_hour": datetime(2026, 3, 1, 11, 0),
        "max_ms": 1000,
        "json_amount": "10.50",
        "p50": 500,
    }


def test_parameters_and_utc_dates_from_offsets(lake: Path) -> None:
    engine = LocalEngine(lake)
    ids = engine.execute("SELECT team, event_id, event_date FROM raw_event_ids").to_pylist()
    # +02:00 at 01:30 is 23:30 UTC the day before; unreadable lines and timestamps are left out.
    assert ids == [{"team": "orders", "event_id": "e1", "event_date": "2026-03-01"}]
    both = engine.execute(
        "SELECT count(*) AS n FROM events WHERE received_at < from_iso8601_timestamp(?) "
        "AND occurred_at >= from_iso8601_timestamp(?) - INTERVAL '2' HOUR",
        ["'2026-03-01T12:00:00+01:00'", "'2026-03-01T12:00:00+01:00'"],
    ).to_pylist()
    engine.close()
    assert both == [{"n": 2}]  # 11:00 UTC cutoff: e3 (received 11:00:01) is out


def test_views_and_queries_transpile_to_duckdb() -> None:
    root = Path(__file__).resolve().parents[2] / "athena"
    for path in sorted(root.glob("*/*.sql")):
        if path.parent.name == "tables":
            continue
        statements = transpile(path.read_text())
        assert len(statements) == 1, path
    (funnel,) = transpile((root / "queries" / "order_funnel.sql").read_text())
    assert "BOOL_OR" in funnel
    (p95,) = transpile((root / "queries" / "ingest_latency_p95.sql").read_text())
    assert "APPROX_QUANTILE" in p95


def test_empty_lake_still_binds_every_query(tmp_path: Path) -> None:
    engine = LocalEngine(tmp_path)
    root = Path(__file__).resolve().parents[2] / "athena" / "queries"
    for path in sorted(root.glob("*.sql")):
        engine.run_file(path)
    engine.close()


def test_cli_formats(lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workdir = lake.parent / "work"
    (workdir).mkdir()
    (workdir / "lake").symlink_to(lake)
    sql = "SELECT event_id, amount FROM events ORDER BY event_id LIMIT 2"
    assert query_main(["--sql", sql, "--format", "csv", "--workdir", str(workdir)]) == 0
    assert capsys.readouterr().out.splitlines() == ["event_id,amount", "e1,10.5000", "e2,2.2500"]
    assert query_main(["--sql", sql, "--format", "json", "--workdir", str(workdir)]) == 0
    assert json.loads(capsys.readouterr().out)[0] == {"event_id": "e1", "amount": "10.5000"}
    assert query_main(["--sql", sql, "--workdir", str(workdir)]) == 0
    assert "2 row(s)" in capsys.readouterr().out
    assert query_main(["--sql", "SELECT 1 / 2", "--workdir", str(workdir)]) == 2
    assert "refused by the lint" in capsys.readouterr().err

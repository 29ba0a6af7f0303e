"""The local engine answers like Trino where plain DuckDB does not.

Each answer is computed independently, in Python, from the rows written to the
curated Parquet (Decimal arithmetic rounded half up, elapsed time, Java-style
regex matching, JSON parsing), never read back from DuckDB; and each case also
shows that DuckDB on sqlglot's plain transpilation answers differently, so
every test here fails without the rewrite it covers.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from glue_jobs.contract import load_tables
from local_platform.query.engine import LocalEngine, ParameterError, table_source, transpile
from local_platform.query.lint import lint_sql
from platform_core.config import ROOT
from tests.fixtures.curated import write_partition

ARROW_TYPES = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "decimal(18,4)": pa.decimal128(18, 4),
    "int": pa.int32(),
    "bigint": pa.int64(),
}

BASE = datetime(2026, 3, 1, 10, 0)
# (occurred_at, received_at, amount, payload_json): chosen to sit on the edges where the engines differ.
ROWS: list[tuple[datetime, datetime, Decimal | None, str]] = [
    # 10:59:30 -> 11:00:10: one hour boundary crossed, no whole hour or minute elapsed.
    (
        BASE + timedelta(minutes=59, seconds=30),
        BASE + timedelta(hours=1, seconds=10),
        Decimal("10.0000"),
        '{"order_id": "ORD-1", "total": {"amount": "10.00", "currency": "EUR"}, "lines": [{"sku": "A"}]}',
    ),
    # 0.4 ms and 1.6 ms: Athena reads milliseconds (rounded), so 0 ms -> 2 ms.
    (
        BASE + timedelta(microseconds=400),
        BASE + timedelta(microseconds=1600),
        Decimal("0.0001"),
        '{"order_id": "ORD-22", "total": {"amount": "0.0001", "currency": "EUR"}, "note": null}',
    ),
    # 23:59:59 -> 00:00:01 the next day: a day boundary, two seconds.
    (
        BASE.replace(hour=23, minute=59, second=59),
        BASE.replace(hour=0, minute=0, second=1) + timedelta(days=1),
        Decimal("2.5000"),
        '{"order_id": "X-3", "total": {"amount": "2.50", "currency": "EUR"}, "tags": ["a"]}',
    ),
    (
        BASE,
        BASE + timedelta(hours=3, minutes=59, seconds=59, microseconds=999_400),
        Decimal("-1.0005"),
        '{"customer_id": "C-9", "total": {"amount": "-1.0005", "currency": "EUR"}}',
    ),
    (BASE, BASE + timedelta(seconds=1), None, "not json at all"),
    # 0.9 s -> 1.1 s: a second boundary, 200 ms.
    (BASE + timedelta(milliseconds=900), BASE + timedelta(milliseconds=1100), Decimal("0.0003"), "[1, 2]"),
]
SIZES = [100, 200, 300, 401, 7, 150]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    contract = load_tables()["events"]
    rows: dict[str, list[Any]] = {c.name: [None] * len(ROWS) for c in contract.columns}
    rows["event_id"] = [f"e{i}" for i in range(len(ROWS))]
    rows["event_type"] = ["orders.order_created"] * len(ROWS)
    rows["occurred_at"] = [r[0] for r in ROWS]
    rows["received_at"] = [r[1] for r in ROWS]
    rows["amount"] = [r[2] for r in ROWS]
    rows["payload_json"] = [r[3] for r in ROWS]
    rows["event_bytes"] = SIZES
    schema = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in contract.columns])
    write_partition(root, "events", ("orders", "2026-03-01"), pa.table(rows, schema=schema))
    return root


@pytest.fixture(scope="module")
def engine(lake: Path) -> Any:
    engine = LocalEngine(lake)
    yield engine
    engine.close()


def plain_duckdb(lake: Path, sql: str) -> list[tuple[Any, ...]]:
    """The same query on DuckDB through sqlglot's transpilation alone (the contract tables, no rewrites)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    contract = load_tables()["events"]
    source = (
        table_source(contract, lake)
        .replace(
            'make_timestamp(CAST(round(epoch_us("occurred_at") / 1000.0) AS BIGINT) * 1000)', '"occurred_at"'
        )
        .replace(
            'make_timestamp(CAST(round(epoch_us("received_at") / 1000.0) AS BIGINT) * 1000)', '"received_at"'
        )
    )
    connection.execute(f"CREATE VIEW events AS {source}")
    (statement,) = transpile(sql)
    return connection.execute(statement).fetchall()


def column(engine: LocalEngine, sql: str, params: list[str] | None = None) -> list[Any]:
    table = engine.execute(sql, params)
    return table.column(0).to_pylist()


# -- independent answers ----------------------------------------------------------------------


def athena_millis(value: datetime) -> datetime:
    """Athena reads a Parquet timestamp into timestamp(3): rounded half up to the millisecond."""
    micros = value.microsecond
    rounded = (micros + 500) // 1000 * 1000
    return value.replace(microsecond=0) + timedelta(microseconds=rounded)


def elapsed_units(start: datetime, end: datetime, unit: timedelta) -> int:
    """Whole units elapsed, truncated toward zero (joda's difference, which Trino's date_diff uses)."""
    delta = athena_millis(end) - athena_millis(start)
    whole = abs(delta) // unit
    return whole if delta >= timedelta(0) else -whole


def half_up(value: Decimal, scale: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def json_scalar(text: str, *path: str) -> str | None:
    """Trino's json_extract_scalar: the scalar's text; NULL for objects, arrays, null, missing or bad JSON."""
    try:
        value: Any = json.loads(text)
    except ValueError:
        return None
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- date_diff ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "length"),
    [
        ("millisecond", timedelta(milliseconds=1)),
        ("second", timedelta(seconds=1)),
        ("minute", timedelta(minutes=1)),
        ("hour", timedelta(hours=1)),
        ("day", timedelta(days=1)),
    ],
)
def test_date_diff_counts_whole_units_elapsed_as_trino_does(
    engine: LocalEngine, lake: Path, unit: str, length: timedelta
) -> None:
    sql = f"SELECT date_diff('{unit}', occurred_at, received_at) FROM events ORDER BY event_id"
    expected = [elapsed_units(start, end, length) for start, end, *_ in ROWS]
    assert column(engine, sql) == expected
    assert [r[0] for r in plain_duckdb(lake, sql)] != expected, "plain DuckDB agrees: the case proves nothing"


# -- regexp_extract -----------------------------------------------------------------------------


def test_regexp_extract_without_a_match_is_null_so_counts_agree(engine: LocalEngine, lake: Path) -> None:
    pattern = r'"order_id": "ORD-(\d+)"'
    sql = (
        f"SELECT count(regexp_extract(payload_json, '{pattern}', 1)) AS matched, "
        f"max(regexp_extract(payload_json, '{pattern}', 1)) AS top FROM events"
    )
    found = [m.group(1) for _, _, _, text in ROWS if (m := re.search(pattern, text))]
    (row,) = engine.execute(sql).to_pylist()
    assert row == {"matched": len(found), "top": max(found)}
    assert plain_duckdb(lake, sql)[0][0] == len(ROWS)  # '' for the rows that do not match, counted


# -- decimals -----------------------------------------------------------------------------------


def test_decimal_division_is_exact_and_rounded_half_up_to_the_larger_scale(
    engine: LocalEngine, lake: Path
) -> None:
    sql = "SELECT amount / 7.0 AS per_day, amount / CAST(3 AS decimal(5, 2)) AS third FROM events ORDER BY event_id"
    rows = engine.execute(sql)
    # decimal(18,4) / decimal(2,1): scale max(4, 1) = 4; / decimal(5,2): scale 4.
    expected = [
        {
            "per_day": None if amount is None else half_up(amount / Decimal("7.0"), 4),
            "third": None if amount is None else half_up(amount / Decimal("3.00"), 4),
        }
        for _, _, amount, _ in ROWS
    ]
    assert rows.to_pylist() == expected
    assert rows.schema.field("per_day").type == pa.decimal128(19, 4)  # min(38, 18 + 1 + max(0, 1 - 4))
    assert isinstance(plain_duckdb(lake, sql)[0][0], float)


def test_an_integer_divided_by_a_decimal_literal_keeps_the_literal_scale(engine: LocalEngine) -> None:
    # count(*) / 7.0: bigint -> decimal(19, 0), result scale 1: 6 / 7.0 = 0.857... -> 0.9
    (value,) = column(engine, "SELECT count(*) / 7.0 FROM events")
    assert value == half_up(Decimal(len(ROWS)) / Decimal(7), 1) == Decimal("0.9")


def test_avg_of_a_decimal_is_a_decimal_of_the_same_type_rounded_half_up(
    engine: LocalEngine, lake: Path
) -> None:
    sql = "SELECT avg(amount) AS mean, avg(amount) FILTER (WHERE amount > 0) AS positive FROM events"
    table = engine.execute(sql)
    amounts = [a for _, _, a, _ in ROWS if a is not None]
    positive = [a for a in amounts if a > 0]
    assert table.to_pylist() == [
        {
            "mean": half_up(sum(amounts, Decimal(0)) / len(amounts), 4),
            "positive": half_up(sum(positive, Decimal(0)) / len(positive), 4),
        }
    ]
    assert table.schema.field("mean").type == pa.decimal128(18, 4)
    assert isinstance(plain_duckdb(lake, sql)[0][0], float)
    windowed = engine.execute("SELECT avg(amount) OVER () AS mean FROM events WHERE amount IS NOT NULL")
    assert set(windowed.column("mean").to_pylist()) == {table.column("mean")[0].as_py()}


def test_avg_over_no_rows_is_null_and_decimal_division_by_zero_fails(engine: LocalEngine) -> None:
    assert column(engine, "SELECT avg(amount) FROM events WHERE false") == [None]
    with pytest.raises(duckdb.Error, match="Division by zero"):
        engine.execute("SELECT amount / CAST(0 AS decimal(3, 1)) FROM events WHERE amount IS NOT NULL")


def test_decimal_without_precision_is_trinos_decimal_38_0(engine: LocalEngine) -> None:
    table = engine.execute("SELECT CAST('2.5' AS DECIMAL) AS d")
    assert table.schema.field("d").type == pa.decimal128(38, 0)
    assert table.column("d").to_pylist() == [Decimal("3")]  # rounded half up, as Trino casts


# -- json_extract_scalar ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [("total",), ("total", "amount"), ("lines",), ("note",), ("tags",), ("missing",)]
)
def test_json_extract_scalar_is_null_for_objects_arrays_and_text_that_is_not_json(
    engine: LocalEngine, path: tuple[str, ...]
) -> None:
    json_path = "$." + ".".join(path)
    sql = f"SELECT json_extract_scalar(payload_json, '{json_path}') FROM events ORDER BY event_id"
    assert column(engine, sql) == [json_scalar(text, *path) for *_, text in ROWS]


def test_plain_duckdb_returns_the_json_text_of_an_object(lake: Path) -> None:
    sql = "SELECT json_extract_scalar(payload_json, '$.total') FROM events WHERE event_id = 'e0'"
    assert plain_duckdb(lake, sql) == [('{"amount":"10.00","currency":"EUR"}',)]


# -- timestamps -------------------------------------------------------------------------------


def test_parquet_timestamps_are_read_at_millisecond_precision_as_athena_reads_them(
    engine: LocalEngine,
) -> None:
    values = column(engine, "SELECT received_at FROM events ORDER BY event_id")
    assert values == [athena_millis(end) for _, end, *_ in ROWS]


def test_from_iso8601_timestamp_keeps_milliseconds(engine: LocalEngine) -> None:
    (value,) = column(engine, "SELECT from_iso8601_timestamp('2026-03-01T10:00:00.123987Z')")
    assert value.microsecond == 123000


# -- parameters -------------------------------------------------------------------------------


def test_parameters_bind_positionally_as_sql_literals(engine: LocalEngine) -> None:
    sql = "SELECT count(*) FROM events WHERE received_at >= from_iso8601_timestamp(?) AND event_bytes > ?"
    start = "2026-03-01T10:00:00Z"
    expected = sum(
        1
        for (_, end, *_), size in zip(ROWS, SIZES, strict=True)
        if athena_millis(end) >= datetime(2026, 3, 1, 10) and size > 150
    )
    assert column(engine, sql, [f"'{start}'", "150"]) == [expected]


def test_a_parameter_count_that_differs_from_the_placeholders_is_refused(engine: LocalEngine) -> None:
    sql = "SELECT count(*) FROM events WHERE event_bytes > ? AND event_bytes < ?"
    with pytest.raises(ParameterError, match="2 parameter placeholder"):
        engine.execute(sql, ["1"])  # Athena does not repeat one value for every `?`
    with pytest.raises(ParameterError, match="not an SQL literal"):
        engine.execute("SELECT ? AS x", ["2026-03-01T10:00:00Z"])  # a string needs its quotes


# -- the lint -----------------------------------------------------------------------------------


def test_a_decimal_divided_by_an_untyped_operand_is_refused_with_a_rewrite() -> None:
    findings = lint_sql("SELECT amount / x FROM events CROSS JOIN (SELECT * FROM unknown_table) AS u")
    assert [f.rule for f in findings] == ["untyped-decimal-division"]
    assert "CAST the operand" in findings[0].why
    typed = (
        "SELECT amount / CAST(x AS decimal(10, 2)) FROM events CROSS JOIN (SELECT * FROM unknown_table) AS u"
    )
    assert lint_sql(typed) == []


# -- make query ---------------------------------------------------------------------------------


def test_make_query_passes_json_paths_and_quotes_through(lake: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "lake").symlink_to(lake)
    sql = "SELECT json_extract_scalar(payload_json, '$.total.amount') AS a, 'it''s' AS b FROM events WHERE event_id = 'e0'"
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "-o",
            "setup",
            "query",
            f"SQL={sql}",
            f"ARGS=--format json --workdir {workdir}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"a": "10.00", "b": "it's"}]

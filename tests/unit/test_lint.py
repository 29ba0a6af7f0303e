"""The lint's rules: each with an example it must reject and one it must accept.

Every claim is checked, not trusted: the rejected example is transpiled and run
in DuckDB, where it fails or answers differently from Trino (Trino's answer is
written next to it, from the Trino documentation's semantics), and the accepted
rewrite answers like Trino.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from local_platform.query import lint
from local_platform.query.engine import LintError, LocalEngine, transpile

# rule -> (rejected Trino SQL, Trino's answer to it, accepted rewrite, its answer in both engines)
CASES: dict[str, tuple[str, Any, str, Any]] = {
    "integer-division": ("SELECT 7 / 2", 3, "SELECT CAST(7 AS double) / 2", 3.5),
    "at-time-zone": (
        "SELECT hour(TIMESTAMP '2024-01-01 12:00:00' AT TIME ZONE 'America/New_York')",
        7,
        "SELECT hour(TIMESTAMP '2024-01-01 12:00:00')",
        12,
    ),
    "format": (
        "SELECT format('%d items', 5)",
        "5 items",
        "SELECT concat(CAST(5 AS varchar), ' items')",
        "5 items",
    ),
    "reduce-finish": (
        "SELECT reduce(ARRAY[1, 2, 3], 0, (s, x) -> s + x, s -> s * 10)",
        60,
        "SELECT reduce(ARRAY[1, 2, 3], 0, (s, x) -> s + x, s -> s) * 10",
        60,
    ),
    "hidden-column": (
        'SELECT "$path" FROM (VALUES (1)) AS t(a)',
        "s3://...",
        "SELECT a FROM (VALUES (1)) AS t(a)",
        1,
    ),
    "format-datetime": (
        "SELECT format_datetime(TIMESTAMP '2024-01-01 12:00:00', 'yyyy-MM-dd')",
        "2024-01-01",
        "SELECT date_format(TIMESTAMP '2024-01-01 12:00:00', '%Y-%m-%d')",
        "2024-01-01",
    ),
    "count-if": (
        "SELECT count_if(x) FROM (SELECT true AS x) AS t WHERE false",
        0,
        "SELECT count(CASE WHEN x THEN 1 END) FROM (SELECT true AS x) AS t WHERE false",
        0,
    ),
    "unnest-multi": (
        "SELECT sum(a * length(b)) FROM UNNEST(ARRAY[1, 2], ARRAY['x', 'yy']) AS u(a, b)",
        5,
        "SELECT sum(a) FROM UNNEST(ARRAY[1, 2]) AS u(a)",
        3,
    ),
}


def duckdb_answer(trino_sql: str) -> Any:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    (statement,) = transpile(trino_sql)
    row = connection.execute(statement).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_rejects_what_duckdb_gets_wrong(rule: str) -> None:
    rejected, trino_answer, _, _ = CASES[rule]
    findings = lint.lint_sql(rejected, "example.sql")
    assert [f.rule for f in findings] == [rule]
    assert findings[0].file == "example.sql" and findings[0].line == 1 and findings[0].why
    try:
        answer = duckdb_answer(rejected)
    except duckdb.Error:
        return  # fails locally: the second kind of construct
    assert answer != trino_answer, f"{rule}: DuckDB now agrees with Trino; the rule may be retired"


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_accepts_the_rewrite_which_answers_like_trino(rule: str) -> None:
    _, _, accepted, answer = CASES[rule]
    assert lint.lint_sql(accepted) == []
    assert duckdb_answer(accepted) == answer


def test_ctas_properties_are_dropped_by_the_transpilation() -> None:
    rejected = "CREATE TABLE t WITH (format = 'PARQUET', partitioned_by = ARRAY['a']) AS SELECT 1 AS a"
    assert [f.rule for f in lint.lint_sql(rejected)] == ["ctas-properties"]
    (statement,) = transpile(rejected)
    assert "PARQUET" not in statement.upper() and "PARTITION" not in statement.upper()
    duckdb.connect().execute(statement)  # it runs: the difference is silent
    accepted = "CREATE TABLE t AS SELECT 1 AS a"
    assert lint.lint_sql(accepted) == []


def test_integer_division_uses_the_table_contract_types() -> None:
    assert [f.rule for f in lint.lint_sql("SELECT sum(event_bytes) / count(*) FROM events")] == [
        "integer-division"
    ]
    assert lint.lint_sql("SELECT sum(amount) / count(*) FROM events") == []  # decimal
    assert lint.lint_sql("SELECT CAST(sum(event_bytes) AS double) / count(*) FROM events") == []


def test_findings_point_at_the_line() -> None:
    sql = "SELECT\n    team,\n    format_datetime(occurred_at, 'yyyy') AS y\nFROM events"
    (finding,) = lint.lint_sql(sql, "q.sql")
    assert (finding.file, finding.line, finding.rule) == ("q.sql", 3, "format-datetime")
    assert "FORMAT_DATETIME" in finding.construct.upper()
    assert str(finding).startswith("q.sql:3: [format-datetime]")


def test_every_athena_sql_file_is_clean() -> None:
    files = lint.sql_files()
    assert len(files) >= 12
    assert lint.lint_paths(files) == []


def test_cli_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT 1 / 2")
    assert lint.main([str(bad)]) == 1
    assert "bad.sql:1: [integer-division]" in capsys.readouterr().out
    good = tmp_path / "good.sql"
    good.write_text("SELECT 1")
    assert lint.main([str(good)]) == 0


def test_the_engine_refuses_what_the_lint_rejects(tmp_path: Path) -> None:
    engine = LocalEngine(tmp_path)
    with pytest.raises(LintError) as raised:
        engine.execute("SELECT count(*) / 2 FROM events")
    assert raised.value.findings[0].rule == "integer-division"
    engine.close()

"""Lint for the repository's Athena SQL: reject what the local engine would not answer like Athena.

The local engine runs Athena's Trino SQL on DuckDB through sqlglot. A few
Trino constructs transpile to SQL that runs but answers differently, or that
fails; each rule below names one, on the parsed AST (never on text), with what
was measured with the pinned versions (sqlglot 30, DuckDB 2.0; see
tests/unit/test_lint.py, which runs every example through both):

  integer-division  `a / b` with integer operands: Trino truncates (7 / 2 = 3), DuckDB's `/`
                    is float division (3.5); sqlglot keeps `/`.
  untyped-decimal-division
                    a decimal divided by (or dividing) an operand whose type cannot be
                    inferred: the engine reproduces Trino's exact decimal division
                    (local_platform.query.trino) only when it knows both types.
  at-time-zone      `ts AT TIME ZONE 'zone'`: Trino converts a timestamp read in the session
                    zone (UTC on Athena) to the zone; DuckDB reads the timestamp as local time
                    in that zone (12:00 New York -> 07:00 vs 17:00 UTC).
  format            `format(fmt, ...)`: Trino is Java's String.format; sqlglot rewrites only
                    `%s` to DuckDB's `{}`, so `%d`, `%.2f`, ... come back verbatim.
  reduce-finish     `reduce(array, init, step, finish)`: sqlglot drops the finish function
                    (reduce(ARRAY[1,2,3], 0, (s,x) -> s + x, s -> s * 10) is 60 in Trino, 6);
                    only the identity finish `s -> s` is accepted.
  ctas-properties   `CREATE TABLE ... WITH (format, partitioned_by, ...) AS`: sqlglot drops the
                    properties, so the table is created, unpartitioned, in another format.
  hidden-column     `"$path"`, `"$file_size"`, ...: Athena's hidden columns do not exist
                    locally (Binder Error).
  format-datetime   `format_datetime(ts, 'yyyy-MM-dd')`: no such DuckDB function, and the
                    Joda pattern is not strftime; use date_format(ts, '%Y-%m-%d').
  count-if          `count_if(cond)`: over no rows Trino returns 0, DuckDB NULL (found while
                    testing the funnel query on an empty lake); use count(CASE WHEN cond THEN 1 END).
  unnest-multi      `UNNEST(...) AS t(a, b)`: a map or several arrays into several columns;
                    DuckDB's UNNEST takes one list and binds one column (Binder Error).

What DuckDB answers differently but the engine can make it answer like Trino
(date_diff, regexp_extract, json_extract_scalar, decimal division and avg, ...)
is not refused: it is rewritten (local_platform.query.trino).

Usage: python -m local_platform.query.lint [PATHS...] (default: every athena/**/*.sql).
Exit status 1 when anything is found.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from glue_jobs.contract import load_tables
from local_platform.query import trino

ATHENA_DIR = Path(__file__).resolve().parents[2] / "athena"
# Athena: DDL is Hive, queries are Trino; sqlglot's athena dialect routes both.
DIALECT = "athena"

_NON_INTEGER = {
    *exp.DataType.FLOAT_TYPES,
    *exp.DataType.REAL_TYPES,
}


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    rule: str
    construct: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: [{self.rule}] {self.construct}: {self.why}"


def _line(node: exp.Expr) -> int:
    lines = [n.meta["line"] for n in node.walk() if n.meta and "line" in n.meta]
    return min(lines) if lines else 1


def _snippet(node: exp.Expr) -> str:
    text = node.sql(DIALECT)
    return text if len(text) <= 80 else text[:77] + "..."


def contract_schema() -> dict[str, dict[str, str]]:
    """Column types of every contract table (views' columns are added by the engine, which creates them)."""
    return {
        t.name: {**{c.name: c.type for c in t.columns}, **{p.name: p.type for p in t.partition_keys}}
        for t in load_tables().values()
    }


Schema = Mapping[str, Mapping[str, str]]


def _typed(statement: exp.Expr, schema: Schema) -> exp.Expr:
    """The statement with types annotated from the schema (columns of unknown views stay UNKNOWN)."""
    tables: dict[str, object] = dict(schema)
    try:
        qualified = qualify(
            statement.copy(), schema=tables, dialect=DIALECT, validate_qualify_columns=False, identify=False
        )
    except sqlglot.errors.OptimizeError:
        qualified = statement.copy()
    return annotate_types(qualified, schema=tables, dialect=DIALECT)


def _integer_division(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for div in _typed(statement, schema).find_all(exp.Div):
        left, right = div.left.type, div.right.type
        if not any(t is not None and t.this in _NON_INTEGER for t in (left, right)):
            kinds = ", ".join(t.sql() if t else "UNKNOWN" for t in (left, right))
            yield (
                div,
                f"operands are {kinds}: Trino divides integers with truncation (7 / 2 = 3), DuckDB returns 3.5; "
                "CAST one operand to DOUBLE (or DECIMAL) so both engines agree",
            )


def _untyped_decimal_division(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for found in trino.unresolved(statement, schema):
        yield found.node, found.why


def _at_time_zone(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.AtTimeZone):
        yield (
            node,
            "Trino converts the instant to the zone, DuckDB reads a plain timestamp as local time in the zone "
            "(different hours); keep timestamps in UTC, or use to_unixtime() arithmetic",
        )


def _format(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.Format):
        yield (
            node,
            "Java String.format in Trino; transpiled to DuckDB's fmt-style format(), where %d, %.2f, ... are "
            "printed verbatim; build the string with concat() and CAST/round() instead",
        )


def _is_identity(function: exp.Expr) -> bool:
    """`s -> s`: the only finish function dropping it does not change."""
    if not isinstance(function, exp.Lambda) or len(function.expressions) != 1:
        return False
    body = function.this
    return isinstance(body, exp.Column | exp.Identifier) and body.name == function.expressions[0].name


def _reduce_finish(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.Reduce):
        finish = node.args.get("finish")
        if finish is not None and not _is_identity(finish):
            yield (
                node,
                "sqlglot drops the finish function for DuckDB; use s -> s and apply it outside reduce()",
            )


def _ctas_properties(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.Create):
        if node.kind == "TABLE" and node.expression is not None and node.args.get("properties") is not None:
            yield (
                node.args["properties"],
                "CTAS table properties (format, partitioned_by, external_location, ...) are dropped for DuckDB, "
                "so the local table would differ; write curated tables with the Glue job",
            )


def _hidden_columns(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.Identifier):
        if node.name.startswith("$"):
            yield node, f"Athena hidden column {node.name!r} does not exist in the local engine"


def _format_datetime(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.Anonymous):
        if node.name.lower() == "format_datetime":
            yield (
                node,
                "DuckDB has no format_datetime (and Joda patterns are not strftime); "
                "use date_format(ts, '%Y-%m-%d %H:%i'), which transpiles to strftime",
            )


def _count_if(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.CountIf):
        yield (
            node,
            "over no rows Trino returns 0 and DuckDB NULL; write count(CASE WHEN <condition> THEN 1 END), "
            "which both engines answer alike",
        )


def _unnest_multi(statement: exp.Expr, schema: Schema) -> Iterator[tuple[exp.Expr, str]]:
    for node in statement.find_all(exp.Unnest):
        alias = node.args.get("alias")
        columns = alias.columns if isinstance(alias, exp.TableAlias) else []
        if len(columns) > 1 or len(node.expressions) > 1:
            yield (
                node,
                "UNNEST into several columns (a map, several arrays, or an array of rows) fails in DuckDB, which "
                "unnests one list into one column; unnest one array and pick fields from it",
            )


RULES: dict[str, Callable[[exp.Expr, Schema], Iterator[tuple[exp.Expr, str]]]] = {
    "integer-division": _integer_division,
    "untyped-decimal-division": _untyped_decimal_division,
    "at-time-zone": _at_time_zone,
    "format": _format,
    "reduce-finish": _reduce_finish,
    "ctas-properties": _ctas_properties,
    "hidden-column": _hidden_columns,
    "format-datetime": _format_datetime,
    "count-if": _count_if,
    "unnest-multi": _unnest_multi,
}


def lint_sql(sql: str, file: str = "<sql>", schema: Schema | None = None) -> list[Finding]:
    """What in `sql` the local engine would answer differently from Athena; `schema`: column types of the
    tables and views (default: the contract tables)."""
    schema = contract_schema() if schema is None else schema
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if isinstance(s, exp.Expr)]
    except ParseError as exc:
        line = exc.errors[0].get("line", 1) if exc.errors else 1
        return [
            Finding(file, int(line or 1), "parse", "SQL", f"sqlglot cannot parse it as Athena SQL: {exc}")
        ]
    findings = []
    for statement in statements:
        for rule, check in RULES.items():
            findings += [
                Finding(file, _line(node), rule, _snippet(node), why)
                for node, why in check(statement, schema)
            ]
    return sorted(findings, key=lambda f: (f.file, f.line, f.rule))


def sql_files(root: Path = ATHENA_DIR) -> list[Path]:
    return sorted(root.rglob("*.sql"))


def lint_paths(paths: list[Path]) -> list[Finding]:
    findings: list[Finding] = []
    for path in paths:
        for file in sorted(path.rglob("*.sql")) if path.is_dir() else [path]:
            findings += lint_sql(file.read_text(encoding="utf-8"), str(file))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lint", description="Reject Athena SQL the local engine would mis-run."
    )
    parser.add_argument("paths", nargs="*", type=Path, default=[ATHENA_DIR])
    args = parser.parse_args(argv)
    findings = lint_paths(args.paths)
    for finding in findings:
        print(finding)
    count = len(list(p for path in args.paths for p in (path.rglob("*.sql") if path.is_dir() else [path])))
    print(f"{count} file(s), {len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

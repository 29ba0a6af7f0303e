"""`python -m tools query`: run Athena SQL from athena/ (or ad hoc) locally, or on Athena.

Locally (the default) the SQL is linted, transpiled by sqlglot and run by
DuckDB over the lake mirror that `run_lake` keeps (see local_platform/lake).
With --aws the same SQL runs on Athena through awswrangler, in the team's
workgroup; the output is the same table, CSV or JSON.

    python -m tools query --file athena/queries/order_funnel.sql
    python -m tools query --sql "SELECT team, count(*) FROM events GROUP BY team" --format csv
    python -m tools query --file athena/checks/curated_matches_raw.sql --param "'2026-03-01T00:00:00Z'"
    python -m tools query --aws --team orders --file athena/queries/order_funnel.sql
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from local_platform.lake.layout import DEFAULT_WORKDIR, lake_root
from platform_core.naming import glue_database, team_workgroup


def render(result: pa.Table, fmt: str, title: str | None = None) -> str:
    rows = result.to_pylist()
    if fmt == "json":
        return json.dumps(rows, default=str, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.column_names)
        writer.writerows([[_cell(v) for v in row.values()] for row in rows])
        return buffer.getvalue().rstrip("\n")
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for name in result.column_names:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    console = Console(file=io.StringIO(), width=200, record=True)
    console.print(table)
    console.print(f"{len(rows)} row(s)")
    return console.export_text().rstrip("\n")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def run_local(sql: str, params: list[str], lake: Path, source: str) -> pa.Table:
    from local_platform.query.engine import LocalEngine

    engine = LocalEngine(lake)
    try:
        return engine.execute(sql, params, source=source)
    finally:
        engine.close()


def run_athena(
    sql: str, params: list[str], database: str, workgroup: str
) -> pa.Table:  # pragma: no cover - AWS
    import awswrangler as wr

    frame = wr.athena.read_sql_query(
        sql,
        database=database,
        workgroup=workgroup,
        ctas_approach=False,
        params=params or None,
        paramstyle="qmark",
    )
    return pa.Table.from_pandas(frame, preserve_index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools query",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help="a .sql file (athena/queries, athena/checks, ...)")
    source.add_argument("--sql", help="ad-hoc Athena (Trino) SQL")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        help="an execution parameter, as Athena takes them: an SQL literal per `?`, in order "
        "(a string with its quotes: \"'2026-03-01T00:00:00Z'\"); repeatable",
    )
    parser.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="local lake work directory (run_lake's)"
    )
    parser.add_argument("--aws", action="store_true", help="run on Athena instead (needs AWS credentials)")
    parser.add_argument("--env", default="dev")
    parser.add_argument("--team", help="--aws: the team whose workgroup runs the query")
    parser.add_argument("--workgroup", help="--aws: the Athena workgroup (default: the team's)")
    parser.add_argument(
        "--database", help="--aws: the Glue database (default: the environment's lake database)"
    )
    args = parser.parse_args(argv)

    sql = args.file.read_text(encoding="utf-8") if args.file else args.sql
    label = str(args.file) if args.file else "<sql>"
    try:
        if args.aws:
            from platform_core.config import get_config

            project = get_config().project
            if not (args.workgroup or args.team):
                parser.error("--aws needs --team or --workgroup")
            workgroup = args.workgroup or team_workgroup(project, args.env, args.team)
            result = run_athena(sql, args.param, args.database or glue_database(project, args.env), workgroup)
        else:
            result = run_local(sql, args.param, lake_root(args.workdir), label)
    except Exception as exc:  # the CLI's job is a clear message and a status, not a traceback
        from local_platform.query.engine import LintError

        kind = "refused by the lint" if isinstance(exc, LintError) else "failed"
        print(f"query {kind}: {label}\n{exc}", file=sys.stderr)
        return 2
    print(render(result, args.format, title=label))
    return 0


if __name__ == "__main__":
    sys.exit(main())

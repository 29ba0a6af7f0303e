"""The lake run's report: a self-contained HTML page of the KPI queries (tables and inline SVG bar charts,
no script, no CDN) and the text summary the demo and `python -m tools lake` print."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from local_platform.lake.pipeline import LakeResult
from local_platform.query.engine import LocalEngine
from local_platform.query.lint import ATHENA_DIR
from tools.query import render

MAX_BARS = 24
BAR_HEIGHT = 18
CHART_WIDTH = 640
LABEL_WIDTH = 230


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _series(rows: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """What to draw: one bar per row (labels: the non-numeric columns, value: the first numeric one),
    or, for a one-row result such as the funnel, one bar per count column."""
    if not rows:
        return []
    columns = list(rows[0])
    numeric = [c for c in columns if any(_is_number(r[c]) for r in rows)]
    if not numeric:
        return []
    if len(rows) == 1:
        return [(c, float(rows[0][c])) for c in numeric if not c.endswith("_rate") and rows[0][c] is not None]
    labels = [c for c in columns if c not in numeric]
    value = numeric[0]
    return [
        (" / ".join(str(r[c]) for c in labels) or str(i), float(r[value] or 0))
        for i, r in enumerate(rows[:MAX_BARS])
    ]


def bar_chart(series: list[tuple[str, float]], title: str) -> str:
    if not series:
        return ""
    top = max(abs(v) for _, v in series) or 1.0
    height = BAR_HEIGHT * len(series) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">'
    ]
    span = CHART_WIDTH - LABEL_WIDTH - 80
    for i, (label, value) in enumerate(series):
        y = 5 + i * BAR_HEIGHT
        width = max(1.0, span * abs(value) / top)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end" font-size="11">{html.escape(label[:40])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 5}" fill="#3b6ea5"/>'
            f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + 13}" font-size="11">{value:,.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p><em>no rows</em></p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in r.values()) + "</tr>"
        for r in rows[:50]
    )
    more = f"<p>{len(rows) - 50} more rows</p>" if len(rows) > 50 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def kpi_results(lake: Path, athena_dir: Path = ATHENA_DIR) -> dict[str, list[dict[str, Any]]]:
    """Every named query's rows, by query name."""
    engine = LocalEngine(lake, athena_dir)
    try:
        return {
            p.stem: engine.run_file(p).to_pylist() for p in sorted((athena_dir / "queries").glob("*.sql"))
        }
    finally:
        engine.close()


def write_report(
    lake: Path, target: Path, run: LakeResult | None = None, athena_dir: Path = ATHENA_DIR
) -> Path:
    sections = []
    for name, rows in kpi_results(lake, athena_dir).items():
        sql_path = athena_dir / "queries" / f"{name}.sql"
        summary = " ".join(
            line.removeprefix("--").strip()
            for line in sql_path.read_text().splitlines()
            if line.startswith("--")
        )
        title = name.replace("_", " ")
        sections.append(
            f"<section><h2>{html.escape(title)}</h2><p>{html.escape(summary)}</p>"
            f"{bar_chart(_series(rows), title)}{_table(rows)}</section>"
        )
    status = ""
    if run is not None:
        checks = ", ".join(f"{c.name}: {'passed' if c.passed else 'FAILED'}" for c in run.checks)
        status = f"<p>Run {html.escape(run.run_id)}: {'ok' if run.ok else 'FAILED'}. Checks: {html.escape(checks)}</p>"
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>StockOSS lake KPIs</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: 12px; }}
th, td {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; }}
th {{ background: #eef; }}
section {{ margin-bottom: 2rem; }}
</style></head><body>
<h1>StockOSS lake KPIs</h1>
<p>Generated {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC from the curated zone by the local query engine
(athena/queries/*.sql, transpiled from Trino to DuckDB).</p>
{status}
{"".join(sections)}
</body></html>
"""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document, encoding="utf-8")
    return target


def console_summary(run: LakeResult, report_path: Path | None = None, athena_dir: Path = ATHENA_DIR) -> str:
    """The run, its checks and every KPI query's result as text (what the demo prints)."""
    lines = [f"lake run {run.run_id}: {'ok' if run.ok else 'FAILED'} in {run.seconds:.1f} s"]
    lines.append(f"  new raw objects {run.new_raw_objects}, new rejected objects {run.new_rejected_objects}")
    for name, table in run.tables.items():
        lines.append(
            f"  {name}: {table.input_rows} rows read, {table.added} added, {table.duplicates} duplicates dropped, "
            f"{table.quarantined} quarantined, {table.partitions_rewritten} partitions rewritten"
        )
    for check in run.checks:
        lines.append(
            f"  check {check.name}: {'passed' if check.passed else 'FAILED ' + str(check.violations[:3])}"
        )
    if run.error:
        lines.append(f"  error: {run.error.splitlines()[0]}")
    if run.ok and run.lake_root is not None:
        import pyarrow as pa

        for name, rows in kpi_results(run.lake_root, athena_dir).items():
            lines.append(
                render(pa.Table.from_pylist(rows), "table", title=name) if rows else f"{name}: no rows"
            )
    if report_path is not None:
        lines.append(f"KPI report: {report_path}")
    return "\n".join(lines)


def report_run(run: LakeResult, workdir: Path) -> Path | None:
    """Write the HTML report of a successful run next to its lake (`<workdir>/lake-report.html`)."""
    if not run.ok or run.lake_root is None:
        return None
    return write_report(run.lake_root, workdir / "lake-report.html", run)

"""The lake run's report: a self-contained HTML page of the KPI queries (inline SVG charts drawn by the
console's chart code, tables; no script, no CDN) and the text summary the demo and `python -m tools lake`
print."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambdas.console.kpis import kpi_sections
from local_platform.lake.pipeline import LakeResult
from local_platform.query.lint import ATHENA_DIR
from tools.console.local import kpi_results
from tools.query import render


def write_report(
    lake: Path, target: Path, run: LakeResult | None = None, athena_dir: Path = ATHENA_DIR
) -> Path:
    """The KPI report: per query its charts (lambdas/console/kpis.py: the console's KPI page draws the
    same), what it measures and its rows."""
    sections = []
    for section in kpi_sections(kpi_results(lake, athena_dir)):
        sections.append(
            f"<section><h2>{html.escape(section.title)}</h2><p>{html.escape(section.summary)}</p>"
            f"{''.join(f'<figure>{chart}</figure>' for chart in section.charts)}{_table(section.rows)}</section>"
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
figure {{ margin: 0 0 1rem; }}
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

        for result in kpi_results(run.lake_root, athena_dir):
            lines.append(
                render(pa.Table.from_pylist(result.rows), "table", title=result.name)
                if result.rows
                else f"{result.name}: no rows"
            )
    if report_path is not None:
        lines.append(f"KPI report: {report_path}")
    return "\n".join(lines)


def report_run(run: LakeResult, workdir: Path) -> Path | None:
    """Write the HTML report of a successful run next to its lake (`<workdir>/lake-report.html`)."""
    if not run.ok or run.lake_root is None:
        return None
    return write_report(run.lake_root, workdir / "lake-report.html", run)

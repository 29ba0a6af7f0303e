"""The demo's last step: the lake over what the demo ingested.

Runs the Glue job locally (Spark) on the raw and rejected zones the fan-out
and the ingest API wrote, then the data-quality checks, prints every KPI
query's result and the path of the HTML report, and fails the demo when the
run fails or the curated `events` table does not hold exactly the accepted
events (one row per item in the events table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_platform.lake.layout import DEFAULT_WORKDIR
from local_platform.lake.pipeline import run_lake
from tools.report import console_summary, report_run
from tools.status import count_items

if TYPE_CHECKING:
    from tools.demo import DemoContext


def lake_step(ctx: DemoContext) -> None:
    resources = ctx.platform.resources
    with ctx.console.status("Glue job (Spark local mode), then the data-quality checks..."):
        result = run_lake(resources, DEFAULT_WORKDIR)
    # The summary ends with the path of the HTML report.
    summary = console_summary(result, report_run(result, DEFAULT_WORKDIR))
    ctx.console.print(summary, markup=False, highlight=False)
    if not result.ok:
        ctx.fail(f"lake run failed: {result.error}")
        return
    stored = count_items(resources.events_table)
    curated = result.tables["events"].added if "events" in result.tables else 0
    if curated != stored:
        ctx.fail(f"the curated events table got {curated} rows for {stored} accepted events")

"""Console benchmark: the overview page's load time with N curated events in the lake (default 1 million).

The data: N events in the curated zone, laid out as the Glue job writes it
(partition versions + symlink manifests; 4 teams over the last 3 days, written
by DuckDB), and the ingest's per-minute verdict metrics of the last 24 hours
for every team and event type in CloudWatch (a moto server, as `make up` runs).

Measured over HTTP against the console's server, per range (the last hour and
the last 24 hours): the first load (cold: the query engine opens the lake) and
the median of the next loads (warm). The baseline, measured in the same run on
the same data, is the page's data read bare: the same CloudWatch calls and the
same lake query run directly, without templates or charts. Target: the warm
overview under 1 s at 1 M events.

    python -m bench console                   (1 M events; BENCH_CONSOLE_EVENTS=N to change)
    python -m bench.console --events 20000    (a smoke run: prints, writes no result)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_EVENTS = 1_000_000
DAYS = 3
WARM_LOADS = 5
RANGES = (60, 1440)
EVENT_TYPES = {
    "orders": ("orders.order_created", "orders.order_cancelled"),
    "billing": ("billing.invoice_requested", "billing.invoice_issued"),
    "documents": ("documents.document_uploaded",),
    "notifications": ("notifications.notification_requested",),
}


def write_lake(root: Path, events: int, now: datetime) -> int:
    """N curated events across the teams and the last DAYS days (partition versions + manifests)."""
    import duckdb

    from glue_jobs.contract import table
    from glue_jobs.raw_to_curated import versions

    contract = table("events")
    columns = {c.name: c.duckdb_type for c in contract.columns}
    per_partition = events // (len(EVENT_TYPES) * DAYS)
    connection = duckdb.connect()
    written = 0
    for team, types in EVENT_TYPES.items():
        for day in range(DAYS):
            date = (now - timedelta(days=day)).date()
            start = datetime(date.year, date.month, date.day, tzinfo=UTC)
            span_ms = int(min(timedelta(days=1), now - start).total_seconds() * 1000) or 1
            key = (
                f"{versions.version_prefix('events', 'bench')}team={team}/event_date={date}/part-0000.parquet"
            )
            path = root / "curated" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            type_list = ", ".join(f"'{t}'" for t in types)
            generated = {
                "event_id": "uuid()::VARCHAR",
                "event_type": f"([{type_list}])[1 + (i % {len(types)})]",
                "schema_version": "'1'",
                "domain": f"'{team}'",
                "received_at": f"TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' + to_milliseconds((i * 7919) % {span_ms})",
                "source": "'bench'",
                "correlation_id": "uuid()::VARCHAR",
                "payload_json": "'{}'",
                "event_bytes": "400",
            }
            select = ", ".join(
                f"CAST({generated.get(name, 'NULL')} AS {kind}) AS {name}" for name, kind in columns.items()
            )
            # occurred_at: received_at minus a producer's delay of 5 ms to 2 s
            sql = f"""
                COPY (
                    SELECT * EXCLUDE (i) REPLACE (received_at - to_milliseconds(5 + (i * 31) % 2000) AS occurred_at)
                    FROM (SELECT {select}, i FROM range({per_partition}) t(i))
                ) TO '{path}' (FORMAT PARQUET, COMPRESSION ZSTD)
            """
            connection.execute(sql)
            manifest = root / "curated" / versions.manifest_key("events", (team, str(date)))
            manifest.parent.mkdir(parents=True, exist_ok=True)
            manifest.write_text(versions.uri("curated", key) + "\n")
            written += per_partition
    connection.close()
    return written


def put_metrics(project: str, now: datetime) -> int:
    """The ingest's verdict metrics of the last 24 hours, one value per team, event type, verdict and
    minute (what CloudWatch keeps from the EMF lines at one request per minute and type)."""
    from platform_core.aws import client

    cloudwatch = client("cloudwatch")
    data = []
    for team, types in EVENT_TYPES.items():
        for event_type in types:
            for minute in range(24 * 60):
                at = now - timedelta(minutes=minute)
                for verdict, value in (("accepted", 60.0), ("duplicate", 1.0), ("rejected", 2.0)):
                    data.append(
                        {
                            "MetricName": verdict,
                            "Dimensions": [
                                {"Name": "team", "Value": team},
                                {"Name": "event_type", "Value": event_type},
                                {"Name": "service", "Value": "ingest"},
                            ],
                            "Timestamp": at,
                            "Values": [value],
                            "Unit": "Count",
                        }
                    )
    for first in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace=project, MetricData=data[first : first + 500])
    return len(data)


def _load(url: str) -> float:
    import requests

    started = time.perf_counter()
    response = requests.get(url, timeout=120)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def _bare_reads(platform: Any, team: str, minutes: int) -> float:
    from lambdas.console import sources

    started = time.perf_counter()
    start, end = sources.minute_window(minutes)
    sources.verdicts_per_minute(platform, team, start, end)
    sources.throttled_per_minute(platform, team, start, end)
    sources.latency_per_minute(platform, team, start)
    return time.perf_counter() - started


def measure(events: int) -> dict[str, Any]:
    from lambdas.console.app import ConsoleApp
    from lambdas.console.sources import Platform
    from local_platform.aws_endpoint import aws_endpoint
    from platform_core.config import get_config
    from platform_core.resources import Resources
    from tools.console.local import LocalLake
    from tools.console.server import ConsoleHttpServer

    workdir = Path(tempfile.mkdtemp(prefix="bench-console-"))
    try:
        now = datetime.now(UTC)
        started = time.perf_counter()
        written = write_lake(workdir / "lake", events, now)
        lake_seconds = time.perf_counter() - started
        config = get_config().model_copy(update={"project": "benchconsole"})
        with aws_endpoint(config.region):
            started = time.perf_counter()
            values = put_metrics(config.project, now)
            metrics_seconds = time.perf_counter() - started
            resources = Resources(config, "dev")
            platform = Platform(resources, lake=LocalLake(workdir, resources.curated_bucket))
            with ConsoleHttpServer(ConsoleApp(platform)) as server:
                ranges = {}
                for minutes in RANGES:
                    url = f"{server.url}/?team=orders&minutes={minutes}"
                    cold = _load(url)
                    warm = [_load(url) for _ in range(WARM_LOADS)]
                    bare = [_bare_reads(platform, "orders", minutes) for _ in range(WARM_LOADS)]
                    ranges[str(minutes)] = {
                        "cold_seconds": round(cold, 3),
                        "warm_median_seconds": round(statistics.median(warm), 3),
                        "warm_max_seconds": round(max(warm), 3),
                        "bare_reads_median_seconds": round(statistics.median(bare), 3),
                        "page_over_bare_reads": round(statistics.median(warm) / statistics.median(bare), 2),
                    }
        return {
            "events": written,
            "metric_values": values,
            "setup_seconds": {"lake": round(lake_seconds, 1), "metrics": round(metrics_seconds, 1)},
            "overview": ranges,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Overview page of the console with {result['events']:,} curated events in the lake and "
        f"{result['metric_values']:,} per-minute metric values in CloudWatch (moto server), over HTTP. "
        "Baseline: the page's data read bare (same CloudWatch calls, same lake query), same run.",
        "",
        "| range | cold load | warm load (median / max) | bare reads (median) | page / bare |",
        "|---|---|---|---|---|",
    ]
    for minutes, row in result["overview"].items():
        lines.append(
            f"| last {int(minutes) // 60} h | {row['cold_seconds']} s | {row['warm_median_seconds']} s / "
            f"{row['warm_max_seconds']} s | {row['bare_reads_median_seconds']} s | {row['page_over_bare_reads']} |"
        )
    return "\n".join(lines)


def run(events: int | None = None) -> dict[str, Any]:
    count = events or int(os.environ.get("BENCH_CONSOLE_EVENTS", DEFAULT_EVENTS))
    result = measure(count)
    result["markdown"] = _markdown(result)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    args = parser.parse_args(argv)
    result = run(args.events)
    print(result["markdown"])
    print(json.dumps({k: v for k, v in result.items() if k != "markdown"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`make status`: the health of a running local platform (`make up`), read from .local/platform.json.

The same picture as the environment's CloudWatch dashboard (modules/observability),
measured from outside the running process: whether it is alive; ingest per team
(accepted events = items in the table, requests with rejected events = objects in
the rejected zone, and their rates over a short sample); the depth of every queue
(team queues and their DLQs, the Kafka outbox, the fan-out failure destination;
a message in a DLQ is what the alarm fires on); the Kafka consumer lag of every
team's group on its topics; the raw zone and the last lake (ETL) run; and the
live counters of the functions, their triggers, the gateway (429s per team) and
the local services, read from the platform's status API (`GET /_local/status`)
at the moment `make status` runs. Duplicates are counted by the ingest's EMF
metrics (the console's overview charts them). Tables fit an 80-column terminal.

Kafka lag: the local broker (Tansu) answers the offset queries
(get_watermark_offsets, ListOffsets "latest") wrongly, while committed offsets
(OffsetFetch) are right; so the end of each partition is measured by reading it
with a throwaway consumer that commits nothing. Against a real cluster this is
the same answer, only slower than asking.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from typing import Any

import requests
from rich import box
from rich.console import Console
from rich.table import Table

from lambdas.console.kafka_lag import consumer_lag, kafka_groups, partition_ends
from lambdas.console.sources import queue_counts, raw_objects
from local_platform.lake.layout import MANIFEST_KEY
from platform_core import naming
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.kafka import KafkaConnection
from platform_core.local_state import STATE_PATH, configure_local_aws_env, read_state
from platform_core.local_state import is_alive as _alive  # tools.load imports it from here
from platform_core.resources import Resources


def count_items(table: str) -> int:
    total = 0
    for page in client("dynamodb").get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        total += int(page["Count"])
    return total


def count_objects(bucket: str, prefix: str = "") -> int:
    total = 0
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        total += int(page.get("KeyCount", 0))
    return total


def queue_depths(resources: Resources) -> dict[str, dict[str, int]]:
    sqs = client("sqs")
    names = [name for pair in resources.queues_with_dlq() for name in pair] + [resources.fanout_failure_queue]
    return {name: queue_counts(sqs, sqs.get_queue_url(QueueName=name)["QueueUrl"]) for name in names}


def items_per_team(table: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=table, ProjectionExpression="team")
    for page in pages:
        counts.update(item.get("team", {}).get("S", "?") for item in page["Items"])
    return counts


def ingest_counts(resources: Resources) -> dict[str, dict[str, int]]:
    """Per team: accepted events (items) and rejected-zone objects (requests with a rejected event)."""
    items = items_per_team(resources.events_table)
    return {
        team: {
            "accepted": items.get(team, 0),
            "rejected_requests": count_objects(
                resources.rejected_bucket, f"{naming.ZONE_REJECTED}/team={team}/"
            ),
        }
        for team in resources.config.teams
    }


def ingest_rates(resources: Resources, sample_seconds: float) -> dict[str, dict[str, float]]:
    """Counts now and `sample_seconds` later: totals and per-second rates, per team."""
    first = ingest_counts(resources)
    started = time.monotonic()
    if sample_seconds <= 0:
        return {
            team: {**counts, "accepted_per_s": 0.0, "rejected_requests_per_s": 0.0}
            for team, counts in first.items()
        }
    time.sleep(sample_seconds)
    second = ingest_counts(resources)
    elapsed = time.monotonic() - started
    return {
        team: {
            **counts,
            "accepted_per_s": round((counts["accepted"] - first[team]["accepted"]) / elapsed, 1),
            "rejected_requests_per_s": round(
                (counts["rejected_requests"] - first[team]["rejected_requests"]) / elapsed, 1
            ),
        }
        for team, counts in second.items()
    }


def count_topic_messages(settings: KafkaConnection, topic: str) -> int:
    return sum(count for count, _ in partition_ends(settings, [topic]).values())


def raw_objects_and_manifest(resources: Resources) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Every raw object's ETag by key, and the last committed lake run's manifest (None before any)."""
    s3 = client("s3")
    try:
        manifest = json.loads(s3.get_object(Bucket=resources.curated_bucket, Key=MANIFEST_KEY)["Body"].read())
    except s3.exceptions.NoSuchKey:
        manifest = None
    return raw_objects(resources), manifest


def lake_state(resources: Resources) -> dict[str, Any]:
    """Raw objects, and the last committed lake run (its manifest) with what it has not seen yet."""
    raw_keys, manifest = raw_objects_and_manifest(resources)
    seen = manifest["objects"] if manifest else {}
    return {
        "raw_objects": len(raw_keys),
        "last_run_id": manifest["run_id"] if manifest else None,
        "last_run_at": manifest["committed_at"] if manifest else None,
        "raw_objects_not_yet_processed": sum(1 for k, etag in raw_keys.items() if seen.get(k) != etag),
    }


def live_status(state: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """The platform's live counters (functions, triggers, gateway, local services) from its status API
    (`GET /_local/status` on the Lambda Invoke API server), read now, not from the state file."""
    response = requests.get(f"{state['lambda_url']}/_local/status", timeout=timeout)
    response.raise_for_status()
    return dict(response.json())


def health(state: dict[str, Any], sample_seconds: float = 2.0) -> dict[str, Any]:
    """The platform's health picture: its AWS endpoint's resources and its live status API."""
    config = get_config().model_copy(update={"project": state["project"]})
    resources = Resources(config, state["env"])
    configure_local_aws_env(state["aws_endpoint_url"], state["region"])
    try:
        gateway_up = requests.get(f"{state['gateway_url']}/", timeout=2).status_code > 0
    except requests.RequestException:
        gateway_up = False
    kafka = KafkaConnection(state["kafka_bootstrap"]) if state.get("kafka_bootstrap") else None
    return {
        "process_alive": _alive(int(state["pid"])),
        "gateway_up": gateway_up,
        "events_table_items": count_items(resources.events_table),
        "rejected_objects": count_objects(resources.rejected_bucket),
        "ingest": ingest_rates(resources, sample_seconds),
        "queues": queue_depths(resources),
        "kafka_lag": consumer_lag(kafka, kafka_groups(resources)) if kafka else [],
        "lake": lake_state(resources),
        "live": live_status(state),
    }


# -- rendering: tables that fit an 80-column terminal ---------------------------------------------

WIDTH = 80


def short_name(name: str, prefix: str) -> str:
    """A resource's name without the `<project>-<env>-` every name of the environment shares."""
    return name.removeprefix(prefix)


def _table(title: str, *columns: str, numeric_from: int = 1) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for i, column in enumerate(columns):
        table.add_column(column, overflow="fold", justify="right" if i >= numeric_from else "left")
    return table


def _trigger_source(status: dict[str, Any], prefix: str) -> str:
    if "queue" in status:
        return f"sqs {short_name(str(status['queue']), prefix)}"
    if "topics" in status:
        return "kafka " + ", ".join(str(t) for t in status["topics"])
    if "stream_arn" in status:
        return "stream " + short_name(str(status["stream_arn"]).split("/")[1], prefix)
    if "schedule" in status:
        return f"schedule {status['schedule']}"
    return "-"


def _trigger_counts(status: dict[str, Any]) -> tuple[int, int, int]:
    """(batches, records, failed) whatever the trigger's kind."""
    records = int(
        status.get("messages_received", status.get("records_delivered", status.get("fired", 0))) or 0
    )
    failed = int(status.get("function_errors", 0) or 0) + int(status.get("messages_failed", 0) or 0)
    return int(status.get("invocations", 0) or 0), records, failed


def _flatten(value: Any, path: str = "") -> list[tuple[str, str]]:
    """A component's status as (dotted key, value) rows: a table, not a dict."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, item in value.items():
            rows.extend(_flatten(item, f"{path}.{key}" if path else str(key)))
        return rows
    if isinstance(value, list):
        return [(path, ", ".join(str(v) for v in value) or "-")]
    return [(path, "-" if value is None else str(value))]


def _ingest_table(picture: dict[str, Any], sample: float) -> Table:
    responses: dict[str, dict[str, int]] = picture["live"].get("gateway", {}).get("responses", {})
    table = _table(f"Ingest (rates over {sample:g} s)", "team", "accepted", "/s", "rejected", "/s", "429")
    for team, counts in picture["ingest"].items():
        table.add_row(
            team,
            str(counts["accepted"]),
            f"{counts['accepted_per_s']:g}",
            str(counts["rejected_requests"]),
            f"{counts['rejected_requests_per_s']:g}",
            str(responses.get(team, {}).get("429", 0)),
        )
    table.caption = "accepted: events stored; rejected: requests with a rejected event"
    return table


def _functions_table(live: dict[str, Any]) -> Table:
    table = _table("Functions (live)", "function", "calls", "errors", "throttled", "cold", "envs")
    for name, status in live.get("functions", {}).items():
        failed = sum(int(status.get(k, 0)) for k in ("errors", "timeouts", "crashes"))
        table.add_row(
            name,
            str(status.get("invocations", 0)),
            str(failed),
            str(status.get("throttles", 0)),
            str(status.get("cold_starts", 0)),
            str(status.get("environments", 0)),
        )
    return table


def _triggers_table(live: dict[str, Any], prefix: str) -> Table:
    table = _table("Triggers (live)", "function", "source", "batches", "records", "failed", numeric_from=2)
    for name, status in (live.get("components", {}).get("triggers") or {}).items():
        batches, records, failed = _trigger_counts(status)
        running = "" if status.get("running", True) else " [red](stopped)[/]"
        table.add_row(
            f"{name}{running}", _trigger_source(status, prefix), str(batches), str(records), str(failed)
        )
    return table


def _queues_table(queues: dict[str, dict[str, int]], prefix: str) -> Table:
    table = _table("Queues (a message in a DLQ is an alarm)", "queue", "visible", "in flight", "delayed")
    for name, depth in queues.items():
        alarming = (name.endswith("-dlq") or "failure" in name) and depth["visible"] + depth["in_flight"] > 0
        label = short_name(name, prefix)
        table.add_row(
            f"[red]{label}[/]" if alarming else label,
            str(depth["visible"]),
            str(depth["in_flight"]),
            str(depth.get("delayed", 0)),
        )
    return table


def _lag_table(rows: list[dict[str, Any]], prefix: str) -> Table:
    table = _table("Kafka consumer lag (measured)", "group / topic", "end", "committed", "lag")
    for row in rows:
        table.add_row(
            f"{short_name(row['group'], prefix)} / {row['topic']}",
            str(row["end"]),
            str(row["committed"]),
            str(row["lag"]),
        )
    return table


def _services_table(live: dict[str, Any]) -> Table:
    table = _table("Local services (live)", "component", "value", numeric_from=2)
    for name, status in live.get("components", {}).items():
        if name == "triggers":
            continue
        for key, value in _flatten(status):
            table.add_row(f"{name}.{key}", value)
    return table


def tables(state: dict[str, Any], picture: dict[str, Any], sample: float) -> list[Table | str]:
    """What `make status` prints, in order: text lines and tables."""
    prefix = f"{state['project']}-{state['env']}-"
    live = picture["live"]
    lake = picture["lake"]
    keys = _table("API keys (x-api-key)", "team", "key", numeric_from=2)
    for team, key in state["api_keys"].items():
        keys.add_row(team, key)
    return [
        f"[bold]StockOSS local platform[/] pid {state['pid']}, since {str(state['started_at'])[:19]}",
        f"  gateway      {state['gateway_url']}  {'up' if picture['gateway_up'] else '[red]down[/]'}",
        f"  AWS endpoint {state['aws_endpoint_url']}",
        *([f"  console      {state['console_url']}"] if state.get("console_url") else []),
        f"  events table {picture['events_table_items']} items, "
        f"rejected zone {picture['rejected_objects']} objects",
        _ingest_table(picture, sample),
        _functions_table(live),
        _triggers_table(live, prefix),
        _queues_table(picture["queues"], prefix),
        _lag_table(picture["kafka_lag"], prefix),
        f"  raw zone     {lake['raw_objects']} objects, "
        f"{lake['raw_objects_not_yet_processed']} not yet in the curated zone",
        f"  last ETL run {lake['last_run_id'] or 'none yet'} at {lake['last_run_at'] or '-'}",
        _services_table(live),
        keys,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools status", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sample", type=float, default=2.0, help="seconds between the two counts of the rates"
    )
    sample = parser.parse_args(argv).sample
    console = Console()
    state = read_state()
    if state is None:
        console.print(f"[yellow]No local platform is running[/] (no {STATE_PATH}); start one with `make up`.")
        return 1
    if not _alive(int(state["pid"])):
        console.print(f"[red]The platform recorded in {STATE_PATH} (pid {state['pid']}) is not running.[/]")
        return 1
    picture = health(state, sample)
    console = Console(width=min(console.width, WIDTH))
    for part in tables(state, picture, sample):
        console.print(part)
    return 0

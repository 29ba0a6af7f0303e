"""`make status`: the health of a running local platform (`make up`), read from .local/platform.json.

Reports what can be measured from outside the running process: whether it
is alive, the events table's item count, the objects in the rejected zone and
the depth of every queue (team queues, their DLQs, the Kafka outbox, the
fan-out failure destination), plus what each component wrote at start.
"""

from __future__ import annotations

import os
from typing import Any

import requests
from rich.console import Console
from rich.table import Table

from lambdas.shared.aws import client
from lambdas.shared.config import get_config
from local_platform.aws_endpoint import configure_local_aws_env
from local_platform.resources import Resources
from local_platform.runtime import STATE_PATH, read_state


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    depths = {}
    for name in names:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attrs = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        depths[name] = {
            "visible": int(attrs["ApproximateNumberOfMessages"]),
            "in_flight": int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        }
    return depths


def health(state: dict[str, Any]) -> dict[str, Any]:
    """The platform's health picture from its state file (talks to its AWS endpoint)."""
    config = get_config().model_copy(update={"project": state["project"]})
    resources = Resources(config, state["env"])
    configure_local_aws_env(state["aws_endpoint_url"], state["region"])
    try:
        gateway_up = requests.get(f"{state['gateway_url']}/", timeout=2).status_code > 0
    except requests.RequestException:
        gateway_up = False
    return {
        "process_alive": _alive(int(state["pid"])),
        "gateway_up": gateway_up,
        "events_table_items": count_items(resources.events_table),
        "rejected_objects": count_objects(resources.rejected_bucket),
        "queues": queue_depths(resources),
        "components": state.get("components", {}),
    }


def main(argv: list[str] | None = None) -> int:
    console = Console()
    state = read_state()
    if state is None:
        console.print(f"[yellow]No local platform is running[/] (no {STATE_PATH}); start one with `make up`.")
        return 1
    if not _alive(int(state["pid"])):
        console.print(f"[red]The platform recorded in {STATE_PATH} (pid {state['pid']}) is not running.[/]")
        return 1
    picture = health(state)
    console.print(f"[bold]StockOSS local platform[/] (pid {state['pid']}, since {state['started_at']})")
    console.print(
        f"  gateway       {state['gateway_url']}  {'up' if picture['gateway_up'] else '[red]down[/]'}"
    )
    console.print(f"  AWS endpoint  {state['aws_endpoint_url']}")
    console.print(f"  events table  {picture['events_table_items']} items")
    console.print(f"  rejected zone {picture['rejected_objects']} objects")
    table = Table("queue", "visible", "in flight", title="Queues")
    for name, depth in picture["queues"].items():
        table.add_row(name, str(depth["visible"]), str(depth["in_flight"]))
    console.print(table)
    for name, component in picture["components"].items():
        console.print(f"  {name}: {component}")
    console.print("API keys (x-api-key): " + ", ".join(f"{t}={k}" for t, k in state["api_keys"].items()))
    return 0

"""The order processor's demo step: what it made of the orders team's queue (orders by state)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.table import Table

from local_platform.pollers.wiring import FanoutPollers
from platform_core.aws import client
from platform_core.resources import Resources
from tools.demo import Step

if TYPE_CHECKING:
    from tools.demo import DemoContext


def order_states(resources: Resources) -> Counter[str]:
    counts: Counter[str] = Counter()
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=resources.orders_table,
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#s": "state"},
        )
    )
    for page in pages:
        counts.update(item["state"]["S"] for item in page["Items"])
    return counts


def orders_by_state(ctx: DemoContext) -> None:
    fanout = next((c for c in ctx.platform.components if isinstance(c, FanoutPollers)), None)
    if fanout is None:
        ctx.fail("the order processor's queue poller is not running")
        return
    stats = fanout.orders.stats
    states = order_states(ctx.platform.resources)
    table = Table("state", "orders")
    for state, count in sorted(states.items()):
        table.add_row(state, str(count))
    table.caption = f"{stats.messages_deleted} messages processed, {stats.messages_failed} left to retry"
    ctx.add_summary("Order processor: orders by state", table)
    if not states:
        ctx.fail("the order processor holds no order")


STEPS = [Step("Order processor: the orders team's queue consumer", orders_by_state)]

"""The demo step of the fan-out side: where every accepted event went.

Waits until the fan-out has caught up with the events table, then counts every
sink against what the routing of config/platform.yaml says it must hold
(tools/sinks.py: team queues, Kafka topics, the raw zone, the DLQs and the
failure queue), shows the raw zone per partition, and reads every Kafka
subscription back through the team's own consumer group, as a subscriber would.
A sink that disagrees fails the demo.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING

from rich.table import Table

from lambdas.consumers.kafka_consumer import KafkaEventConsumer, Processor
from platform_core import naming
from platform_core.envelope import Event
from platform_core.kafka import KafkaConnection
from platform_core.resources import Resources
from tools.sinks import (
    account,
    accounting_table,
    broker_connection,
    consumed_from_queues,
    expected_counts,
    observe,
    problems,
    read_raw_zone,
    stored_event_types,
    wait_until_delivered,
)

if TYPE_CHECKING:
    from tools.demo import DemoContext

CATCH_UP_SECONDS = 180.0


def fanout_step(ctx: DemoContext) -> None:
    platform = ctx.platform
    resources = platform.resources
    with ctx.console.status("waiting for the fan-out to deliver every stored event..."):
        settled = settle(resources, CATCH_UP_SECONDS)
    if settled is None:
        ctx.fail(f"the fan-out had not caught up after {CATCH_UP_SECONDS:.0f} s")
        settled = stored_event_types(resources)
    stored = settled
    expected = expected_counts(resources.config, resources.env, stored)
    kafka = broker_connection(platform)
    if kafka is None:
        ctx.fail("the Kafka broker component is not running")
        return
    counts = account(
        resources.config, resources.env, expected, observe(resources, kafka, consumed_from_queues(platform))
    )
    for problem in problems(counts):
        ctx.fail(problem)
    ctx.add_summary("Every sink of the fan-out", accounting_table(counts, title=""))
    ctx.add_summary("Raw zone (s3://" + resources.raw_bucket + ")", raw_table(resources))
    ctx.add_summary(
        "Kafka topics, read back by each team's consumer group", topics_table(ctx, resources, kafka, stored)
    )


def settle(resources: Resources, timeout: float) -> Counter[str] | None:
    """The events table once the fan-out has delivered all of it and nothing new arrived meanwhile.

    The services keep emitting while the demo counts (a notification's outcome, an invoice issued
    for an order of the traffic): the count holds only for a table that stopped growing. None when
    the platform does not settle within `timeout`.
    """
    deadline = time.monotonic() + timeout
    stored = stored_event_types(resources)
    while True:
        expected = expected_counts(resources.config, resources.env, stored)
        if not wait_until_delivered(resources, expected, max(0.0, deadline - time.monotonic())):
            return None
        again = stored_event_types(resources)
        if again == stored:
            return stored
        stored = again


def raw_table(resources: Resources) -> Table:
    zone = read_raw_zone(resources)
    table = Table("partition", "events")
    for partition, ids in sorted(zone.partitions.items()):
        table.add_row(partition, str(sum(ids.values())))
    copies = zone.copies
    table.caption = (
        f"{len(copies)} distinct events, {sum(1 for n in copies.values() if n > 1)} held more than once"
    )
    return table


def topics_table(
    ctx: DemoContext, resources: Resources, kafka: KafkaConnection, stored: Counter[str]
) -> Table:
    """Each subscribing team's consumer group reads its topics (the reference consumer, committing as it goes)."""
    table = Table("consumer group", "topic", "accepted", "read")
    for team, spec in resources.config.teams.items():
        if not spec.subscriptions.kafka:
            continue
        topics = {naming.topic_name(resources.env, et): et for et in spec.subscriptions.kafka}
        read: Counter[str] = Counter()
        group = naming.consumer_group(resources.project, resources.env, team)
        consumer = KafkaEventConsumer(
            kafka,
            group,
            list(topics),
            _counter(read),
            dead_letter_topic=naming.dead_letter_topic(resources.env, team),
        )
        try:
            consumer.run(idle_seconds=2, max_seconds=60)
        finally:
            consumer.close()
        for topic, event_type in topics.items():
            table.add_row(group, topic, str(stored[event_type]), str(read[event_type]))
            if read[event_type] < stored[event_type]:
                ctx.fail(f"{group} read {read[event_type]} of {stored[event_type]} events from {topic}")
    return table


def _counter(read: Counter[str]) -> Processor:
    def count(event: Event, _headers: dict[str, str]) -> None:
        read[event.event_type] += 1

    return count

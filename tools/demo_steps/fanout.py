"""The demo step of the fan-out side: where every accepted event went.

Waits until the fan-out has caught up with the table, then shows the messages
waiting in each team's queue, what the orders team's processor made of its
own, every Kafka topic read back by each subscribing team's consumer group,
the raw zone per partition, and the DLQ depths; and fails the demo when the
counts disagree with the configuration (a missing event, a raw duplicate, a
non-empty DLQ).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from rich.table import Table

from lambdas.consumers.kafka_consumer import KafkaEventConsumer, Processor
from local_platform.pollers.wiring import FanoutPollers
from local_platform.provision import queue_url
from platform_core import naming
from platform_core.aws import client
from platform_core.envelope import Event
from platform_core.raw_zone import decode_events
from platform_core.resources import Resources

CATCH_UP_SECONDS = 180.0


def fanout_step(ctx: Any) -> None:
    platform = ctx.platform
    resources: Resources = platform.resources
    fanout = next((c for c in platform.components if isinstance(c, FanoutPollers)), None)
    if fanout is None:
        ctx.fail("the fan-out component is not running (local_platform.runtime DEFAULT_COMPONENTS)")
        return
    stored = stored_event_types(resources)
    with ctx.console.status("waiting for the fan-out to deliver every stored event..."):
        raw = wait_for_raw_zone(resources, sum(stored.values()))
        wait_for_empty(resources.outbox_queue)
    ctx.add_summary("Team queues (SQS)", queues_table(ctx, resources, stored, fanout))
    ctx.add_summary(
        "Kafka topics, read back by each team's consumer group", topics_table(ctx, platform, stored)
    )
    ctx.add_summary("Raw zone (s3://" + resources.raw_bucket + ")", raw_table(ctx, raw, sum(stored.values())))
    ctx.add_summary("Dead-letter queues and the fan-out's on-failure destination", dlq_table(ctx, resources))


def stored_event_types(resources: Resources) -> Counter[str]:
    counts: Counter[str] = Counter()
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=resources.events_table, ProjectionExpression="event_type")
    )
    for page in pages:
        counts.update(item["event_type"]["S"] for item in page["Items"])
    return counts


def raw_zone(resources: Resources) -> dict[str, Counter[str]]:
    """Partition (team/dt/hour) -> event id -> copies."""
    s3 = client("s3")
    partitions: dict[str, Counter[str]] = {}
    prefix = naming.ZONE_RAW + "/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=resources.raw_bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            partition = obj["Key"].rsplit("/", 1)[0].removeprefix(prefix)
            body = s3.get_object(Bucket=resources.raw_bucket, Key=obj["Key"])["Body"].read()
            ids = partitions.setdefault(partition, Counter())
            ids.update(event.event_id.hex for event, _ in decode_events(body))
    return partitions


def wait_for_raw_zone(resources: Resources, expected: int) -> dict[str, Counter[str]]:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        raw = raw_zone(resources)
        if sum(len(ids) for ids in raw.values()) >= expected or time.monotonic() > deadline:
            return raw
        time.sleep(1)


def depth(queue: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url(queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def wait_for_empty(queue: str) -> None:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while sum(depth(queue)) and time.monotonic() < deadline:
        time.sleep(1)


def queues_table(ctx: Any, resources: Resources, stored: Counter[str], fanout: FanoutPollers) -> Table:
    config = resources.config
    table = Table("team", "subscribes to", "expected", "waiting", "in flight", "consumer")
    for team in config.sqs_subscriber_teams:
        expected = sum(n for et, n in stored.items() if team in config.sqs_subscribers(et))
        visible, in_flight = depth(resources.team_queue(team))
        consumer = "-"
        if team == "orders":
            stats = fanout.orders.stats
            consumer = f"order processor: {stats.messages_deleted} done, {stats.messages_failed} to retry"
        elif visible + in_flight < expected:
            ctx.fail(f"{team}'s queue holds {visible + in_flight} messages, {expected} expected")
        table.add_row(
            team,
            ", ".join(config.teams[team].subscriptions.sqs),
            str(expected),
            str(visible),
            str(in_flight),
            consumer,
        )
    orders = order_states(resources)
    if orders:
        table.caption = "orders by state (order processor): " + ", ".join(
            f"{s} {n}" for s, n in sorted(orders.items())
        )
    return table


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


def topics_table(ctx: Any, platform: Any, stored: Counter[str]) -> Table:
    resources: Resources = platform.resources
    config = resources.config
    broker = next(c for c in platform.components if c.name == "kafka")
    table = Table("consumer group", "topic", "expected", "read")
    for team, subscription in config.teams.items():
        if not subscription.subscriptions.kafka:
            continue
        topics = {naming.topic_name(resources.env, et): et for et in subscription.subscriptions.kafka}
        read: Counter[str] = Counter()
        group = naming.consumer_group(resources.project, resources.env, team)
        consumer = KafkaEventConsumer(broker.settings(), group, list(topics), _counter(read))
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


def raw_table(ctx: Any, raw: dict[str, Counter[str]], expected: int) -> Table:
    table = Table("partition", "events")
    for partition in sorted(raw):
        table.add_row(partition, str(sum(raw[partition].values())))
    copies: Counter[str] = Counter()
    for ids in raw.values():
        copies.update(ids)
    duplicated = sum(1 for n in copies.values() if n > 1)
    table.caption = f"{len(copies)} distinct events for {expected} stored; {duplicated} held more than once"
    if len(copies) != expected or duplicated:
        ctx.fail(f"raw zone: {len(copies)} distinct events for {expected} stored, {duplicated} duplicated")
    return table


def dlq_table(ctx: Any, resources: Resources) -> Table:
    table = Table("queue", "messages")
    queues = [resources.team_dlq(t) for t in resources.config.sqs_subscriber_teams]
    queues += [resources.outbox_dlq, resources.fanout_failure_queue]
    for queue in queues:
        messages = sum(depth(queue))
        table.add_row(queue, str(messages))
        if messages:
            ctx.fail(f"{queue} holds {messages} messages")
    return table

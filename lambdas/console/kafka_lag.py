"""Kafka consumer lag, read without joining a group: each group's committed offsets against the end of
each partition it reads (the console's flow page and `make status`).

The end of each partition is measured by reading it with a throwaway consumer that commits nothing:
the local broker (Tansu) answers the offset queries (ListOffsets "latest") wrongly while its committed
offsets (OffsetFetch) are right. Against MSK this is the same answer, only slower than asking.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, ConsumerGroupTopicPartitions, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from platform_core import naming
from platform_core.config import KafkaTrigger
from platform_core.kafka import KafkaConnection
from platform_core.resources import Resources


@contextmanager
def throwaway_consumer(settings: KafkaConnection, purpose: str) -> Iterator[Consumer]:
    """A consumer of a group of its own that commits nothing, so no team's group is touched; closed after."""
    consumer = Consumer(
        {
            **settings.client_config(),
            "group.id": f"{purpose}-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
        }
    )
    try:
        yield consumer
    finally:
        consumer.close()


def messages_until_quiet(consumer: Consumer, quiet_seconds: float) -> Iterator[Message]:
    """The assigned partitions' messages until none came for `quiet_seconds` (the local broker's end
    offsets cannot be trusted, see above)."""
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < quiet_seconds:
        messages = [m for m in consumer.consume(1000, timeout=0.2) if m.error() is None]
        if messages:
            quiet_since = time.monotonic()
        yield from messages


def partition_ends(
    settings: KafkaConnection, topics: Iterable[str], quiet_seconds: float = 1.0
) -> dict[tuple[str, int], tuple[int, int]]:
    """(topic, partition) -> (messages read, end offset), reading every partition to its end.

    The end is "nothing more for `quiet_seconds`": the broker's own answer cannot
    be trusted locally (see the module docstring). Commits nothing, joins no group.
    """
    ends: dict[tuple[str, int], tuple[int, int]] = {}
    with throwaway_consumer(settings, "status") as consumer:
        assignment = []
        for topic in topics:
            metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
            if metadata is None or metadata.error is not None:
                continue
            for partition in metadata.partitions:
                ends[(topic, partition)] = (0, 0)
                assignment.append(TopicPartition(topic, partition, OFFSET_BEGINNING))
        if not assignment:
            return ends
        consumer.assign(assignment)
        for message in messages_until_quiet(consumer, quiet_seconds):
            key = (str(message.topic()), int(message.partition() or 0))
            count, _ = ends[key]
            ends[key] = (count + 1, int(message.offset() or 0) + 1)
    return ends


def consumer_lag(settings: KafkaConnection, groups: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Per (group, topic): committed offsets against the measured end of each partition."""
    topics = sorted({topic for group_topics in groups.values() for topic in group_topics})
    ends = partition_ends(settings, topics)
    admin = AdminClient(settings.client_config())
    rows = []
    for group, group_topics in groups.items():
        partitions = [TopicPartition(t, p) for (t, p) in ends if t in group_topics]
        if not partitions:
            continue
        future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, partitions)])[group]
        committed = {(tp.topic, tp.partition): tp.offset for tp in future.result().topic_partitions}
        for topic in group_topics:
            keys = [k for k in ends if k[0] == topic]
            end = sum(ends[k][1] for k in keys)
            # No commit yet (negative offset): the group would start at the beginning.
            done = sum(max(0, committed.get(k, -1)) for k in keys)
            rows.append({"group": group, "topic": topic, "end": end, "committed": done, "lag": end - done})
    return rows


def kafka_groups(resources: Resources) -> dict[str, list[str]]:
    """Each subscribing team's consumer group and the topics of its Kafka subscriptions, and each
    Kafka-triggered service's own group and topics."""
    config = resources.config
    groups = {
        naming.consumer_group(config.project, resources.env, team): [
            naming.topic_name(resources.env, event_type) for event_type in spec.subscriptions.kafka
        ]
        for team, spec in config.teams.items()
        if spec.subscriptions.kafka
    }
    for name, service in config.services.items():
        if isinstance(service.trigger, KafkaTrigger):
            group = naming.service_consumer_group(config.project, resources.env, service.team, name)
            groups[group] = [naming.topic_name(resources.env, et) for et in service.trigger.event_types]
    return groups

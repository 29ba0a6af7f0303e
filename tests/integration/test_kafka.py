"""The Kafka side against the real broker: topic admin, the bridge's producer, the reference consumer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from lambdas.consumers.kafka_consumer import KafkaEventConsumer
from lambdas.kafka_bridge.producer import KafkaPublisher, to_kafka_record
from local_platform.kafka_broker import KafkaBroker
from platform_core import naming
from platform_core.config import get_config
from platform_core.envelope import Event
from platform_core.kafka_topics import ensure_topics
from platform_core.registry import get_registry
from tools.traffic import TrafficGenerator

pytestmark = [pytest.mark.kafka]


def events(n: int, seed: int) -> list[Event]:
    team, raw = TrafficGenerator(seed=seed).event_of_type("orders.order_created")
    return [
        Event.model_validate(
            {
                **raw,
                "event_id": str(uuid.uuid4()),
                "payload": {**raw["payload"], "order_id": f"ORD-{seed}-{i % 5}"},
                "team": team,
                "received_at": datetime.now(UTC),
                "ingest_id": "r",
                "correlation_id": f"c{i}",
            }
        )
        for i in range(n)
    ]


def test_topics_are_created_once_with_their_partitions_and_grown_never_shrunk(
    fresh_kafka: KafkaBroker,
) -> None:
    admin = AdminClient(fresh_kafka.settings().client_config())
    first = ensure_topics(admin, {"t.a.one": (3, 24), "t.a.two": (6, 48)}, replication_factor=3)
    assert sorted(first.created) == ["t.a.one", "t.a.two"]
    again = ensure_topics(admin, {"t.a.one": (3, 24), "t.a.two": (6, 48)}, replication_factor=3)
    assert again.created == [] and sorted(again.existing) == ["t.a.one", "t.a.two"]
    grown = ensure_topics(admin, {"t.a.one": (4, 24)}, replication_factor=3)
    partitions = {n: len(t.partitions) for n, t in admin.list_topics(timeout=10).topics.items()}
    if fresh_kafka.status()["external"]:
        assert grown.grown == ["t.a.one"] and partitions["t.a.one"] == 4
    else:
        # Tansu has no CreatePartitions: reported, never silently ignored.
        assert grown.partitions_not_grown == ["t.a.one"] and partitions["t.a.one"] == 3
    assert partitions["t.a.two"] == 6


def test_the_reference_consumer_commits_only_what_it_processed(fresh_kafka: KafkaBroker) -> None:
    settings = fresh_kafka.settings()
    admin = AdminClient(settings.client_config())
    topic = naming.topic_name("dev", "orders.order_created")
    ensure_topics(admin, {topic: get_config().topic_settings("orders.order_created")}, 1)
    publisher = KafkaPublisher(settings, delivery_timeout_ms=10_000)
    batch = events(30, seed=1)
    records = [to_kafka_record(e.model_dump_json(), "dev", get_registry()) for e in batch]
    assert publisher.publish(records) == [None] * 30
    # A message that is not an event (someone else's producer): poison, skipped, not blocking.
    plain = Producer(settings.client_config())
    plain.produce(topic, value=b"not an event", key=b"ORD-x")
    plain.flush(10)

    flaky = str(batch[7].event_id)
    seen: list[str] = []
    failures = {"left": 2}

    def process(event: Event, headers: dict[str, str]) -> None:
        assert headers["event_id"] == str(event.event_id)
        if str(event.event_id) == flaky and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("downstream unavailable")
        seen.append(str(event.event_id))

    poisoned: list[Any] = []
    group = naming.consumer_group("stockoss", "dev", "documents")
    first = KafkaEventConsumer(settings, group, [topic], process, on_poison=lambda m, r: poisoned.append(r))
    try:
        stats = first.run(idle_seconds=3, max_seconds=60)
    finally:
        first.close()
    assert sorted(seen) == sorted(str(e.event_id) for e in batch)  # the flaky one once, after two retries
    assert stats.retried == 2 and stats.poisoned == 1 and len(poisoned) == 1

    more = events(10, seed=2)
    assert (
        publisher.publish([to_kafka_record(e.model_dump_json(), "dev", get_registry()) for e in more])
        == [None] * 10
    )
    seen.clear()
    second = KafkaEventConsumer(settings, group, [topic], process)
    try:
        second.run(idle_seconds=3, max_seconds=60)
    finally:
        second.close()
    # The same group resumes after its commits: only the new events.
    assert sorted(seen) == sorted(str(e.event_id) for e in more)

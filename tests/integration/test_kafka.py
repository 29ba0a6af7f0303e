"""The Kafka side against the real broker: topic admin, the bridge's producer, the reference consumer."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
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


def read_all(settings: Any, topic: str, expected: int, timeout: float = 30) -> list[Any]:
    """Up to `expected` messages of a topic, from the beginning, in a throwaway group."""
    consumer = Consumer(
        {**settings.client_config(), "group.id": f"reader-{uuid.uuid4()}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < expected and time.monotonic() < deadline:
            found += [m for m in consumer.consume(expected, timeout=0.5) if m.error() is None]
    finally:
        consumer.close()
    return found


def parked_count(settings: Any, topic: str) -> int:
    consumer = Consumer({**settings.client_config(), "group.id": f"counter-{uuid.uuid4()}"})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in metadata.partitions
        )
    finally:
        consumer.close()


def assert_parked(
    settings: Any, dead_letters: str, group: str, topic: str, keys: dict[bytes, str | None]
) -> None:
    """The dead-letter topic holds each message untouched, with the reason and where it came from."""
    parked = {m.key(): m for m in read_all(settings, dead_letters, expected=len(keys))}
    assert set(parked) == set(keys)
    not_event = dict(parked[b"ORD-x"].headers())
    assert parked[b"ORD-x"].value() == b"not an event" and not_event["source"] == b"elsewhere"
    assert not_event["dlt-reason"].startswith(b"not a stored event")
    assert not_event["dlt-original-topic"] == topic.encode()
    assert not_event["dlt-consumer-group"] == group.encode()
    for key, event_id in keys.items():
        if event_id is None:
            continue
        failed = dict(parked[key].headers())
        assert failed["dlt-reason"] == b"processing failed 3 times: order references an unknown warehouse"
        assert failed["event_id"] == event_id.encode()  # the original headers travel with it


def test_the_reference_consumer_commits_only_what_it_processed_and_parks_poison(
    fresh_kafka: KafkaBroker,
) -> None:
    settings = fresh_kafka.settings()
    admin = AdminClient(settings.client_config())
    topic = naming.topic_name("dev", "orders.order_created")
    dead_letters = naming.dead_letter_topic("dev", "documents")
    ensure_topics(
        admin, {topic: get_config().topic_settings("orders.order_created"), dead_letters: (1, 24)}, 1
    )
    publisher = KafkaPublisher(settings, delivery_timeout_ms=10_000)
    batch = events(30, seed=1)
    records = [to_kafka_record(e.model_dump_json(), "dev", get_registry()) for e in batch]
    assert publisher.publish(records) == [None] * 30
    # A message that is not an event (someone else's producer): parked, not blocking.
    plain = Producer(settings.client_config())
    plain.produce(topic, value=b"not an event", key=b"ORD-x", headers=[("source", b"elsewhere")])
    plain.flush(10)

    flaky = str(batch[7].event_id)
    hopeless = str(batch[12].event_id)
    seen: list[str] = []
    failures = {"left": 2}

    def process(event: Event, headers: dict[str, str]) -> None:
        assert headers["event_id"] == str(event.event_id)
        if str(event.event_id) == flaky and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("downstream unavailable")
        if str(event.event_id) == hopeless:
            raise ValueError("order references an unknown warehouse")
        seen.append(str(event.event_id))

    group = naming.consumer_group("stockoss", "dev", "documents")
    first = KafkaEventConsumer(
        settings, group, [topic], process, dead_letter_topic=dead_letters, max_attempts=3
    )
    try:
        stats = first.run(idle_seconds=3, max_seconds=60)
    finally:
        first.close()
    # The flaky one once, after two retries; the hopeless one parked after three attempts.
    assert sorted(seen) == sorted(str(e.event_id) for e in batch if str(e.event_id) != hopeless)
    assert (stats.retried, stats.poisoned, stats.parking_failed) == (2 + 2, 2, 0)

    assert_parked(settings, dead_letters, group, topic, {b"ORD-x": None, records[12].key: hopeless})

    more = events(10, seed=2)
    assert (
        publisher.publish([to_kafka_record(e.model_dump_json(), "dev", get_registry()) for e in more])
        == [None] * 10
    )
    seen.clear()
    second = KafkaEventConsumer(settings, group, [topic], process, dead_letter_topic=dead_letters)
    try:
        second.run(idle_seconds=3, max_seconds=60)
    finally:
        second.close()
    # The same group resumes after its commits: only the new events, nothing parked twice.
    assert sorted(seen) == sorted(str(e.event_id) for e in more)
    assert parked_count(settings, dead_letters) == 2


def test_a_poison_message_is_not_committed_past_until_it_is_parked(fresh_kafka: KafkaBroker) -> None:
    settings = fresh_kafka.settings()
    topic = naming.topic_name("dev", "billing.invoice_issued")
    ensure_topics(AdminClient(settings.client_config()), {topic: (1, 24)}, 1)
    plain = Producer(settings.client_config())
    for value in (b"poison", b"also poison"):
        plain.produce(topic, value=value, key=b"k")
    plain.flush(10)
    parked: list[bytes] = []
    dead_letter_topic_down = {"calls": 0}

    def park(message: Any, reason: str) -> None:
        dead_letter_topic_down["calls"] += 1
        if dead_letter_topic_down["calls"] <= 2:
            raise RuntimeError("dead-letter topic unavailable")
        parked.append(message.value())

    group = naming.consumer_group("stockoss", "dev", "orders")
    consumer = KafkaEventConsumer(
        settings, group, [topic], lambda e, h: None, dead_letter_topic="unused", on_poison=park
    )
    try:
        stats = consumer.run(idle_seconds=3, max_seconds=60)
    finally:
        consumer.close()
    # Twice refused, then parked in order: the partition waited, nothing was skipped.
    assert parked == [b"poison", b"also poison"]
    assert (stats.parking_failed, stats.poisoned) == (2, 2)

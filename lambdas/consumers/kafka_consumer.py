"""A reference Kafka consumer for a subscribing team: a consumer group, commits only after processing.

Each team reads its topics in its own group (naming.consumer_group), so teams
never share offsets. The offset of a message is committed only once it is
processed, so a consumer that dies re-reads what it had not finished (at
least once; process idempotently, by the event_id header). A message whose
processing fails is retried in place (the partition is rewound to it, which
keeps the per-key order); after `max_attempts`, or at once when it is not a
stored event, it is parked: produced, untouched, to the team's dead-letter
topic (naming.dead_letter_topic) with the reason and where it came from in
its headers, and counted. Only once the dead-letter topic has acknowledged it
does the partition move on: a dead-letter topic that cannot be written stops
the partition (retried), it never skips the message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from aws_lambda_powertools import Logger
from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

from platform_core.envelope import Event
from platform_core.kafka import SESSION_TIMEOUT_MS, KafkaConnection

# Structured JSON logs like the Lambdas', with the producer's correlation id (from the headers).
log = Logger(service="kafka-consumer")

Processor = Callable[[Event, dict[str, str]], None]
PoisonHandler = Callable[[Message, str], None]


# A parked message is acknowledged (or definitively refused) within this time.
PARK_TIMEOUT_SECONDS = 30.0


class ParkingFailed(RuntimeError):
    """The dead-letter topic did not acknowledge a parked message: the consumer must not commit past it."""


class DeadLetterTopic:
    """Parks poison messages on a dead-letter topic: the same key, value and headers, plus the reason and the
    original topic, partition and offset; returns only once the broker has acknowledged it (acks=all)."""

    def __init__(
        self,
        settings: KafkaConnection,
        topic: str,
        group_id: str,
        factory: Callable[[dict[str, Any]], Any] = Producer,
    ):
        self.topic = topic
        self._group_id = group_id
        self._producer = factory(
            {
                **settings.client_config(),
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 0,
                # A refusal is final within the timeout, so a message retried later is not also delivered late.
                "delivery.timeout.ms": int(PARK_TIMEOUT_SECONDS * 1000),
            }
        )

    def __call__(self, message: Message, reason: str) -> None:
        topic, part, offset = position(message)
        headers = [
            *(cast(list[tuple[str, bytes]], message.headers() or [])),
            ("dlt-reason", reason.encode()),
            ("dlt-original-topic", topic.encode()),
            ("dlt-original-partition", str(part).encode()),
            ("dlt-original-offset", str(offset).encode()),
            ("dlt-consumer-group", self._group_id.encode()),
            ("dlt-parked-at", datetime.now(UTC).isoformat().encode()),
        ]
        outcome: list[KafkaError | None] = []
        self._producer.produce(
            self.topic,
            value=message.value(),
            key=message.key(),
            headers=headers,
            on_delivery=lambda error, _record: outcome.append(error),
        )
        self._producer.flush(PARK_TIMEOUT_SECONDS + 5)
        # Compared by identity: KafkaError's == fails against None.
        if not outcome or outcome[0] is not None:
            why = str(outcome[0]) if outcome else "no acknowledgement in time"
            raise ParkingFailed(f"{self.topic} did not take the message: {why}")
        log.error(
            "poison Kafka message parked on the dead-letter topic",
            extra={
                "topic": topic,
                "partition": part,
                "offset": offset,
                "dead_letter_topic": self.topic,
                "reason": reason,
            },
        )

    def close(self) -> None:
        self._producer.flush(PARK_TIMEOUT_SECONDS)


def position(message: Message) -> tuple[str, int, int]:
    """(topic, partition, offset): never None for a consumed message that is not an error."""
    return cast(str, message.topic()), cast(int, message.partition()), cast(int, message.offset())


@dataclass
class ConsumerStats:
    processed: int = 0
    retried: int = 0
    poisoned: int = 0  # parked on the dead-letter topic
    parking_failed: int = 0  # the dead-letter topic refused them: retried, never skipped
    commits: int = 0


class KafkaEventConsumer:
    """`on_poison` parks a message it cannot process (default: the `dead_letter_topic`); if it raises,
    the message is not finished with and the partition waits for it."""

    def __init__(
        self,
        settings: KafkaConnection,
        group_id: str,
        topics: Sequence[str],
        process: Processor,
        *,
        dead_letter_topic: str,
        on_poison: PoisonHandler | None = None,
        max_attempts: int = 3,
        factory: Callable[[dict[str, Any]], Any] = Consumer,
    ):
        self._consumer = factory(
            {
                **settings.client_config(),
                "group.id": group_id,
                "enable.auto.commit": False,  # commits are ours, after processing
                "auto.offset.reset": "earliest",
                "session.timeout.ms": SESSION_TIMEOUT_MS,
                "partition.assignment.strategy": "cooperative-sticky",
            }
        )
        self._consumer.subscribe(list(topics))
        self._process = process
        self._dead_letters = (
            None if on_poison is not None else DeadLetterTopic(settings, dead_letter_topic, group_id)
        )
        self._on_poison: PoisonHandler = on_poison or cast(PoisonHandler, self._dead_letters)
        self._max_attempts = max_attempts
        self._attempts: dict[tuple[str, int, int], int] = {}
        self.stats = ConsumerStats()

    def run(self, idle_seconds: float = 5.0, max_seconds: float = 300.0, batch: int = 500) -> ConsumerStats:
        """Consume until nothing arrives for `idle_seconds` (or `max_seconds` pass)."""
        deadline = time.monotonic() + max_seconds
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < idle_seconds:
            messages = [m for m in self._consumer.consume(batch, timeout=0.5) if m.error() is None]
            if messages or not self._consumer.assignment():
                # Idle time counts from when the group has given us partitions.
                quiet_since = time.monotonic()
            if messages:
                self.handle(messages)
        return self.stats

    def handle(self, messages: Sequence[Message]) -> None:
        """Process a batch in order; commit what was processed; rewind each partition to its failure."""
        done: dict[tuple[str, int], int] = {}
        stopped: set[tuple[str, int]] = set()
        for message in messages:
            topic, part, offset = position(message)
            if (topic, part) in stopped:
                continue
            if self._handle_one(message):
                done[(topic, part)] = offset + 1
            else:
                stopped.add((topic, part))
                self._consumer.seek(TopicPartition(topic, part, offset))
        if done:
            self._consumer.commit(
                offsets=[TopicPartition(topic, part, offset) for (topic, part), offset in done.items()],
                asynchronous=False,
            )
            self.stats.commits += 1

    def _handle_one(self, message: Message) -> bool:
        """True when the message is finished with (processed or parked), False to retry it."""
        try:
            event = Event.model_validate_json(message.value() or b"")
        except ValueError as exc:
            return self._park(message, f"not a stored event: {exc}")
        headers = {
            name: bytes(value or b"").decode()
            for name, value in cast(list[tuple[str, bytes]], message.headers() or [])
        }
        key = position(message)
        log.set_correlation_id(headers.get("correlation_id") or event.correlation_id)
        try:
            self._process(event, headers)
        except Exception as exc:
            attempts = self._attempts.get(key, 0) + 1
            if attempts >= self._max_attempts:
                parked = self._park(message, f"processing failed {attempts} times: {exc}")
                if parked:
                    self._attempts.pop(key, None)
                return parked
            self._attempts[key] = attempts
            self.stats.retried += 1
            return False
        self._attempts.pop(key, None)
        self.stats.processed += 1
        log.info(
            "Kafka event processed",
            extra={"topic": key[0], "partition": key[1], "offset": key[2], "event_id": str(event.event_id)},
        )
        return True

    def _park(self, message: Message, reason: str) -> bool:
        """Hand the message to on_poison; False (retry it) when that fails, so nothing is committed past it."""
        try:
            self._on_poison(message, reason)
        except Exception as exc:
            self.stats.parking_failed += 1
            topic, part, offset = position(message)
            log.exception(
                "poison Kafka message could not be parked; the partition waits for it",
                extra={
                    "topic": topic,
                    "partition": part,
                    "offset": offset,
                    "reason": reason,
                    "error": str(exc),
                },
            )
            return False
        self.stats.poisoned += 1
        return True

    def close(self) -> None:
        self._consumer.close()
        if self._dead_letters is not None:
            self._dead_letters.close()

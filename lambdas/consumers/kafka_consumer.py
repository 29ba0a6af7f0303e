"""A reference Kafka consumer for a subscribing team: a consumer group, commits only after processing.

Each team reads its topics in its own group (naming.consumer_group), so teams
never share offsets. The offset of a message is committed only once it is
processed, so a consumer that dies re-reads what it had not finished (at
least once; process idempotently, by the event_id header). A message whose
processing fails is retried in place (the partition is rewound to it, which
keeps the per-key order); after `max_attempts` it goes to `on_poison` (a
team's dead-letter topic, a table, an alarm) and the partition moves on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from aws_lambda_powertools import Logger
from confluent_kafka import Consumer, Message, TopicPartition

from platform_core.envelope import Event
from platform_core.kafka import SESSION_TIMEOUT_MS, KafkaConnection

# Structured JSON logs like the Lambdas', with the producer's correlation id (from the headers).
log = Logger(service="kafka-consumer")

Processor = Callable[[Event, dict[str, str]], None]
PoisonHandler = Callable[[Message, str], None]


def log_poison(message: Message, reason: str) -> None:
    log.error(
        "poison Kafka message skipped",
        extra={
            "topic": message.topic(),
            "partition": message.partition(),
            "offset": message.offset(),
            "reason": reason,
        },
    )


def position(message: Message) -> tuple[str, int, int]:
    """(topic, partition, offset): never None for a consumed message that is not an error."""
    return cast(str, message.topic()), cast(int, message.partition()), cast(int, message.offset())


@dataclass
class ConsumerStats:
    processed: int = 0
    retried: int = 0
    poisoned: int = 0
    commits: int = 0


class KafkaEventConsumer:
    def __init__(
        self,
        settings: KafkaConnection,
        group_id: str,
        topics: Sequence[str],
        process: Processor,
        on_poison: PoisonHandler = log_poison,
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
        self._on_poison = on_poison
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
        """True when the message is finished with (processed or given up on), False to retry it."""
        try:
            event = Event.model_validate_json(message.value() or b"")
        except ValueError as exc:
            self.stats.poisoned += 1
            self._on_poison(message, f"not a stored event: {exc}")
            return True
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
                self._attempts.pop(key, None)
                self.stats.poisoned += 1
                self._on_poison(message, f"processing failed {attempts} times: {exc}")
                return True
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

    def close(self) -> None:
        self._consumer.close()

"""Producing outbox messages to Kafka: an idempotent producer, acks=all, flushed before the batch returns.

The outbox message body is the stored event (Event JSON); everything Kafka
needs is derived from it here, from the one definition of each fact: the topic
from naming.topic_name, the message key from the schema's x-business-key (so
all events of one order land in one partition, in the order produced), and
the headers from the envelope.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import KafkaError, Message, Producer

from platform_core import naming
from platform_core.envelope import Event
from platform_core.kafka import KafkaConnection
from platform_core.registry import SchemaRegistry

# librdkafka gives up on a message after this long; the flush waits a little
# longer, so that when publish() returns every message has a verdict and none
# is left in the producer's queue to be delivered behind the caller's back.
# The Lambda timeout must exceed it (Terraform sets it from the same variable).
DEFAULT_DELIVERY_TIMEOUT_MS = 30_000
FLUSH_MARGIN_SECONDS = 5.0


class PoisonMessage(ValueError):
    """An outbox message that can never be produced (bad body, unknown type or missing key)."""


@dataclass(frozen=True, slots=True)
class KafkaRecord:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def to_kafka_record(body: str, env: str, registry: SchemaRegistry) -> KafkaRecord:
    try:
        event = Event.model_validate_json(body)
    except ValueError as exc:
        raise PoisonMessage(f"body is not a stored event: {exc}") from exc
    schema = registry.get(event.event_type, event.schema_version)
    if schema is None or not schema.business_key:
        raise PoisonMessage(f"no schema with x-business-key for {event.event_type} v{event.schema_version}")
    key = event.payload.get(schema.business_key)
    if key is None or key == "":
        raise PoisonMessage(f"payload has no {schema.business_key} (the message key)")
    return KafkaRecord(
        topic=naming.topic_name(env, event.event_type),
        key=str(key).encode(),
        value=body.encode(),
        headers=[
            ("event_id", str(event.event_id).encode()),
            ("event_type", event.event_type.encode()),
            ("team", event.team.encode()),
            ("correlation_id", event.correlation_id.encode()),
        ],
    )


class ProducerLike(Protocol):
    def produce(
        self, topic: str, value: bytes, key: bytes, headers: Any, on_delivery: Callable[..., None]
    ) -> None: ...
    def poll(self, timeout: float) -> int: ...
    def flush(self, timeout: float) -> int: ...


def producer_config(settings: KafkaConnection, delivery_timeout_ms: int) -> dict[str, Any]:
    return {
        **settings.client_config(),
        "enable.idempotence": True,  # no duplicates or reordering from the producer's own retries
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": delivery_timeout_ms,
        "client.id": os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "stockoss-kafka-bridge"),
    }


class KafkaPublisher:
    """Publishes a batch and reports, per message, whether the cluster acknowledged it."""

    def __init__(
        self,
        settings: KafkaConnection,
        delivery_timeout_ms: int = DEFAULT_DELIVERY_TIMEOUT_MS,
        factory: Callable[[dict[str, Any]], Any] = Producer,
    ):
        self._config = producer_config(settings, delivery_timeout_ms)
        self._factory = factory
        self._flush_seconds = delivery_timeout_ms / 1000 + FLUSH_MARGIN_SECONDS
        self._producer: ProducerLike | None = None

    def publish(self, records: Sequence[KafkaRecord]) -> list[str | None]:
        """Produce all, wait for all; per record None (acknowledged) or the error."""
        # Created once, reused by every warm invocation (connections, idempotence state).
        producer = self._producer = self._producer or self._factory(self._config)
        outcome: list[str | None] = ["not acknowledged before the flush timeout"] * len(records)

        def delivered(index: int) -> Callable[[KafkaError | None, Message], None]:
            def callback(error: KafkaError | None, _message: Message) -> None:
                outcome[index] = None if error is None else str(error)
                if error is not None and error.fatal():
                    # A fatal idempotence error poisons the producer: start a new one next time.
                    self._producer = None

            return callback

        for index, record in enumerate(records):
            while True:
                try:
                    producer.produce(
                        record.topic,
                        value=record.value,
                        key=record.key,
                        headers=record.headers,
                        on_delivery=delivered(index),
                    )
                    break
                except BufferError:
                    producer.poll(0.1)  # local queue full: serve delivery reports, then retry
                except Exception as exc:
                    outcome[index] = f"produce failed: {exc}"
                    break
        producer.flush(self._flush_seconds)
        return outcome

    def close(self) -> None:
        """Drop the producer (every batch was flushed) so it closes its broker connections now."""
        self._producer = None

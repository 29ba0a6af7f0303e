"""The Kafka -> Lambda event source mapping (self-managed Apache Kafka), as AWS documents it.

- One consumer group per service (naming.service_consumer_group), reading the
  topics of the event types its trigger names, from the earliest offset the
  group has not committed.
- A batch is up to BatchSize records gathered for at most the batching window,
  delivered in the documented event shape: `eventSource: SelfManagedKafka`,
  `bootstrapServers`, records grouped by `<topic>-<partition>`, key and value
  base64, headers as lists of byte values.
- Offsets are committed only after the function succeeds. A function error
  retries the same batch (with backoff) and blocks its partitions, as the
  managed mapping does without an on-failure destination: a record is never
  skipped silently.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from local_platform.functions.spec import Function
from local_platform.pollers.background import BackgroundPoller
from platform_core import naming
from platform_core.config import KafkaTrigger
from platform_core.kafka import SESSION_TIMEOUT_MS, KafkaConnection

if TYPE_CHECKING:
    from platform_core.resources import Resources

log = logging.getLogger(__name__)

# AWS's default batching window for Kafka mappings when none is set.
DEFAULT_WINDOW_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class KafkaMapping:
    topics: tuple[str, ...]
    group_id: str
    batch_size: int
    batching_window_seconds: float

    @classmethod
    def for_service(cls, resources: Resources, name: str, trigger: KafkaTrigger) -> KafkaMapping:
        service = resources.service(name)
        return cls(
            topics=tuple(naming.topic_name(resources.env, et) for et in trigger.event_types),
            group_id=naming.service_consumer_group(resources.project, resources.env, service.team, name),
            batch_size=service.batch.size,
            batching_window_seconds=service.batch.window_seconds or DEFAULT_WINDOW_SECONDS,
        )


@dataclass
class KafkaStats:
    invocations: int = 0
    records_delivered: int = 0
    function_errors: int = 0
    retries: int = 0


def lambda_event(messages: list[Message], bootstrap_servers: str) -> dict[str, Any]:
    """The event a Kafka mapping sends: records grouped by topic-partition."""
    records: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        kind, timestamp = message.timestamp()
        key, value = message.key(), message.value()
        records.setdefault(f"{message.topic()}-{message.partition()}", []).append(
            {
                "topic": message.topic(),
                "partition": message.partition(),
                "offset": message.offset(),
                "timestamp": timestamp,
                "timestampType": "LOG_APPEND_TIME" if kind == 2 else "CREATE_TIME",
                "key": base64.b64encode(key).decode() if key is not None else None,
                "value": base64.b64encode(value).decode() if value is not None else None,
                "headers": [{str(header[0]): list(header[1] or b"")} for header in message.headers() or []],
            }
        )
    return {"eventSource": "SelfManagedKafka", "bootstrapServers": bootstrap_servers, "records": records}


class KafkaPoller(BackgroundPoller):
    """A platform component: one consumer group feeding one function."""

    def __init__(self, function: Function, mapping: KafkaMapping, kafka: KafkaConnection):
        self.name = f"{function.spec.name}-kafka-poller"
        self._function = function
        self._mapping = mapping
        self._kafka = kafka
        self._consumer: Consumer | None = None
        self._lock = threading.Lock()  # one batch at a time: the consumer is not shared
        super().__init__()
        self.stats = KafkaStats()

    def status(self) -> dict[str, Any]:
        return {
            "topics": list(self._mapping.topics),
            "group": self._mapping.group_id,
            "function": self._function.spec.name,
            "running": self.running,
            **self.stats.__dict__,
        }

    def stop(self) -> None:
        super().stop()
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None

    def _run(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            try:
                self.poll_once(self._mapping.batching_window_seconds)
                backoff = 0.0
            except BatchFailed:
                backoff = min(MAX_BACKOFF_SECONDS, max(0.5, backoff * 2))
                self._stopping.wait(backoff)
            except Exception:
                log.exception("Kafka poller %s failed a pass", self.name)
                self._stopping.wait(1)

    def run_until_idle(self, timeout: float = 120.0, empty_polls: int = 2) -> None:
        """Deliver until two polls in a row find nothing (tests, demo steps); a failing batch raises."""
        deadline = time.monotonic() + timeout
        empty = 0
        while empty < empty_polls:
            empty = 0 if self.poll_once(1.0) else empty + 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: topics not drained within {timeout}s")

    def poll_once(self, window_seconds: float) -> int:
        """Consume one batch, invoke the function, commit; the number of records. Failure: rewind."""
        with self._lock:
            consumer = self._consumer_or_new()
            messages: list[Message] = []
            deadline = time.monotonic() + window_seconds
            while len(messages) < self._mapping.batch_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                for message in consumer.consume(self._mapping.batch_size - len(messages), timeout=remaining):
                    error = message.error()
                    if error is None:
                        messages.append(message)
                    elif error.code() != KafkaError._PARTITION_EOF:
                        log.warning("%s: %s", self.name, error)
            if not messages:
                return 0
            self.stats.invocations += 1
            self.stats.records_delivered += len(messages)
            invocation = self._function.invoke(lambda_event(messages, self._kafka.bootstrap_servers))
            if invocation.failed:
                self.stats.function_errors += 1
                self.stats.retries += 1
                self._rewind(consumer, messages)
                log.warning(
                    "%s: function error (%s); the batch is retried", self.name, invocation.error_message
                )
                raise BatchFailed(invocation.error_message)
            consumer.commit(offsets=_next_offsets(messages), asynchronous=False)
            return len(messages)

    def _consumer_or_new(self) -> Consumer:
        if self._consumer is None:
            self._consumer = Consumer(
                {
                    **self._kafka.client_config(),
                    "group.id": self._mapping.group_id,
                    "auto.offset.reset": "earliest",
                    "enable.auto.commit": False,
                    "session.timeout.ms": SESSION_TIMEOUT_MS,
                }
            )
            self._consumer.subscribe(list(self._mapping.topics))
        return self._consumer

    @staticmethod
    def _rewind(consumer: Consumer, messages: list[Message]) -> None:
        first: dict[tuple[str, int], int] = {}
        for message in messages:
            key = (str(message.topic()), int(message.partition() or 0))
            first[key] = min(first.get(key, int(message.offset() or 0)), int(message.offset() or 0))
        for (topic, partition), offset in first.items():
            consumer.seek(TopicPartition(topic, partition, offset))


class BatchFailed(Exception):
    """The function failed the batch: its offsets were not committed, it is delivered again."""


def _next_offsets(messages: list[Message]) -> list[TopicPartition]:
    last: dict[tuple[str, int], int] = {}
    for message in messages:
        key = (str(message.topic()), int(message.partition() or 0))
        last[key] = max(last.get(key, -1), int(message.offset() or 0))
    return [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()]

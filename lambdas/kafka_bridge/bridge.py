"""One outbox batch to Kafka: per SQS message, None when Kafka acknowledged it, or why not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lambdas.kafka_bridge.producer import KafkaPublisher, KafkaRecord, PoisonMessage, to_kafka_record
from lambdas.kafka_bridge.settings import KafkaBridgeSettings
from platform_core.config import get_config
from platform_core.registry import SchemaRegistry, get_registry


class Bridge:
    def __init__(self, project: str, env: str, registry: SchemaRegistry, publisher: KafkaPublisher):
        self.metrics_namespace = project
        self._env = env
        self._registry = registry
        self._publisher = publisher

    @classmethod
    def from_settings(
        cls,
        settings: KafkaBridgeSettings,
        *,
        publisher: KafkaPublisher | None = None,
        project: str | None = None,
    ) -> Bridge:
        """The bridge to the cluster its settings name (the publisher injectable: tests, fault injection)."""
        return cls(
            project or get_config().project,
            settings.platform_env,
            get_registry(),
            publisher or KafkaPublisher(settings.kafka(), settings.kafka_delivery_timeout_ms),
        )

    def process(self, records: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
        """SQS messageId -> None (in Kafka) or the error."""
        outcome: dict[str, str | None] = {}
        to_send: list[tuple[str, KafkaRecord]] = []
        for record in records:
            try:
                to_send.append(
                    (record["messageId"], to_kafka_record(record["body"], self._env, self._registry))
                )
            except PoisonMessage as exc:
                outcome[record["messageId"]] = str(exc)
        results = self._publisher.publish([kafka_record for _, kafka_record in to_send]) if to_send else []
        for (message_id, _), error in zip(to_send, results, strict=True):
            outcome[message_id] = error
        return outcome

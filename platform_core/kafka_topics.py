"""The platform's Kafka topics, created from config/platform.yaml, idempotently.

One topic per event type with Kafka subscribers, named <env>.<domain>.<event>,
with the partitions and retention the configuration gives it. Used by the
local broker after it starts and by `python -m scripts.kafka_topics` (run once
per environment after `make apply`). Running it again changes nothing; a topic
that exists with fewer partitions than configured is grown (Kafka cannot
shrink one), and its retention is set to the configured value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
)

from platform_core.config import PlatformConfig
from platform_core.kafka import KafkaConnection
from platform_core.resources import Resources

TIMEOUT_SECONDS = 30.0


@dataclass
class TopicReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    grown: list[str] = field(default_factory=list)
    # Existing topics whose retention could not be set because the broker has no
    # config API (Tansu); a topic created here always gets it at creation.
    retention_not_set: list[str] = field(default_factory=list)
    # Existing topics with fewer partitions than configured, on a broker that cannot add partitions (Tansu).
    partitions_not_grown: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "created": self.created,
            "existing": self.existing,
            "grown": self.grown,
            "retention_not_set": self.retention_not_set,
            "partitions_not_grown": self.partitions_not_grown,
        }


def retention_ms(hours: int) -> str:
    return str(hours * 3600 * 1000)


def ensure_topics(
    admin: AdminClient, topics: dict[str, tuple[int, int]], replication_factor: int
) -> TopicReport:
    """Make every topic exist with at least its partitions and exactly its retention."""
    report = TopicReport()
    metadata = admin.list_topics(timeout=TIMEOUT_SECONDS)
    # A replication factor above the broker count cannot be met (one local broker, three MSK brokers).
    replicas = max(1, min(replication_factor, len(metadata.brokers)))
    missing = {name: spec for name, spec in sorted(topics.items()) if name not in metadata.topics}
    _create(admin, missing, replicas, report)
    to_grow: list[NewPartitions] = []
    for name, (partitions, hours) in sorted(topics.items()):
        if name in missing:
            continue
        report.existing.append(name)
        if len(metadata.topics[name].partitions) < partitions:
            to_grow.append(NewPartitions(name, partitions))
        if not _set_retention(admin, name, hours):
            report.retention_not_set.append(name)
    _grow(admin, to_grow, report)
    return report


def _create(
    admin: AdminClient, topics: dict[str, tuple[int, int]], replicas: int, report: TopicReport
) -> None:
    if not topics:
        return
    new = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replicas,
            config={"retention.ms": retention_ms(hours)},
        )
        for name, (partitions, hours) in topics.items()
    ]
    for name, future in admin.create_topics(new, request_timeout=TIMEOUT_SECONDS).items():
        try:
            future.result()
            report.created.append(name)
        except KafkaException as exc:
            # Created concurrently by someone else: that is the state we want.
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
            report.existing.append(name)


def _grow(admin: AdminClient, to_grow: list[NewPartitions], report: TopicReport) -> None:
    if not to_grow:
        return
    for name, future in admin.create_partitions(to_grow, request_timeout=TIMEOUT_SECONDS).items():
        try:
            future.result()
            report.grown.append(name)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._UNSUPPORTED_FEATURE:
                raise
            report.partitions_not_grown.append(name)


def _set_retention(admin: AdminClient, name: str, hours: int) -> bool:
    resource = ConfigResource(
        ConfigResource.Type.TOPIC,
        name,
        incremental_configs=[
            ConfigEntry("retention.ms", retention_ms(hours), incremental_operation=AlterConfigOpType.SET)
        ],
    )
    try:
        for future in admin.incremental_alter_configs([resource], request_timeout=TIMEOUT_SECONDS).values():
            future.result()
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError._UNSUPPORTED_FEATURE:
            raise
        return False
    return True


def ensure_platform_topics(
    config: PlatformConfig, env: str, settings: KafkaConnection | None = None
) -> TopicReport:
    settings = settings or KafkaConnection.from_env()
    admin = AdminClient(settings.client_config())
    return ensure_topics(admin, Resources(config, env).topics(), config.kafka.replication_factor)

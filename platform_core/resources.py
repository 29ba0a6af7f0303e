"""Every AWS resource name of one environment, derived from the platform configuration.

Terraform creates the same resources (with the account id appended to bucket
names) and passes the names to the Lambdas as the environment variables that
`lambda_environment()` returns here.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_core import naming
from platform_core.config import PlatformConfig


@dataclass(frozen=True)
class Resources:
    config: PlatformConfig
    env: str
    account_id: str | None = None

    def __post_init__(self) -> None:
        if self.env not in self.config.environments:
            raise ValueError(
                f"unknown environment {self.env!r}; known: {', '.join(self.config.environments)}"
            )

    @property
    def project(self) -> str:
        return self.config.project

    @property
    def events_table(self) -> str:
        return naming.events_table(self.project, self.env)

    def bucket(self, zone: str) -> str:
        return naming.bucket_name(self.project, self.env, zone, self.account_id)

    @property
    def raw_bucket(self) -> str:
        return self.bucket(naming.ZONE_RAW)

    @property
    def rejected_bucket(self) -> str:
        return self.bucket(naming.ZONE_REJECTED)

    @property
    def curated_bucket(self) -> str:
        return self.bucket(naming.ZONE_CURATED)

    @property
    def athena_results_bucket(self) -> str:
        return self.bucket("athena-results")

    @property
    def buckets(self) -> tuple[str, ...]:
        return (self.raw_bucket, self.rejected_bucket, self.curated_bucket, self.athena_results_bucket)

    def team_queue(self, team: str) -> str:
        return naming.team_queue(self.project, self.env, team)

    def team_dlq(self, team: str) -> str:
        return naming.team_dlq(self.project, self.env, team)

    @property
    def outbox_queue(self) -> str:
        return naming.outbox_queue(self.project, self.env)

    @property
    def outbox_dlq(self) -> str:
        return naming.outbox_dlq(self.project, self.env)

    @property
    def fanout_failure_queue(self) -> str:
        return naming.fanout_failure_queue(self.project, self.env)

    @property
    def orders_table(self) -> str:
        """The orders team's order state (its reference consumer's own table, not a platform one)."""
        return naming.resource_name(self.project, self.env, "order-state", "orders")

    def queues_with_dlq(self) -> list[tuple[str, str]]:
        """(queue, its DLQ) for every subscribing team and for the Kafka outbox."""
        pairs = [(self.team_queue(t), self.team_dlq(t)) for t in self.config.sqs_subscriber_teams]
        pairs.append((self.outbox_queue, self.outbox_dlq))
        return pairs

    def topics(self) -> dict[str, tuple[int, int]]:
        """Kafka topic name -> (partitions, retention hours)."""
        return {
            naming.topic_name(self.env, et): self.config.topic_settings(et)
            for et in self.config.kafka_event_types
        }

    def lambda_environment(self) -> dict[str, str]:
        """The environment variables the Lambdas read (Terraform sets the same names)."""
        return {
            "PLATFORM_ENV": self.env,
            "EVENTS_TABLE": self.events_table,
            "RAW_BUCKET": self.raw_bucket,
            "REJECTED_BUCKET": self.rejected_bucket,
            "CURATED_BUCKET": self.curated_bucket,
            "OUTBOX_QUEUE_NAME": self.outbox_queue,
            "ORDERS_TABLE": self.orders_table,
            "POWERTOOLS_METRICS_NAMESPACE": self.project,
        }

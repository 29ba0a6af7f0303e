"""The platform configuration (config/platform.yaml): one file, read by everything.

Terraform reads the same file with yamldecode(); these models are the Python
view of it, validated once per process.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

# lambdas/ sits beside config/ and schemas/ both in the repository and in a
# Lambda zip, so the same relative default works in both places.
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = ROOT / "config" / "platform.yaml"
CONFIG_PATH_ENV = "PLATFORM_CONFIG_PATH"

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
NAME_PATTERN = r"^[a-z][a-z0-9-]{1,20}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiLimits(_Strict):
    rate_limit: float = Field(gt=0, description="Steady-state requests per second (API Gateway usage plan)")
    burst_limit: int = Field(gt=0, description="Token bucket size (API Gateway usage plan)")
    quota_per_day: int = Field(gt=0)


class Subscriptions(_Strict):
    sqs: tuple[str, ...] = ()
    kafka: tuple[str, ...] = ()


class Team(_Strict):
    description: str = ""
    api: ApiLimits
    produces: tuple[str, ...]
    subscriptions: Subscriptions = Subscriptions()


class Environment(_Strict):
    log_retention_days: int = Field(gt=0)
    point_in_time_recovery: bool
    deletion_protection: bool
    alarms_enabled: bool
    nat_gateway: bool = False


class Account(_Strict):
    ou: Literal["Security", "Infrastructure", "Workloads"]


class Organization(_Strict):
    email_local_part: str
    email_domain: str
    accounts: dict[str, Account]


class Network(_Strict):
    supernet: str
    team_prefix_length: int = Field(ge=16, le=28)
    availability_zones: int = Field(ge=2, le=6)


class ApiSettings(_Strict):
    max_batch_events: int = Field(gt=0, le=10_000)
    max_body_bytes: int = Field(gt=0, le=10 * 1024 * 1024)  # API Gateway's own payload limit is 10 MB


class IngestSettings(_Strict):
    event_retention_days: int = Field(gt=0, le=365)


class FanoutSettings(_Strict):
    batch_size: int = Field(gt=0, le=10_000)
    batching_window_seconds: int = Field(ge=0, le=300)
    maximum_retry_attempts: int = Field(ge=-1, le=10_000)
    bisect_batch_on_function_error: bool
    parallelization_factor: int = Field(ge=1, le=10)


class SqsSettings(_Strict):
    visibility_timeout_seconds: int = Field(ge=0, le=43_200)
    message_retention_seconds: int = Field(ge=60, le=1_209_600)
    dlq_retention_seconds: int = Field(ge=60, le=1_209_600)
    max_receive_count: int = Field(ge=1, le=1000)
    consumer_batch_size: int = Field(ge=1, le=10_000)


class TopicSettings(_Strict):
    partitions: int | None = Field(default=None, ge=1)
    retention_hours: int | None = Field(default=None, ge=1)


class KafkaSettings(_Strict):
    mode: Literal["msk", "external"]
    default_partitions: int = Field(ge=1)
    default_retention_hours: int = Field(ge=1)
    replication_factor: int = Field(ge=1)
    topics: dict[str, TopicSettings] = {}


class LakeSettings(_Strict):
    glue_version: str
    schedule: str
    raw_transition_ia_days: int
    raw_transition_glacier_days: int
    rejected_expiry_days: int
    athena_bytes_scanned_cutoff: int = Field(ge=10 * 1024 * 1024)  # Athena's minimum cutoff


class PlatformConfig(_Strict):
    project: str = Field(pattern=NAME_PATTERN)
    region: str
    allowed_regions: tuple[str, ...]
    organization: Organization
    network: Network
    api: ApiSettings
    ingest: IngestSettings
    fanout: FanoutSettings
    sqs: SqsSettings
    kafka: KafkaSettings
    lake: LakeSettings
    environments: dict[str, Environment]
    teams: dict[str, Team]

    @model_validator(mode="after")
    def _check_references(self) -> PlatformConfig:
        import re

        problems: list[str] = []
        produced: dict[str, str] = {}
        for name, team in self.teams.items():
            if not re.match(NAME_PATTERN, name):
                problems.append(f"teams.{name}: team names must match {NAME_PATTERN}")
            for event_type in team.produces:
                if not re.match(EVENT_TYPE_PATTERN, event_type):
                    problems.append(f"teams.{name}.produces: {event_type!r} is not <domain>.<name>")
                if event_type in produced:
                    problems.append(
                        f"teams.{name}.produces: {event_type} is already produced by {produced[event_type]}"
                    )
                produced[event_type] = name
        for name, team in self.teams.items():
            for kind in ("sqs", "kafka"):
                for event_type in getattr(team.subscriptions, kind):
                    if event_type not in produced:
                        problems.append(f"teams.{name}.subscriptions.{kind}: nobody produces {event_type}")
        for event_type in self.kafka.topics:
            if event_type not in produced:
                problems.append(f"kafka.topics: nobody produces {event_type}")
        for env in self.environments:
            if not re.match(NAME_PATTERN, env):
                problems.append(f"environments.{env}: names must match {NAME_PATTERN}")
        if self.region not in self.allowed_regions:
            problems.append(f"region {self.region} is not in allowed_regions")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- derived views (everything below is computed, never configured twice) --

    def producer_of(self, event_type: str) -> str | None:
        for name, team in self.teams.items():
            if event_type in team.produces:
                return name
        return None

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(et for team in self.teams.values() for et in team.produces)

    def sqs_subscribers(self, event_type: str) -> tuple[str, ...]:
        return tuple(n for n, t in self.teams.items() if event_type in t.subscriptions.sqs)

    def kafka_subscribers(self, event_type: str) -> tuple[str, ...]:
        return tuple(n for n, t in self.teams.items() if event_type in t.subscriptions.kafka)

    @property
    def kafka_event_types(self) -> tuple[str, ...]:
        """Event types published to Kafka: those with at least one Kafka subscriber."""
        return tuple(et for et in self.event_types if self.kafka_subscribers(et))

    @property
    def sqs_subscriber_teams(self) -> tuple[str, ...]:
        return tuple(n for n, t in self.teams.items() if t.subscriptions.sqs)

    def topic_settings(self, event_type: str) -> tuple[int, int]:
        """(partitions, retention_hours) for the topic of an event type."""
        override = self.kafka.topics.get(event_type, TopicSettings())
        return (
            override.partitions or self.kafka.default_partitions,
            override.retention_hours or self.kafka.default_retention_hours,
        )


# libyaml's loader when the wheel has it (it does on Linux): ~7x faster at cold start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_config(path: str | os.PathLike[str] | None = None) -> PlatformConfig:
    """Parse and validate a platform configuration file (uncached)."""
    config_path = Path(path or os.environ.get(CONFIG_PATH_ENV) or DEFAULT_CONFIG_PATH)
    with config_path.open(encoding="utf-8") as handle:
        return PlatformConfig.model_validate(yaml.load(handle, Loader=_YAML_LOADER))


@lru_cache(maxsize=1)
def get_config() -> PlatformConfig:
    """The process-wide configuration, loaded once (Lambda cold start)."""
    return load_config()

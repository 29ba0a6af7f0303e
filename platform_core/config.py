"""The platform configuration (config/platform.yaml): one file, read by everything.

Terraform reads the same file with yamldecode(); these models are the Python
view of it, validated once per process.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

# platform_core/ sits beside config/ and schemas/ both in the repository and in a
# Lambda zip, so the same relative default works in both places.
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG_PATH = ROOT / "config" / "platform.yaml"
CONFIG_PATH_ENV = "PLATFORM_CONFIG_PATH"

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
NAME_PATTERN = r"^[a-z][a-z0-9-]{1,20}$"
# A Lambda handler as Lambda names it: <dotted module>.<function>.
HANDLER_PATTERN = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$"
# A DynamoDB attribute, a table or bucket short name, an environment variable.
ATTRIBUTE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
SHORT_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,19}$"
ENV_VAR_PATTERN = r"^[A-Z][A-Z0-9_]*$"
SCHEDULE_PATTERN = r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$"


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


# An event goes, as stored, into an SQS message to every subscriber queue: the body (the stored
# event) and its message attributes (event_id, event_type, team, correlation_id: under 1 KiB) must
# fit the queues' 256 KiB. DynamoDB (400 KB an item), Kafka (1 MB a message) and S3 take more.
SQS_MESSAGE_BYTES = 256 * 1024
MESSAGE_ATTRIBUTES_BYTES = 1024


class ApiSettings(_Strict):
    max_batch_events: int = Field(gt=0, le=10_000)
    max_body_bytes: int = Field(gt=0, le=10 * 1024 * 1024)  # API Gateway's own payload limit is 10 MB
    # One event, as the platform stores it (compact UTF-8 JSON with team, received_at, ingest_id and
    # correlation_id): what every destination must be able to carry.
    max_event_bytes: int = Field(gt=0, le=SQS_MESSAGE_BYTES - MESSAGE_ATTRIBUTES_BYTES)


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


class KafkaConfig(_Strict):
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


# -- services: the Lambdas teams run on the platform, each declared once ---------------------------


class QueueTrigger(_Strict):
    """The team's own SQS queue (its `subscriptions.sqs`); one service per team may take it."""

    type: Literal["queue"]


class KafkaTrigger(_Strict):
    """Topics of event types the team subscribes to on Kafka; consumer group per service."""

    type: Literal["kafka"]
    event_types: tuple[str, ...] = Field(min_length=1)


class BucketTrigger(_Strict):
    """Objects created under a prefix of one of the service's buckets (S3 notification -> its own queue)."""

    type: Literal["s3"]
    bucket: str = Field(pattern=SHORT_NAME_PATTERN)
    prefix: str = Field(default="", max_length=256)
    suffix: str = Field(default="", max_length=256)


class ScheduleTrigger(_Strict):
    """A schedule (EventBridge Scheduler in AWS), `rate(...)` or `cron(...)`."""

    type: Literal["schedule"]
    expression: str = Field(pattern=SCHEDULE_PATTERN)


class ApiTrigger(_Strict):
    """Routes of the platform's REST API: the OpenAPI operations whose `x-platform-service` names the service."""

    type: Literal["api"]


class AuthorizerTrigger(_Strict):
    """API Gateway calls it before the routes it guards (a REQUEST Lambda authorizer): the OpenAPI
    security schemes whose `x-platform-function` names the service."""

    type: Literal["authorizer"]


Trigger = Annotated[
    QueueTrigger | KafkaTrigger | BucketTrigger | ScheduleTrigger | ApiTrigger | AuthorizerTrigger,
    Field(discriminator="type"),
]


class Batch(_Strict):
    size: int = Field(default=10, ge=1, le=10_000)
    window_seconds: int = Field(default=0, ge=0, le=300)


class StateTable(_Strict):
    """A DynamoDB table the service owns (on-demand, PITR per environment, KMS)."""

    hash_key: str = Field(pattern=ATTRIBUTE_PATTERN)
    range_key: str | None = Field(default=None, pattern=ATTRIBUTE_PATTERN)
    ttl_attribute: str | None = Field(default=None, pattern=ATTRIBUTE_PATTERN)
    stream: Literal["NEW_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY", "OLD_IMAGE"] | None = None


class LifecycleRule(_Strict):
    """What happens to the objects under one prefix of a service's bucket (an S3 lifecycle rule)."""

    prefix: str = Field(min_length=1, max_length=256)
    # Current objects are deleted (a delete marker on a versioned bucket) this many days after creation.
    expiration_days: int | None = Field(default=None, ge=1)
    # Moved to STANDARD_IA after this many days (S3's minimum for the transition is 30).
    transition_ia_days: int | None = Field(default=None, ge=30)
    # Noncurrent versions (what an overwrite or a delete leaves behind) are removed after this many days.
    noncurrent_expiration_days: int | None = Field(default=None, ge=1)


class ServiceBucket(_Strict):
    """An S3 bucket the service owns (private, versioned, SSE-KMS, TLS only)."""

    object_lock_days: int | None = Field(default=None, ge=1, le=36_500)
    expiration_days: int | None = Field(default=None, ge=1)
    # Per-prefix rules (e.g. an upload inbox emptied after a few days, a rejected zone kept for review).
    lifecycle: tuple[LifecycleRule, ...] = ()


class Permission(_Strict):
    """An IAM statement beyond what the declaration grants by itself (its tables, buckets, trigger)."""

    actions: tuple[str, ...] = Field(min_length=1)
    resources: tuple[str, ...] = Field(min_length=1)


class Packaging(_Strict):
    """`zip`: the function zip over the platform's layer (+ a layer of its extras); `image`: a container image."""

    type: Literal["zip", "image"] = "zip"
    # Optional-dependency groups of pyproject.toml the function needs beyond the platform's layer.
    extras: tuple[str, ...] = ()
    # Debian packages an image carries (native libraries and data, e.g. Tesseract, fonts).
    debian_packages: tuple[str, ...] = ()


class ClientLimits(_Strict):
    """One API client's usage plan: a token bucket of `burst` requests refilled at `requests_per_minute`."""

    requests_per_minute: int = Field(default=1000, ge=1, le=600_000)
    burst: int = Field(default=2000, ge=1, le=100_000)

    @property
    def rate_per_second(self) -> float:
        return self.requests_per_minute / 60


class ApiClient(_Strict):
    """A client of the routes an authorizer guards: an app whose users sign in (access tokens of the
    user pool's app client) or a partner (an API key). Each gets its own usage plan."""

    description: str = Field(min_length=1)
    credential: Literal["token", "api_key"]
    scopes: tuple[str, ...] = Field(min_length=1)
    limits: ClientLimits = ClientLimits()


class Identity(_Strict):
    """Who may call the routes an authorizer guards. In AWS: a Cognito user pool with one resource
    server (its scopes are `<resource_server>/<scope>`) and an app client per token client; an API key
    and a usage plan per client. Locally: the local OIDC issuer and the same clients."""

    resource_server: str = Field(pattern=SHORT_NAME_PATTERN)
    scopes: dict[str, str] = Field(min_length=1)  # scope -> what it allows
    access_token_minutes: int = Field(default=60, ge=5, le=1440)  # Cognito's bounds
    clients: dict[str, ApiClient] = Field(min_length=1)


class ServiceSecret(_Strict):
    """A Secrets Manager secret the service reads (e.g. an external system's URL and API key). Terraform
    creates it empty, KMS-encrypted, readable by the service only; its value is set out of band (or
    by the local platform for the local emulators). The function gets its name as SECRET_<SHORT>."""

    description: str = Field(min_length=1)


class MailSender(_Strict):
    """E-mail a service sends. In AWS: an SES v2 domain identity for the sender's domain (DKIM) and a
    configuration set publishing bounces, complaints and deliveries, the role allowed to send from this
    address only. Locally: the SMTP mail sink. The function gets MAIL_FROM and MAIL_CONFIGURATION_SET."""

    from_address: str = Field(pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    reply_to: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    # SES's events about this service's mail (sends, deliveries, bounces, complaints) come back on its
    # queue (a `queue` trigger): an EventBridge rule on its configuration set targets the team's queue.
    feedback: bool = False

    @property
    def domain(self) -> str:
        return self.from_address.rsplit("@", 1)[1]


class SearchDomain(_Strict):
    """A managed OpenSearch domain for a service's full-text search, the opt-in beyond the default
    (an index file in the service's bucket). In AWS: one domain, encrypted at rest with the
    platform's key and between nodes, HTTPS only (TLS 1.2), its access policy limited to the roles
    of the service and of the services that `use` it, its logs in CloudWatch. Those functions get
    SEARCH_BACKEND=opensearch and OPENSEARCH_ENDPOINT (Terraform; locally the OpenSearch emulator)."""

    engine: Literal["opensearch"] = "opensearch"
    engine_version: str = Field(default="OpenSearch_2.19", pattern=r"^OpenSearch_\d+\.\d+$")
    instance_type: str = Field(default="t3.small.search", pattern=r"^[a-z0-9]+\.[a-z0-9]+\.search$")
    # One node has no replica: a lost node is an index rebuilt from the documents (they stay in S3).
    instance_count: int = Field(default=1, ge=1, le=10)
    volume_gb: int = Field(default=10, ge=10, le=1024)  # gp3


class SmsOrigination(_Strict):
    """The identity texts are sent from, which the environment owns: an alphanumeric sender id
    (registered for its country where the country asks for it) or a leased phone number."""

    type: Literal["sender_id", "phone_number"]
    country: str = Field(pattern=r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2
    # sender_id: 1 to 11 letters and digits, at least one letter (what phones show as the sender).
    sender_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*$", max_length=11)
    # phone_number: the kind of number leased (TEN_DLC and TOLL_FREE need a registration first).
    number_type: Literal["LONG_CODE", "TOLL_FREE", "TEN_DLC", "SIMULATOR"] = "LONG_CODE"

    @model_validator(mode="after")
    def _sender_id_when_needed(self) -> SmsOrigination:
        if (self.type == "sender_id") != (self.sender_id is not None):
            raise ValueError("sms.origination: a sender_id type names its sender_id, a phone_number none")
        return self


class SmsSender(_Strict):
    """Texts a service sends (AWS End User Messaging SMS). In AWS: a configuration set and its opt-out
    list, and the origination identity when declared (else the account's). The function gets
    SMS_CONFIGURATION_SET (and, in AWS, SMS_ORIGINATION_IDENTITY). Locally: the SMS capture."""

    message_type: Literal["TRANSACTIONAL", "PROMOTIONAL"] = "TRANSACTIONAL"
    origination: SmsOrigination | None = None
    # The SMS events (pending, delivered, blocked, opted out...) come back on its queue (a `queue`
    # trigger): the configuration set publishes them to an SNS topic the team's queue subscribes to.
    feedback: bool = False


class Service(_Strict):
    """One Lambda a team runs on the platform. Everything else (packaging, Terraform, the local
    runtime, status, the demo) is derived from this declaration."""

    team: str
    description: str = Field(min_length=1)
    handler: str = Field(pattern=HANDLER_PATTERN)
    trigger: Trigger
    batch: Batch = Batch()
    concurrency: int = Field(default=2, ge=1, le=1000)
    timeout_seconds: int = Field(default=30, ge=1, le=900)
    memory_mb: int = Field(default=256, ge=128, le=10_240)
    tables: dict[str, StateTable] = {}
    buckets: dict[str, ServiceBucket] = {}
    # Other services of the same team whose tables and buckets this one reads and writes.
    uses: tuple[str, ...] = ()
    permissions: tuple[Permission, ...] = ()
    environment: dict[str, str] = {}
    # Event types it sends through the platform's ingest API (its team must produce them).
    emits: tuple[str, ...] = ()
    packaging: Packaging = Packaging()
    secrets: dict[str, ServiceSecret] = {}
    # An authorizer's user pool, scopes and API clients (only with an `authorizer` trigger).
    identity: Identity | None = None
    # The sender address and SES identity of a service that sends e-mail.
    mail: MailSender | None = None
    # The SMS configuration of a service that sends texts.
    sms: SmsSender | None = None
    # An OpenSearch domain for its search (with the services that `use` it), instead of an index file.
    search: SearchDomain | None = None

    @property
    def package(self) -> str:
        """The Python package of the handler (the function's own code)."""
        return self.handler.rsplit(".", 2)[0]


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
    kafka: KafkaConfig
    lake: LakeSettings
    environments: dict[str, Environment]
    teams: dict[str, Team]
    services: dict[str, Service] = {}

    @model_validator(mode="after")
    def _check_references(self) -> PlatformConfig:
        problems = [
            *self._team_problems(),
            *self._subscription_problems(),
            *self._environment_problems(),
            *self._service_problems(),
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _team_problems(self) -> list[str]:
        """Team names, the event types they produce, and one producer per event type."""
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
        return problems

    def _subscription_problems(self) -> list[str]:
        """Subscriptions and topic settings name event types somebody produces."""
        produced = set(self.event_types)
        problems = [
            f"teams.{name}.subscriptions.{kind}: nobody produces {event_type}"
            for name, team in self.teams.items()
            for kind in ("sqs", "kafka")
            for event_type in getattr(team.subscriptions, kind)
            if event_type not in produced
        ]
        problems += [f"kafka.topics: nobody produces {et}" for et in self.kafka.topics if et not in produced]
        return problems

    def _environment_problems(self) -> list[str]:
        problems = [
            f"environments.{env}: names must match {NAME_PATTERN}"
            for env in self.environments
            if not re.match(NAME_PATTERN, env)
        ]
        if self.region not in self.allowed_regions:
            problems.append(f"region {self.region} is not in allowed_regions")
        return problems

    def _service_problems(self) -> list[str]:
        problems = self._owned_name_problems()
        queue_takers: dict[str, str] = {}  # team -> the service its queue feeds
        for name, service in self.services.items():
            where = f"services.{name}"
            if not re.match(NAME_PATTERN, name):
                problems.append(f"{where}: service names must match {NAME_PATTERN}")
            team = self.teams.get(service.team)
            if team is None:
                problems.append(f"{where}.team: no team {service.team!r}")
                continue
            problems += _trigger_problems(where, name, service, team, queue_takers)
            problems += _identity_problems(where, service)
            if (
                service.mail is not None
                and service.mail.feedback
                and not isinstance(service.trigger, QueueTrigger)
            ):
                problems.append(
                    f"{where}.mail.feedback: SES events come back on a team queue (trigger type queue)"
                )
            if (
                service.sms is not None
                and service.sms.feedback
                and not isinstance(service.trigger, QueueTrigger)
            ):
                problems.append(
                    f"{where}.sms.feedback: SMS events come back on a team queue (trigger type queue)"
                )
            problems += self._reference_problems(where, name, service, team)
        return problems

    def _owned_name_problems(self) -> list[str]:
        """Tables, buckets and secrets are named per team (<project>-<env>-<team>-<short>): unique within a team."""
        problems: list[str] = []
        owned: dict[tuple[str, str, str], str] = {}
        for name, service in self.services.items():
            kinds = (("table", service.tables), ("bucket", service.buckets), ("secret", service.secrets))
            for kind, shorts in kinds:
                for short in shorts:
                    key = (service.team, kind, short)
                    if key in owned:
                        problems.append(
                            f"services.{name}: {kind} {short!r} is already declared by {owned[key]} "
                            f"(a team's {kind} names are unique)"
                        )
                    owned[key] = name
        return problems

    def _reference_problems(self, where: str, name: str, service: Service, team: Team) -> list[str]:
        """What a service emits, uses and names exists and is well formed."""
        problems = [
            f"{where}.emits: team {service.team} does not produce {event_type}"
            for event_type in service.emits
            if event_type not in team.produces
        ]
        for other in service.uses:
            used = self.services.get(other)
            if used is None or used.team != service.team or other == name:
                problems.append(f"{where}.uses: {other!r} is not another service of team {service.team}")
        if any(
            not re.match(SHORT_NAME_PATTERN, short)
            for short in (*service.tables, *service.buckets, *service.secrets)
        ):
            problems.append(f"{where}: table, bucket and secret names must match {SHORT_NAME_PATTERN}")
        problems += [
            f"{where}.environment: {variable!r} must match {ENV_VAR_PATTERN}"
            for variable in service.environment
            if not re.match(ENV_VAR_PATTERN, variable)
        ]
        return problems

    # -- derived views (everything below is computed, never configured twice) --

    def services_of(self, team: str) -> dict[str, Service]:
        return {name: s for name, s in self.services.items() if s.team == team}

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


def _trigger_problems(
    where: str, name: str, service: Service, team: Team, queue_takers: dict[str, str]
) -> list[str]:
    """A trigger the service's team can feed: its queue (one service per queue), its Kafka subscriptions, its bucket."""
    problems: list[str] = []
    trigger = service.trigger
    if isinstance(trigger, QueueTrigger):
        if not team.subscriptions.sqs:
            problems.append(f"{where}.trigger: team {service.team} subscribes to nothing by SQS")
        if service.team in queue_takers:
            problems.append(
                f"{where}.trigger: the {service.team} queue already feeds {queue_takers[service.team]}"
            )
        queue_takers[service.team] = name
    elif isinstance(trigger, KafkaTrigger):
        problems += [
            f"{where}.trigger: team {service.team} does not subscribe to {event_type} on Kafka"
            for event_type in trigger.event_types
            if event_type not in team.subscriptions.kafka
        ]
    elif isinstance(trigger, BucketTrigger) and trigger.bucket not in service.buckets:
        problems.append(f"{where}.trigger: bucket {trigger.bucket!r} is not one of its buckets")
    return problems


def _identity_problems(where: str, service: Service) -> list[str]:
    identity = service.identity
    if identity is None:
        return []
    if not isinstance(service.trigger, AuthorizerTrigger):
        return [f"{where}.identity: only an authorizer (trigger type authorizer) has an identity"]
    problems = [
        f"{where}.identity.scopes: {scope!r} must match {SHORT_NAME_PATTERN}"
        for scope in identity.scopes
        if not re.match(SHORT_NAME_PATTERN, scope)
    ]
    for name, api_client in identity.clients.items():
        if not re.match(NAME_PATTERN, name):
            problems.append(f"{where}.identity.clients: {name!r} must match {NAME_PATTERN}")
        for scope in api_client.scopes:
            if scope not in identity.scopes:
                problems.append(f"{where}.identity.clients.{name}: no scope {scope!r} in identity.scopes")
    return problems


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

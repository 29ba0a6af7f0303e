"""Names of everything, derived in one place: every resource, table, topic and bucket name.

AWS names are <project>-<env>-<team>-<purpose> (or <project>-<env>-<purpose>
for shared resources); Kafka topics <env>.<domain>.<event_name>; S3 keys carry
Hive-style partitions. Terraform's modules/naming applies the same rules, and
tests/unit/test_naming.py checks the two agree.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

ZONE_RAW = "raw"
ZONE_REJECTED = "rejected"
ZONE_CURATED = "curated"
ZONE_QUARANTINE = "quarantine"


def resource_name(project: str, env: str, purpose: str, team: str | None = None) -> str:
    """`<project>-<env>-<team>-<purpose>`, or `<project>-<env>-<purpose>` for shared resources."""
    parts = [project, env] + ([team] if team else []) + [purpose]
    return "-".join(parts)


def events_table(project: str, env: str) -> str:
    return resource_name(project, env, "events")


def bucket_name(project: str, env: str, zone: str, account_id: str | None = None) -> str:
    """Bucket names are global: AWS deployments append the account id."""
    base = resource_name(project, env, zone)
    return f"{base}-{account_id}" if account_id else base


def team_queue(project: str, env: str, team: str) -> str:
    return resource_name(project, env, "events", team)


def team_dlq(project: str, env: str, team: str) -> str:
    return resource_name(project, env, "events-dlq", team)


def outbox_queue(project: str, env: str) -> str:
    return resource_name(project, env, "kafka-outbox")


def outbox_dlq(project: str, env: str) -> str:
    return resource_name(project, env, "kafka-outbox-dlq")


def fanout_failure_queue(project: str, env: str) -> str:
    """On-failure destination of the stream event source mapping."""
    return resource_name(project, env, "fanout-failures")


def topic_name(env: str, event_type: str) -> str:
    domain, name = split_event_type(event_type)
    return f"{env}.{domain}.{name}"


def consumer_group(project: str, env: str, team: str) -> str:
    return resource_name(project, env, "consumer", team)


def dead_letter_topic(env: str, team: str) -> str:
    """Where a team's Kafka consumers park the messages they cannot process (never an event topic: event
    names are snake_case)."""
    return f"{env}.{team}.dead-letter"


def split_event_type(event_type: str) -> tuple[str, str]:
    domain, _, name = event_type.partition(".")
    if not domain or not name:
        raise ValueError(f"event type {event_type!r} is not <domain>.<name>")
    return domain, name


def _hour_partition(zone: str, team: str, at: datetime) -> str:
    # Partitions are always UTC, whatever offset the timestamp carries.
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return f"{zone}/team={team}/dt={at:%Y-%m-%d}/hour={at:%H}"


def raw_key(team: str, at: datetime, batch_id: str) -> str:
    """Raw zone object for one fan-out batch, team and hour (deterministic: a retry overwrites it)."""
    return f"{_hour_partition(ZONE_RAW, team, at)}/{batch_id}.jsonl.gz"


def rejected_key(team: str, at: datetime, request_id: str) -> str:
    """Rejected zone object for one API request's rejected events."""
    return f"{_hour_partition(ZONE_REJECTED, team, at)}/{request_id}.json"


def curated_prefix(table: str, team: str | None = None, event_date: str | None = None) -> str:
    key = f"{ZONE_CURATED}/{table}/"
    if team is not None:
        key += f"team={team}/"
        if event_date is not None:
            key += f"event_date={event_date}/"
    return key


def glue_database(project: str, env: str) -> str:
    """The Glue catalog database of the lake tables (Glue names allow no dashes)."""
    return resource_name(project, env, "lake").replace("-", "_")


def team_workgroup(project: str, env: str, team: str) -> str:
    """The team's Athena workgroup (its bytes-scanned limit is lake.athena_bytes_scanned_cutoff)."""
    return resource_name(project, env, "analytics", team)


def lake_alerts_topic(project: str, env: str) -> str:
    """The SNS topic the lake's data-quality failures are published to."""
    return resource_name(project, env, "lake-alerts")


# -- declared services (config/platform.yaml `services`) --------------------------------------------


def service_function(project: str, env: str, team: str, service: str) -> str:
    """The Lambda function of a declared service."""
    return resource_name(project, env, service, team)


def service_table(project: str, env: str, team: str, table: str) -> str:
    """A state table a service declares (short names are unique within a team)."""
    return resource_name(project, env, table, team)


def service_bucket(project: str, env: str, team: str, bucket: str, account_id: str | None = None) -> str:
    """A bucket a service declares (short names are unique within a team; AWS appends the account id)."""
    base = resource_name(project, env, bucket, team)
    return f"{base}-{account_id}" if account_id else base


def service_queue(project: str, env: str, team: str, service: str) -> str:
    """The queue of a service triggered by S3 notifications (its DLQ: service_dlq)."""
    return resource_name(project, env, f"{service}-inbox", team)


def service_dlq(project: str, env: str, team: str, service: str) -> str:
    return resource_name(project, env, f"{service}-inbox-dlq", team)


def service_consumer_group(project: str, env: str, team: str, service: str) -> str:
    """The Kafka consumer group of a service triggered by Kafka topics."""
    return resource_name(project, env, f"consumer-{service}", team)


def service_secret(project: str, env: str, team: str, secret: str) -> str:
    """A secret a service declares (short names are unique within a team's services, like tables)."""
    return resource_name(project, env, secret, team)


def service_mail_configuration_set(project: str, env: str, team: str, service: str) -> str:
    """The SES configuration set of a service that sends e-mail (its bounces and deliveries are published)."""
    return resource_name(project, env, f"{service}-mail", team)


SEARCH_DOMAIN_MAX = 28  # OpenSearch domain names: 3 to 28 characters


def service_search_domain(project: str, env: str, team: str, service: str) -> str:
    """The OpenSearch domain of a service that declares `search`: `<project>-<env>-<team>-<service>`,
    or, past 28 characters, its first 23 and 4 hex digits of its SHA-1 (unique, still readable)."""
    full = resource_name(project, env, service, team)
    if len(full) <= SEARCH_DOMAIN_MAX:
        return full
    return f"{full[:23]}-{hashlib.sha1(full.encode()).hexdigest()[:4]}"


def service_sms_configuration_set(project: str, env: str, team: str, service: str) -> str:
    """The SMS configuration set of a service that sends texts (also its opt-out list's and events topic's name)."""
    return resource_name(project, env, f"{service}-sms", team)


def team_api_key_secret(project: str, env: str, team: str) -> str:
    """The Secrets Manager secret holding a team's API key (for its services that emit events)."""
    return resource_name(project, env, "api-key", team)


def env_var_suffix(short_name: str) -> str:
    """`order-state` -> `ORDER_STATE`: tables and buckets reach a function as TABLE_<X> / BUCKET_<X>."""
    return short_name.upper().replace("-", "_")

"""Names of everything, derived in one place (DESIGN.md section 2).

AWS names are <project>-<env>-<team>-<purpose> (or <project>-<env>-<purpose>
for shared resources); Kafka topics <env>.<domain>.<event_name>; S3 keys carry
Hive-style partitions. Terraform's modules/naming applies the same rules, and
tests/unit/test_naming.py checks the two agree.
"""

from __future__ import annotations

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

"""The events table's item: the one contract between the ingest Lambda (writer), the stream readers
(fan-out, redrive), the DR scripts, local provisioning and Terraform (key and TTL attribute names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PK = "pk"
TTL_ATTRIBUTE = "expires_at"
ENVELOPE_ATTRIBUTE = "envelope"
# Every attribute of an item, in the order to_item writes them.
ITEM_ATTRIBUTES = (
    PK,
    ENVELOPE_ATTRIBUTE,
    "team",
    "event_id",
    "event_type",
    "received_at",
    "correlation_id",
    TTL_ATTRIBUTE,
)


def partition_key(team: str, event_id: str) -> str:
    """One item per (team, event_id): the idempotency key."""
    return f"{team}#{event_id}"


def to_item(
    *,
    team: str,
    event_id: str,
    event_type: str,
    received_at: str,
    correlation_id: str,
    envelope_json: str,
    expires_at: int,
) -> dict[str, dict[str, str]]:
    """The DynamoDB item of one accepted event (low-level attribute-value format; text as in the envelope)."""
    return {
        PK: {"S": partition_key(team, event_id)},
        ENVELOPE_ATTRIBUTE: {"S": envelope_json},
        "team": {"S": team},
        "event_id": {"S": event_id},
        "event_type": {"S": event_type},
        "received_at": {"S": received_at},
        "correlation_id": {"S": correlation_id},
        TTL_ATTRIBUTE: {"N": str(expires_at)},
    }


def image_string(image: Mapping[str, Any], attribute: str) -> str:
    """A string attribute of an item image (a stream record's NewImage), or '' when absent."""
    value = image.get(attribute, {})
    return str(value.get("S", "")) if isinstance(value, Mapping) else ""

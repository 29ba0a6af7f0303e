"""AWS event-record shapes shared by the Lambdas, the emulator and the scripts.

What a DynamoDB stream record looks like when Lambda delivers it, and the
message attributes every platform SQS message carries for an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from platform_core.envelope import Event


def event_message_attributes(event: Event) -> dict[str, dict[str, str]]:
    """The SQS message attributes of a platform event (consumers filter and correlate on them)."""
    return {
        "team": {"DataType": "String", "StringValue": event.team},
        "event_type": {"DataType": "String", "StringValue": event.event_type},
        "event_id": {"DataType": "String", "StringValue": str(event.event_id)},
        "correlation_id": {"DataType": "String", "StringValue": event.correlation_id},
    }


def stream_record_for_lambda(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A DynamoDB Streams GetRecords record in the shape Lambda delivers it (ARN added, times as epoch seconds)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", region),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }

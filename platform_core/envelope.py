"""The event envelope: the one definition of what producers send and what the platform stores.

`EventIn` is the producer's contract (published as JSON Schema with the API);
`Event` adds what the platform stamps on: team, received_at, ingest_id and the
correlation id that follows the event end to end.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from platform_core.config import EVENT_TYPE_PATTERN

SCHEMA_VERSION_PATTERN = r"^[1-9][0-9]{0,3}$"
_UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _uuid_text(value: Any) -> Any:
    # pydantic also takes "{...}", "urn:uuid:..." and 32 bare hex digits; the published schema
    # (format: uuid) is the hyphenated 8-4-4-4-12 form only.
    if isinstance(value, str) and not _UUID_TEXT.match(value):
        try:
            UUID(value)
        except ValueError:
            return value  # not a UUID at all: pydantic's own message says so
        raise ValueError("must be a UUID in its hyphenated 8-4-4-4-12 form")
    return value


def _date_time_text(value: Any) -> Any:
    # pydantic also takes Unix timestamps (numbers, or digits in a string); the published schema
    # is an RFC 3339 string (format: date-time).
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER_TEXT.match(value)):
        raise ValueError("must be an RFC 3339 date-time string with an offset, e.g. 2026-11-21T10:00:00Z")
    return value


EventId = Annotated[UUID, BeforeValidator(_uuid_text)]
OccurredAt = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]


class EventIn(BaseModel):
    """One event as a producer sends it."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="StockOSS event envelope")

    event_id: EventId = Field(description="Producer-chosen UUID; the idempotency key within the team")
    event_type: str = Field(
        pattern=EVENT_TYPE_PATTERN,
        max_length=128,
        description="`<domain>.<name>`, e.g. `orders.order_created`",
        examples=["orders.order_created"],
    )
    schema_version: str = Field(
        pattern=SCHEMA_VERSION_PATTERN,
        description="Major version of the payload schema registered for event_type",
        examples=["1"],
    )
    occurred_at: OccurredAt = Field(description="When it happened at the source (RFC 3339, with offset)")
    source: str = Field(min_length=1, max_length=128, description="Producing system, e.g. `order-service`")
    payload: dict[str, Any] = Field(description="Validated against the schema of event_type/schema_version")


class Event(EventIn):
    """An accepted event as stored in DynamoDB, fanned out and archived."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="StockOSS stored event")

    team: str = Field(description="Producing team, resolved from the API key (never from the body)")
    received_at: AwareDatetime = Field(description="When the platform accepted it (UTC)")
    ingest_id: str = Field(description="API request id that carried it")
    correlation_id: str = Field(
        description="Follows the event through every hop (X-Correlation-Id or request id)"
    )

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        return cls.model_validate_json(text)


def envelope_json_schema() -> dict[str, Any]:
    """The JSON Schema of the producer envelope, published for API users."""
    return EventIn.model_json_schema()


def dump_schema(path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(envelope_json_schema(), handle, indent=2)
        handle.write("\n")

"""The ingest API's request and response bodies (the envelope itself lives in platform_core.envelope).

These models are the single definition of the API's JSON: the handler
serialises them, and api/schemas/*.json (referenced by api/openapi.yaml) are
exported from them (`python -m lambdas.ingest.models`) and checked equal by
tests/unit/test_openapi.py.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class ReasonOut(_Body):
    """One machine-readable reason: where in the event (a JSON path, empty for the event itself) and what."""

    path: str = Field(
        description="Field path into the event, e.g. `payload.lines[0].sku`; empty for the whole event"
    )
    message: str


class EventResult(_Body):
    index: int = Field(ge=0, description="Position of the event in the request (0 for a single event)")
    event_id: str | None = Field(description="The event's event_id as understood (null when it had none)")
    status: Verdict
    reasons: list[ReasonOut] | None = Field(default=None, description="Present when status is `rejected`")


class Summary(_Body):
    accepted: int = Field(ge=0)
    duplicate: int = Field(ge=0)
    rejected: int = Field(ge=0)


class IngestResponse(_Body):
    """The body of 202 (at least one event accepted or duplicate) and of 400 when every event was rejected."""

    model_config = ConfigDict(title="IngestResponse")

    request_id: str
    correlation_id: str
    summary: Summary
    results: list[EventResult]


class ErrorResponse(_Body):
    """The body of every error that concerns the request as a whole (4xx other than per-event verdicts, 503)."""

    model_config = ConfigDict(title="ErrorResponse")

    request_id: str | None = Field(
        default=None, description="API request id, when the request reached the API"
    )
    correlation_id: str | None = None
    message: str
    reasons: list[ReasonOut] = Field(default_factory=list)


class SchemaSummary(_Body):
    event_type: str
    versions: list[str]
    latest_version: str
    producer: str | None = Field(description="The team allowed to produce this event type")
    business_key: str = Field(description="Payload field that identifies the business entity")


class Limits(_Body):
    """What a request and each of its events may weigh (config/platform.yaml `api`)."""

    max_body_bytes: int = Field(description="Bytes of a request body")
    max_batch_events: int = Field(description="Events in one request")
    max_event_bytes: int = Field(
        description=(
            "Bytes of one event as the platform stores it: compact UTF-8 JSON with the fields the "
            "platform adds (team, received_at, ingest_id, correlation_id, together under 300 bytes). "
            "A larger event is rejected with the reason and kept in the rejected zone."
        )
    )


class SchemaList(_Body):
    model_config = ConfigDict(title="SchemaList")

    schemas: list[SchemaSummary]
    limits: Limits


JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
API_SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "api" / "schemas"


def exported_schemas() -> dict[str, dict[str, Any]]:
    """File name under api/schemas/ -> JSON Schema, for every body the OpenAPI document references."""
    from platform_core.envelope import envelope_json_schema

    schemas = {
        "envelope.json": envelope_json_schema(),
        "ingest-response.json": IngestResponse.model_json_schema(),
        "error.json": ErrorResponse.model_json_schema(),
        "schema-list.json": SchemaList.model_json_schema(),
    }
    # Self-describing files: the dialect OpenAPI 3.1 uses for its schemas.
    return {name: {"$schema": JSON_SCHEMA_DIALECT, **schema} for name, schema in schemas.items()}


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_exported_schemas(directory: Path = API_SCHEMAS_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, schema in exported_schemas().items():
        (directory / name).write_text(render(schema), encoding="utf-8")


if __name__ == "__main__":
    # `python -m lambdas.ingest.models` regenerates api/schemas/ after a model change.
    write_exported_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else API_SCHEMAS_DIR)

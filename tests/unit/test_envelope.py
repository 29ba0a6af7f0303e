"""The event envelope model: what producers may send, what the platform stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from platform_core.envelope import Event, EventIn, envelope_json_schema


def envelope(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "0b9c3f4e-5a8d-4c1e-9f2a-7d6b5c4a3e21",
        "event_type": "orders.order_created",
        "schema_version": "1",
        "occurred_at": "2026-11-21T10:15:00+01:00",
        "source": "order-service",
        "payload": {"order_id": "ORD-1"},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_envelope_parses() -> None:
    event = EventIn.model_validate(envelope())
    assert event.event_id == UUID("0b9c3f4e-5a8d-4c1e-9f2a-7d6b5c4a3e21")
    assert event.occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"event_type": "OrderCreated"}, "event_type"),
        ({"event_type": "orders.order_created.v2"}, "event_type"),
        ({"schema_version": "v1"}, "schema_version"),
        ({"schema_version": "0"}, "schema_version"),
        ({"occurred_at": "2026-11-21T10:15:00"}, "occurred_at"),  # no offset: ambiguous
        ({"source": ""}, "source"),
        ({"payload": ["not", "an", "object"]}, "payload"),
        ({"tenant": "acme"}, "tenant"),  # unknown fields are refused, not dropped
        ({"team": "billing"}, "team"),  # the team is never taken from the body
    ],
)
def test_invalid_envelopes_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EventIn.model_validate(envelope(**changes))
    assert [error["loc"][0] for error in caught.value.errors()] == [field]


def test_every_field_is_required() -> None:
    with pytest.raises(ValidationError) as caught:
        EventIn.model_validate({})
    assert {e["loc"][0] for e in caught.value.errors()} == set(EventIn.model_fields)


def test_stored_event_round_trips_through_json() -> None:
    event = Event(
        **EventIn.model_validate(envelope()).model_dump(),
        team="orders",
        received_at=datetime(2026, 11, 21, 9, 15, 1, 250000, tzinfo=UTC),
        ingest_id="req-1",
        correlation_id="checkout-42",
    )
    text = event.to_json()
    assert json.loads(text)["received_at"] == "2026-11-21T09:15:01.250000Z"
    assert Event.from_json(text) == event


def test_published_schema_describes_the_producer_envelope() -> None:
    schema = envelope_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "event_id",
        "event_type",
        "schema_version",
        "occurred_at",
        "source",
        "payload",
    }
    assert "team" not in schema["properties"]

"""Hostile requests over real HTTP: local API Gateway -> ingest handler -> moto server.

Each case asserts the exact status, a clear error body (the documented ErrorResponse or
IngestResponse), and what the stores hold afterwards: nothing accepted that should not be, and
nothing lost (a refused request from a known team is in the rejected zone with its reasons).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
import requests

from tests.fixtures.aws import RunningGateway
from tests.integration.test_ingest_api import rejected_documents, table_items, team_events

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


def post_raw(gateway: RunningGateway, team: str, body: bytes, **headers: str) -> requests.Response:
    return requests.post(gateway.events_url, data=body, headers=gateway.headers(team, **headers), timeout=60)


def fresh(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**event, "event_id": str(uuid.uuid4()), **changes}


def kept(gateway: RunningGateway, response: requests.Response) -> dict[str, Any]:
    """The rejected-zone document of one response's request."""
    request_id = response.json()["request_id"]
    by_request = {d["request_id"]: d for d in rejected_documents(gateway.resources).values()}
    assert request_id in by_request, "the refused request is not in the rejected zone"
    return by_request[request_id]


def assert_error(response: requests.Response, status: int, message_part: str) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert message_part in body["message"], body
    assert set(body) <= {"request_id", "correlation_id", "message", "reasons"}
    return body


def test_body_over_1_mib_is_413_and_kept(ingest_gateway: RunningGateway) -> None:
    event = team_events("orders", 1)[0]
    body = json.dumps({**event, "payload": {"blob": "x" * MIB}}).encode()
    response = post_raw(ingest_gateway, "orders", body)
    assert_error(response, 413, f"exceeds {MIB} bytes")
    document = kept(ingest_gateway, response)
    assert document["team"] == "orders"
    assert document["events"][0]["reasons"] == [{"path": "body", "message": f"the body exceeds {MIB} bytes"}]
    assert len(document["events"][0]["raw"]) == len(body)
    assert table_items(ingest_gateway.resources) == []


def test_body_over_the_gateway_limit_is_413_before_the_function(ingest_gateway: RunningGateway) -> None:
    """Over API Gateway's own 10 MiB payload limit the gateway refuses it: the function never runs."""
    response = post_raw(ingest_gateway, "orders", b"[" + b" " * (10 * MIB + 1) + b"]")
    assert_error(response, 413, "Request Too Long")
    assert rejected_documents(ingest_gateway.resources) == {}
    assert table_items(ingest_gateway.resources) == []


@pytest.mark.parametrize(
    ("shape", "body"),
    [
        ("100k nested arrays", b"[" * 100_000 + b"]" * 100_000),
        ("100k nested objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
        (
            "100k nested payload",
            b'{"event_id":"%s","event_type":"orders.order_created","schema_version":"1",'
            b'"occurred_at":"2026-11-21T10:00:00Z","source":"s","payload":'
            % str(uuid.uuid4()).encode()
            + b'{"a":' * 100_000
            + b"1"
            + b"}" * 100_001,
        ),
    ],
)
def test_deep_nesting_is_400_not_a_crash(ingest_gateway: RunningGateway, shape: str, body: bytes) -> None:
    response = post_raw(ingest_gateway, "orders", body)
    error = assert_error(response, 400, "not valid JSON")
    assert "recursion" in error["reasons"][0]["message"]
    assert kept(ingest_gateway, response)["events"][0]["raw"] == body.decode()
    assert table_items(ingest_gateway.resources) == []
    # The handler is still serving.
    assert (
        post_raw(ingest_gateway, "orders", json.dumps(team_events("orders", 1)).encode()).status_code == 202
    )


def test_invalid_utf8_is_400_and_kept_byte_for_byte(ingest_gateway: RunningGateway) -> None:
    body = b'{"event_id": "\xff\xfe", "payload": {"name": "caf\xe9"}}'
    response = post_raw(ingest_gateway, "orders", body)
    assert_error(response, 400, "not UTF-8")
    entry = kept(ingest_gateway, response)["events"][0]
    assert entry["raw_encoding"] == "base64"
    assert base64.b64decode(entry["raw"]) == body
    assert table_items(ingest_gateway.resources) == []


WRONG_TYPES: list[tuple[str, Any, str]] = [
    ("event_id", 12345, "UUID"),
    ("event_id", "not-a-uuid", "UUID"),
    ("event_id", "{0b4c2a52-7a6e-4b8e-9c3f-2d1e0f9a8b7c}", "hyphenated"),
    ("event_id", "0b4c2a527a6e4b8e9c3f2d1e0f9a8b7c", "hyphenated"),
    ("event_type", ["orders.order_created"], "string"),
    ("event_type", "ORDERS", "pattern"),
    ("schema_version", 1, "string"),
    ("occurred_at", 1732190400, "RFC 3339"),
    ("occurred_at", "1732190400", "RFC 3339"),
    ("occurred_at", "2026-11-21T10:00:00", "timezone"),
    ("occurred_at", "yesterday", "datetime"),
    ("source", {"name": "x"}, "string"),
    ("source", "", "at least 1"),
    ("payload", "order", "dictionary"),
    ("payload", [1, 2], "dictionary"),
    ("payload", None, "dictionary"),
]


def test_wrong_types_for_each_envelope_field(ingest_gateway: RunningGateway) -> None:
    base = team_events("orders", 1)[0]
    sent = [fresh(base, **{field: value}) for field, value, _ in WRONG_TYPES]
    response = post_raw(ingest_gateway, "orders", json.dumps(sent).encode())

    assert response.status_code == 400
    body = response.json()
    assert body["summary"] == {"accepted": 0, "duplicate": 0, "rejected": len(sent)}
    for result, (field, value, words) in zip(body["results"], WRONG_TYPES, strict=True):
        assert result["status"] == "rejected"
        paths = {r["path"] for r in result["reasons"]}
        assert field in paths, (field, value, result)
        message = " ".join(r["message"] for r in result["reasons"] if r["path"] == field)
        assert words.lower() in message.lower(), (field, value, message)
    document = kept(ingest_gateway, response)
    assert [e["raw"] for e in document["events"]] == sent
    assert all(e["reasons"] for e in document["events"])
    assert table_items(ingest_gateway.resources) == []


def test_unknown_fields_are_rejected_not_dropped(ingest_gateway: RunningGateway) -> None:
    base = team_events("orders", 1)[0]
    envelope_extra = fresh(base, tenant="acme")
    payload_extra = fresh(base, payload={**base["payload"], "discount_code": "FREE"})
    response = post_raw(ingest_gateway, "orders", json.dumps([envelope_extra, payload_extra]).encode())

    assert response.status_code == 400
    first, second = response.json()["results"]
    assert first["reasons"] == [{"path": "tenant", "message": "Extra inputs are not permitted"}]
    assert second["reasons"][0]["path"] == "payload"
    assert "discount_code" in second["reasons"][0]["message"]
    assert len(kept(ingest_gateway, response)["events"]) == 2
    assert table_items(ingest_gateway.resources) == []


def test_oversize_batch_is_400_with_the_limit(ingest_gateway: RunningGateway) -> None:
    limit = ingest_gateway.resources.config.api.max_batch_events
    events = team_events("orders", limit + 1)
    response = post_raw(ingest_gateway, "orders", json.dumps(events).encode())
    body = assert_error(response, 400, f"batch of {limit + 1} events exceeds the limit of {limit}")
    assert body["reasons"] == [{"path": "body", "message": f"at most {limit} events per request"}]
    assert json.loads(kept(ingest_gateway, response)["events"][0]["raw"]) == events
    assert table_items(ingest_gateway.resources) == []
    # The limit itself is fine.
    assert post_raw(ingest_gateway, "orders", json.dumps(events[:limit]).encode()).status_code == 202
    assert len(table_items(ingest_gateway.resources)) == limit


def test_replayed_request_stores_each_event_once(ingest_gateway: RunningGateway) -> None:
    body = json.dumps(team_events("billing", 5, seed=7)).encode()
    first = post_raw(ingest_gateway, "billing", body)
    replay = post_raw(ingest_gateway, "billing", body)

    assert first.status_code == replay.status_code == 202
    assert first.json()["summary"] == {"accepted": 5, "duplicate": 0, "rejected": 0}
    assert replay.json()["summary"] == {"accepted": 0, "duplicate": 5, "rejected": 0}
    assert [r["status"] for r in replay.json()["results"]] == ["duplicate"] * 5
    items = table_items(ingest_gateway.resources)
    assert sorted(i["event_id"]["S"] for i in items) == sorted(e["event_id"] for e in json.loads(body))
    assert rejected_documents(ingest_gateway.resources) == {}


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        (None, 401, "missing API key"),
        ("", 401, "missing API key"),
        ("0" * 40, 403, "Forbidden"),
        ("forged' OR 1=1 --", 403, "Forbidden"),
    ],
)
def test_missing_or_forged_key(
    ingest_gateway: RunningGateway, key: str | None, status: int, message: str
) -> None:
    headers = ingest_gateway.headers("orders")
    if key is None:
        del headers["x-api-key"]
    else:
        headers["x-api-key"] = key
    body = json.dumps(team_events("orders", 2)).encode()
    response = requests.post(ingest_gateway.events_url, data=body, headers=headers, timeout=30)
    assert_error(response, status, message)
    # No team, nothing to file it under: nothing is stored anywhere.
    assert table_items(ingest_gateway.resources) == []
    assert rejected_documents(ingest_gateway.resources) == {}


def test_a_key_cannot_send_another_teams_event_types(ingest_gateway: RunningGateway) -> None:
    billing_events = team_events("billing", 3, seed=11)
    response = post_raw(ingest_gateway, "orders", json.dumps(billing_events).encode())

    assert response.status_code == 400
    for result, event in zip(response.json()["results"], billing_events, strict=True):
        assert result["status"] == "rejected"
        assert result["reasons"][0]["path"] == "event_type"
        assert f"team orders may not produce {event['event_type']}" in result["reasons"][0]["message"]
    document = kept(ingest_gateway, response)
    assert document["team"] == "orders"  # filed under the caller, never under the claimed producer
    assert [e["raw"] for e in document["events"]] == billing_events
    assert table_items(ingest_gateway.resources) == []
    keys = rejected_documents(ingest_gateway.resources)
    assert all(k.startswith("rejected/team=orders/") for k in keys)


def test_the_body_cannot_choose_the_team(ingest_gateway: RunningGateway) -> None:
    """The envelope has no team field and payloads are closed: a body claiming one is rejected.

    The valid event in the same batch is stored under the key's team.
    """
    base = team_events("orders", 2)
    claims_envelope = fresh(base[0], team="billing")
    claims_payload = fresh(base[0], payload={**base[0]["payload"], "team": "billing"})
    response = post_raw(
        ingest_gateway, "orders", json.dumps([claims_envelope, claims_payload, base[1]]).encode()
    )

    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "accepted"]
    assert results[0]["reasons"] == [{"path": "team", "message": "Extra inputs are not permitted"}]
    assert "team" in results[1]["reasons"][0]["message"]
    (item,) = table_items(ingest_gateway.resources)
    assert item["team"]["S"] == "orders" and item["pk"]["S"] == f"orders#{base[1]['event_id']}"
    assert json.loads(item["envelope"]["S"])["team"] == "orders"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded", ""]
)
def test_wrong_content_type_is_415_and_kept(ingest_gateway: RunningGateway, content_type: str) -> None:
    body = json.dumps(team_events("orders", 1)).encode()
    response = post_raw(ingest_gateway, "orders", body, **{"Content-Type": content_type})
    assert_error(response, 415, "Content-Type must be application/json")
    assert kept(ingest_gateway, response)["events"][0]["raw"] == body.decode()
    assert table_items(ingest_gateway.resources) == []


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E+999"])
def test_numbers_beyond_a_double_are_refused_not_stored_as_null(
    ingest_gateway: RunningGateway, number: str
) -> None:
    """Regression: 1e400 parsed to inf and was stored as null, which the payload schema forbids."""
    event = next(
        e for e in team_events("orders", 40) if e["event_type"] == "notifications.notification_requested"
    )
    text = json.dumps(event).replace('"variables": {', f'"variables": {{"amount": {number}, ', 1)
    assert f'"amount": {number}' in text
    response = post_raw(ingest_gateway, "orders", text.encode())
    body = assert_error(response, 400, "not valid JSON")
    assert "out of range" in body["reasons"][0]["message"]
    assert kept(ingest_gateway, response)["events"][0]["raw"] == text
    assert table_items(ingest_gateway.resources) == []


def test_large_but_finite_numbers_round_trip(ingest_gateway: RunningGateway) -> None:
    event = next(
        e for e in team_events("orders", 40) if e["event_type"] == "notifications.notification_requested"
    )
    text = json.dumps(event).replace(
        '"variables": {', '"variables": {"big": 1.5e308, "huge_int": 123456789012345678901234567890, ', 1
    )
    assert post_raw(ingest_gateway, "orders", text.encode()).status_code == 202
    (item,) = table_items(ingest_gateway.resources)
    variables = json.loads(item["envelope"]["S"])["payload"]["variables"]
    assert variables["big"] == 1.5e308 and variables["huge_int"] == 123456789012345678901234567890


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "PUT", "BREW"])
def test_undeclared_methods_get_a_json_405_with_allow(ingest_gateway: RunningGateway, method: str) -> None:
    """Regression: methods http.server has no do_X for were answered with an HTML 501."""
    response = requests.request(
        method, ingest_gateway.events_url, headers=ingest_gateway.headers("orders"), data=b"{}", timeout=30
    )
    assert_error(response, 405, f"{method} is not allowed on /v1/events")
    assert response.headers["Allow"] == "POST"
    assert table_items(ingest_gateway.resources) == []

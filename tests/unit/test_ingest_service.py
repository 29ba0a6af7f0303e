"""The ingest rules (status codes, verdicts, what is stored) with in-memory stores."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambdas.ingest.models import ErrorResponse, IngestResponse, Verdict
from lambdas.ingest.service import IngestRequest, IngestService, Outcome
from lambdas.ingest.store import DynamoEventStore, S3RejectedStore, StoreMisconfigured, StoreUnavailable
from local_platform import provision
from platform_core.config import get_config
from platform_core.envelope import Event, EventIn
from platform_core.registry import get_registry
from tools.traffic import TrafficGenerator

NOW = datetime(2026, 11, 21, 9, 30, 15, 123456, tzinfo=UTC)
KEYS = {"key-orders": "orders", "key-billing": "billing"}


class MemoryEvents:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, dict[str, str]]] = {}
        self.calls = 0

    def put_new(self, items: Any) -> list[bool]:
        self.calls += 1
        written = []
        for item in items:
            key = item["pk"]["S"]
            written.append(key not in self.items)
            self.items.setdefault(key, item)
        return written


class MemoryRejected:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    def put(self, key: str, document: dict[str, Any]) -> None:
        self.documents[key] = json.loads(json.dumps(document))  # what S3 would hold


@pytest.fixture
def events() -> MemoryEvents:
    return MemoryEvents()


@pytest.fixture
def rejected() -> MemoryRejected:
    return MemoryRejected()


@pytest.fixture
def service(events: MemoryEvents, rejected: MemoryRejected) -> IngestService:
    return IngestService(get_config(), get_registry(), events, rejected, KEYS, clock=lambda: NOW)


def orders_events(count: int, seed: int = 1) -> list[dict[str, Any]]:
    generator = TrafficGenerator(seed)
    out: list[dict[str, Any]] = []
    while len(out) < count:
        out.extend(e for t, e in generator.order_flow() if t == "orders")
    return out[:count]


def request(body: Any, *, raw: bool = False, key: str | None = "key-orders", **changes: Any) -> IngestRequest:
    fields: dict[str, Any] = {
        "request_id": "req-1",
        "api_key_id": key,
        "content_type": "application/json",
        "body": body if raw else json.dumps(body),
        "source_ip": "198.51.100.7",
    }
    fields.update(changes)
    return IngestRequest(**fields)


def verdicts(outcome: Outcome) -> list[str]:
    assert isinstance(outcome.body, IngestResponse)
    return [r.status.value for r in outcome.body.results]


# -- request-level rules ---------------------------------------------------------


@pytest.mark.parametrize(("key", "status"), [(None, 401), ("", 401), ("key-unknown", 403)])
def test_the_team_comes_from_a_known_api_key(service: IngestService, key: str | None, status: int) -> None:
    outcome = service.ingest(request(orders_events(1), key=key))
    assert outcome.status_code == status
    assert isinstance(outcome.body, ErrorResponse)


def test_unauthenticated_requests_are_not_stored(service: IngestService, rejected: MemoryRejected) -> None:
    service.ingest(request("garbage", raw=True, key=None))
    assert rejected.documents == {}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.stockoss+json",
    ],
)
def test_json_media_types_are_accepted(service: IngestService, content_type: str) -> None:
    assert service.ingest(request(orders_events(1), content_type=content_type)).status_code == 202


@pytest.mark.parametrize(
    "content_type", [None, "", "text/plain", "application/x-www-form-urlencoded", "json"]
)
def test_other_media_types_are_415(
    service: IngestService, rejected: MemoryRejected, content_type: str | None
) -> None:
    outcome = service.ingest(request(orders_events(1), content_type=content_type))
    assert outcome.status_code == 415
    [document] = rejected.documents.values()
    assert document["events"][0]["index"] is None  # kept all the same


def test_size_limit_counts_utf8_bytes(service: IngestService) -> None:
    limit = get_config().api.max_body_bytes
    event = orders_events(1)[0]
    skeleton = json.dumps({**event, "source": ""})
    filler = limit - len(skeleton.encode())
    at_limit = json.dumps({**event, "source": "x" * filler})
    assert len(at_limit.encode()) == limit
    assert service.ingest(request(at_limit, raw=True)).status_code != 413
    # Same character count, more bytes: "é" is two bytes in UTF-8.
    over = json.dumps({**event, "source": "é" + "x" * (filler - 1)}, ensure_ascii=False)
    assert len(over) <= limit < len(over.encode())
    assert service.ingest(request(over, raw=True)).status_code == 413


def test_base64_bodies_are_decoded_and_measured_decoded(service: IngestService) -> None:
    body = json.dumps(orders_events(1)).encode()
    encoded = base64.b64encode(body).decode()
    assert service.ingest(request(encoded, raw=True, is_base64_encoded=True)).status_code == 202
    too_big = base64.b64encode(b" " * (get_config().api.max_body_bytes + 1)).decode()
    assert service.ingest(request(too_big, raw=True, is_base64_encoded=True)).status_code == 413
    assert service.ingest(request("not base64!", raw=True, is_base64_encoded=True)).status_code == 400
    latin1 = base64.b64encode('[{"é": 1}]'.encode("latin-1")).decode()
    assert service.ingest(request(latin1, raw=True, is_base64_encoded=True)).status_code == 400


@pytest.mark.parametrize(
    "body",
    ["", "   ", "{", "[1,", "NaN", '{"a": Infinity}', "42", '"event"', "null", "true", "[]", "[" * 100_000],
)
def test_bodies_that_are_not_events_are_400_and_kept(
    service: IngestService, rejected: MemoryRejected, body: str
) -> None:
    outcome = service.ingest(request(body, raw=True))
    assert outcome.status_code == 400
    assert isinstance(outcome.body, ErrorResponse)
    if body:
        [document] = rejected.documents.values()
        assert document["events"] == [
            {"index": None, "reasons": document["events"][0]["reasons"], "raw": body}
        ]


def test_batch_limit(service: IngestService, events: MemoryEvents) -> None:
    limit = get_config().api.max_batch_events
    batch = orders_events(limit + 1)
    outcome = service.ingest(request(batch))
    assert outcome.status_code == 400
    assert isinstance(outcome.body, ErrorResponse)
    assert outcome.body.reasons[0].path == "body"
    assert events.items == {}
    assert service.ingest(request(batch[:limit])).status_code == 202


def test_correlation_id_header(service: IngestService) -> None:
    outcome = service.ingest(request(orders_events(1), correlation_header="checkout-42"))
    assert isinstance(outcome.body, IngestResponse)
    assert outcome.body.correlation_id == "checkout-42"
    default = service.ingest(request(orders_events(1, seed=2)))
    assert isinstance(default.body, IngestResponse)
    assert default.body.correlation_id == "req-1"
    bad = service.ingest(request(orders_events(1, seed=3), correlation_header="line\nbreak"))
    assert bad.status_code == 400
    assert isinstance(bad.body, ErrorResponse)
    assert bad.body.reasons[0].path == "headers.X-Correlation-Id"


# -- verdicts --------------------------------------------------------------------


def test_verdicts_and_status(service: IngestService, events: MemoryEvents, rejected: MemoryRejected) -> None:
    batch = orders_events(3)
    first = service.ingest(request(batch))
    assert first.status_code == 202
    assert verdicts(first) == ["accepted"] * 3

    bad, _ = TrafficGenerator(5).invalidate(batch[0], "wrong_payload_type")
    second = service.ingest(request([batch[1], bad, batch[1]], request_id="req-2"))
    assert second.status_code == 202
    assert verdicts(second) == ["duplicate", "rejected", "duplicate"]
    assert isinstance(second.body, IngestResponse)
    assert second.body.summary.model_dump() == {"accepted": 0, "duplicate": 2, "rejected": 1}

    all_bad = service.ingest(request([bad], request_id="req-3"))
    assert all_bad.status_code == 400
    assert verdicts(all_bad) == ["rejected"]
    assert len(events.items) == 3


def test_a_duplicate_within_one_batch_is_written_once(service: IngestService, events: MemoryEvents) -> None:
    event = orders_events(1)[0]
    outcome = service.ingest(request([event, event, {**event, "source": "other"}]))
    assert verdicts(outcome) == ["accepted", "duplicate", "duplicate"]
    assert len(events.items) == 1
    assert events.calls == 1, "one store call per request, not one per event"


def test_event_ids_are_compared_in_canonical_form(service: IngestService, events: MemoryEvents) -> None:
    event = orders_events(1)[0]
    service.ingest(request(event))
    outcome = service.ingest(request({**event, "event_id": event["event_id"].upper()}))
    assert verdicts(outcome) == ["duplicate"]


def test_a_team_may_only_send_what_it_produces(service: IngestService) -> None:
    outcome = service.ingest(request(orders_events(1), key="key-billing"))
    assert outcome.status_code == 400
    assert isinstance(outcome.body, IngestResponse)
    [reason] = outcome.body.results[0].reasons or []
    assert reason.path == "event_type"
    assert "billing may not produce orders." in reason.message


def test_envelope_and_payload_problems_are_reported_together(service: IngestService) -> None:
    event = orders_events(1)[0]
    event["occurred_at"] = "yesterday"
    event["payload"]["total"]["currency"] = "euro"
    outcome = service.ingest(request(event))
    assert isinstance(outcome.body, IngestResponse)
    paths = [r.path for r in outcome.body.results[0].reasons or []]
    assert paths == ["occurred_at", "payload.total.currency"]


def test_stored_item_matches_the_contract(service: IngestService, events: MemoryEvents) -> None:
    event = orders_events(1)[0]
    service.ingest(request(event, correlation_header="corr-1"))
    [item] = events.items.values()
    expected = Event(
        **EventIn.model_validate(event).model_dump(),
        team="orders",
        received_at=NOW,
        ingest_id="req-1",
        correlation_id="corr-1",
    )
    # The envelope is assembled without building an Event: it must equal the model's own JSON.
    assert item["envelope"]["S"] == expected.model_dump_json()
    assert item["pk"]["S"] == f"orders#{event['event_id']}"
    assert {k: v["S"] for k, v in item.items() if "S" in v and k not in ("pk", "envelope")} == {
        "team": "orders",
        "event_id": event["event_id"],
        "event_type": event["event_type"],
        "received_at": "2026-11-21T09:30:15.123456Z",
        "correlation_id": "corr-1",
    }
    retention = get_config().ingest.event_retention_days * 86_400
    assert item[provision.TTL_ATTRIBUTE]["N"] == str(int(NOW.timestamp()) + retention)


def test_rejected_zone_document(service: IngestService, rejected: MemoryRejected) -> None:
    good = orders_events(1)[0]
    bad, _ = TrafficGenerator(6).invalidate(good, "missing_payload_field")
    service.ingest(request([good, bad, 17], correlation_header="corr-9"))
    [(key, document)] = rejected.documents.items()
    assert key == "rejected/team=orders/dt=2026-11-21/hour=09/req-1.json"
    assert document == {
        "request_id": "req-1",
        "team": "orders",
        "received_at": "2026-11-21T09:30:15.123456Z",
        "correlation_id": "corr-9",
        "source_ip": "198.51.100.7",
        "events": [
            {
                "index": 1,
                "event_id": bad["event_id"],
                "event_type": bad["event_type"],
                "reasons": [{"path": "payload", "message": '"order_id" is a required property'}],
                "raw": bad,
            },
            {
                "index": 2,
                "reasons": [{"path": "", "message": "an event must be a JSON object, got a number"}],
                "raw": 17,
            },
        ],
    }


def test_nothing_goes_to_the_rejected_zone_when_all_is_accepted(
    service: IngestService, rejected: MemoryRejected
) -> None:
    service.ingest(request(orders_events(5)))
    assert rejected.documents == {}


def test_metric_counts_bound_the_event_type_dimension(service: IngestService) -> None:
    good = orders_events(1)[0]
    outcome = service.ingest(request([good, good, {**good, "event_type": "x.made_up", "event_id": "1"}]))
    assert dict(outcome.counts) == {
        (good["event_type"], Verdict.ACCEPTED): 1,
        (good["event_type"], Verdict.DUPLICATE): 1,
        ("unknown", Verdict.REJECTED): 1,
    }


def test_storage_failures_propagate_as_store_unavailable(rejected: MemoryRejected) -> None:
    class Down:
        def put_new(self, items: Any) -> list[bool]:
            raise StoreUnavailable("DynamoDB unreachable")

    service = IngestService(get_config(), get_registry(), Down(), rejected, KEYS)
    with pytest.raises(StoreUnavailable):
        service.ingest(request(orders_events(1)))


def test_api_key_mapping_must_name_known_teams() -> None:
    with pytest.raises(ValueError, match="unknown teams: marketing"):
        IngestService(get_config(), get_registry(), MemoryEvents(), MemoryRejected(), {"k": "marketing"})


def test_schema_catalogue(service: IngestService) -> None:
    listing = {s.event_type: s for s in service.schema_list().schemas}
    assert listing["billing.invoice_issued"].producer == "billing"
    assert listing["billing.invoice_issued"].business_key == "order_id"
    newest = listing["orders.order_created"].latest_version
    assert service.schema_document("orders.order_created") == service.schema_document(
        "orders.order_created", newest
    )
    assert service.schema_document("orders.order_created", "3") is None
    assert service.schema_document("orders.unknown") is None


# -- the per-event size limit -----------------------------------------------------------


def sized_event(padding: int) -> dict[str, Any]:
    """A notification request (produced by orders) whose size grows byte for byte with `padding`."""
    _, event = TrafficGenerator(5).event_of_type("notifications.notification_requested")
    event["payload"]["variables"] = {"note": "x" * padding}
    event["event_id"] = str(uuid.uuid4())  # same size, a new event
    return event


def stored_size(service: IngestService, events: MemoryEvents, event: dict[str, Any]) -> int:
    assert verdicts(service.ingest(request([event]))) == ["accepted"]
    [item] = [item for item in events.items.values() if item["event_id"]["S"] == event["event_id"]]
    return len(item["envelope"]["S"].encode())


def test_an_event_is_accepted_up_to_the_limit_as_stored_and_rejected_and_kept_one_byte_over(
    service: IngestService, events: MemoryEvents, rejected: MemoryRejected
) -> None:
    limit = get_config().api.max_event_bytes
    probe = sized_event(1000)
    padding = 1000 + limit - stored_size(service, events, probe)

    at_limit = sized_event(padding)
    assert stored_size(service, events, at_limit) == limit

    over = sized_event(padding + 1)
    small = orders_events(1)[0]
    outcome = service.ingest(request([small, over]))  # the same request id: the same platform fields
    assert outcome.status_code == 202 and verdicts(outcome) == ["accepted", "rejected"]
    assert isinstance(outcome.body, IngestResponse)
    [reason] = outcome.body.results[1].reasons or []
    assert reason.path == "" and f"is {limit + 1} bytes as stored" in reason.message
    assert str(limit) in reason.message
    assert over["event_id"] not in {item["event_id"]["S"] for item in events.items.values()}
    [document] = rejected.documents.values()
    assert document["events"][0]["raw"] == over  # kept as sent, with the reason


def test_the_limit_counts_bytes_not_characters(service: IngestService, events: MemoryEvents) -> None:
    limit = get_config().api.max_event_bytes
    event = sized_event(0)
    event["payload"]["variables"] = {"note": "\u20ac" * (limit // 3)}  # 3 bytes each in UTF-8
    assert len(json.dumps(event, ensure_ascii=False)) < limit
    outcome = service.ingest(request([event]))
    assert verdicts(outcome) == ["rejected"] and events.items == {}


def test_the_schema_list_publishes_the_limits(service: IngestService) -> None:
    limits = service.schema_list().limits
    api = get_config().api
    assert (limits.max_event_bytes, limits.max_batch_events, limits.max_body_bytes) == (
        api.max_event_bytes,
        api.max_batch_events,
        api.max_body_bytes,
    )


def test_the_limit_leaves_room_for_the_message_attributes_in_an_sqs_message() -> None:
    from platform_core.config import MESSAGE_ATTRIBUTES_BYTES, SQS_MESSAGE_BYTES
    from platform_core.records import event_message_attributes

    limit = get_config().api.max_event_bytes
    # The largest attributes a stored event can have: the longest team, type and correlation id.
    event = Event.model_validate(
        {
            **orders_events(1)[0],
            "team": "t" * 21,
            "received_at": NOW,
            "ingest_id": "i" * 64,
            "correlation_id": "c" * 128,
        }
    )
    attributes = event_message_attributes(event)
    size = sum(len(n) + len(v["DataType"]) + len(v["StringValue"]) for n, v in attributes.items())
    assert size + len("x" * 64) <= MESSAGE_ATTRIBUTES_BYTES  # and an event type of 64 characters
    assert limit + MESSAGE_ATTRIBUTES_BYTES <= SQS_MESSAGE_BYTES


# -- the DynamoDB and S3 stores over fake clients ------------------------------------


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "PutItem")


class FakeDynamo:
    def __init__(self, fail_with: str | None = None) -> None:
        self.keys: set[str] = set()
        self.lock = threading.Lock()
        self.fail_with = fail_with
        self.conditions: set[str] = set()

    def put_item(self, **kwargs: Any) -> dict[str, Any]:
        if self.fail_with:
            raise _client_error(self.fail_with)
        self.conditions.add(kwargs["ConditionExpression"])
        key = kwargs["Item"]["pk"]["S"]
        with self.lock:
            if key in self.keys:
                raise _client_error("ConditionalCheckFailedException")
            self.keys.add(key)
        return {}


def _items(keys: list[str]) -> list[dict[str, dict[str, str]]]:
    return [{"pk": {"S": key}} for key in keys]


def test_dynamo_store_writes_concurrently_and_reports_existing_items_per_index() -> None:
    dynamo = FakeDynamo()
    store = DynamoEventStore(dynamo, "events", max_concurrency=4)
    keys = [f"orders#{i}" for i in range(37)]
    assert store.put_new(_items(keys[:10])) == [True] * 10
    assert store.put_new(_items(keys)) == [False] * 10 + [True] * 27
    assert dynamo.conditions == {"attribute_not_exists(#pk)"}


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"]
)
def test_a_dynamo_error_a_retry_can_cure_is_store_unavailable(code: str) -> None:
    store = DynamoEventStore(FakeDynamo(fail_with=code), "events")
    with pytest.raises(StoreUnavailable, match=code):
        store.put_new(_items(["a", "b", "c"]))


@pytest.mark.parametrize(
    "code",
    [
        "ResourceNotFoundException",
        "AccessDeniedException",
        "ValidationException",
        "UnrecognizedClientException",
    ],
)
def test_a_dynamo_error_no_retry_can_cure_is_store_misconfigured(code: str) -> None:
    """Never a 503 the client would retry forever: the table is missing, refused, or not what the code writes."""
    store = DynamoEventStore(FakeDynamo(fail_with=code), "events")
    with pytest.raises(StoreMisconfigured, match=code):
        store.put_new(_items(["a", "b", "c"]))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), StoreUnavailable),
        (_client_error("SlowDown"), StoreUnavailable),
        (_client_error("NoSuchBucket"), StoreMisconfigured),
        (_client_error("AccessDenied"), StoreMisconfigured),
        (NoCredentialsError(), StoreMisconfigured),
    ],
)
def test_s3_store_errors_say_whether_a_retry_can_help(error: Exception, expected: type[Exception]) -> None:
    class S3Down:
        def put_object(self, **kwargs: Any) -> None:
            raise error

    with pytest.raises(expected):
        S3RejectedStore("rejected", S3Down()).put("k", {})


# -- whatever a client sends: a verdict or a 4xx, never an exception ------------------


def test_unpaired_surrogates_are_rejected_and_kept_exactly() -> None:
    stored: dict[str, bytes] = {}

    class S3:
        def put_object(self, **kwargs: Any) -> None:
            assert kwargs["ServerSideEncryption"] == "aws:kms"  # the organisation's SCP requires it
            stored[kwargs["Key"]] = kwargs["Body"]

    events = MemoryEvents()
    service = IngestService(
        get_config(), get_registry(), events, S3RejectedStore("r", S3()), KEYS, clock=lambda: NOW
    )
    event = orders_events(1)[0]
    event["payload"]["lines"][0]["description"] = "\ud800 lone"
    outcome = service.ingest(request([event]))  # json.dumps escapes it: "\\ud800"
    assert outcome.status_code == 400
    assert isinstance(outcome.body, IngestResponse)
    assert "surrogate" in (outcome.body.results[0].reasons or [])[0].message
    assert events.items == {}
    [body] = stored.values()
    assert json.loads(body)["events"][0]["raw"] == event


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _event_like(draw: st.DrawFn) -> Any:
    base = orders_events(1)[0]
    field = draw(st.sampled_from([*base, "payload.lines", "extra"]))
    value = draw(json_values)
    if field == "payload.lines":
        return {**base, "payload": {**base["payload"], "lines": value}}
    return {**base, field: value}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.text(max_size=200),
        json_values.map(json.dumps),
        st.lists(st.composite(_event_like)(), max_size=5).map(json.dumps),
        st.composite(_event_like)().map(lambda e: json.dumps(e, ensure_ascii=False)),
    ),
    base64_flag=st.booleans(),
)
def test_any_body_gets_a_client_status_never_an_exception(body: str, base64_flag: bool) -> None:
    service = IngestService(
        get_config(), get_registry(), MemoryEvents(), MemoryRejected(), KEYS, clock=lambda: NOW
    )
    if base64_flag:
        body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    outcome = service.ingest(request(body, raw=True, is_base64_encoded=base64_flag))
    assert outcome.status_code in (202, 400, 413, 415)
    outcome.body.model_dump(mode="json")

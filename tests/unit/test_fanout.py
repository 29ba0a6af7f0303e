"""Fan-out logic with in-process fakes: routing, batched sends and their retries, the raw zone writer."""

from __future__ import annotations

import gzip
import io
import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdas.fanout import handler
from lambdas.fanout.retry import Backoff
from lambdas.fanout.routing import Router
from lambdas.fanout.service import FanoutService
from lambdas.fanout.sinks import MANIFEST_PREFIX, OutMessage, RawZoneWriter, SqsSender, chunks
from platform_core import naming
from platform_core.config import get_config
from platform_core.envelope import Event
from platform_core.lambda_context import LocalLambdaContext
from platform_core.raw_zone import batch_id, encode_lines
from tools.traffic import TrafficGenerator

NO_WAIT = Backoff(attempts=4, sleep=lambda _s: None)
ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/t-dev-events/stream/2026-01-01T00:00:00.000"


def client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": code},
            "ResponseMetadata": {
                "RequestId": "request",
                "HostId": "",
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        "Op",
    )


class FakeSqs:
    """SendMessageBatch/SendMessage into lists, with scripted failures."""

    def __init__(self) -> None:
        self.queues: dict[str, list[str]] = defaultdict(list)
        self.batch_calls = 0
        self.single_calls = 0
        self.fail_calls: list[ClientError] = []  # raised by the next batch calls, in order
        self.fail_entries: dict[str, int] = {}  # body -> how many more times its entry fails
        self.sender_fault: set[str] = set()

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.batch_calls += 1
        assert len(Entries) <= 10
        if self.fail_calls:
            raise self.fail_calls.pop(0)
        response: dict[str, Any] = {"Successful": [], "Failed": []}
        for entry in Entries:
            body = entry["MessageBody"]
            if body in self.sender_fault:
                response["Failed"].append(
                    {"Id": entry["Id"], "SenderFault": True, "Code": "InvalidMessageContents"}
                )
            elif self.fail_entries.get(body, 0) > 0:
                self.fail_entries[body] -= 1
                response["Failed"].append({"Id": entry["Id"], "SenderFault": False, "Code": "InternalError"})
            else:
                self.queues[QueueUrl.rsplit("/", 1)[1]].append(body)
                response["Successful"].append({"Id": entry["Id"]})
        return response

    def send_message(self, QueueUrl: str, MessageBody: str, MessageAttributes: Any) -> dict[str, Any]:
        self.single_calls += 1
        if self.fail_entries.get(MessageBody, 0) > 0:
            self.fail_entries[MessageBody] -= 1
            raise client_error("InternalError", 500)
        self.queues[QueueUrl.rsplit("/", 1)[1]].append(MessageBody)
        return {}


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail_puts: list[ClientError] = []

    def put_object(
        self, Bucket: str, Key: str, Body: bytes, ContentType: str, ServerSideEncryption: str
    ) -> dict[str, Any]:
        # The organisation's SCP refuses puts that do not ask for KMS.
        assert ServerSideEncryption == "aws:kms"
        if self.fail_puts:
            raise self.fail_puts.pop(0)
        self.objects[Key] = Body
        return {}

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if Key not in self.objects:
            # What the fan-out's role gets: it may list the manifests' prefix only, not the bucket.
            raise client_error("AccessDenied", 403)
        return {"Body": io.BytesIO(self.objects[Key])}

    def list_objects_v2(self, Bucket: str, Prefix: str, MaxKeys: int) -> dict[str, Any]:
        keys = sorted(k for k in self.objects if k.startswith(Prefix))[:MaxKeys]
        return {"Contents": [{"Key": k} for k in keys]} if keys else {}

    def delete_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        self.objects.pop(Key, None)
        return {}

    def raw_event_ids(self) -> list[str]:
        return [
            json.loads(line)["event_id"]
            for key, body in self.objects.items()
            if key.startswith("raw/")
            for line in gzip.decompress(body).decode().splitlines()
        ]


def make_events(n: int, seed: int = 1) -> list[Event]:
    generator = TrafficGenerator(seed=seed)
    at = datetime(2026, 3, 1, 10, 59, 30, tzinfo=UTC)
    events = []
    for index, (team, raw) in enumerate(generator.events(n)):
        events.append(
            Event.model_validate(
                {
                    **raw,
                    "team": team,
                    "received_at": at + timedelta(seconds=index),
                    "ingest_id": "req-1",
                    "correlation_id": f"corr-{index}",
                }
            )
        )
        if len(events) == n:
            break
    return events


def stream_record(
    event: Event | None, sequence: int, name: str = "INSERT", envelope: str | None = None
) -> dict:
    image: dict[str, Any] = {}
    if event is not None:
        image = {
            "pk": {"S": f"{event.team}#{event.event_id}"},
            "envelope": {"S": envelope if envelope is not None else event.model_dump_json()},
        }
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1767225600,
            "Keys": {"pk": image.get("pk", {"S": "x#y"})},
            "NewImage": image,
            "SequenceNumber": f"{sequence:021d}",
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": ARN,
    }


def service(sqs: FakeSqs, s3: FakeS3) -> FanoutService:
    return FanoutService(
        get_config(), "dev", SqsSender(sqs, NO_WAIT), RawZoneWriter(s3, "raw-bucket", NO_WAIT)
    )


# -- routing -------------------------------------------------------------------------


def test_routes_follow_the_configured_subscriptions() -> None:
    config = get_config()
    router = Router(config)
    assert any(router.route(et).kafka for et in config.event_types)
    assert any(len(router.route(et).sqs_teams) > 1 for et in config.event_types)
    for event_type in config.event_types:
        route = router.route(event_type)
        assert route.sqs_teams == config.sqs_subscribers(event_type)
        assert route.kafka == (event_type in config.kafka_event_types)
    # An event type nobody declared still reaches the raw zone, and nothing else.
    assert router.route("orders.unknown").sqs_teams == () and not router.route("orders.unknown").kafka


# -- SQS sends -----------------------------------------------------------------------


def test_messages_are_sent_ten_per_call_and_within_the_payload_limit() -> None:
    attributes = {"team": {"DataType": "String", "StringValue": "orders"}}
    small = [OutMessage(i, "x" * 100, attributes) for i in range(25)]
    assert [len(c) for c in chunks(small)] == [10, 10, 5]
    big = [OutMessage(i, "x" * 100_000, attributes) for i in range(5)]
    assert all(sum(m.size for m in c) <= 256 * 1024 for c in chunks(big))
    assert sum(len(c) for c in chunks(big)) == 5


def test_failed_entries_are_retried_one_by_one_and_sender_faults_are_not() -> None:
    sqs = FakeSqs()
    sqs.fail_entries = {"m3": 2, "m7": 10}  # m3 recovers on its second single retry; m7 never does
    sqs.sender_fault = {"m5"}
    sender = SqsSender(sqs, NO_WAIT)
    failed = sender.send({"q": [OutMessage(i, f"m{i}", {}) for i in range(12)]})
    assert failed == {5, 7}
    assert sorted(sqs.queues["q"]) == sorted(f"m{i}" for i in range(12) if i not in (5, 7))
    assert sqs.batch_calls == 2


def test_throttled_batch_calls_are_retried_with_backoff() -> None:
    sqs = FakeSqs()
    sqs.fail_calls = [client_error("ThrottlingException"), client_error("ServiceUnavailable", 503)]
    slept: list[float] = []
    sender = SqsSender(sqs, Backoff(attempts=4, sleep=slept.append))
    assert sender.send({"q": [OutMessage(i, f"m{i}", {}) for i in range(3)]}) == set()
    assert len(sqs.queues["q"]) == 3 and len(slept) == 2


def test_a_non_transient_error_fails_the_chunk_without_retrying() -> None:
    sqs = FakeSqs()
    sqs.fail_calls = [client_error("AccessDenied", 403)]
    assert SqsSender(sqs, NO_WAIT).send({"q": [OutMessage(i, f"m{i}", {}) for i in range(3)]}) == {0, 1, 2}
    assert sqs.batch_calls == 1


# -- raw zone --------------------------------------------------------------------------


def test_batch_id_depends_only_on_where_the_batch_starts() -> None:
    assert batch_id(ARN, "e1", "1") == batch_id(ARN, "e1", "1")
    assert batch_id(ARN, "e1", "1") != batch_id(ARN, "e2", "2")
    assert batch_id(ARN, "e1", "1") != batch_id(ARN + "x", "e1", "1")
    assert encode_lines(["a", "b"]) == encode_lines(["a", "b"])  # byte-identical rewrites


def test_raw_objects_are_one_per_team_and_hour_with_hive_partitions() -> None:
    s3 = FakeS3()
    events = make_events(120)
    keys = RawZoneWriter(s3, "b", NO_WAIT).write("batch1", [(e, e.model_dump_json()) for e in events])
    expected = {naming.raw_key(e.team, e.received_at, "batch1") for e in events}
    assert set(keys) == expected
    assert any("hour=10" in k for k in keys) and any("hour=11" in k for k in keys)
    assert sorted(s3.raw_event_ids()) == sorted(str(e.event_id) for e in events)


def test_a_smaller_retry_of_the_same_batch_leaves_each_event_once() -> None:
    """An attempt wrote raw objects and then crashed; the bisected retry covers fewer team/hours."""
    s3 = FakeS3()
    writer = RawZoneWriter(s3, "b", NO_WAIT)
    events = make_events(60)
    pairs = [(e, e.model_dump_json()) for e in events]
    first_half = pairs[: len(pairs) // 2]
    writer.write("start", pairs)  # the crashed attempt
    writer.write("start", first_half)  # the retry starting at the same record
    assert sorted(s3.raw_event_ids()) == sorted(str(e.event_id) for e, _ in first_half)
    writer.write("middle", pairs[len(pairs) // 2 :])  # the second half, its own batch
    assert sorted(s3.raw_event_ids()) == sorted(str(e.event_id) for e in events)
    manifest = json.loads(s3.objects[MANIFEST_PREFIX + "start.json"])
    assert set(manifest["keys"]) == {k for k in s3.objects if k.startswith("raw/") and "start" in k}


# -- the service and handler -------------------------------------------------------------


def test_a_batch_reaches_every_subscriber_and_the_raw_zone() -> None:
    sqs, s3 = FakeSqs(), FakeS3()
    events = make_events(100)
    records = [stream_record(e, i) for i, e in enumerate(events)]
    records.insert(3, stream_record(events[0], 1000, name="MODIFY"))
    result = service(sqs, s3).process(records)
    assert result.failed_from is None and result.archived == 100
    config = get_config()
    for team in config.sqs_subscriber_teams:
        expected = [e.model_dump_json() for e in events if team in config.sqs_subscribers(e.event_type)]
        assert sorted(sqs.queues[naming.team_queue(config.project, "dev", team)]) == sorted(expected)
    outbox = sqs.queues[naming.outbox_queue(config.project, "dev")]
    assert sorted(outbox) == sorted(
        e.model_dump_json() for e in events if e.event_type in config.kafka_event_types
    )
    assert sorted(s3.raw_event_ids()) == sorted(str(e.event_id) for e in events)


def test_only_the_prefix_before_the_first_failure_is_archived() -> None:
    sqs, s3 = FakeSqs(), FakeS3()
    events = make_events(20)
    records = [stream_record(e, i) for i, e in enumerate(events)]
    records[7] = stream_record(events[7], 7, envelope='{"not": "an event"}')
    result = service(sqs, s3).process(records)
    assert result.failed_from == 7 and "envelope" in result.errors[7]
    assert sorted(s3.raw_event_ids()) == sorted(str(e.event_id) for e in events[:7])


def test_a_raw_zone_outage_fails_the_whole_batch() -> None:
    sqs, s3 = FakeSqs(), FakeS3()
    s3.fail_puts = [client_error("SlowDown", 503)] * 10
    records = [stream_record(e, i) for i, e in enumerate(make_events(5))]
    result = service(sqs, s3).process(records)
    assert result.failed_from == 0 and s3.raw_event_ids() == []


def test_the_handler_reports_the_sequence_numbers_to_retry() -> None:
    sqs, s3 = FakeSqs(), FakeS3()
    events = make_events(10)
    records = [stream_record(e, i) for i, e in enumerate(events)]
    records[4] = stream_record(None, 4)  # no envelope at all
    with handler.fanout_service.overridden(service(sqs, s3)):
        response = handler.lambda_handler({"Records": records}, LocalLambdaContext("fanout"))
        assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [
            r["dynamodb"]["SequenceNumber"] for r in records[4:]
        ]
        retried = handler.lambda_handler({"Records": records[:4]}, LocalLambdaContext("fanout"))
    assert retried == {"batchItemFailures": []}


def test_a_batch_that_fails_entirely_is_a_function_error() -> None:
    """So that the event source mapping bisects it (a partial response would not)."""
    sqs, s3 = FakeSqs(), FakeS3()
    s3.fail_puts = [client_error("SlowDown", 503)] * 10
    records = [stream_record(e, i) for i, e in enumerate(make_events(3))]
    with (
        handler.fanout_service.overridden(service(sqs, s3)),
        pytest.raises(Exception, match="All records failed"),
    ):
        handler.lambda_handler({"Records": records}, LocalLambdaContext("fanout"))

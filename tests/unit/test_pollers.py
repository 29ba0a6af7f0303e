"""Event source mapping semantics of the local pollers, with fake AWS clients and scripted handlers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from local_platform.functions.in_process import InProcessFunction
from local_platform.functions.spec import FunctionSpec
from local_platform.pollers.stream import StreamMapping, StreamPoller

ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"


class FakeStreams:
    """One shard holding the given records, served in pages."""

    def __init__(self, records: list[dict[str, Any]], page: int = 7):
        self.records = records
        self.page = page

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shardId-1"}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str) -> dict[str, Any]:
        assert ShardIteratorType == "TRIM_HORIZON"
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        page = self.records[start : start + self.page]
        # An open shard always hands out a next iterator.
        return {"Records": page, "NextShardIterator": str(start + len(page))}


class FakeSqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, Any]:
        self.sent.append(json.loads(MessageBody))
        return {}


def records(n: int, modify_every: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "eventID": f"e{i}",
            "eventName": "MODIFY" if modify_every and i % modify_every == 0 else "INSERT",
            "awsRegion": "eu-west-1",
            "dynamodb": {
                "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC),
                "SequenceNumber": f"{i:021d}",
                "NewImage": {"n": {"N": str(i)}},
            },
        }
        for i in range(n)
    ]


class Recorder:
    """A handler that remembers each invocation and fails records on a script."""

    def __init__(
        self,
        poison: frozenset[int] = frozenset(),
        raise_on: frozenset[int] = frozenset(),
        failures: int = 10**9,
    ):
        self.batches: list[list[int]] = []
        self.done: list[int] = []
        self.poison = poison  # reported as batch item failures
        self.raise_on = raise_on  # raise (a function error) when the batch holds one of these
        self.failures = failures  # after this many failing invocations, everything succeeds

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        numbers = [int(r["dynamodb"]["NewImage"]["n"]["N"]) for r in event["Records"]]
        assert all(
            r["eventSourceARN"] == ARN and r["eventSource"] == "aws:dynamodb" for r in event["Records"]
        )
        assert all(isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int) for r in event["Records"])
        self.batches.append(numbers)
        if self.failures > 0 and self.raise_on & set(numbers):
            self.failures -= 1
            raise RuntimeError("crash")
        bad = [r for r, n in zip(event["Records"], numbers, strict=True) if n in self.poison]
        if bad and self.failures > 0:
            self.failures -= 1
            first = numbers.index(int(bad[0]["dynamodb"]["NewImage"]["n"]["N"]))
            self.done.extend(numbers[:first])
            return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in bad]}
        self.done.extend(numbers)
        return {"batchItemFailures": []}


def poller(source: list[dict[str, Any]], handler: Recorder, sqs: FakeSqs, **mapping: Any) -> StreamPoller:
    settings = {
        "batch_size": 10,
        "batching_window_seconds": 0,
        "maximum_retry_attempts": 2,
        "bisect_batch_on_function_error": True,
        **mapping,
    }
    return StreamPoller(
        ARN,
        InProcessFunction(handler, name="fanout"),
        StreamMapping(**settings),
        "failures-url",
        streams=FakeStreams(source),
        sqs=sqs,
    )


def test_batches_are_in_order_of_the_batch_size_and_filtered_to_inserts() -> None:
    handler, sqs = Recorder(), FakeSqs()
    stream = poller(records(35, modify_every=5), handler, sqs)
    stream.run_until_idle()
    expected = [i for i in range(35) if i % 5]
    assert [n for batch in handler.batches for n in batch] == expected
    assert all(len(b) <= 10 for b in handler.batches)
    assert stream.stats.records_filtered == 7 and not sqs.sent


def test_a_partial_failure_checkpoints_before_the_lowest_failed_record() -> None:
    handler, sqs = Recorder(poison=frozenset({13}), failures=1), FakeSqs()
    poller(records(20), handler, sqs).run_until_idle()
    assert handler.batches[1] == list(range(10, 20))
    # The retry starts at the failed record: nothing before it comes again.
    assert handler.batches[2][0] == 13 and 12 not in [n for b in handler.batches[2:] for n in b]
    assert sorted(handler.done) == list(range(20)) and not sqs.sent


def test_a_poison_record_is_isolated_by_bisection_and_parked_with_its_metadata() -> None:
    handler, sqs = Recorder(poison=frozenset({14})), FakeSqs()
    stream = poller(records(30), handler, sqs, maximum_retry_attempts=2)
    stream.run_until_idle()
    assert sorted(handler.done) == [n for n in range(30) if n != 14]  # the rest flows
    assert len(sqs.sent) == 1
    parked = sqs.sent[0]
    info = parked["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == f"{14:021d}"
    assert info["batchSize"] == 1 and info["streamArn"] == ARN and info["shardId"] == "shardId-1"
    assert parked["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert parked["requestContext"]["approximateInvokeCount"] == 3  # the first try + 2 retries
    assert stream.stats.records_parked == 1


def test_a_crash_bisects_and_retries_until_it_passes() -> None:
    handler, sqs = Recorder(raise_on=frozenset({5}), failures=2), FakeSqs()
    stream = poller(records(10), handler, sqs)
    stream.run_until_idle()
    assert handler.batches[0] == list(range(10))
    assert handler.batches[1] == list(range(5))  # bisected: first half first
    assert sorted(handler.done) == list(range(10)) and not sqs.sent
    assert stream.stats.function_errors == 2 and stream.stats.bisections >= 1


def test_without_bisect_the_whole_batch_is_retried_then_parked() -> None:
    handler, sqs = Recorder(raise_on=frozenset({3})), FakeSqs()
    poller(
        records(10), handler, sqs, bisect_batch_on_function_error=False, maximum_retry_attempts=1
    ).run_until_idle()
    assert handler.batches == [list(range(10))] * 2
    assert sqs.sent[0]["DDBStreamBatchInfo"]["batchSize"] == 10
    assert sqs.sent[0]["responseContext"]["functionError"] == "Unhandled"


def test_an_unknown_item_identifier_fails_the_whole_batch() -> None:
    calls: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": ""}]} if len(calls) == 1 else {}

    stream = StreamPoller(
        ARN,
        InProcessFunction(handler, name="fanout"),
        StreamMapping(10, 0, 2, False),
        "q",
        streams=FakeStreams(records(4)),
        sqs=FakeSqs(),
    )
    stream.run_until_idle()
    assert calls == [4, 4]


@pytest.mark.parametrize("window", [0.0, 60.0])
def test_the_batching_window_holds_a_partial_batch(window: float) -> None:
    handler = Recorder()
    stream = poller(records(3), handler, FakeSqs(), batching_window_seconds=window)
    stream.poll_once(flush=False)
    assert bool(handler.batches) == (window == 0.0)


# -- the SQS mapping -------------------------------------------------------------------


class FakeQueue:
    """A queue's receive/delete, enough for the SQS poller."""

    def __init__(self, bodies: list[str]):
        self.messages = [
            {
                "MessageId": f"id-{i}",
                "ReceiptHandle": f"rh-{i}",
                "Body": body,
                "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000"},
                "MessageAttributes": {"event_id": {"DataType": "String", "StringValue": f"e{i}"}},
                "MD5OfBody": "x",
            }
            for i, body in enumerate(bodies)
        ]
        self.deleted: list[str] = []

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        return {"QueueUrl": f"https://sqs/{QueueName}"}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        return {"Attributes": {"QueueArn": "arn:aws:sqs:eu-west-1:123456789012:q"}}

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        taken, self.messages = (
            self.messages[: kwargs["MaxNumberOfMessages"]],
            self.messages[kwargs["MaxNumberOfMessages"] :],
        )
        return {"Messages": taken}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.deleted.extend(e["ReceiptHandle"] for e in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def sqs_poller(queue: FakeQueue, handler: Any, batch_size: int = 10) -> Any:
    from local_platform.pollers.sqs import SqsMapping, SqsPoller

    return SqsPoller("q", InProcessFunction(handler, name="fn"), SqsMapping(batch_size=batch_size), sqs=queue)


def test_sqs_records_have_the_lambda_shape_and_only_failures_stay() -> None:
    queue = FakeQueue([f"b{i}" for i in range(12)])
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.extend(event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": "id-3"}]}

    poller = sqs_poller(queue, handler)
    assert poller.poll_once(wait_seconds=0) == 10  # the batch size, over one receive
    record = seen[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].startswith("arn:aws:sqs:")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["event_id"] == {
        "stringValue": "e0",
        "binaryValue": None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert sorted(queue.deleted) == sorted(f"rh-{i}" for i in range(10) if i != 3)


@pytest.mark.parametrize(
    "outcome",
    [RuntimeError("crash"), {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}],
)
def test_a_function_error_or_an_unknown_id_leaves_the_whole_batch(outcome: Any) -> None:
    queue = FakeQueue(["a", "b", "c"])

    def handler(event: dict[str, Any], context: Any) -> Any:
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    poller = sqs_poller(queue, handler)
    poller.poll_once(wait_seconds=0)
    assert queue.deleted == [] and poller.stats.messages_failed == 3


def test_a_parallelization_factor_runs_lanes_at_once_and_keeps_each_keys_order() -> None:
    import threading

    from local_platform.pollers.stream import _lane

    keyed = records(60)
    for i, record in enumerate(keyed):
        record["dynamodb"]["Keys"] = {"pk": {"S": f"key-{i % 6}"}}
        record["dynamodb"]["NewImage"] = {"pk": {"S": f"key-{i % 6}"}, "n": {"N": str(i)}}
    lanes = {_lane(r, 3) for r in keyed}
    assert len(lanes) >= 2, "the keys must spread over several lanes"
    # The first round's batches all wait for each other: they can only pass if they run at once.
    first_round = threading.Barrier(len(lanes))
    seen: list[tuple[str, int]] = []
    calls = [0]
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lock:
            calls[0] += 1
            first = calls[0] <= len(lanes)
        if first:
            first_round.wait(timeout=60)
        with lock:
            seen.extend(
                (r["dynamodb"]["Keys"]["pk"]["S"], int(r["dynamodb"]["NewImage"]["n"]["N"]))
                for r in event["Records"]
            )
        return {}

    stream = StreamPoller(
        ARN,
        InProcessFunction(handler, FunctionSpec("fanout", "h", {}, 60, concurrency=3)),
        StreamMapping(5, 0, 2, False, parallelization_factor=3),
        "q",
        streams=FakeStreams(keyed),
        sqs=FakeSqs(),
    )
    stream.run_until_idle()
    stream.stop()
    assert stream.stats.function_errors == 0  # no barrier broke: the lanes ran at once
    assert sorted(n for _, n in seen) == list(range(60))  # each record once
    for key in {k for k, _ in seen}:
        numbers = [n for k, n in seen if k == key]
        assert numbers == sorted(numbers), f"{key} out of order"

"""Replaying parked fan-out batches: empty stream pages, records that cannot be found, failed replays."""

from __future__ import annotations

import io
import json
from typing import Any

from scripts.redrive import parked_records, replay_stream_failures

ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"


def stream_record(sequence: int, event_name: str = "INSERT") -> dict[str, Any]:
    return {
        "eventID": f"e{sequence}",
        "eventName": event_name,
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1767225600,
            "SequenceNumber": f"{sequence:021d}",
            "Keys": {"pk": {"S": f"orders#{sequence}"}},
            "NewImage": {"pk": {"S": f"orders#{sequence}"}},
        },
    }


class PagedStream:
    """An open shard that answers `empty` empty pages first, then its records two per page."""

    def __init__(self, records: list[dict[str, Any]], empty: int):
        self.pages: list[list[dict[str, Any]]] = [[] for _ in range(empty)]
        self.pages += [records[i : i + 2] for i in range(0, len(records), 2)]
        self.reads = 0

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, str]:
        assert kwargs["ShardIteratorType"] == "AT_SEQUENCE_NUMBER"
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        self.reads += 1
        index = int(ShardIterator)
        page = self.pages[index] if index < len(self.pages) else []
        return {"Records": page, "NextShardIterator": str(index + 1)}  # an open shard never ends


def info(start: int, end: int) -> dict[str, Any]:
    return {
        "shardId": "shardId-1",
        "startSequenceNumber": f"{start:021d}",
        "endSequenceNumber": f"{end:021d}",
        "batchSize": end - start + 1,
        "streamArn": ARN,
    }


def test_empty_pages_before_the_records_do_not_end_the_read() -> None:
    stream = PagedStream([stream_record(i) for i in range(1, 8)], empty=5)
    records = parked_records(info(1, 5), stream, pause=0)
    assert [int(r["dynamodb"]["SequenceNumber"]) for r in records] == [1, 2, 3, 4, 5]
    assert all(r["eventSource"] == "aws:dynamodb" for r in records)


class OneParkedMessage:
    def __init__(self, body: dict[str, Any]):
        self.body = json.dumps({"DDBStreamBatchInfo": body})
        self.deleted: list[str] = []

    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        return {"QueueUrl": "q"}

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        return {"Messages": [{"MessageId": "m-1", "ReceiptHandle": "rh-1", "Body": self.body}]}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)

    def get_queue_attributes(self, **kwargs: Any) -> dict[str, Any]:
        visible = "0" if self.deleted else "1"
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": visible,
                "ApproximateNumberOfMessagesNotVisible": "0",
            }
        }


class Lambda:
    def __init__(self, payload: Any, function_error: bool = False):
        self.payload = payload
        self.function_error = function_error
        self.invocations: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.invocations.append(json.loads(kwargs["Payload"]))
        response: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": io.BytesIO(json.dumps(self.payload).encode()),
        }
        if self.function_error:
            response["FunctionError"] = "Unhandled"
        return response


def test_a_parked_batch_is_replayed_through_the_function_then_deleted() -> None:
    sqs, fanout = OneParkedMessage(info(1, 3)), Lambda({"batchItemFailures": []})
    stream = PagedStream([stream_record(i) for i in range(1, 5)], empty=2)
    report = replay_stream_failures(
        "failures", "p-dev-fanout", lambda_client=fanout, streams=stream, sqs=sqs, pause=0
    )
    assert (report.moved, report.failed, report.remaining) == (1, 0, 0)
    assert [len(i["Records"]) for i in fanout.invocations] == [3]
    assert sqs.deleted == ["rh-1"]


def test_records_that_cannot_be_found_keep_the_message_parked_and_say_so() -> None:
    sqs, fanout = OneParkedMessage(info(1, 9)), Lambda({})
    stream = PagedStream([stream_record(i) for i in range(1, 4)], empty=0)  # 4..9 never come
    report = replay_stream_failures(
        "failures", "p-dev-fanout", lambda_client=fanout, streams=stream, sqs=sqs, pause=0
    )
    assert (report.moved, report.failed) == (0, 1)
    assert sqs.deleted == [] and fanout.invocations == []
    [unreplayed] = report.unreplayed
    assert unreplayed.end_sequence_number == f"{9:021d}"
    assert "was not reached" in unreplayed.reason and "3 record(s) read" in unreplayed.reason


def test_a_replay_that_fails_again_stays_parked_with_the_error() -> None:
    sqs = OneParkedMessage(info(1, 2))
    fanout = Lambda({"errorType": "SqsUnavailable", "errorMessage": "still down"}, function_error=True)
    report = replay_stream_failures(
        "failures",
        "p-dev-fanout",
        lambda_client=fanout,
        streams=PagedStream([stream_record(1), stream_record(2)], 0),
        sqs=sqs,
        pause=0,
    )
    assert report.failed == 1 and sqs.deleted == []
    assert report.unreplayed[0].reason == "function error: SqsUnavailable: still down"

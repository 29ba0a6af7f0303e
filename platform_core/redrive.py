"""Moving dead letters back: a DLQ's messages to their source queue, a parked stream batch replayed.

The one implementation behind `python -m scripts.redrive` (its docstring says how
each works and why it loses nothing) and the console's redrive action.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from platform_core.aws import client
from platform_core.records import stream_record_for_lambda
from platform_core.resources import Resources

BATCH = 10


@dataclass
class RedriveReport:
    source: str
    dlq: str
    moved: int = 0
    failed: int = 0
    remaining: int = 0


def queue_pair(resources: Resources, queue: str) -> tuple[str, str]:
    """(source queue, its DLQ) by short name: a team, or `outbox`."""
    if queue == "outbox":
        return resources.outbox_queue, resources.outbox_dlq
    if queue in resources.config.sqs_subscriber_teams:
        return resources.team_queue(queue), resources.team_dlq(queue)
    known = ", ".join(("outbox", *resources.config.sqs_subscriber_teams))
    raise SystemExit(f"unknown queue {queue!r}; one of: {known}")


def redrive(
    source: str, dlq: str, limit: int | None = None, dry_run: bool = False, sqs: Any = None
) -> RedriveReport:
    sqs = sqs or client("sqs")
    source_url = sqs.get_queue_url(QueueName=source)["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=dlq)["QueueUrl"]
    report = RedriveReport(source, dlq)
    while not dry_run and (limit is None or report.moved + report.failed < limit):
        wanted = BATCH if limit is None else min(BATCH, limit - report.moved - report.failed)
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=wanted,
            # Long enough to send and delete; a failed send reappears in the DLQ after it.
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            break
        sent = sqs.send_message_batch(
            QueueUrl=source_url,
            Entries=[
                {"Id": str(i), "MessageBody": m["Body"], "MessageAttributes": m.get("MessageAttributes", {})}
                for i, m in enumerate(messages)
            ],
        )
        moved = [messages[int(entry["Id"])] for entry in sent.get("Successful", [])]
        report.failed += len(sent.get("Failed", []))
        if moved:
            sqs.delete_message_batch(
                QueueUrl=dlq_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(moved)],
            )
        report.moved += len(moved)
    attributes = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
    report.remaining = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    return report


FANOUT_FAILURES = "fanout-failures"
INSERT = "INSERT"
# DynamoDB Streams may answer empty pages before the records: how many in a row end the search.
MAX_EMPTY_PAGES = 50
EMPTY_PAGE_PAUSE_SECONDS = 0.2


@dataclass
class Unreplayed:
    """A parked batch that stays parked, and why."""

    message_id: str
    shard_id: str
    start_sequence_number: str
    end_sequence_number: str
    reason: str


@dataclass
class ReplayReport(RedriveReport):
    unreplayed: list[Unreplayed] = field(default_factory=list)


class IncompleteBatch(Exception):
    """The stream did not give back every record the parked batch names."""


def parked_records(
    info: dict[str, Any], streams: Any, pause: float = EMPTY_PAGE_PAUSE_SECONDS
) -> list[dict[str, Any]]:
    """The stream records of a parked batch, in the shape Lambda delivers them.

    IncompleteBatch when the last sequence number cannot be reached: the records expired from the
    stream (24 h), or pages stayed empty where records should be.
    """
    try:
        iterator = streams.get_shard_iterator(
            StreamArn=info["streamArn"],
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=info["startSequenceNumber"],
        )["ShardIterator"]
    except ClientError as exc:
        raise IncompleteBatch(f"the stream cannot be read there: {exc.response['Error']['Code']}") from exc
    end = int(info["endSequenceNumber"])
    region = info["streamArn"].split(":")[3]
    records: list[dict[str, Any]] = []
    empty = 0
    while iterator:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        page = response.get("Records", [])
        for record in page:
            sequence = int(record["dynamodb"]["SequenceNumber"])
            if sequence > end:
                return records
            if record.get("eventName") == INSERT:  # the mapping's filter
                records.append(stream_record_for_lambda(record, info["streamArn"], region))
            if sequence == end:
                return records
        empty = 0 if page else empty + 1
        if empty >= MAX_EMPTY_PAGES:
            break
        if not page:
            time.sleep(pause)
        iterator = response.get("NextShardIterator")
    found = f"{len(records)} record(s) read"
    raise IncompleteBatch(
        f"sequence number {info['endSequenceNumber']} was not reached ({found}; the shard ended or stayed empty)"
    )


def invoke_fanout(function_name: str, records: list[dict[str, Any]], lambda_client: Any) -> str | None:
    """Invoke the deployed fan-out with the records; None on success, else why it failed."""
    response = lambda_client.invoke(
        FunctionName=function_name,
        InvocationType="RequestResponse",
        Payload=json.dumps({"Records": records}).encode(),
    )
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        return f"function error: {payload.get('errorType')}: {payload.get('errorMessage')}"
    failures = (payload or {}).get("batchItemFailures") if isinstance(payload, dict) else None
    if failures:
        return f"{len(failures)} record(s) failed again (batchItemFailures)"
    return None


def replay_stream_failures(
    queue: str,
    function_name: str,
    *,
    lambda_client: Any = None,
    streams: Any = None,
    sqs: Any = None,
    pause: float = EMPTY_PAGE_PAUSE_SECONDS,
) -> ReplayReport:
    """Replay every parked stream batch of the on-failure queue through the deployed fan-out function."""
    sqs = sqs or client("sqs")
    streams = streams or client("dynamodbstreams")
    lambda_client = lambda_client or client("lambda")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    report = ReplayReport(source=function_name, dlq=queue)
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH, VisibilityTimeout=300).get(
            "Messages", []
        )
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            info = json.loads(message["Body"])["DDBStreamBatchInfo"]
            try:
                records = parked_records(info, streams, pause)
                failure = invoke_fanout(function_name, records, lambda_client) if records else None
            except IncompleteBatch as exc:
                failure = f"not every record could be found: {exc}"
            if failure is not None:
                report.failed += 1  # stays parked (visible again after the visibility timeout)
                report.unreplayed.append(
                    Unreplayed(
                        message["MessageId"],
                        info["shardId"],
                        info["startSequenceNumber"],
                        info["endSequenceNumber"],
                        failure,
                    )
                )
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            report.moved += 1
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    report.remaining = int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )
    return report

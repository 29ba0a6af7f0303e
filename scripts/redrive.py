"""Move messages from a dead-letter queue back to its source queue, after the cause is fixed.

    python -m scripts.redrive --env dev --queue orders      # the orders team's DLQ -> its queue
    python -m scripts.redrive --env dev --queue outbox      # the Kafka outbox DLQ -> the outbox
    python -m scripts.redrive --env dev --queue orders --dry-run
    python -m scripts.redrive --env dev --queue fanout-failures   # replay parked stream batches

Each message is sent to the source queue (body and message attributes
unchanged) before it is deleted from the DLQ, so a crash half-way loses
nothing: at worst a message is in both queues, and every consumer of the
platform is idempotent by event id. Running it again moves only what is still
in the DLQ. The counts are printed as JSON.

`fanout-failures` is different: the stream mapping's on-failure destination
holds the metadata of parked batches (shard, first and last sequence number),
not the events. Each one is replayed: the records are read back from the
stream (AT_SEQUENCE_NUMBER, within the stream's 24-hour retention) and given to
the fan-out handler; the parked message is deleted only when the handler
reports no failure, so a replay that fails again stays parked. The raw zone
stays exactly once (the replayed batch starts at the parked range's first
record, so it has the batch id of the attempts that failed on it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from lambdas.fanout import handler as fanout
from lambdas.fanout.service import FanoutService
from lambdas.fanout.sinks import RawZoneWriter, SqsSender
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.dependencies import hosted
from platform_core.lambda_context import LocalLambdaContext
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

Handler = Callable[[dict[str, Any], Any], Any]


def parked_records(info: dict[str, Any], streams: Any) -> list[dict[str, Any]]:
    """The stream records of a parked batch, in the shape Lambda delivers them."""
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    region = info["streamArn"].split(":")[3]
    records: list[dict[str, Any]] = []
    while iterator:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        for record in response.get("Records", []):
            if int(record["dynamodb"]["SequenceNumber"]) > end:
                return records
            if record.get("eventName") == INSERT:  # the mapping's filter
                records.append(stream_record_for_lambda(record, info["streamArn"], region))
        if not response.get("Records"):
            break  # the end of an open shard
        iterator = response.get("NextShardIterator")
    return records


def replay_stream_failures(
    queue: str, handler: Handler, streams: Any = None, sqs: Any = None
) -> RedriveReport:
    """Replay every parked stream batch of the on-failure queue through the fan-out handler."""
    sqs = sqs or client("sqs")
    streams = streams or client("dynamodbstreams")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    report = RedriveReport(source="fanout", dlq=queue)
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
            records = parked_records(info, streams)
            try:
                response = (
                    handler({"Records": records}, LocalLambdaContext("fanout-replay")) if records else {}
                )
                failed = bool((response or {}).get("batchItemFailures"))
            except Exception:
                failed = True
            if failed:
                report.failed += 1  # stays parked (visible again after the visibility timeout)
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


def fanout_handler(resources: Resources) -> Handler:
    """The fan-out handler over these resources, run in this process with the caller's credentials."""
    service = FanoutService(
        resources.config,
        resources.env,
        SqsSender(client("sqs")),
        RawZoneWriter(client("s3"), resources.raw_bucket),
    )
    return hosted(fanout.lambda_handler, {fanout.fanout_service: service})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--queue", required=True, help=f"a subscribing team, outbox, or {FANOUT_FAILURES}")
    parser.add_argument("--account-id", help="the AWS account id bucket names end with (not locally)")
    parser.add_argument("--max", type=int, default=None, help="move at most this many messages")
    parser.add_argument(
        "--dry-run", action="store_true", help="only report how many messages wait in the DLQ"
    )
    args = parser.parse_args(argv)
    resources = Resources(get_config(), args.env, args.account_id)
    if args.queue == FANOUT_FAILURES:
        report = replay_stream_failures(resources.fanout_failure_queue, fanout_handler(resources))
    else:
        source, dlq = queue_pair(resources, args.queue)
        report = redrive(source, dlq, args.max, args.dry_run)
    json.dump(asdict(report), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

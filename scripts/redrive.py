"""Move messages from a dead-letter queue back to its source queue, after the cause is fixed.

    python -m scripts.redrive --env dev --queue orders      # the orders team's DLQ -> its queue
    python -m scripts.redrive --env dev --queue outbox      # the Kafka outbox DLQ -> the outbox
    python -m scripts.redrive --env dev --queue orders --dry-run

Each message is sent to the source queue (body and message attributes
unchanged) before it is deleted from the DLQ, so a crash half-way loses
nothing: at worst a message is in both queues, and every consumer of the
platform is idempotent by event id. Running it again moves only what is still
in the DLQ. The counts are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from lambdas.shared.aws import client
from lambdas.shared.config import get_config
from local_platform.resources import Resources

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--queue", required=True, help="a subscribing team, or outbox")
    parser.add_argument("--max", type=int, default=None, help="move at most this many messages")
    parser.add_argument(
        "--dry-run", action="store_true", help="only report how many messages wait in the DLQ"
    )
    args = parser.parse_args(argv)
    source, dlq = queue_pair(Resources(get_config(), args.env), args.queue)
    report = redrive(source, dlq, args.max, args.dry_run)
    json.dump(asdict(report), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

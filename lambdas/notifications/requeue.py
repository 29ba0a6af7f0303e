"""Putting a message back on its queue until a delivery is due, without spending its receive count.

A delivery that waits (a retry hours away, quiet hours, a rate limit, an open breaker) is
recorded in the ledger with its time; the message that carries it is sent again with SQS's
delay (at most 15 minutes, so a longer wait takes several hops) and the received copy is
acknowledged. When it comes back early it is simply sent on again. A message waiting longer
than its queue keeps messages fails instead, so nothing waits forever unseen.
"""

from __future__ import annotations

import time
from typing import Any

MAX_DELAY_SECONDS = 900  # SQS's maximum DelaySeconds
WAITING_SINCE = "waiting_since"


class WaitedTooLong(Exception):
    """A message put back for longer than its queue would keep it: it fails, towards the DLQ."""


class Requeue:
    def __init__(self, sqs: Any, max_wait_seconds: float, clock: Any = time.time):
        self._sqs = sqs
        self._max_wait = max_wait_seconds
        self._clock = clock
        self._urls: dict[str, str] = {}

    def _queue_url(self, arn: str) -> str:
        if arn not in self._urls:
            _, _, _, _, account, name = arn.split(":", 5)
            self._urls[arn] = str(
                self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            )
        return self._urls[arn]

    def until(self, record: dict[str, Any], due_at: float) -> int:
        """Send the record's message again to arrive at `due_at` (or 15 minutes from now); the delay used."""
        attributes = {
            name: {"DataType": value["dataType"], "StringValue": value["stringValue"]}
            for name, value in (record.get("messageAttributes") or {}).items()
            if value.get("stringValue") is not None
        }
        now = self._clock()
        since = float(attributes.get(WAITING_SINCE, {}).get("StringValue") or now)
        if now - since > self._max_wait:
            raise WaitedTooLong(f"message {record.get('messageId')} waiting since {since:.0f}, for too long")
        attributes[WAITING_SINCE] = {"DataType": "Number", "StringValue": f"{since:.0f}"}
        delay = max(1, min(MAX_DELAY_SECONDS, round(due_at - now)))
        self._sqs.send_message(
            QueueUrl=self._queue_url(record["eventSourceARN"]),
            MessageBody=record["body"],
            DelaySeconds=delay,
            MessageAttributes=attributes,
        )
        return delay

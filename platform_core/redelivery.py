"""Putting an SQS message back on its queue for later, without spending its receive count.

Failing a message would bring it back after the visibility timeout, but every receive counts
towards the queue's maxReceiveCount: an outage or a wait longer than a few receives would park
valid messages in the DLQ. A message put back is sent again (same body and attributes, with
SQS's delay: at most 15 minutes, so a longer wait takes several hops) and the received copy is
acknowledged by its handler. The attribute `deferred_since` remembers when it was first put
back; a message waiting longer than its queue keeps messages fails instead, so nothing waits
forever unseen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

MAX_DELAY_SECONDS = 900  # SQS's maximum DelaySeconds
DEFERRED_SINCE = "deferred_since"


class WaitedTooLong(Exception):
    """A message put back for longer than its queue would keep it: it fails, towards the DLQ."""


class Redelivery:
    def __init__(self, sqs: Any, max_wait_seconds: float, clock: Callable[[], float] = time.time):
        """`max_wait_seconds`: the queue's message retention (config/platform.yaml `sqs`)."""
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

    def later(self, record: dict[str, Any], delay_seconds: float) -> int:
        """Send the SQS record's message again, `delay_seconds` from now (1 to 900); the delay used."""
        attributes = {
            name: {"DataType": value["dataType"], "StringValue": value["stringValue"]}
            for name, value in (record.get("messageAttributes") or {}).items()
            if value.get("stringValue") is not None
        }
        now = self._clock()
        since = float(attributes.get(DEFERRED_SINCE, {}).get("StringValue") or now)
        if now - since > self._max_wait:
            raise WaitedTooLong(f"message {record.get('messageId')} put back since {since:.0f}, for too long")
        attributes[DEFERRED_SINCE] = {"DataType": "Number", "StringValue": f"{since:.0f}"}
        delay = max(1, min(MAX_DELAY_SECONDS, round(delay_seconds)))
        self._sqs.send_message(
            QueueUrl=self._queue_url(record["eventSourceARN"]),
            MessageBody=record["body"],
            DelaySeconds=delay,
            MessageAttributes=attributes,
        )
        return delay

    def until(self, record: dict[str, Any], due_at: float) -> int:
        """Send the record's message again to arrive at `due_at` (a timestamp), or in 15 minutes if later."""
        return self.later(record, due_at - self._clock())

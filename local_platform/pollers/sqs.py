"""The SQS -> Lambda event source mapping, as AWS documents it.

- Receives up to BatchSize messages (10 per ReceiveMessage call) with all
  attributes, gathering for at most the batching window
  (MaximumBatchingWindowInSeconds), and invokes the function with the SQS
  event shape Lambda sends.
- Scales like the managed pollers: up to `concurrency` batches in flight at
  once (the mapping's maximum concurrency, at most the function's reserved
  concurrency); each waits for a free execution environment rather than being
  throttled.
- The handler's answer: no batchItemFailures -> every message is deleted;
  failures -> all but those are deleted; a failure naming no message of the
  batch, or an exception, leaves the whole batch on the queue.
- A message left on the queue comes back after the queue's visibility
  timeout; SQS itself (the queue's redrive policy, maxReceiveCount) moves a
  message that keeps coming back to the DLQ. Nothing here decides that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_platform.functions.spec import Function
from local_platform.pollers.background import BackgroundPoller
from platform_core.aws import client
from platform_core.config import Batch, PlatformConfig

log = logging.getLogger(__name__)

RECEIVE_MAX = 10


@dataclass(frozen=True)
class SqsMapping:
    batch_size: int
    batching_window_seconds: float = 0.0
    concurrency: int = 1  # batches in flight at once
    wait_seconds: int = 1  # long polling, as the managed poller does

    @classmethod
    def from_config(cls, config: PlatformConfig) -> SqsMapping:
        """The Kafka outbox's mapping (the bridge's settings in Terraform)."""
        return cls(batch_size=config.sqs.consumer_batch_size)

    @classmethod
    def from_batch(cls, batch: Batch, concurrency: int) -> SqsMapping:
        """A declared service's mapping: its `batch` and its concurrency."""
        return cls(batch.size, batch.window_seconds, concurrency)


@dataclass
class SqsStats:
    invocations: int = 0
    messages_received: int = 0
    messages_deleted: int = 0
    messages_failed: int = 0
    function_errors: int = 0


class SqsPoller(BackgroundPoller):
    """A platform component: polls one queue and invokes one handler."""

    def __init__(
        self,
        queue_name: str,
        function: Function,
        mapping: SqsMapping,
        *,
        region: str = "eu-west-1",
        name: str | None = None,
        sqs: Any = None,
    ):
        self.name = name or f"{function.spec.name}-sqs-poller"
        self._queue = queue_name
        self._function = function
        self._mapping = mapping
        self._region = region
        self._sqs = sqs or client("sqs")
        self._stats_lock = threading.Lock()
        self._url = self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self._arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        super().__init__(loops=mapping.concurrency)
        self.stats = SqsStats()

    @property
    def queue_url(self) -> str:
        return self._url

    def status(self) -> dict[str, Any]:
        return {
            "queue": self._queue,
            "function": self._function.spec.name,
            "running": self.running,
            "queue_depth": self.queue_depth(),
            **self.stats.__dict__,
        }

    def queue_depth(self) -> dict[str, int]:
        """Messages waiting, in flight and delayed (a consumer's deferred work, e.g. orders waiting out an
        ERP outage), as CloudWatch's ApproximateNumberOfMessages* say."""
        try:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self._url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
        except Exception:  # status must answer even when the endpoint does not
            return {}
        return {
            "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
        }

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once(self._mapping.wait_seconds, window=True)
            except Exception:
                log.exception("SQS poller %s failed a pass", self.name)
                self._stopping.wait(1)

    def run_until_idle(self, timeout: float = 120.0, empty_polls: int = 2) -> None:
        """Invoke until the queue answers empty `empty_polls` times in a row (tests, demo steps)."""
        deadline = time.monotonic() + timeout
        empty = 0
        while empty < empty_polls:
            empty = 0 if self.poll_once(wait_seconds=0) else empty + 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: queue not drained within {timeout}s")

    def poll_once(self, wait_seconds: int, window: bool = False) -> int:
        """Receive one batch and invoke the function with it; the number of messages received.

        window: gather for up to the batching window (the background loop); tests and demo steps
        take what is there.
        """
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + (self._mapping.batching_window_seconds if window else 0)
        while len(messages) < self._mapping.batch_size:
            response = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(RECEIVE_MAX, self._mapping.batch_size - len(messages)),
                WaitTimeSeconds=wait_seconds if not messages else 0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            messages.extend(received)
            if len(received) < RECEIVE_MAX and time.monotonic() >= deadline:
                break
            if not received:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        if not messages:
            return 0
        self._add(messages_received=len(messages))
        self._invoke(messages)
        return len(messages)

    def _add(self, **counts: int) -> None:
        with self._stats_lock:
            for name, count in counts.items():
                setattr(self.stats, name, getattr(self.stats, name) + count)

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        self._add(invocations=1)
        invocation = self._function.invoke({"Records": [self._lambda_record(m) for m in messages]})
        if invocation.failed:
            self._add(function_errors=1, messages_failed=len(messages))
            log.warning(
                "%s: function error (%s: %s); %d messages stay on the queue",
                self.name,
                invocation.error_type,
                invocation.error_message,
                len(messages),
            )
            return
        response = invocation.payload
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        ids = {m["MessageId"] for m in messages}
        failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures or []}
        if not failed <= ids:
            self._add(messages_failed=len(messages))
            return
        self._add(messages_failed=len(failed))
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), RECEIVE_MAX):
            chunk = done[start : start + RECEIVE_MAX]
            result = self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
            self._add(messages_deleted=len(result.get("Successful", [])))

    def _lambda_record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """A ReceiveMessage message in the shape Lambda delivers it."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "md5OfMessageAttributes": message.get("MD5OfMessageAttributes"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._region,
        }

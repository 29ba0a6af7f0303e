"""The SQS -> Lambda event source mapping, as AWS documents it.

- Receives up to BatchSize messages (10 per ReceiveMessage call) with all
  attributes, and invokes the handler with the SQS event shape Lambda sends.
- The handler's answer: no batchItemFailures -> every message is deleted;
  failures -> all but those are deleted; a failure naming no message of the
  batch, or an exception, leaves the whole batch on the queue.
- A message left on the queue comes back after the queue's visibility
  timeout; SQS itself (the queue's redrive policy, maxReceiveCount) moves a
  message that keeps coming back to the DLQ. Nothing here decides that.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from local_platform.pollers.background import BackgroundPoller
from platform_core.aws import client
from platform_core.config import PlatformConfig
from platform_core.lambda_context import LocalLambdaContext

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], Any], Any]
RECEIVE_MAX = 10


@dataclass(frozen=True)
class SqsMapping:
    batch_size: int
    wait_seconds: int = 1  # long polling, as the managed poller does

    @classmethod
    def from_config(cls, config: PlatformConfig) -> SqsMapping:
        return cls(batch_size=config.sqs.consumer_batch_size)


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
        handler: Handler,
        mapping: SqsMapping,
        function_name: str,
        region: str = "eu-west-1",
        name: str | None = None,
        sqs: Any = None,
    ):
        self.name = name or f"{function_name}-sqs-poller"
        self._queue = queue_name
        self._handler = handler
        self._mapping = mapping
        self._function = function_name
        self._region = region
        self._sqs = sqs or client("sqs")
        self._url = self._sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        self._arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        super().__init__()
        self.stats = SqsStats()

    @property
    def queue_url(self) -> str:
        return self._url

    def status(self) -> dict[str, Any]:
        return {
            "queue": self._queue,
            "running": self.running,
            **self.stats.__dict__,
        }

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once(self._mapping.wait_seconds)
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

    def poll_once(self, wait_seconds: int) -> int:
        """Receive one batch and invoke the handler with it; the number of messages received."""
        messages: list[dict[str, Any]] = []
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
            if len(received) < RECEIVE_MAX:
                break
        if not messages:
            return 0
        self.stats.messages_received += len(messages)
        self._invoke(messages)
        return len(messages)

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        self.stats.invocations += 1
        event = {"Records": [self._lambda_record(m) for m in messages]}
        try:
            response = self._handler(event, LocalLambdaContext(self._function, region=self._region))
        except Exception:
            self.stats.function_errors += 1
            self.stats.messages_failed += len(messages)
            log.warning("%s: function error; %d messages stay on the queue", self.name, len(messages))
            return
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        ids = {m["MessageId"] for m in messages}
        failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures or []}
        if not failed <= ids:
            self.stats.messages_failed += len(messages)
            return
        self.stats.messages_failed += len(failed)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), RECEIVE_MAX):
            chunk = done[start : start + RECEIVE_MAX]
            result = self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
            self.stats.messages_deleted += len(result.get("Successful", []))

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

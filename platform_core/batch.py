"""Powertools' BatchProcessor for functions whose work spans the whole batch.

The fan-out sends one SendMessageBatch per queue for all the records of a
stream batch, and the Kafka bridge flushes its producer once per batch: the work
is done once, for every record, and only then is each record's fate known. A
`WholeBatchProcessor` runs `work(records)` once (it returns why each failed
record failed, by record key), then reports the records one by one through its
record handler `report`, so Powertools builds the partial batch response (and
raises when every record failed, a function error) exactly as for per-record
work:

    processor = WholeBatchProcessor(EventType.SQS, deliver, key=message_id)

    def lambda_handler(event, context):
        return process_partial_response(
            event=event, record_handler=processor.report, processor=processor, context=context
        )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.common import DictWrapper

Record = dict[str, Any]
Work = Callable[[Sequence[Record]], Mapping[str, str]]


class RecordFailed(Exception):
    """A record the batch's work could not complete: the event source delivers it again."""


class WholeBatchProcessor(BatchProcessor):
    def __init__(self, event_type: EventType, work: Work, key: Callable[[Record], str]):
        super().__init__(event_type=event_type)
        self._work = work
        self._key = key
        self.failures: Mapping[str, str] = {}  # record key -> why it failed, for the current batch

    def process(self) -> list[tuple]:
        self.failures = self._work(self.records)
        return super().process()

    def report(self, record: DictWrapper) -> None:
        """The record handler: raises for a record the work could not complete."""
        reason = self.failures.get(self._key(record.raw_event))
        if reason is not None:
            raise RecordFailed(reason)


def message_id(record: Record) -> str:
    """The key of an SQS record."""
    return str(record["messageId"])


def sequence_number(record: Record) -> str:
    """The key of a DynamoDB stream record (its position in the shard)."""
    return str((record.get("dynamodb") or {}).get("SequenceNumber"))

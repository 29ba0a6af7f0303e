"""Fan-out Lambda: DynamoDB stream (INSERT) -> team SQS queues, Kafka outbox, S3 raw zone.

The work is service.py's, once per stream batch (its sends are batched per
queue across records). Powertools' BatchProcessor then turns the outcome into
the partial batch response: every record from the first failed one on is
reported failed (the stream checkpoints at the lowest failed sequence number);
when every record failed it raises, which is a function error, so the event
source mapping bisects the batch and, past the retry limit, parks it in the
on-failure destination.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.fanout.service import INSERT, FanoutResult, FanoutService
from lambdas.fanout.settings import FanoutSettings
from platform_core.batch import WholeBatchProcessor, sequence_number
from platform_core.dependencies import Provider
from platform_core.events_table import image_string
from platform_core.observability import emit_counts, service_observability

observability = service_observability("fanout")
logger, tracer = observability.logger, observability.tracer


@Provider
def fanout_service() -> FanoutService:
    """The execution environment's service, over the queues and the raw zone its settings name."""
    return FanoutService.from_settings(FanoutSettings.from_environment())


def fan_out(records: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Fan one stream batch out; sequence number -> why, for each record the stream must deliver again."""
    # One stream batch spans many requests: the batch's first record names it in the
    # batch-level logs; the per-request lines carry each request's own correlation id.
    batch_name = str(records[0].get("eventID", "")) if records else None
    logger.set_correlation_id(batch_name)
    service = fanout_service()
    result = service.process(records)
    report_metrics(result, service.metrics_namespace)
    log_by_correlation(records, result)
    logger.set_correlation_id(batch_name)
    return {
        sequence_number(record): result.errors.get(index, "after the first failed record of the batch")
        for index, record in enumerate(records)
        if index >= result.committed
    }


processor = WholeBatchProcessor(EventType.DynamoDBStreams, fan_out, key=sequence_number)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=processor.report, processor=processor, context=context
        )
    )


def report_metrics(result: FanoutResult, namespace: str) -> None:
    emit_counts(
        namespace,
        {
            "StreamRecords": result.records,
            "EventsFannedOut": result.archived,
            "MessagesSent": result.messages,
            "RawObjectsWritten": len(result.raw_objects),
            "RecordsToRetry": result.records - result.committed,
        },
        service="fanout",
    )


def _image_string(record: Mapping[str, Any], attribute: str) -> str:
    return image_string((record.get("dynamodb") or {}).get("NewImage", {}), attribute)


def log_by_correlation(records: Sequence[Mapping[str, Any]], result: FanoutResult) -> None:
    """One log line per correlation id of the batch, carrying that id, so a request can be followed.

    Read from the item's own attributes (the events-table contract), not by parsing the
    envelope again. One line per correlation id rather than per record: a stream batch
    holds whole API requests, and CloudWatch Logs bills every byte ingested.
    """
    fanned_out: dict[str, list[str]] = defaultdict(list)
    for record in records[: result.committed]:
        if record.get("eventName") == INSERT:
            fanned_out[_image_string(record, "correlation_id")].append(_image_string(record, "event_id"))
    for correlation_id, event_ids in fanned_out.items():
        logger.set_correlation_id(correlation_id or None)
        logger.info("events fanned out", extra={"event_ids": event_ids})
    for position, reason in sorted(result.errors.items()):
        logger.set_correlation_id(_image_string(records[position], "correlation_id") or None)
        logger.warning(
            "stream record failed",
            extra={
                "record_index": position,
                "event_id": _image_string(records[position], "event_id"),
                "reason": reason,
            },
        )

"""Fan-out Lambda: DynamoDB stream (INSERT) -> team SQS queues, Kafka outbox, S3 raw zone.

Thin: the work is in service.py. Powertools' BatchProcessor turns the
outcome into the partial batch response (the sequence numbers to retry); when
every record failed it raises, which is a function error, so the event source
mapping bisects the batch and, past the retry limit, parks it in the on-failure
destination.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.fanout.service import INSERT, FanoutResult, FanoutService
from lambdas.fanout.sinks import RawZoneWriter, SqsSender
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.events_table import image_string
from platform_core.settings import platform_env, required_env

logger = Logger(service="fanout")
tracer = Tracer(service="fanout")

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


@cache
def default_service() -> FanoutService:
    return FanoutService(
        get_config(),
        platform_env(),
        SqsSender(client("sqs")),
        RawZoneWriter(client("s3"), required_env("RAW_BUCKET")),
    )


class RecordFailed(Exception):
    pass


def build_handler(service: Callable[[], FanoutService]) -> Handler:
    """The Lambda entry point over a service (tests and the local runtime inject their own)."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        records = event.get("Records", [])
        # One stream batch spans many requests: the batch's first record names it in the
        # batch-level logs; the per-request lines carry each request's own correlation id.
        batch_name = str(records[0].get("eventID", "")) if records else None
        logger.set_correlation_id(batch_name)
        fanout = service()
        result = fanout.process(records)
        _report(result, fanout.metrics_namespace)
        _log_by_correlation(records, result)
        logger.set_correlation_id(batch_name)
        index = {str(r.get("dynamodb", {}).get("SequenceNumber")): i for i, r in enumerate(records)}
        failed_from = result.records if result.failed_from is None else result.failed_from

        def record_handler(record: DynamoDBRecord) -> None:
            position = index[str(record.dynamodb.sequence_number if record.dynamodb else None)]
            if position >= failed_from:
                raise RecordFailed(result.errors.get(position, "after the first failed record of the batch"))

        processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return handler


def _report(result: FanoutResult, namespace: str) -> None:
    # EphemeralMetrics: no state shared with other handlers of the same process (the local runtime).
    metrics = EphemeralMetrics(namespace=namespace, service="fanout")
    metrics.add_metric(name="StreamRecords", unit=MetricUnit.Count, value=result.records)
    metrics.add_metric(name="EventsFannedOut", unit=MetricUnit.Count, value=result.archived)
    metrics.add_metric(name="MessagesSent", unit=MetricUnit.Count, value=result.messages)
    metrics.add_metric(name="RawObjectsWritten", unit=MetricUnit.Count, value=len(result.raw_objects))
    metrics.add_metric(name="RecordsToRetry", unit=MetricUnit.Count, value=result.records - result.committed)
    metrics.flush_metrics()


def _image_string(record: Mapping[str, Any], attribute: str) -> str:
    return image_string((record.get("dynamodb") or {}).get("NewImage", {}), attribute)


def _log_by_correlation(records: Sequence[Mapping[str, Any]], result: FanoutResult) -> None:
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


lambda_handler = build_handler(default_service)

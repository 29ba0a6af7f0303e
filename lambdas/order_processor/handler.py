"""The orders team's order processor: its SQS queue (batches of 10) -> the order state machine.

Thin: service.py and orders.py do the work. Each message that fails is
reported alone (partial batch response); the others are deleted. A message
that keeps failing reaches the team's DLQ through the queue's maxReceiveCount.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.order_processor.orders import NotYet, Rejected
from lambdas.order_processor.service import OrderProcessor
from lambdas.order_processor.store import Conflict, DynamoOrderStore
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.settings import required_env

logger = Logger(service="order-processor")
tracer = Tracer(service="order-processor")

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


@cache
def default_processor() -> OrderProcessor:
    return OrderProcessor(
        DynamoOrderStore(client("dynamodb"), required_env("TABLE_STATE")), get_config().project
    )


def build_handler(processor: Callable[[], OrderProcessor]) -> Handler:
    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        current = processor()
        metrics = EphemeralMetrics(namespace=current.metrics_namespace, service="order-processor")

        def record_handler(record: SQSRecord) -> None:
            correlation = (
                record.raw_event.get("messageAttributes", {}).get("correlation_id", {}).get("stringValue")
            )
            logger.set_correlation_id(correlation)
            try:
                outcome = current.handle(record.body)
            except (NotYet, Conflict) as exc:
                metrics.add_metric(name="OrderEventsDeferred", unit=MetricUnit.Count, value=1)
                logger.info(
                    "order event deferred", extra={"message_id": record.message_id, "reason": str(exc)}
                )
                raise
            except Rejected as exc:
                metrics.add_metric(name="OrderEventsRejected", unit=MetricUnit.Count, value=1)
                logger.error(
                    "order event rejected",
                    extra={
                        "message_id": record.message_id,
                        "receive_count": record.attributes.approximate_receive_count,
                        "reason": str(exc),
                    },
                )
                raise
            metrics.add_metric(name="OrderEventsApplied", unit=MetricUnit.Count, value=1)
            logger.info("order event applied", extra={"message_id": record.message_id, "outcome": outcome})

        processor_ = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        response = dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor_, context=context
            )
        )
        if metrics.metric_set:
            metrics.flush_metrics()
        return response

    return handler


lambda_handler = build_handler(default_processor)

"""Kafka bridge Lambda: the SQS Kafka outbox -> Kafka topics.

Thin: bridge.py and producer.py do the work. Only the messages Kafka did not
acknowledge are reported as batch item failures; they come back after the
visibility timeout and, past maxReceiveCount, the outbox's redrive policy
parks them in its DLQ.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.kafka_bridge.bridge import Bridge
from lambdas.kafka_bridge.producer import DEFAULT_DELIVERY_TIMEOUT_MS, KafkaPublisher
from lambdas.kafka_bridge.settings import KafkaSettings
from lambdas.shared.config import get_config
from lambdas.shared.registry import get_registry
from lambdas.shared.settings import platform_env

logger = Logger(service="kafka-bridge")
tracer = Tracer(service="kafka-bridge")

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class NotDelivered(Exception):
    pass


@cache
def default_bridge() -> Bridge:
    timeout_ms = int(os.environ.get("KAFKA_DELIVERY_TIMEOUT_MS", DEFAULT_DELIVERY_TIMEOUT_MS))
    return Bridge(
        get_config().project,
        platform_env(),
        get_registry(),
        KafkaPublisher(KafkaSettings.from_env(), timeout_ms),
    )


def build_handler(bridge: Callable[[], Bridge]) -> Handler:
    """The Lambda entry point over a bridge (tests and the local runtime inject their own)."""

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        records = event.get("Records", [])
        current = bridge()
        outcome = current.process(records)
        failed = sum(error is not None for error in outcome.values())
        metrics = EphemeralMetrics(namespace=current.metrics_namespace, service="kafka-bridge")
        metrics.add_metric(name="MessagesProduced", unit=MetricUnit.Count, value=len(outcome) - failed)
        metrics.add_metric(name="MessagesNotProduced", unit=MetricUnit.Count, value=failed)
        metrics.flush_metrics()

        def record_handler(record: SQSRecord) -> None:
            error = outcome[record.message_id]
            if error is not None:
                correlation = (
                    record.raw_event.get("messageAttributes", {}).get("correlation_id", {}).get("stringValue")
                )
                logger.warning(
                    "outbox message not produced",
                    extra={
                        "message_id": record.message_id,
                        "correlation_id": correlation,
                        "reason": error,
                    },
                )
                raise NotDelivered(error)

        processor = BatchProcessor(event_type=EventType.SQS)
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return handler


lambda_handler = build_handler(default_bridge)

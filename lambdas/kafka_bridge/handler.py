"""Kafka bridge Lambda: the SQS Kafka outbox -> Kafka topics.

Thin: bridge.py and producer.py do the work. Only the messages Kafka did not
acknowledge are reported as batch item failures; they come back after the
visibility timeout and, past maxReceiveCount, the outbox's redrive policy
parks them in its DLQ.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.kafka_bridge.bridge import Bridge
from lambdas.kafka_bridge.producer import DEFAULT_DELIVERY_TIMEOUT_MS, KafkaPublisher
from platform_core.config import get_config
from platform_core.kafka import KafkaConnection
from platform_core.registry import get_registry
from platform_core.settings import platform_env

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
        KafkaPublisher(KafkaConnection.from_env(), timeout_ms),
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
        _log_produced(records, outcome)

        def record_handler(record: SQSRecord) -> None:
            error = outcome[record.message_id]
            if error is not None:
                logger.set_correlation_id(_attribute(record.raw_event, "correlation_id") or None)
                logger.warning(
                    "outbox message not produced",
                    extra={
                        "message_id": record.message_id,
                        "event_id": _attribute(record.raw_event, "event_id"),
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


def _attribute(record: Mapping[str, Any], name: str) -> str:
    """A string message attribute the fan-out set (team, event_type, event_id, correlation_id)."""
    return str(record.get("messageAttributes", {}).get(name, {}).get("stringValue") or "")


def _log_produced(records: Sequence[Mapping[str, Any]], outcome: Mapping[str, str | None]) -> None:
    """One log line per correlation id of what Kafka acknowledged, carrying that id (see the fan-out)."""
    produced: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if outcome.get(record["messageId"], "") is None:
            produced[_attribute(record, "correlation_id")].append(_attribute(record, "event_id"))
    for correlation_id, event_ids in produced.items():
        logger.set_correlation_id(correlation_id or None)
        logger.info("outbox messages produced", extra={"event_ids": event_ids})


lambda_handler = build_handler(default_bridge)

"""Kafka bridge Lambda: the SQS Kafka outbox -> Kafka topics.

The work is bridge.py's, once per batch (the producer flushes once for all its
messages). Powertools' BatchProcessor then reports only the messages Kafka did
not acknowledge as batch item failures; they come back after the visibility
timeout and, past maxReceiveCount, the outbox's redrive policy parks them in
its DLQ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.kafka_bridge.bridge import Bridge
from lambdas.kafka_bridge.settings import KafkaBridgeSettings
from platform_core.batch import WholeBatchProcessor, message_id
from platform_core.dependencies import Provider
from platform_core.observability import emit_counts, service_observability

observability = service_observability("kafka-bridge")
logger, tracer = observability.logger, observability.tracer


@Provider
def kafka_bridge() -> Bridge:
    """The execution environment's bridge, with one producer kept across invocations."""
    return Bridge.from_settings(KafkaBridgeSettings.from_environment())


def deliver(records: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Produce one outbox batch; message id -> why, for each message Kafka did not acknowledge."""
    bridge = kafka_bridge()
    outcome = bridge.process(records)
    failed = {message: error for message, error in outcome.items() if error is not None}
    emit_counts(
        bridge.metrics_namespace,
        {"MessagesProduced": len(outcome) - len(failed), "MessagesNotProduced": len(failed)},
        service="kafka-bridge",
    )
    log_outcome(records, failed)
    return failed


processor = WholeBatchProcessor(EventType.SQS, deliver, key=message_id)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=processor.report, processor=processor, context=context
        )
    )


def _attribute(record: Mapping[str, Any], name: str) -> str:
    """A string message attribute the fan-out set (team, event_type, event_id, correlation_id)."""
    return str(record.get("messageAttributes", {}).get(name, {}).get("stringValue") or "")


def log_outcome(records: Sequence[Mapping[str, Any]], failed: Mapping[str, str]) -> None:
    """One line per correlation id of what Kafka acknowledged, one per message it did not, each with its id."""
    produced: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if record["messageId"] not in failed:
            produced[_attribute(record, "correlation_id")].append(_attribute(record, "event_id"))
    for correlation_id, event_ids in produced.items():
        logger.set_correlation_id(correlation_id or None)
        logger.info("outbox messages produced", extra={"event_ids": event_ids})
    for record in records:
        if record["messageId"] in failed:
            logger.set_correlation_id(_attribute(record, "correlation_id") or None)
            logger.warning(
                "outbox message not produced",
                extra={
                    "message_id": record["messageId"],
                    "event_id": _attribute(record, "event_id"),
                    "reason": failed[record["messageId"]],
                },
            )

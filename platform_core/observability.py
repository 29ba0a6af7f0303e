"""Logger, Tracer and Metrics of a function, built one way for every function of the platform.

Powertools reads POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE,
which Terraform and the local runtime set from the function's declaration, so
these module-level objects are the function's own. The correlation id that
follows an event end to end travels as the `correlation_id` SQS message
attribute and Kafka header (platform_core.records); handlers put it on every
log line with `logger.set_correlation_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()

__all__ = ["MetricUnit", "logger", "metrics", "sqs_correlation_id", "tracer"]


def sqs_correlation_id(record: Mapping[str, Any]) -> str | None:
    """The correlation id a platform SQS message carries (a raw SQS record as Lambda delivers it)."""
    attribute = (record.get("messageAttributes") or {}).get("correlation_id") or {}
    value = attribute.get("stringValue")
    return str(value) if value else None

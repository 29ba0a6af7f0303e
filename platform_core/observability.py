"""Logs, traces, metrics and the correlation id: one way for every function of the platform.

A function imports `logger`, `tracer` and `metrics` from here: Powertools reads
POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE, which Terraform and the
local runtime set from the function's declaration, so these module-level objects
are the function's own. The platform's own functions (ingest, fan-out, Kafka
bridge) take theirs from `service_observability(name)`: named after the function
whatever the environment says, since the local runtime may host them side by
side in one process.

The correlation id follows an event end to end: the API takes it from
X-Correlation-Id (or uses the request id), stores it on the event, and it travels
as the `correlation_id` SQS message attribute and Kafka header
(platform_core.records). Handlers put it on every log line with
`logger.set_correlation_id`.

`emit_counts` writes one EMF document of counts at once (per team and event
type, say): ephemeral, so nothing is shared with the next invocation or with
another function of the same process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()

CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}$")

__all__ = [
    "CORRELATION_HEADER",
    "CORRELATION_ID",
    "MetricUnit",
    "ServiceObservability",
    "correlation_id_for",
    "emit_counts",
    "logger",
    "metrics",
    "service_observability",
    "sqs_correlation_id",
    "tracer",
]


@dataclass(frozen=True)
class ServiceObservability:
    logger: Logger
    tracer: Tracer


def service_observability(service: str) -> ServiceObservability:
    """A Logger and a Tracer named after one of the platform's own functions."""
    return ServiceObservability(Logger(service=service), Tracer(service=service))


def correlation_id_for(header: str | None, request_id: str) -> str:
    """The request's correlation id: X-Correlation-Id when the client sent a usable one, else the request id."""
    return header if header and CORRELATION_ID.match(header) else request_id


def proxy_correlation_id(event: Mapping[str, Any]) -> str:
    """The correlation id of a raw API Gateway proxy event (for the log lines before a resolver reads it)."""
    request_id = str((event.get("requestContext") or {}).get("requestId") or "")
    headers = {str(name).lower(): value for name, value in (event.get("headers") or {}).items()}
    return correlation_id_for(headers.get(CORRELATION_HEADER.lower()), request_id)


def sqs_correlation_id(record: Mapping[str, Any]) -> str | None:
    """The correlation id a platform SQS message carries (a raw SQS record as Lambda delivers it)."""
    attribute = (record.get("messageAttributes") or {}).get("correlation_id") or {}
    value = attribute.get("stringValue")
    return str(value) if value else None


def emit_counts(
    namespace: str,
    counts: Mapping[str, int],
    dimensions: Mapping[str, str] | None = None,
    service: str | None = None,
) -> None:
    """One EMF document now: each count a metric (unit Count) under these dimensions."""
    if not counts:
        return
    document = EphemeralMetrics(namespace=namespace, service=service)
    for name, value in (dimensions or {}).items():
        document.add_dimension(name, value)
    for name, count in counts.items():
        document.add_metric(name=name, unit=MetricUnit.Count, value=count)
    document.flush_metrics()

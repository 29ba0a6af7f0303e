"""Ingest Lambda behind API Gateway (REST API, Lambda proxy integration): a thin shell over IngestService.

Routes: POST /v1/events, GET /v1/schemas, GET /v1/schemas/{event_type}[/{version}].
The service is built from the environment at the first invocation (the Lambda
cold start) and reused; `build_handler(service_factory)` gives tests and the
local runtime the same handler over a service of their own.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from lambdas.ingest.models import ErrorResponse, IngestResponse
from lambdas.ingest.service import IngestRequest, IngestService, Outcome, RequestError, correlation_id_for
from lambdas.ingest.store import StoreUnavailable

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or "ingest"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)

JSON = "application/json"
CORRELATION_HEADER = "X-Correlation-Id"

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _json_response(
    status: int, body: BaseModel | Any, correlation_id: str, content_type: str = JSON
) -> Response:
    if isinstance(body, BaseModel):
        try:
            # exclude_unset: `reasons` appears only on rejected events, while a null event_id stays.
            text = body.model_dump_json(exclude_unset=True)
        except PydanticSerializationError:
            # Echoed client text with unpaired surrogates: ASCII escapes keep it valid JSON.
            text = json.dumps(body.model_dump(mode="json", exclude_unset=True))
    else:
        text = json.dumps(body, separators=(",", ":"))
    return Response(status, content_type, text, headers={CORRELATION_HEADER: correlation_id})


def _emit_metrics(outcome: Outcome, namespace: str) -> None:
    """accepted / duplicate / rejected counts, one EMF document per (team, event type).

    EphemeralMetrics keeps no state beyond this call: nothing can leak into the
    next invocation's metrics, whatever happens in between.
    """
    if outcome.team is None or not outcome.counts:
        return
    by_type: dict[str, dict[str, int]] = {}
    for (event_type, verdict), count in outcome.counts.items():
        by_type.setdefault(event_type, {})[verdict.value] = count
    for event_type, verdicts in by_type.items():
        metrics = EphemeralMetrics(namespace=namespace)
        metrics.add_dimension("team", outcome.team)
        metrics.add_dimension("event_type", event_type)
        for name, count in verdicts.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
        metrics.flush_metrics()


def build_handler(service_factory: Callable[[], IngestService]) -> LambdaHandler:
    """The Lambda handler over the service that `service_factory` builds (once, at the first invocation)."""
    app = APIGatewayRestResolver()
    service_cell: list[IngestService] = []

    def service() -> IngestService:
        if not service_cell:
            service_cell.append(service_factory())
            # What the cold start built (modules, compiled schemas, clients) lives as long
            # as the execution environment. Frozen out of the collector's generations, it
            # is no longer traversed by the full collections a large batch triggers:
            # about 20 us/event less at 500 events (bench/ingest.py). No gc.collect() first:
            # at this point it finds no garbage and costs ~45 ms of the cold start.
            gc.freeze()
        return service_cell[0]

    def request_ids() -> tuple[str, str]:
        event = app.current_event
        request_id = event.request_context.request_id
        return request_id, correlation_id_for(event.headers.get(CORRELATION_HEADER), request_id)

    def authenticate() -> None:
        service().team_for(app.current_event.request_context.identity.api_key_id)

    @app.post("/v1/events")
    @tracer.capture_method(capture_response=False)  # verdicts can be 500 results: not X-Ray metadata
    def post_events() -> Response:
        event = app.current_event
        request_id, correlation_id = request_ids()
        try:
            outcome = service().ingest(
                IngestRequest(
                    request_id=request_id,
                    api_key_id=event.request_context.identity.api_key_id,
                    content_type=event.headers.get("Content-Type"),
                    body=event.body,
                    is_base64_encoded=bool(event.is_base64_encoded),
                    correlation_header=event.headers.get(CORRELATION_HEADER),
                    source_ip=event.request_context.identity.source_ip,
                )
            )
        except StoreUnavailable:
            logger.exception("storage unavailable; the client may retry the request unchanged")
            body = ErrorResponse(
                request_id=request_id,
                correlation_id=correlation_id,
                message="storage temporarily unavailable; retry the same request (it is idempotent)",
            )
            response = _json_response(503, body, correlation_id)
            response.headers["Retry-After"] = "1"
            return response
        _emit_metrics(outcome, service().metrics_namespace)
        summary = outcome.body.summary.model_dump() if isinstance(outcome.body, IngestResponse) else None
        logger.info(
            "ingest request", extra={"status": outcome.status_code, "team": outcome.team, "summary": summary}
        )
        return _json_response(outcome.status_code, outcome.body, correlation_id)

    @app.get("/v1/schemas")
    def list_schemas() -> Response:
        _, correlation_id = request_ids()
        authenticate()
        return _json_response(200, service().schema_list(), correlation_id)

    @app.get("/v1/schemas/<event_type>")
    def get_latest_schema(event_type: str) -> Response:
        return _schema(event_type, None)

    @app.get("/v1/schemas/<event_type>/<version>")
    def get_schema(event_type: str, version: str) -> Response:
        return _schema(event_type, version)

    def _schema(event_type: str, version: str | None) -> Response:
        request_id, correlation_id = request_ids()
        authenticate()
        document = service().schema_document(event_type, version)
        if document is None:
            missing = f"{event_type} version {version}" if version else event_type
            body = ErrorResponse(
                request_id=request_id, correlation_id=correlation_id, message=f"no schema for {missing}"
            )
            return _json_response(404, body, correlation_id)
        return _json_response(200, document, correlation_id, "application/schema+json")

    @app.exception_handler(RequestError)
    def request_error(exc: RequestError) -> Response:
        request_id, correlation_id = request_ids()
        body = ErrorResponse(request_id=request_id, correlation_id=correlation_id, message=exc.message)
        return _json_response(exc.status, body, correlation_id)

    @app.not_found
    def not_found(_: Exception) -> Response:
        request_id, correlation_id = request_ids()
        event = app.current_event
        body = ErrorResponse(
            request_id=request_id,
            correlation_id=correlation_id,
            message=f"no route for {event.http_method} {event.path}",
        )
        return _json_response(404, body, correlation_id)

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        request_context = event.get("requestContext") or {}
        request_id = str(request_context.get("requestId") or "")
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        logger.set_correlation_id(correlation_id_for(headers.get(CORRELATION_HEADER.lower()), request_id))
        return app.resolve(event, context)

    return handler


# The deployed entry point (Terraform: lambdas.ingest.handler.lambda_handler).
lambda_handler = build_handler(IngestService.from_environment)

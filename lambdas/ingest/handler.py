"""Ingest Lambda behind API Gateway (REST API, Lambda proxy integration): the routes over IngestService.

Routes: POST /v1/events, GET /v1/schemas, GET /v1/schemas/{event_type}[/{version}].
The service is built from the function's settings at the first request (the
cold start) and reused; routes take it through `Depends(ingest_service)`, which
tests replace with `app.dependency_overrides[ingest_service]`.
"""

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Depends, Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from lambdas.ingest.models import ErrorResponse, IngestResponse
from lambdas.ingest.service import IngestRequest, IngestService, Outcome, RequestError
from lambdas.ingest.settings import IngestSettings
from lambdas.ingest.store import StoreMisconfigured, StoreUnavailable
from platform_core.dependencies import Provider
from platform_core.observability import (
    CORRELATION_HEADER,
    correlation_id_for,
    emit_counts,
    proxy_correlation_id,
    service_observability,
)

observability = service_observability("ingest")
logger, tracer = observability.logger, observability.tracer

JSON = "application/json"


@Provider
def ingest_service() -> IngestService:
    """The execution environment's service, over the stores its settings name."""
    return IngestService.from_settings(IngestSettings.from_environment())


Service = Annotated[IngestService, Depends(ingest_service)]

app = APIGatewayRestResolver()


@app.post("/v1/events")
@tracer.capture_method(capture_response=False)  # verdicts can be 500 results: not X-Ray metadata
def post_events(service: Service) -> Response:
    request = ingest_request(app.current_event)
    correlation_id = correlation_id_for(request.correlation_header, request.request_id)
    try:
        outcome = service.ingest(request)
    except StoreUnavailable:
        logger.exception("storage unavailable; the client may retry the request unchanged")
        response = error_response(
            503, "storage temporarily unavailable; retry the same request (it is idempotent)"
        )
        response.headers["Retry-After"] = "1"
        return response
    except StoreMisconfigured:
        # Logged as an error and answered 500 (the API's 5xx alarm): the platform team must act.
        logger.exception("storage misconfigured; no retry can succeed until the platform is fixed")
        return error_response(
            500,
            "the platform cannot store events: its storage is misconfigured, and retrying will not "
            "help until the platform team fixes it. Then send the same request again (it is idempotent)",
        )
    emit_verdict_metrics(outcome, service.metrics_namespace)
    summary = outcome.body.summary.model_dump() if isinstance(outcome.body, IngestResponse) else None
    logger.info(
        "ingest request", extra={"status": outcome.status_code, "team": outcome.team, "summary": summary}
    )
    return json_response(outcome.status_code, outcome.body, correlation_id)


@app.get("/v1/schemas")
def list_schemas(service: Service) -> Response:
    service.team_for(app.current_event.request_context.identity.api_key_id)
    return json_response(200, service.schema_list(), current_correlation_id())


@app.get("/v1/schemas/<event_type>")
def get_latest_schema(event_type: str, service: Service) -> Response:
    return schema_response(service, event_type, None)


@app.get("/v1/schemas/<event_type>/<version>")
def get_schema(event_type: str, version: str, service: Service) -> Response:
    return schema_response(service, event_type, version)


@app.exception_handler(RequestError)
def request_error(exc: RequestError) -> Response:
    return error_response(exc.status, exc.message)


@app.not_found
def not_found(_: Exception) -> Response:
    event = app.current_event
    return error_response(404, f"no route for {event.http_method} {event.path}")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(proxy_correlation_id(event))
    return app.resolve(event, context)


# -- the API Gateway event and the responses ----------------------------------------------------------


def ingest_request(event: APIGatewayProxyEvent) -> IngestRequest:
    """What the service needs of a REST proxy event (the team comes from the API key, never the body)."""
    identity = event.request_context.identity
    return IngestRequest(
        request_id=event.request_context.request_id,
        api_key_id=identity.api_key_id,
        content_type=event.headers.get("Content-Type"),
        body=event.body,
        is_base64_encoded=bool(event.is_base64_encoded),
        correlation_header=event.headers.get(CORRELATION_HEADER),
        source_ip=identity.source_ip,
    )


def current_correlation_id() -> str:
    event = app.current_event
    return correlation_id_for(event.headers.get(CORRELATION_HEADER), event.request_context.request_id)


def schema_response(service: IngestService, event_type: str, version: str | None) -> Response:
    service.team_for(app.current_event.request_context.identity.api_key_id)
    document = service.schema_document(event_type, version)
    if document is None:
        missing = f"{event_type} version {version}" if version else event_type
        return error_response(404, f"no schema for {missing}")
    return json_response(200, document, current_correlation_id(), "application/schema+json")


def error_response(status: int, message: str) -> Response:
    correlation_id = current_correlation_id()
    body = ErrorResponse(
        request_id=app.current_event.request_context.request_id,
        correlation_id=correlation_id,
        message=message,
    )
    return json_response(status, body, correlation_id)


def json_response(
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


def emit_verdict_metrics(outcome: Outcome, namespace: str) -> None:
    """accepted / duplicate / rejected counts, one EMF document per (team, event type)."""
    if outcome.team is None:
        return
    by_type: dict[str, dict[str, int]] = {}
    for (event_type, verdict), count in outcome.counts.items():
        by_type.setdefault(event_type, {})[verdict.value] = count
    for event_type, verdicts in by_type.items():
        emit_counts(namespace, verdicts, {"team": outcome.team, "event_type": event_type})

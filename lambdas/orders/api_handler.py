"""The orders API's Lambda (REST API proxy integration): `POST /v1/orders` and `GET /v1/orders/{order_id}`.

Thin: lambdas/orders/placing.py holds the rules. The caller comes from the
route's authorizer (`requestContext.authorizer`: kind, client, subject,
scopes), never from the body; POST needs the `write` scope, GET the `read`
scope. Answers: 202 with the order (new or the same one again), 400 with
reasons, 401/403, 404, 409 (the reference names another order), 503 when the
platform cannot take the order's event now (retry the same request: it is
idempotent).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.orders.authorization import Caller
from lambdas.orders.placing import READ, WRITE, OrderDesk, Refused, view
from lambdas.orders.settings import ApiSettings
from lambdas.orders.store import DynamoOrderStore
from platform_core.aws import client
from platform_core.dependencies import Provider
from platform_core.observability import (
    MetricUnit,
    correlation_id_for,
    logger,
    metrics,
    proxy_correlation_id,
    tracer,
)
from platform_core.producer import CORRELATION_HEADER, EmitUnavailable, EventProducer
from platform_core.registry import get_registry

app = APIGatewayRestResolver()
JSON = "application/json"


@Provider
def desk() -> OrderDesk:
    """Built once per execution environment (the cold start)."""
    settings = ApiSettings()  # type: ignore[call-arg]  # read from the environment
    return OrderDesk(
        DynamoOrderStore(client("dynamodb"), settings.table_orders),
        EventProducer.from_secret(settings.platform_api_url, settings.platform_api_key_secret),
        get_registry(),
    )


def _caller() -> Caller | None:
    return Caller.from_context(app.current_event.request_context.authorizer.get_context())


def _correlation_id() -> str:
    """The client's X-Correlation-Id when usable (the ingest API would refuse another), else the request id."""
    event = app.current_event
    return correlation_id_for(event.headers.get(CORRELATION_HEADER), event.request_context.request_id)


def _json(status: int, body: Any, **headers: str) -> Response:
    return Response(
        status,
        JSON,
        json.dumps(body, separators=(",", ":")),
        headers={CORRELATION_HEADER: _correlation_id(), **headers},
    )


@app.post("/v1/orders")
@tracer.capture_method(capture_response=False)
def place_order() -> Response:
    caller = OrderDesk.require(_caller(), WRITE)
    try:
        body = app.current_event.json_body
    except (ValueError, TypeError) as exc:
        raise Refused(400, f"the body is not JSON: {exc}") from exc
    placed = desk().place(caller, body, _correlation_id())
    metrics.add_metric(
        name="OrdersPlaced" if placed.new else "OrdersPlacedAgain", unit=MetricUnit.Count, value=1
    )
    logger.info(
        "order placed", extra={"order_id": placed.record.order_id, "new": placed.new, "client": caller.client}
    )
    location = f"/v1/orders/{placed.record.order_id}"
    return _json(202, view(placed.record), Location=location)


@app.get("/v1/orders/<order_id>")
def get_order(order_id: str) -> Response:
    caller = OrderDesk.require(_caller(), READ)
    return _json(200, view(desk().read(caller, order_id)))


@app.exception_handler(Refused)
def refused(exc: Refused) -> Response:
    body: dict[str, Any] = {
        "message": exc.message,
        "request_id": app.current_event.request_context.request_id,
    }
    if exc.reasons:
        body["reasons"] = [reason.as_dict() for reason in exc.reasons]
    return _json(exc.status, body)


@app.exception_handler(EmitUnavailable)
def platform_unavailable(exc: EmitUnavailable) -> Response:
    logger.warning("the order's event could not be emitted; the client may retry", extra={"error": str(exc)})
    body = {"message": "the platform cannot take the order now; retry the same request (it is idempotent)"}
    return _json(503, body, **{"Retry-After": "2"})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(proxy_correlation_id(event))
    return app.resolve(event, context)

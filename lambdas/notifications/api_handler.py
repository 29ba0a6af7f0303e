"""notifications-api: a signed-in customer's inbox, preferences and push subscriptions (REST API proxy).

    GET  /v1/notifications                       newest first; ?unread=true, ?limit=, ?cursor=
    POST /v1/notifications/{id}/read             mark one entry read
    GET  /v1/notifications/preferences           the customer's settings
    PUT  /v1/notifications/preferences           replace them
    POST /v1/notifications/push-subscriptions    register a browser's push subscription

The caller comes from the route's authorizer (`requestContext.authorizer`: kind, client,
subject, scopes): only a signed-in customer (kind `customer`) has an inbox, and sees their own
(the token's subject is the customer id the orders carry). Every route needs the authorizer's
`notifications` scope: a token that may read or place orders is not one that may read the inbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Depends, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from lambdas.notifications.catalog import get_catalog
from lambdas.notifications.inbox import (
    PreferencesRequest,
    PushSubscriptionRequest,
    entry_id,
    entry_view,
    preferences_view,
    sort_key_of,
    with_subscription,
)
from lambdas.notifications.settings import InboxApiSettings
from lambdas.notifications.store import DynamoInbox, DynamoRecipients
from platform_core.aws import client
from platform_core.dependencies import Provider
from platform_core.observability import correlation_id_for, logger, proxy_correlation_id, tracer

app = APIGatewayRestResolver()
CORRELATION_HEADER = "X-Correlation-Id"
CUSTOMER = "customer"
INBOX_SCOPE = "notifications"  # the authorizer identity's scope for these routes


@dataclass(frozen=True)
class Stores:
    inbox: DynamoInbox
    recipients: DynamoRecipients


@Provider
def stores() -> Stores:
    settings = InboxApiSettings.from_environment()
    dynamodb = client("dynamodb")
    return Stores(
        DynamoInbox(dynamodb, settings.table_inbox), DynamoRecipients(dynamodb, settings.table_recipients)
    )


Deps = Annotated[Stores, Depends(stores)]


class Refused(Exception):
    def __init__(self, status: int, message: str, reasons: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status = status
        self.reasons = reasons or []


def _answer(status: int, body: Any) -> Response:
    event = app.current_event
    correlation = correlation_id_for(event.headers.get(CORRELATION_HEADER), event.request_context.request_id)
    return Response(
        status,
        "application/json",
        json.dumps(body, separators=(",", ":")),
        headers={CORRELATION_HEADER: correlation},
    )


def _customer() -> str:
    """The signed-in customer calling, with the inbox's scope."""
    context = app.current_event.request_context.authorizer.get_context() or {}
    if not context:
        raise Refused(401, "no authenticated caller (the route's authorizer did not run)")
    if context.get("kind") != CUSTOMER or not context.get("subject"):
        raise Refused(403, "only a signed-in customer has notifications")
    scopes = {s.rsplit("/", 1)[-1] for s in str(context.get("scopes", "")).split()}
    if INBOX_SCOPE not in scopes:
        raise Refused(403, f"the credentials lack the scope {INBOX_SCOPE!r}")
    return str(context["subject"])


def _json_body() -> Any:
    try:
        return app.current_event.json_body
    except (ValueError, TypeError) as exc:
        raise Refused(400, f"the body is not JSON: {exc}") from exc


def _reasons(error: ValidationError) -> list[dict[str, str]]:
    return [{"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]


@app.exception_handler(Refused)
def _refused(exc: Refused) -> Response:
    body: dict[str, Any] = {"message": str(exc)}
    if exc.reasons:
        body["reasons"] = exc.reasons
    return _answer(exc.status, body)


@app.get("/v1/notifications")
@tracer.capture_method(capture_response=False)
def list_notifications(deps: Deps) -> Response:
    customer = _customer()
    query = app.current_event.query_string_parameters or {}
    page_size = get_catalog().inbox.page_size
    try:
        limit = max(1, min(100, int(query.get("limit", page_size))))
    except ValueError as exc:
        raise Refused(400, "limit is a number from 1 to 100") from exc
    after = None
    if query.get("cursor"):
        after = sort_key_of(query["cursor"])
        if after is None:
            raise Refused(400, "the cursor is not one this API gave")
    items, last = deps.inbox.page(customer, limit, after, unread_only=query.get("unread") == "true")
    body = {
        "items": [entry_view(i) for i in items],
        "unread": deps.inbox.unread(customer),
        "next_cursor": entry_id(last) if last else None,
    }
    return _answer(200, body)


@app.post("/v1/notifications/<entry>/read")
@tracer.capture_method(capture_response=False)
def mark_read(entry: str, deps: Deps) -> Response:
    customer = _customer()
    sort_key = sort_key_of(entry)
    item = deps.inbox.mark_read(customer, sort_key, datetime.now(UTC)) if sort_key else None
    if item is None:
        raise Refused(404, "no such notification in your inbox")
    return _answer(200, entry_view(item))


@app.get("/v1/notifications/preferences")
def get_preferences(deps: Deps) -> Response:
    customer = _customer()
    return _answer(200, preferences_view(deps.recipients.preferences(customer)))


@app.put("/v1/notifications/preferences")
def put_preferences(deps: Deps) -> Response:
    customer = _customer()
    try:
        request = PreferencesRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise Refused(400, "invalid preferences", _reasons(exc)) from exc
    preferences = request.applied_to(deps.recipients.preferences(customer))
    deps.recipients.save(preferences)
    logger.info("preferences saved", extra={"customer_id": customer})
    return _answer(200, preferences_view(preferences))


@app.post("/v1/notifications/push-subscriptions")
def add_push_subscription(deps: Deps) -> Response:
    customer = _customer()
    try:
        request = PushSubscriptionRequest.model_validate(_json_body())
    except ValidationError as exc:
        raise Refused(400, "invalid push subscription", _reasons(exc)) from exc
    preferences = with_subscription(deps.recipients.preferences(customer), request.subscription())
    deps.recipients.save(preferences)
    return _answer(201, preferences_view(preferences))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(proxy_correlation_id(event))
    return app.resolve(event, context)

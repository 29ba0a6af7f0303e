"""The delivery outcomes the service announces (notifications.notification_<status>), one per delivery and outcome.

Each event's id derives from the delivery's key and the outcome, so announcing again after a
crash is a duplicate the platform drops, never a second event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lambdas.notifications.catalog import Channel
from lambdas.notifications.delivery import Delivery, Status
from lambdas.notifications.models import Notification
from platform_core.envelope import EventIn
from platform_core.producer import derived_event_id

SOURCE = "notification-service"
VERSION = "1"
TIME_FIELD = {
    Status.SENT: "sent_at",
    Status.FAILED: "failed_at",
    Status.SKIPPED: "skipped_at",
    Status.DELIVERED: "delivered_at",
    Status.BOUNCED: "bounced_at",
}


def event_type(status: Status) -> str:
    return f"notifications.notification_{status.value}"


def outcome_event(
    notification: Notification, delivery: Delivery, at: datetime, *, provider: str, bounce_type: str = ""
) -> EventIn:
    status = delivery.status
    payload: dict[str, Any] = {
        "notification_id": notification.notification_id,
        "delivery_id": delivery.delivery_id,
        "channel": delivery.channel.value,
        "customer_id": notification.customer_id,
        "template": notification.template,
        "cause": notification.cause,
        "requested_at": notification.requested_at.isoformat(),
        TIME_FIELD[status]: at.astimezone(UTC).isoformat(),
    }
    if notification.order_id:
        payload["order_id"] = notification.order_id
    if status is Status.SENT:
        payload |= {"provider": provider, "attempts": max(1, delivery.attempts)}
    if status in (Status.SENT, Status.DELIVERED, Status.BOUNCED) and delivery.provider_message_id:
        payload["provider_message_id"] = delivery.provider_message_id[:300]
    if status is Status.FAILED:
        payload |= {
            "reason": delivery.reason,
            "detail": (delivery.detail or delivery.reason)[:1000],
            "attempts": delivery.attempts,
        }
    if status is Status.SKIPPED:
        payload["reason"] = delivery.reason
        if delivery.detail:
            payload["detail"] = delivery.detail[:1000]
    if status is Status.BOUNCED:
        payload["bounce_type"] = bounce_type or "permanent"
        if delivery.detail:
            payload["detail"] = delivery.detail[:1000]
    return EventIn(
        event_id=derived_event_id(delivery.delivery_id, status.value),
        event_type=event_type(status),
        schema_version=VERSION,
        occurred_at=at,
        source=SOURCE,
        payload=payload,
    )


PROVIDERS = {Channel.SMS: "sms", Channel.PUSH: "webpush", Channel.WEBHOOK: "webhook", Channel.INBOX: "inbox"}

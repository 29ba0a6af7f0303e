"""What the notifications API shows and accepts: inbox entries, preferences, push subscriptions.

An inbox entry's `id` is opaque (its sort key in base64url): it names one entry of one customer
and is what `POST /v1/notifications/{id}/read` takes. Requests are pydantic models (verdicts
with reasons at the edge); nothing a customer sends names another customer (the caller comes
from the authorizer).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lambdas.notifications.catalog import Channel, QuietHours
from lambdas.notifications.policy import Preferences, PushSubscription

MAX_PUSH_SUBSCRIPTIONS = 10  # devices per customer


def entry_id(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def sort_key_of(identifier: str) -> str | None:
    try:
        padded = identifier + "=" * (-len(identifier) % 4)
        sort_key = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return sort_key if "#" in sort_key else None


def entry_view(item: dict[str, Any]) -> dict[str, Any]:
    view = {
        "id": entry_id(str(item["sk"])),
        "notification_id": item["notification_id"],
        "template": item["template"],
        "title": item.get("title", ""),
        "text": item.get("text", ""),
        "url": item.get("url", ""),
        "created_at": item["created_at"],
        "read_at": item.get("read_at"),
    }
    if item.get("order_id"):
        view["order_id"] = item["order_id"]
    return view


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PreferencesRequest(_Request):
    """PUT /v1/notifications/preferences: the customer's whole settings (absent channels: the default)."""

    channels: dict[Channel, bool] = {}
    quiet_hours: QuietHours | None = None
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9][0-9]{6,14}$")

    @field_validator("quiet_hours")
    @classmethod
    def _zone(cls, value: QuietHours | None) -> QuietHours | None:
        if value is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value.timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value.timezone!r}") from exc
        return value

    def applied_to(self, current: Preferences) -> Preferences:
        return Preferences(
            customer_id=current.customer_id,
            channels=dict(self.channels),
            quiet_hours=self.quiet_hours,
            email=self.email,
            phone=self.phone,
            push_subscriptions=current.push_subscriptions,
        )


class PushKeys(_Request):
    p256dh: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+=*$")
    auth: str = Field(min_length=10, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")


class PushSubscriptionRequest(_Request):
    """POST /v1/notifications/push-subscriptions: a browser's PushSubscription.toJSON()."""

    endpoint: str = Field(min_length=12, max_length=2000, pattern=r"^https?://")
    expirationTime: int | None = None
    keys: PushKeys

    def subscription(self) -> PushSubscription:
        return PushSubscription(self.endpoint, self.keys.p256dh, self.keys.auth)


def preferences_view(preferences: Preferences) -> dict[str, Any]:
    return {
        "channels": {c.value: v for c, v in preferences.channels.items()},
        "quiet_hours": preferences.quiet_hours.model_dump() if preferences.quiet_hours else None,
        "email": preferences.email,
        "phone": preferences.phone,
        "push_subscriptions": [s.endpoint for s in preferences.push_subscriptions],
    }


def with_subscription(preferences: Preferences, subscription: PushSubscription) -> Preferences:
    """The preferences with this subscription (replacing one of the same endpoint), newest kept."""
    others = [s for s in preferences.push_subscriptions if s.endpoint != subscription.endpoint]
    kept = tuple([*others, subscription][-MAX_PUSH_SUBSCRIPTIONS:])
    return Preferences(**{**preferences.__dict__, "push_subscriptions": kept})

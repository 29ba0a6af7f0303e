"""Whether, where and when a channel may carry a notification to a recipient: pure rules, no I/O.

Preferences are the customer's own (opt in or out per channel, quiet hours in their time zone);
a channel's default applies when they set none (config/notifications.yaml: SMS needs consent).
Suppressed addresses (a hard bounce or a complaint) are never written to again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lambdas.notifications.catalog import Catalog, Channel, QuietHours
from lambdas.notifications.models import Notification


@dataclass(frozen=True)
class PushSubscription:
    """A browser's Push API subscription (PushSubscription.toJSON()): where and how to encrypt."""

    endpoint: str
    p256dh: str
    auth: str

    def info(self) -> dict[str, object]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True)
class Preferences:
    """A customer's settings (the recipients table), as they set them through the notifications API."""

    customer_id: str
    channels: dict[Channel, bool] = field(default_factory=dict)  # explicit opt-in (True) or out (False)
    quiet_hours: QuietHours | None = None
    email: str | None = None
    phone: str | None = None
    push_subscriptions: tuple[PushSubscription, ...] = ()


class Skip(Exception):
    """The channel is deliberately not used; `reason` is one of notification_skipped's reasons."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def opted_in(catalog: Catalog, preferences: Preferences, channel: Channel) -> bool:
    explicit = preferences.channels.get(channel)
    if explicit is not None:
        return explicit
    return catalog.policy(channel).default == "opt_in"


def address_for(notification: Notification, preferences: Preferences, channel: Channel) -> str | None:
    """The e-mail address or phone number to use: the request's (what the order used), else the customer's."""
    if channel is Channel.EMAIL:
        return notification.recipient.email or preferences.email
    if channel is Channel.SMS:
        return notification.recipient.phone or preferences.phone
    return None


def check(
    catalog: Catalog,
    notification: Notification,
    preferences: Preferences,
    channel: Channel,
    suppressed: bool,
) -> None:
    """Raise Skip when the channel must not carry this notification."""
    if not opted_in(catalog, preferences, channel):
        raise Skip("opted_out", f"{notification.customer_id} opted out of {channel.value}")
    if channel in (Channel.EMAIL, Channel.SMS):
        if address_for(notification, preferences, channel) is None:
            raise Skip("no_destination", f"no {'address' if channel is Channel.EMAIL else 'phone number'}")
        if suppressed:
            raise Skip("suppressed", "the address bounced or complained before")
    elif channel is Channel.PUSH and not preferences.push_subscriptions:
        raise Skip("no_destination", "no push subscription")
    elif channel is Channel.WEBHOOK and not notification.partner:
        raise Skip("no_destination", "no partner to call")


def quiet_until(
    catalog: Catalog, preferences: Preferences, channel: Channel, now: datetime
) -> datetime | None:
    """The end of the recipient's quiet hours when `now` falls inside them (None: send now)."""
    if not catalog.policy(channel).quiet_hours:
        return None
    hours = preferences.quiet_hours or catalog.quiet_hours
    try:
        zone = ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(catalog.quiet_hours.timezone)
    local = now.astimezone(zone)
    start, end = time.fromisoformat(hours.start), time.fromisoformat(hours.end)
    clock = local.time()
    if start == end:
        return None
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=zone)

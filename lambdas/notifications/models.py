"""A notification as the service keeps it, and the names of one delivery (a notification on one channel)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from lambdas.notifications.catalog import Channel

Value = str | int | float | bool


def delivery_id(notification_id: str, channel: Channel) -> str:
    """The idempotency key of one (notification, channel): the same in every retry and every process.

    It is what providers see (the webhook-id, the push Topic, the SES message tag, the SMS context),
    so it is short and made of letters and digits only.
    """
    return "d-" + hashlib.sha256(f"{notification_id}/{channel.value}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Recipient:
    name: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164


@dataclass(frozen=True)
class Notification:
    """What to tell whom, on which channels: a notification_requested, or an event mapped to a template."""

    notification_id: str
    customer_id: str
    template: str
    locale: str
    channels: tuple[Channel, ...]
    cause: str  # the event type that asked for it
    cause_event_id: str
    requested_at: datetime  # when the platform received the cause
    recipient: Recipient = Recipient()
    partner: str | None = None
    order_id: str | None = None
    variables: dict[str, Value] = field(default_factory=dict)
    correlation_id: str | None = None

    def delivery_id(self, channel: Channel) -> str:
        return delivery_id(self.notification_id, channel)

    @property
    def language(self) -> str:
        return self.locale.split("-")[0]

    def to_json(self) -> str:
        document = asdict(self)
        document["channels"] = [c.value for c in self.channels]
        document["requested_at"] = self.requested_at.isoformat()
        return json.dumps(document, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Notification:
        document: dict[str, Any] = json.loads(text)
        document["channels"] = tuple(Channel(c) for c in document["channels"])
        document["requested_at"] = datetime.fromisoformat(document["requested_at"])
        document["recipient"] = Recipient(**document["recipient"])
        return cls(**document)

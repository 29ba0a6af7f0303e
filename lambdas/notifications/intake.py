"""From a platform event on the team's queue to the notifications it asks for.

`notifications.notification_requested` names its template, channels and recipient (v2; v1 named
one channel and no address). Other teams' events (an issued invoice, a rejected document) are
mapped to a template by config/notifications.yaml; their notification's id derives from what
they are about (`<template>:<invoice id>`), so an event announced twice is one notification.
"""

from __future__ import annotations

import re
from typing import Any

from lambdas.notifications.catalog import Catalog, Channel
from lambdas.notifications.models import Notification, Recipient, Value
from platform_core.envelope import Event

NOTIFICATION_REQUESTED = "notifications.notification_requested"
ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


class Unroutable(Exception):
    """An event this service cannot turn into a notification (a bug upstream or in the catalog): parked."""


def notifications_for(event: Event, catalog: Catalog) -> list[Notification]:
    """The notifications an event asks for (none when it concerns no customer)."""
    if event.event_type == NOTIFICATION_REQUESTED:
        return [_requested(event)]
    mapping = catalog.events.get(event.event_type)
    if mapping is None:
        raise Unroutable(
            f"no notification is mapped to {event.event_type} (config/notifications.yaml events)"
        )
    payload = event.payload
    customer_id = payload.get("customer_id")
    if not customer_id:
        return []
    subject = _field(payload, mapping.key, event)
    return [
        Notification(
            notification_id=ID_UNSAFE.sub("-", f"{mapping.template}:{subject}")[:64],
            customer_id=str(customer_id),
            template=mapping.template,
            locale=str(payload.get("locale") or catalog.default_locale),
            channels=mapping.channels,
            cause=event.event_type,
            cause_event_id=str(event.event_id),
            requested_at=event.received_at,
            order_id=payload.get("order_id"),
            variables={name: _field(payload, path, event) for name, path in mapping.variables.items()},
            correlation_id=event.correlation_id,
        )
    ]


def _requested(event: Event) -> Notification:
    payload = event.payload
    if event.schema_version == "1":
        channels: tuple[Channel, ...] = (Channel(payload["channel"]),)
        recipient = Recipient()
        partner = None
    elif event.schema_version == "2":
        channels = tuple(Channel(c) for c in payload["channels"])
        recipient = Recipient(**payload.get("recipient", {}))
        partner = payload.get("partner")
    else:
        raise Unroutable(f"{NOTIFICATION_REQUESTED} v{event.schema_version} is not understood here")
    return Notification(
        notification_id=payload["notification_id"],
        customer_id=payload["customer_id"],
        template=payload["template"],
        locale=payload["locale"],
        channels=channels,
        cause=event.event_type,
        cause_event_id=str(event.event_id),
        requested_at=event.received_at,
        recipient=recipient,
        partner=partner,
        order_id=payload.get("order_id"),
        variables=dict(payload.get("variables", {})),
        correlation_id=event.correlation_id,
    )


def _field(payload: dict[str, Any], paths: str, event: Event) -> Value:
    """The value at a dotted path of the payload; `a|b`: the first of the paths present."""
    for path in paths.split("|"):
        value: Any = payload
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str | int | float | bool):
            return value
    raise Unroutable(f"{event.event_type} v{event.schema_version} has no {paths.replace('|', ' or ')}")

"""The demo step of the notification service: a signed-in customer hears about their orders on every channel.

The customer's browser subscribes to push and the customer consents to SMS, through the
notifications API with their token (the orders authorizer); then the orders team asks for two
notifications as the order saga does (notification_requested v2: an order confirmed on every
channel, an order rejected by e-mail and in the inbox), and posts the first again (a retry:
a duplicate, nothing more). The step waits for the notification-sender (declared in
config/platform.yaml, triggered by the notifications queue) and shows what each sink got: the
mail sink's messages, the SMS capture, what the browser shows, the webhook the partner's
receiver verified, and the customer's inbox read back through the API. Each channel of each
notification exactly once, or the demo fails.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import requests
from rich.table import Table

from local_platform.emulators.external_systems import ExternalSystems
from local_platform.emulators.mail_sink import MailSink
from local_platform.emulators.notification_channels import NotificationChannels
from platform_core.events_table import ENVELOPE_ATTRIBUTE
from tools.demo import Step

if TYPE_CHECKING:
    from tools.demo import DemoContext

WAIT_SECONDS = 180.0
PARTNER = "partner-demo"
EMAIL, PHONE = "camille.durand@example.com", "+33612345678"
ALL = ["email", "sms", "push", "webhook", "inbox"]


# The demo's customer consents to SMS and takes SMS and push at any hour (equal start and end: no
# quiet hours), so the demo shows every channel whatever the time it runs at.
ANY_HOUR = {
    "channels": {"sms": True},
    "quiet_hours": {"start": "00:00", "end": "00:00", "timezone": "Europe/Paris"},
}


def requests_for(run: str, customer: str) -> list[dict[str, Any]]:
    def request(template: str, order: str, channels: list[str], variables: dict[str, Any]) -> dict[str, Any]:
        payload = {
            "notification_id": f"NTF-{order}-{template}",
            "customer_id": customer,
            "template": template,
            "locale": "fr",
            "channels": channels,
            "recipient": {"name": "Camille Durand", "email": EMAIL, "phone": PHONE},
            "partner": PARTNER,
            "order_id": order,
            "variables": {"order_id": order, **variables},
        }
        return {
            "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-notification/{order}/{template}")),
            "event_type": "notifications.notification_requested",
            "schema_version": "2",
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "source": "orders-service",
            "payload": payload,
        }

    return [
        request(
            "order_confirmed",
            f"ORD-N{run}-1",
            ALL,
            {"client_order_ref": "PO-2026-0042", "total": "1234.50", "currency": "EUR"},
        ),
        request(
            "order_rejected",
            f"ORD-N{run}-2",
            ["email", "inbox"],
            {"client_order_ref": "PO-2026-0043", "reason": "out_of_stock"},
        ),
    ]


def notifications_step(ctx: DemoContext) -> None:
    platform = ctx.platform
    try:
        mail = next(c for c in platform.components if isinstance(c, MailSink))
        channels = next(c for c in platform.components if isinstance(c, NotificationChannels))
        systems = next(c for c in platform.components if isinstance(c, ExternalSystems))
    except StopIteration:
        ctx.fail("the mail sink, notification channels and external systems components must run")
        return
    run = uuid.uuid4().hex[:6].upper()
    customer = f"demo-{run.lower()}"
    token = systems.issuer.access_token(customer, "web-app", ["orders/notifications"])
    headers = {"Authorization": f"Bearer {token}", "x-api-key": platform.client_keys["web-app"].value}
    api = f"{platform.gateway_url}/v1/notifications"
    subscription = channels.push.subscribe()
    for method, path, body in (
        ("POST", "/push-subscriptions", subscription),
        ("PUT", "/preferences", ANY_HOUR),
    ):
        answer = requests.request(method, api + path, json=body, headers=headers, timeout=60)
        if answer.status_code not in (200, 201):
            ctx.fail(f"{method} /v1/notifications{path}: HTTP {answer.status_code} {answer.text[:200]}")
            return
    asked = requests_for(run, customer)
    client = ctx.client("orders")  # the saga's team asks for notifications
    for batch in (asked, asked[:1]):  # the second post is a retry: a duplicate, nothing new
        response, _ = client.post_until_admitted(batch)
        if response.status_code != 202:
            ctx.fail(f"notification requests refused: HTTP {response.status_code} {response.text[:200]}")
            return
    expected = sum(len(a["payload"]["channels"]) for a in asked)
    with ctx.console.status("waiting for the notification service to send on every channel..."):
        outcomes = _wait_for_outcomes(platform.resources.events_table, run, expected)
    inbox = requests.get(api, headers=headers, timeout=60).json()
    seen = _seen(mail, channels, subscription["endpoint"], inbox, run)
    ctx.add_summary(
        "Notifications (the notification service): each channel once", _summary(outcomes, seen, mail)
    )
    for problem in _problems(asked, outcomes, seen):
        ctx.fail(problem)


def _wait_for_outcomes(table: str, run: str, expected: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        items = boto3.client("dynamodb").scan(TableName=table)["Items"]
        envelopes = (json.loads(i[ENVELOPE_ATTRIBUTE]["S"]) for i in items)
        outcomes = [
            {"type": e["event_type"].rsplit("_", 1)[-1], **e["payload"]}
            for e in envelopes
            if e["event_type"]
            in (
                "notifications.notification_sent",
                "notifications.notification_failed",
                "notifications.notification_skipped",
            )
            and run in e["payload"]["notification_id"]
        ]
        if len(outcomes) >= expected or time.monotonic() > deadline:
            return sorted(outcomes, key=lambda o: (o["notification_id"], o["channel"]))
        time.sleep(1.0)


def _seen(
    mail: MailSink, channels: NotificationChannels, endpoint: str, inbox: dict[str, Any], run: str
) -> dict[str, int]:
    return {
        "email": sum(run in _text(m) for m in mail.received_by(EMAIL)),
        "sms": sum(run in t["body"] for t in channels.sms.received_by(PHONE)),
        "push": len(channels.push.shown(endpoint)),
        "webhook": sum(run in json.dumps(m["payload"]) for m in channels.webhooks.messages(PARTNER)),
        "inbox": len(inbox.get("items", [])),
        "inbox_unread": int(inbox.get("unread", 0)),
    }


def _text(message: Any) -> str:
    body = message.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""


def _summary(outcomes: list[dict[str, Any]], seen: dict[str, int], mail: MailSink) -> Table:
    table = Table("notification", "channel", "outcome", "attempts / reason")
    for o in outcomes:
        table.add_row(
            o["notification_id"],
            o["channel"],
            o["type"],
            str(o.get("attempts") if o["type"] == "sent" else o.get("reason")),
        )
    table.add_row(
        "sinks",
        "",
        f"mail {seen['email']}, SMS {seen['sms']}, push shown {seen['push']}, webhooks verified {seen['webhook']}",
        f"inbox {seen['inbox']} ({seen['inbox_unread']} unread); .eml in {mail.directory}",
    )
    return table


def _problems(asked: list[dict[str, Any]], outcomes: list[dict[str, Any]], seen: dict[str, int]) -> list[str]:
    wanted = {(a["payload"]["notification_id"], c) for a in asked for c in a["payload"]["channels"]}
    sent = [(o["notification_id"], o["channel"]) for o in outcomes if o["type"] == "sent"]
    problems = []
    if sorted(sent) != sorted(wanted):
        problems.append(
            f"sent {len(sent)} deliveries for {len(wanted)} asked: {sorted(set(wanted) - set(sent))} missing"
        )
    per_channel = {c: sum(1 for _, ch in wanted if ch == c) for c in ALL}
    for channel in ("email", "sms", "push", "webhook", "inbox"):
        if seen[channel] != per_channel[channel]:
            problems.append(f"{channel}: the sink got {seen[channel]} for {per_channel[channel]} asked")
    return problems


STEPS = [
    Step("Notifications: a customer hears about their orders on every channel, once each", notifications_step)
]

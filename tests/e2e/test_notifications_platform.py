"""Notifications on the local platform, as deployed: a request posted through the gateway by the orders
team, the stream and fan-out to the notifications queue, the declared notification-sender in its
execution environment sending to the mail sink, the SMS capture, the push service and a partner's
receiver; SES's and the SMS service's reports back through the queue; the customer's inbox through
the gateway and the orders authorizer (a signed-in customer's token)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from local_platform.emulators.external_systems import ExternalSystems
from local_platform.emulators.mail_sink import MailSink
from local_platform.emulators.notification_channels import NotificationChannels
from local_platform.pollers.sqs import SqsMapping, SqsPoller
from local_platform.pollers.stream import StreamMapping, StreamPoller
from local_platform.provision import queue_url, stream_arn
from local_platform.runtime import LocalPlatform
from platform_core.events_table import ENVELOPE_ATTRIBUTE
from tests.fixtures.aws import isolated_config
from tests.fixtures.notifications import envelope_in, order_confirmed_request
from tools.demo_steps.notifications import ANY_HOUR

pytestmark = pytest.mark.integration
SCOPES = ["orders/read", "orders/write", "orders/notifications"]
CUSTOMER = "cust-ann"


class Notifications:
    """The platform with the notification triggers driven step by step (each hop can then be awaited)."""

    def __init__(self, platform: LocalPlatform):
        self.platform = platform
        self.mail = next(c for c in platform.components if isinstance(c, MailSink))
        self.channels = next(c for c in platform.components if isinstance(c, NotificationChannels))
        self.systems = next(c for c in platform.components if isinstance(c, ExternalSystems))
        resources = platform.resources
        self.stream = StreamPoller(
            stream_arn(resources),
            platform.function("fanout"),
            StreamMapping.from_config(resources.config),
            queue_url(resources.fanout_failure_queue),
            region=resources.config.region,
        )
        sender = resources.config.services["notification-sender"]
        self.queue = SqsPoller(
            resources.team_queue("notifications"),
            platform.function("notification-sender"),
            SqsMapping.from_batch(sender.batch, sender.concurrency),
            region=resources.config.region,
        )

    def customer(self, subject: str = CUSTOMER) -> dict[str, str]:
        token = self.systems.issuer.access_token(subject, "web-app", SCOPES)
        return {"Authorization": f"Bearer {token}", "x-api-key": self.platform.client_keys["web-app"].value}

    def post_events(self, team: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        answer = requests.post(
            f"{self.platform.gateway_url}/v1/events",
            json=events,
            headers={"x-api-key": self.platform.api_keys[team].value},
            timeout=60,
        )
        assert answer.status_code == 202, answer.text
        return dict(answer.json())

    def deliver(self) -> None:
        """Until nothing moves: stream -> queues -> sender (its reports come back on the queue too)."""
        for _ in range(3):
            self.stream.run_until_idle(timeout=120)
            self.queue.run_until_idle(timeout=120)

    def stored(self, event_type: str) -> list[dict[str, Any]]:
        table = self.platform.resources.events_table
        items = boto3.client("dynamodb").scan(TableName=table)["Items"]
        envelopes = [json.loads(item[ENVELOPE_ATTRIBUTE]["S"]) for item in items]
        return [e["payload"] for e in envelopes if e["event_type"] == event_type]


@pytest.fixture(scope="module")
def notifications(aws_endpoint_url: str) -> Iterator[Notifications]:
    platform = LocalPlatform(
        isolated_config(), components=[MailSink(), NotificationChannels(), ExternalSystems()], state_path=None
    )
    platform.start()
    try:
        yield Notifications(platform)
    finally:
        platform.stop()


def test_a_requested_notification_goes_out_once_per_channel_and_reports_come_back(
    notifications: Notifications,
) -> None:
    gateway = notifications.platform.gateway_url
    push = notifications.channels.push
    subscription = push.subscribe()
    registered = requests.post(
        f"{gateway}/v1/notifications/push-subscriptions",
        json=subscription,
        headers=notifications.customer(),
        timeout=60,
    )
    assert registered.status_code == 201, registered.text
    consent = requests.put(
        f"{gateway}/v1/notifications/preferences",
        json=ANY_HOUR,
        headers=notifications.customer(),
        timeout=60,
    )
    assert consent.status_code == 200, consent.text

    request = order_confirmed_request("NTF-E2E-1", customer_id=CUSTOMER)
    body = envelope_in("notifications.notification_requested", request)
    assert notifications.post_events("orders", [body, body])["results"][1]["status"] == "duplicate"
    notifications.deliver()

    channels = notifications.channels
    assert len(notifications.mail.received_by(request["recipient"]["email"])) == 1
    assert len(channels.sms.received_by(request["recipient"]["phone"])) == 1
    assert len(push.shown(subscription["endpoint"])) == 1
    assert len(channels.webhooks.messages("partner-demo")) == 1
    sent = notifications.stored("notifications.notification_sent")
    assert sorted(p["channel"] for p in sent) == ["email", "inbox", "push", "sms", "webhook"]
    delivered = notifications.stored("notifications.notification_delivered")
    assert sorted(p["channel"] for p in delivered) == ["email", "sms"]  # SES's and the SMS service's reports

    page = requests.get(f"{gateway}/v1/notifications", headers=notifications.customer(), timeout=60).json()
    assert page["unread"] == 1 and page["items"][0]["title"] == "Commande PO-77 confirmée"
    item = page["items"][0]
    read = requests.post(
        f"{gateway}/v1/notifications/{item['id']}/read", headers=notifications.customer(), timeout=60
    )
    assert read.status_code == 200 and read.json()["read_at"]
    again = requests.get(f"{gateway}/v1/notifications", headers=notifications.customer(), timeout=60).json()
    assert again["unread"] == 0


def test_another_customer_sees_none_of_it_and_a_partner_has_no_inbox(notifications: Notifications) -> None:
    gateway = notifications.platform.gateway_url
    page = requests.get(
        f"{gateway}/v1/notifications", headers=notifications.customer("cust-bob"), timeout=60
    ).json()
    assert page == {"items": [], "unread": 0, "next_cursor": None}
    partner = {"x-api-key": notifications.platform.client_keys["partner-demo"].value}
    assert requests.get(f"{gateway}/v1/notifications", headers=partner, timeout=60).status_code == 403
    assert requests.get(f"{gateway}/v1/notifications", timeout=60).status_code == 401


def test_a_token_for_the_orders_alone_does_not_open_the_inbox(notifications: Notifications) -> None:
    gateway = notifications.platform.gateway_url
    orders_only = notifications.systems.issuer.access_token(
        CUSTOMER, "web-app", ["orders/read", "orders/write"]
    )
    headers = {
        "Authorization": f"Bearer {orders_only}",
        "x-api-key": notifications.platform.client_keys["web-app"].value,
    }
    for method, path in (("GET", "/v1/notifications"), ("GET", "/v1/notifications/preferences")):
        answer = requests.request(method, f"{gateway}{path}", headers=headers, timeout=60)
        assert answer.status_code == 403 and "notifications" in answer.json()["message"], answer.text
    assert requests.get(f"{gateway}/v1/notifications", headers=notifications.customer(), timeout=60).ok


def test_preferences_are_checked_at_the_edge(notifications: Notifications) -> None:
    gateway = notifications.platform.gateway_url
    bad = requests.put(
        f"{gateway}/v1/notifications/preferences",
        json={
            "channels": {"fax": True},
            "quiet_hours": {"start": "25:00", "end": "07:00", "timezone": "Mars/Olympus"},
        },
        headers=notifications.customer(),
        timeout=60,
    )
    assert bad.status_code == 400
    paths = {r["path"] for r in bad.json()["reasons"]}
    assert any(p.startswith("channels") for p in paths) and any(p.startswith("quiet_hours") for p in paths)


def test_the_demo_step_sends_each_channel_once(notifications: Notifications) -> None:
    import threading

    from rich.console import Console

    from tools.demo import DemoContext
    from tools.demo_steps.notifications import STEPS

    ctx = DemoContext(platform=notifications.platform, console=Console(quiet=True))
    [step] = STEPS
    running = threading.Thread(target=step.run, args=(ctx,))
    running.start()
    while running.is_alive():  # this platform's triggers are driven by hand
        notifications.deliver()
        running.join(timeout=0.5)
    assert ctx.failures == []
    [(title, table)] = ctx.summaries
    assert "each channel once" in title and table.row_count == 8  # 7 deliveries and the sinks' line

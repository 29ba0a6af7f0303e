"""The orders flow on the local platform, as deployed: HTTP to the gateway, the orders-authorizer and the
orders-api in their execution environments, the event through ingest, stream and fan-out to the orders
queue, the order-saga's execution environment against the Odoo emulator; the notification-sender telling
the buyer (the mail sink) and the partner (its webhook receiver); per-client usage plans."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests

from local_platform.emulators.external_systems import ExternalSystems
from local_platform.emulators.mail_sink import MailSink
from local_platform.emulators.notification_channels import NotificationChannels
from local_platform.emulators.odoo import catalog_prices
from local_platform.pollers.sqs import SqsMapping, SqsPoller
from local_platform.pollers.stream import StreamMapping, StreamPoller
from local_platform.provision import queue_url, stream_arn
from local_platform.runtime import Component, LocalPlatform
from platform_core.config import ClientLimits, PlatformConfig
from platform_core.events_table import ENVELOPE_ATTRIBUTE
from tests.fixtures.aws import isolated_config
from tests.fixtures.orders import BUYER, order_request
from tools.traffic import TrafficGenerator

pytestmark = pytest.mark.integration
SCOPES = ["orders/read", "orders/write"]


class Orders:
    """The platform with the orders' triggers driven step by step (each hop can then be awaited)."""

    def __init__(self, platform: LocalPlatform, systems: ExternalSystems):
        self.platform = platform
        self.systems = systems
        resources = platform.resources
        self.stream = StreamPoller(
            stream_arn(resources),
            platform.function("fanout"),
            StreamMapping.from_config(resources.config),
            queue_url(resources.fanout_failure_queue),
            region=resources.config.region,
        )
        self.queue = self._poller("orders", "order-saga")
        self.notifications = self._poller("notifications", "notification-sender")

    def _poller(self, team: str, service: str) -> SqsPoller:
        resources = self.platform.resources
        declared = resources.config.services[service]
        return SqsPoller(
            resources.team_queue(team),
            self.platform.function(service),
            SqsMapping.from_batch(declared.batch, declared.concurrency),
            region=resources.config.region,
        )

    def token(self, subject: str = "cust-ann", client: str = "web-app") -> dict[str, str]:
        """A signed-in customer of the web app: its access token, with the app's (public) API key."""
        token = self.systems.issuer.access_token(subject, client, SCOPES)
        return {"Authorization": f"Bearer {token}", "x-api-key": self.platform.client_keys[client].value}

    def partner(self) -> dict[str, str]:
        return {"x-api-key": self.platform.client_keys["partner-demo"].value}

    def place(
        self, headers: dict[str, str], lines: list[tuple[str, int]], **request: Any
    ) -> requests.Response:
        body = order_request(catalog_prices(self.systems.odoo.db), lines, **request)
        return requests.post(f"{self.platform.gateway_url}/v1/orders", json=body, headers=headers, timeout=60)

    def get(self, headers: dict[str, str], order_id: str) -> requests.Response:
        return requests.get(f"{self.platform.gateway_url}/v1/orders/{order_id}", headers=headers, timeout=60)

    def deliver(self) -> None:
        self.stream.run_until_idle(timeout=120)
        self.queue.run_until_idle(timeout=120)

    def notify(self) -> None:
        """The saga's events to the notifications queue, then the sender (its reports come back there too)."""
        for _ in range(2):
            self.stream.run_until_idle(timeout=120)
            self.notifications.run_until_idle(timeout=120)

    def notify_until(self, done: Callable[[], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            self.notify()
            time.sleep(0.5)
        self.notify()  # and anything else that was coming

    def stored(self, event_type: str) -> list[dict[str, Any]]:
        table = self.platform.resources.events_table
        items = boto3.client("dynamodb").scan(TableName=table)["Items"]
        envelopes = [json.loads(item[ENVELOPE_ATTRIBUTE]["S"]) for item in items]
        return [e["payload"] for e in envelopes if e["event_type"] == event_type]

    def component(self, kind: type[Any]) -> Any:
        return next(c for c in self.platform.components if isinstance(c, kind))


def start(config: PlatformConfig) -> tuple[LocalPlatform, ExternalSystems]:
    systems = ExternalSystems()
    components: list[Component] = [systems, MailSink(), NotificationChannels()]
    platform = LocalPlatform(config, components=components, state_path=None)
    platform.start()
    return platform, systems


@pytest.fixture(scope="module")
def orders(aws_endpoint_url: str) -> Iterator[Orders]:
    platform, systems = start(isolated_config())
    try:
        yield Orders(platform, systems)
    finally:
        platform.stop()


def test_a_signed_in_customer_and_a_partner_place_orders_that_the_saga_confirms(orders: Orders) -> None:
    mine = orders.place(orders.token(), [("SKU-LAMP-LED", 2)])
    partners = orders.place(orders.partner(), [("SKU-MUG-SET", 3)])
    assert mine.status_code == partners.status_code == 202, (mine.text, partners.text)
    assert mine.json()["status"] == "received"
    orders.deliver()
    order_id = mine.json()["order_id"]
    shown = orders.get(orders.token(), order_id).json()
    assert shown["status"] == "confirmed", shown
    assert [step["status"] for step in shown["timeline"]][-1] == "confirmed"
    assert orders.get(orders.partner(), partners.json()["order_id"]).json()["status"] == "confirmed"
    # Nobody else sees them.
    assert orders.get(orders.token("cust-bob"), order_id).status_code == 404
    assert orders.systems.odoo.db.reserved_quantity("SKU-LAMP-LED") == 2


def test_a_confirmed_order_is_e_mailed_once_to_its_buyer_and_a_partners_reaches_its_webhook(
    orders: Orders,
) -> None:
    mail: MailSink = orders.component(MailSink)
    webhooks = orders.component(NotificationChannels).webhooks
    mine = orders.place(
        orders.token("cust-dora"), [("SKU-LAMP-LED", 1)], buyer={**BUYER, "email": "dora@example.com"}
    )
    partners = orders.place(
        orders.partner(), [("SKU-MUG-SET", 1)], buyer={**BUYER, "email": "eve@example.com"}
    )
    assert mine.status_code == partners.status_code == 202, (mine.text, partners.text)
    orders.deliver()
    # SES takes one message a second here (a sandbox account's rate): the second e-mail waits its turn.
    orders.notify_until(lambda: all(mail.received_by(a) for a in ("dora@example.com", "eve@example.com")))
    [confirmation] = mail.received_by("dora@example.com")
    assert mine.json()["order_id"] in confirmation.get_body().get_content()  # type: ignore[union-attr]
    assert len(mail.received_by("eve@example.com")) == 1
    hooks = [m for m in webhooks.messages("partner-demo") if partners.json()["order_id"] in json.dumps(m)]
    assert len(hooks) == 1
    assert not [m for m in webhooks.messages("partner-demo") if mine.json()["order_id"] in json.dumps(m)]

    # Billing e-mails its invoice itself (emailed_by_billing): its invoice_issued adds no e-mail here.
    team, invoice = TrafficGenerator(seed=5, config=orders.platform.config).event_of_type(
        "billing.invoice_issued"
    )
    invoice["payload"] = {
        **invoice["payload"],
        "customer_id": "cust-dora",
        "order_id": mine.json()["order_id"],
    }
    posted = requests.post(
        f"{orders.platform.gateway_url}/v1/events",
        json=invoice,
        headers={"x-api-key": orders.platform.api_keys[team].value},
        timeout=60,
    )
    assert posted.status_code == 202 and posted.json()["results"][0]["status"] == "accepted", posted.text
    invoice_id = invoice["payload"]["invoice_id"]
    orders.notify_until(
        lambda: any(invoice_id in str(p) for p in orders.stored("notifications.notification_sent"))
    )
    assert len(mail.received_by("dora@example.com")) == 1
    sent = [p for p in orders.stored("notifications.notification_sent") if p["customer_id"] == "cust-dora"]
    assert sorted((p["template"], p["channel"]) for p in sent) == [
        ("invoice_issued", "inbox"),
        ("order_confirmed", "email"),
        ("order_confirmed", "inbox"),
    ]


def test_an_order_the_stock_cannot_serve_is_rejected_and_released(orders: Orders) -> None:
    orders.systems.odoo.db.set_on_hand("SKU-SOFA-3P", 1)
    placed = orders.place(orders.token("cust-carl"), [("SKU-SOFA-3P", 2)])
    assert placed.status_code == 202, placed.text
    orders.deliver()
    shown = orders.get(orders.token("cust-carl"), placed.json()["order_id"]).json()
    assert shown["status"] == "rejected"
    assert shown["rejection"]["reason"] in ("out_of_stock",)
    assert orders.systems.odoo.db.reserved_quantity("SKU-SOFA-3P") == 0


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("nothing", 401),
        ("id_token", 401),
        ("expired", 401),
        ("team_key", 403),
        ("no_write_scope", 403),
        ("token_without_its_apps_key", 401),
        ("token_with_the_partners_key", 401),
    ],
)
def test_callers_the_authorizer_or_the_api_refuses(orders: Orders, case: str, status: int) -> None:
    issuer = orders.systems.issuer
    app_key = {"x-api-key": orders.platform.client_keys["web-app"].value}
    token = issuer.access_token("cust-ann", "web-app", SCOPES)
    expired = issuer.access_token("cust-ann", "web-app", SCOPES, issued_at=time.time() - 7200)
    headers = {
        "nothing": {},
        "id_token": {
            "Authorization": f"Bearer {issuer.id_token('cust-ann', 'web-app', 'a@example.com')}",
            **app_key,
        },
        "expired": {"Authorization": f"Bearer {expired}", **app_key},
        "team_key": {"x-api-key": orders.platform.api_keys["orders"].value},
        "no_write_scope": {
            "Authorization": f"Bearer {issuer.access_token('cust-ann', 'web-app', ['orders/read'])}",
            **app_key,
        },
        "token_without_its_apps_key": {"Authorization": f"Bearer {token}"},
        "token_with_the_partners_key": {
            "Authorization": f"Bearer {token}",
            "x-api-key": orders.platform.client_keys["partner-demo"].value,
        },
    }[case]
    assert orders.place(headers, [("SKU-LAMP-LED", 1)]).status_code == status


def test_the_platforms_own_routes_still_take_team_keys(orders: Orders) -> None:
    team, event = TrafficGenerator(seed=3, config=orders.platform.config).event_of_type(
        "billing.invoice_issued"
    )
    response = requests.post(
        f"{orders.platform.gateway_url}/v1/events",
        json=event,
        headers={"x-api-key": orders.platform.api_keys[team].value},
        timeout=60,
    )
    assert response.status_code == 202, response.text


def test_each_client_has_its_own_usage_plan(aws_endpoint_url: str) -> None:
    base = isolated_config()
    authorizer = base.services["orders-authorizer"]
    assert authorizer.identity is not None
    tight = {
        name: client.model_copy(update={"limits": ClientLimits(requests_per_minute=6, burst=3)})
        for name, client in authorizer.identity.clients.items()
    }
    identity = authorizer.identity.model_copy(update={"clients": tight})
    services = {**base.services, "orders-authorizer": authorizer.model_copy(update={"identity": identity})}
    platform, systems = start(base.model_copy(update={"services": services}))
    try:
        orders = Orders(platform, systems)
        missing = "ORD-NOT-THERE"
        customers = [orders.get(orders.token(f"cust-{i}"), missing).status_code for i in range(5)]
        # Every customer of the web app shares its plan: a burst of 3, then 429 with Retry-After.
        assert customers == [404, 404, 404, 429, 429]
        # The partner's plan is its own.
        assert [orders.get(orders.partner(), missing).status_code for _ in range(3)] == [404, 404, 404]
        throttled = orders.get(orders.partner(), missing)
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    finally:
        platform.stop()

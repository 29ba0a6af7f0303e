"""Notification benchmarks: notifications/s per core per channel, and trigger-to-sent through the local runtime.

1. Per channel, in-process on one thread (one core): notifications through the whole service
   (the ledger's claim and outcome, preferences, suppression list, rate limits, template,
   send, the outcome event built and checked against its schema) to the local sinks (the
   SMTP sink, the SMS capture, the push service, a webhook receiver, the inbox). The stores
   are in memory here (the same claim rule as DynamoDB's condition, delivery.claimable) so
   the figure is the service's own cost, not the moto server's. The baseline, measured in the
   same run on the same sinks: the bare render + send (the same template rendered and the same
   adapter's send, nothing else), the least any notifier does. The HTTP sinks' own time (inside
   their request handlers) is reported apart.
2. Through the local runtime: notification requests posted to the gateway by the orders team,
   the stream, fan-out and the notifications queue, the declared notification-sender in its
   execution environments; from the platform receiving the request to each channel's send
   (the outcome event's requested_at to sent_at): p50/p95 per channel.

Sizes: BENCH_NOTIFICATIONS_COUNT (per channel, default 300), BENCH_NOTIFICATIONS_E2E (requests,
default 100).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import boto3

from lambdas.notifications.catalog import Channel, QuietHours, get_catalog
from lambdas.notifications.channels import Endpoint, EndUserMessagingSms, StandardWebhooks, WebPush
from lambdas.notifications.delivery import Delivery, Status, claimable
from lambdas.notifications.egress import Egress
from lambdas.notifications.models import Notification, Recipient, Value
from lambdas.notifications.policy import Preferences, PushSubscription
from lambdas.notifications.render import Renderer
from lambdas.notifications.service import NotificationService, Providers, Stores
from lambdas.notifications.store import Claim, EndpointState
from local_platform.emulators.mail_sink import MailSink
from local_platform.emulators.notification_channels import signing_secret, vapid_keys
from local_platform.emulators.push_service import PushService
from local_platform.emulators.sms_capture import SmsCapture
from local_platform.emulators.webhook_receiver import WebhookReceiver
from platform_core.envelope import EventIn
from platform_core.mail import OutgoingMail, SmtpMailer
from platform_core.producer import Emitted
from platform_core.registry import get_registry

COUNT = int(os.environ.get("BENCH_NOTIFICATIONS_COUNT", "300"))
E2E = int(os.environ.get("BENCH_NOTIFICATIONS_E2E", "100"))
CUSTOMER = "bench-customer"
PARTNER = "partner-demo"
VARIABLES: dict[str, Value] = {
    "order_id": "ORD-1",
    "client_order_ref": "PO-1",
    "total": "1234.50",
    "currency": "EUR",
}


# -- in-memory stores with the DynamoDB adapters' semantics --------------------------------------------


class MemoryLedger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notifications: dict[str, Notification] = {}
        self._deliveries: dict[str, Delivery] = {}

    def remember(self, notification: Notification, retention_days: int) -> Notification:
        with self._lock:
            return self._notifications.setdefault(notification.notification_id, notification)

    def notification(self, notification_id: str) -> Notification | None:
        return self._notifications.get(notification_id)

    def delivery(self, delivery_id: str) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    def claim(self, notification: Notification, channel: Channel, now: float, lease_seconds: float) -> Claim:
        key = notification.delivery_id(channel)
        with self._lock:
            before = self._deliveries.get(key)
            if not claimable(before, now):
                return Claim(False, None, before)
            base = before or Delivery(key, notification.notification_id, channel)
            self._deliveries[key] = Delivery(
                **{
                    **base.__dict__,
                    "status": Status.SENDING,
                    "attempts": base.attempts + 1,
                    "lease_until": now + lease_seconds,
                    "attempt_started_at": now,
                }
            )
            return Claim(True, before, None)

    def finish(self, delivery: Delivery, attempt: int, status: Status, **fields: Any) -> bool:
        known = {k: v for k, v in fields.items() if k in Delivery.__dataclass_fields__}
        return self._update(delivery.delivery_id, attempt, {"status": status, **known})

    def wait(self, delivery: Delivery, attempt: int, until: float, *, counts: bool, **fields: Any) -> bool:
        known = {k: v for k, v in fields.items() if k in Delivery.__dataclass_fields__}
        values = {"status": Status.WAITING, "next_attempt_at": until, **known}
        if not counts:
            values["attempts"] = attempt - 1
        return self._update(delivery.delivery_id, attempt, values)

    def _update(self, key: str, attempt: int, values: dict[str, Any]) -> bool:
        with self._lock:
            current = self._deliveries[key]
            if current.status is not Status.SENDING or current.attempts != attempt:
                return False
            self._deliveries[key] = Delivery(**{**current.__dict__, **values})
            return True

    def announced(self, delivery_id: str, status: Status) -> None:
        with self._lock:
            current = self._deliveries[delivery_id]
            self._deliveries[delivery_id] = Delivery(
                **{**current.__dict__, "announced": current.announced | {status.value}}
            )

    def report(self, delivery_id: str, **fields: Any) -> Delivery | None:
        raise NotImplementedError("no provider reports in this benchmark")


class MemoryRecipients:
    def __init__(self, preferences: Preferences):
        self._preferences = preferences

    def preferences(self, customer_id: str) -> Preferences:
        return self._preferences

    def save(self, preferences: Preferences) -> None:
        self._preferences = preferences

    def drop_push_subscription(self, customer_id: str, endpoint: str) -> None:
        raise AssertionError("no subscription expires in this benchmark")


class NoSuppressions:
    def suppressed(self, address: str) -> bool:
        return False

    def suppress(self, address: str, reason: str, at: datetime) -> None:
        raise AssertionError("nothing bounces in this benchmark")


class MemoryEndpoints:
    def state(self, partner: str) -> EndpointState:
        return EndpointState()

    def succeeded(self, partner: str) -> None:
        pass

    def failed(self, partner: str, now: float, threshold: int, open_seconds: int) -> EndpointState:
        raise AssertionError("the receiver does not fail in this benchmark")

    def disable(self, partner: str, reason: str) -> None:
        raise AssertionError("the receiver does not answer 410 in this benchmark")


class Unlimited:
    """Rate limits that always allow (the benchmark measures throughput, not the SES sandbox's 1/s)."""

    def take(self, bucket: str, rate: float, burst: int, now: float) -> float:
        return 0.0

    def count(self, key: str, limit: int, now: float) -> float:
        return 0.0


class MemoryInbox:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put(self, customer_id: str, entry: dict[str, Any], created_at: datetime, retention_days: int) -> bool:
        key = (customer_id, f"{created_at.isoformat()}#{entry['notification_id']}")
        return self.items.setdefault(key, entry) is entry


class CheckedEmitter:
    """What the ingest API does with the outcome events that costs CPU here: schema validation."""

    def __init__(self) -> None:
        self.count = 0

    def emit(self, events: Sequence[EventIn], correlation_id: str | None = None) -> Emitted:
        registry = get_registry()
        for event in events:
            problems = registry.validate_payload(event.event_type, event.schema_version, event.payload)
            if problems:
                raise RuntimeError(f"{event.event_type}: {problems}")
        self.count += len(events)
        return Emitted(tuple(str(e.event_id) for e in events), ())


# -- 1. per channel, in-process ------------------------------------------------------------------------


class Sinks:
    def __init__(self) -> None:
        self.mail, self.sms, self.push, self.hooks = (
            MailSink(),
            SmsCapture(),
            PushService(),
            WebhookReceiver(),
        )

    def __enter__(self) -> Sinks:
        self.mail.start()
        for server in (self.sms, self.push, self.hooks):
            server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self.hooks, self.push, self.sms):
            server.stop()
        self.mail.stop()

    def busy(self) -> float:
        return self.sms.busy_seconds + self.push.busy_seconds + self.hooks.busy_seconds


def _notification(n: int, channel: Channel) -> Notification:
    return Notification(
        notification_id=f"BENCH-{uuid.uuid4().hex[:12]}-{n}",
        customer_id=CUSTOMER,
        template="order_confirmed",
        locale="fr",
        channels=(channel,),
        cause="notifications.notification_requested",
        cause_event_id=str(uuid.uuid4()),
        requested_at=datetime.now(UTC),
        recipient=Recipient(name="Camille Durand", email="camille@example.com", phone="+33612345678"),
        partner=PARTNER,
        order_id="ORD-1",
        variables=VARIABLES,
    )


def _providers(sinks: Sinks) -> tuple[Providers, PushSubscription]:
    def host_port(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port}"

    egress = Egress(frozenset({host_port(sinks.push.url), host_port(sinks.hooks.url)}))
    secret = signing_secret()
    url = sinks.hooks.endpoint(PARTNER, [secret])
    vapid = vapid_keys()
    subscription = sinks.push.subscribe()
    sms_client = boto3.client(
        "pinpoint-sms-voice-v2",
        endpoint_url=sinks.sms.url,
        region_name="eu-west-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    providers = Providers(
        mailer=SmtpMailer(sinks.mail.url),
        mail_provider="smtp",
        sms=EndUserMessagingSms(sms_client, origination_identity=None, configuration_set=None),
        push=WebPush(egress, vapid["private_key"], vapid["subject"]),
        webhooks=StandardWebhooks(egress),
        webhook_endpoint=lambda partner: Endpoint(partner, url, (secret,)),
    )
    keys = subscription["keys"]
    return providers, PushSubscription(subscription["endpoint"], keys["p256dh"], keys["auth"])


def _bare_send(
    providers: Providers, renderer: Renderer, subscription: PushSubscription, inbox: MemoryInbox
) -> Callable[[Notification, Channel], None]:
    """The baseline: render the same template and hand it to the same adapter, nothing else."""

    def send(notification: Notification, channel: Channel) -> None:
        content = renderer.render(notification, channel)
        key = notification.delivery_id(channel)
        if channel is Channel.EMAIL:
            assert providers.mailer is not None
            providers.mailer.send(
                OutgoingMail(
                    "StockOSS <n@stockoss.example.com>",
                    ("camille@example.com",),
                    content.subject,
                    content.text,
                    key,
                    html=content.html,
                )
            )
        elif channel is Channel.SMS:
            assert providers.sms is not None
            providers.sms.send("+33612345678", content.text, key)
        elif channel is Channel.PUSH:
            assert providers.push is not None
            providers.push.send(
                subscription,
                {"title": content.title, "body": content.text, "url": content.url, "tag": key},
                key,
                3600,
            )
        elif channel is Channel.WEBHOOK:
            assert providers.webhooks is not None
            endpoint = providers.webhook_endpoint(PARTNER)
            assert endpoint is not None
            body = json.dumps(
                {"type": "notification.order_confirmed", "data": {"variables": notification.variables}}
            ).encode()
            providers.webhooks.send(endpoint, key, body)
        else:
            inbox.put(
                notification.customer_id,
                {"notification_id": notification.notification_id, "title": content.title},
                notification.requested_at,
                30,
            )

    return send


def per_channel(count: int = COUNT) -> list[dict[str, Any]]:
    with Sinks() as sinks:
        providers, subscription = _providers(sinks)
        return [_measure(channel, count, sinks, providers, subscription) for channel in Channel]


def _measure(
    channel: Channel, count: int, sinks: Sinks, providers: Providers, subscription: PushSubscription
) -> dict[str, Any]:
    # No quiet hours (equal start and end): SMS and push are measured whatever the hour of the run.
    preferences = Preferences(
        CUSTOMER,
        channels={Channel.SMS: True},
        quiet_hours=QuietHours(start="00:00", end="00:00", timezone="Europe/Paris"),
        push_subscriptions=(subscription,),
    )
    emitter = CheckedEmitter()
    stores = Stores(
        MemoryLedger(),
        MemoryRecipients(preferences),
        NoSuppressions(),
        MemoryEndpoints(),
        Unlimited(),
        MemoryInbox(),
    )
    service = NotificationService(
        catalog=get_catalog(),
        stores=stores,
        providers=providers,
        emitter=emitter,
        mail_from="n@stockoss.example.com",
    )
    bare = _bare_send(providers, Renderer(get_catalog()), subscription, MemoryInbox())
    for n in range(min(20, count)):  # warm: templates compiled, connections open
        _deliver(service, n, channel)
        bare(_notification(n, channel), channel)
    service_rate, service_busy = _timed(lambda n: _deliver(service, n, channel), count, sinks)
    bare_rate, bare_busy = _timed(lambda n: bare(_notification(n, channel), channel), count, sinks)
    return {
        "channel": channel.value,
        "notifications": count,
        "service_per_second": round(service_rate, 1),
        "bare_per_second": round(bare_rate, 1),
        "service_over_bare": round(bare_rate / service_rate, 2),
        "sink_ms_per_notification_service": round(service_busy / count * 1000, 3),
        "sink_ms_per_notification_bare": round(bare_busy / count * 1000, 3),
        "events_emitted": emitter.count,
    }


def _deliver(service: NotificationService, n: int, channel: Channel) -> None:
    outcome = service.deliver(_notification(n, channel), channel)
    if outcome.status is not Status.SENT:
        raise RuntimeError(f"{channel.value}: {outcome.status.value} ({outcome.reason})")


def _timed(work: Callable[[int], None], count: int, sinks: Sinks) -> tuple[float, float]:
    busy = sinks.busy()
    started = time.perf_counter()
    for n in range(count):
        work(n)
    elapsed = time.perf_counter() - started
    return count / elapsed, sinks.busy() - busy


# -- 2. through the local runtime ------------------------------------------------------------------------


def end_to_end(requests_count: int = E2E) -> dict[str, Any]:
    import requests

    from local_platform.runtime import LocalPlatform
    from platform_core.events_table import ENVELOPE_ATTRIBUTE

    channels = ["email", "webhook", "inbox"]
    with LocalPlatform(state_path=None) as platform:
        key = platform.api_keys["orders"].value
        url = f"{platform.gateway_url}/v1/events"
        session = requests.Session()

        def post(index: int, prefix: str) -> None:
            payload = {
                "notification_id": f"{prefix}-{index}",
                "customer_id": f"bench-{index % 20}",
                "template": "order_confirmed",
                "locale": "fr",
                "channels": channels,
                "recipient": {"email": f"bench-{index % 20}@example.com"},
                "partner": PARTNER,
                "order_id": f"ORD-{index}",
                "variables": {**VARIABLES, "order_id": f"ORD-{index}"},
            }
            event = {
                "event_id": str(uuid.uuid4()),
                "event_type": "notifications.notification_requested",
                "schema_version": "2",
                "occurred_at": datetime.now(UTC).isoformat(),
                "source": "bench",
                "payload": payload,
            }
            answer = session.post(url, json=event, headers={"x-api-key": key}, timeout=60)
            if answer.status_code != 202:
                raise RuntimeError(f"POST /v1/events answered {answer.status_code}: {answer.text[:200]}")

        run = uuid.uuid4().hex[:8]
        for index in range(5):  # warm the execution environments
            post(index, f"WARM-{run}")
        _wait_for_sent(platform, 5 * len(channels), ENVELOPE_ATTRIBUTE, f"WARM-{run}")
        started = time.perf_counter()
        for index in range(requests_count):
            post(index, f"E2E-{run}")
        sent = _wait_for_sent(platform, requests_count * len(channels), ENVELOPE_ATTRIBUTE, f"E2E-{run}")
        span = time.perf_counter() - started
    latencies: dict[str, list[float]] = {}
    for payload in sent:
        waited = datetime.fromisoformat(payload["sent_at"]) - datetime.fromisoformat(payload["requested_at"])
        latencies.setdefault(payload["channel"], []).append(waited.total_seconds() * 1000)
    return {
        "requests": requests_count,
        "channels": channels,
        "deliveries_per_second": round(len(sent) / span, 1),
        "per_channel": {
            channel: {
                "p50_ms": round(_percentile(v, 0.5), 1),
                "p95_ms": round(_percentile(v, 0.95), 1),
                "max_ms": round(max(v), 1),
            }
            for channel, v in sorted(latencies.items())
        },
    }


def _wait_for_sent(
    platform: Any, expected: int, attribute: str, prefix: str, timeout: float = 600
) -> list[dict[str, Any]]:
    dynamodb = boto3.client("dynamodb")
    table = platform.resources.events_table
    deadline = time.monotonic() + timeout
    while True:
        items: list[dict[str, Any]] = []
        pages = dynamodb.get_paginator("scan").paginate(TableName=table)
        for page in pages:
            items += page["Items"]
        envelopes = (json.loads(i[attribute]["S"]) for i in items)
        sent = [
            e["payload"]
            for e in envelopes
            if e["event_type"] == "notifications.notification_sent"
            and e["payload"]["notification_id"].startswith(prefix)
        ]
        if len(sent) >= expected:
            return sent
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(sent)} of {expected} deliveries sent within {timeout:.0f} s")
        time.sleep(0.5)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run() -> dict[str, Any]:
    channels = per_channel()
    e2e = end_to_end()
    return {"per_channel": channels, "end_to_end": e2e, "markdown": _markdown(channels, e2e)}


def _markdown(channels: list[dict[str, Any]], e2e: dict[str, Any]) -> str:
    lines = [
        "Per channel on one thread, to the local sinks (stores in memory; the HTTP sinks' own time apart). "
        "Baseline: the bare render + send of the same template through the same adapter.",
        "",
        "| channel | notifications | service/s | bare render + send/s | time per notification, service / bare | sink ms per notification (service, bare) |",
        "|---|---|---|---|---|---|",
    ]
    for row in channels:
        lines.append(
            f"| {row['channel']} | {row['notifications']} | {row['service_per_second']} | {row['bare_per_second']} | "
            f"{row['service_over_bare']}x | {row['sink_ms_per_notification_service']}, {row['sink_ms_per_notification_bare']} |"
        )
    lines += [
        "",
        f"Through the local runtime ({e2e['requests']} requests on {', '.join(e2e['channels'])}; gateway, stream, "
        f"fan-out, the notifications queue, the sender's execution environments; {e2e['deliveries_per_second']} deliveries/s):",
        "",
        "| channel | request to sent p50 | p95 | max |",
        "|---|---|---|---|",
    ]
    for channel, row in e2e["per_channel"].items():
        lines.append(f"| {channel} | {row['p50_ms']} ms | {row['p95_ms']} ms | {row['max_ms']} ms |")
    return "\n".join(lines)

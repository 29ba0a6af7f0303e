"""One event in, each notification it asks for out on each of its channels, at most once per channel.

For every (notification, channel) the delivery is claimed in the ledger before anything is
sent (delivery.py has the rules). Then, in this order: the recipient's preferences and the
suppression list (skip), the template (fail with its name), quiet hours, the endpoint's
breaker, the recipient's hourly limit and the provider's rate (wait, without spending an
attempt), and the send. The outcome is recorded, then announced as an event. A delivery that
must wait is recorded as waiting with its time; the handler puts the message back on the queue
until the earliest such time (the same message: the other channels find their outcome and
skip), so nothing sleeps inside Lambda.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lambdas.notifications.catalog import Catalog, Channel
from lambdas.notifications.channels import (
    Endpoint,
    OutcomeUnknown,
    PushSender,
    Refused,
    SmsSender,
    Unavailable,
    WebhookSender,
)
from lambdas.notifications.delivery import (
    FINAL,
    RECONCILE_WINDOW_SECONDS,
    REPORTED,
    Delivery,
    Status,
    Step,
    retry_delay,
    step_after_claim,
    step_when_not_claimed,
    unknown_outcome_since,
)
from lambdas.notifications.events import PROVIDERS, outcome_event
from lambdas.notifications.intake import notifications_for
from lambdas.notifications.models import Notification
from lambdas.notifications.policy import Preferences, Skip, address_for, check, quiet_until
from lambdas.notifications.render import Content, Renderer, TemplateError
from lambdas.notifications.store import (
    DeliveryLedger,
    EndpointStore,
    InboxStore,
    RateLimits,
    RecipientStore,
    Suppressions,
)
from platform_core.envelope import Event
from platform_core.mail import Mailer, MailOutcomeUnknown, MailRefused, MailUnavailable, OutgoingMail
from platform_core.producer import Emitter

# Longer than the function's timeout: a live sender never loses its claim to a redelivery.
LEASE_SECONDS = 120.0
PUSH_TTL_SECONDS = 24 * 3600


class Later(Exception):
    """Not now (quiet hours, an open breaker, a rate limit): come back at `until`, no attempt spent."""

    def __init__(self, until: float, why: str):
        super().__init__(why)
        self.until = until


@dataclass(frozen=True)
class ChannelOutcome:
    channel: Channel
    status: Status
    come_back_at: float | None = None  # when the message must be handled again (waiting, busy)
    reason: str = ""


@dataclass(frozen=True)
class Handled:
    outcomes: list[ChannelOutcome] = field(default_factory=list)

    @property
    def come_back_at(self) -> float | None:
        times = [o.come_back_at for o in self.outcomes if o.come_back_at is not None]
        return min(times) if times else None


@dataclass
class Providers:
    """What sends each channel; a channel whose provider is missing is a set-up error at its first use."""

    mailer: Mailer | None = None
    mail_provider: str = "ses"  # ses or smtp: what the sent events name
    sms: SmsSender | None = None
    push: PushSender | None = None
    webhooks: WebhookSender | None = None
    webhook_endpoint: Callable[[str], Endpoint | None] = lambda partner: None


@dataclass
class Stores:
    ledger: DeliveryLedger
    recipients: RecipientStore
    suppressions: Suppressions
    endpoints: EndpointStore
    limits: RateLimits
    inbox: InboxStore


class NotificationService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        stores: Stores,
        providers: Providers,
        emitter: Emitter,
        mail_from: str,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ):
        self._catalog = catalog
        self._renderer = Renderer(catalog)
        self._stores = stores
        self._providers = providers
        self._emitter = emitter
        self._mail_from = mail_from
        self._clock = clock
        self._rng = rng or random.Random()

    def handle(self, event: Event) -> Handled:
        outcomes: list[ChannelOutcome] = []
        for requested in notifications_for(event, self._catalog):
            notification = self._stores.ledger.remember(requested, self._catalog.inbox.retention_days)
            outcomes += [self.deliver(notification, channel) for channel in notification.channels]
        return Handled(outcomes)

    def deliver(self, notification: Notification, channel: Channel) -> ChannelOutcome:
        now = self._clock()
        ledger = self._stores.ledger
        claim = ledger.claim(notification, channel, now, LEASE_SECONDS)
        if not claim.taken:
            current = claim.current
            assert current is not None  # a claim refused is a record that exists
            step = step_when_not_claimed(current, now)
            if step is Step.DONE:
                self._announce(notification, current)
                return ChannelOutcome(channel, current.status, reason=current.reason)
            come_back = current.lease_until if step is Step.BUSY else current.next_attempt_at
            return ChannelOutcome(channel, current.status, come_back_at=max(come_back, now + 1))
        attempt = (claim.before.attempts if claim.before else 0) + 1
        held = Delivery(
            notification.delivery_id(channel), notification.notification_id, channel, Status.SENDING, attempt
        )
        step = step_after_claim(claim.before, now)
        if step is Step.SETTLE:
            assert claim.before is not None
            message_id = claim.before.provider_message_id
            return self._finish(notification, held, Status.SENT, provider_message_id=message_id)
        if step is Step.AWAIT_REPORT:
            since = unknown_outcome_since(claim.before)
            until = since + RECONCILE_WINDOW_SECONDS
            ledger.wait(held, attempt, until, counts=False, unknown_since=since)
            return ChannelOutcome(
                channel, Status.WAITING, come_back_at=until, reason="awaiting the provider's report"
            )
        return self._attempt(notification, held)

    # -- one attempt -------------------------------------------------------------------------------

    def _attempt(self, notification: Notification, held: Delivery) -> ChannelOutcome:
        try:
            message_id = self._send(notification, held.channel)
        except (Skip, TemplateError, Later, Unavailable, Refused) as exc:
            return self._not_sent(notification, held, exc)
        return self._finish(notification, held, Status.SENT, provider_message_id=message_id)

    def _not_sent(self, notification: Notification, held: Delivery, exc: Exception) -> ChannelOutcome:
        """Record why this attempt sent nothing (or may have): skipped, failed, or waiting."""
        if isinstance(exc, Skip):
            return self._finish(notification, held, Status.SKIPPED, reason=exc.reason, detail=exc.detail)
        if isinstance(exc, TemplateError):
            return self._finish(notification, held, Status.FAILED, reason="template_error", detail=str(exc))
        if isinstance(exc, Refused):
            return self._finish(notification, held, Status.FAILED, reason=_refusal(exc), detail=str(exc))
        if isinstance(exc, Later):
            self._stores.ledger.wait(held, held.attempts, exc.until, counts=False, detail=str(exc))
            return ChannelOutcome(held.channel, Status.WAITING, come_back_at=exc.until, reason=str(exc))
        if isinstance(exc, OutcomeUnknown) and held.channel in REPORTED:
            # The provider reports what it took: wait for that report before sending again.
            now = self._clock()
            until = now + RECONCILE_WINDOW_SECONDS
            self._stores.ledger.wait(
                held, held.attempts, until, counts=True, unknown_since=now, detail=str(exc)
            )
            return ChannelOutcome(held.channel, Status.WAITING, come_back_at=until, reason=str(exc))
        return self._retry(notification, held, str(exc))

    def _retry(self, notification: Notification, held: Delivery, why: str) -> ChannelOutcome:
        delay = retry_delay(self._catalog.policy(held.channel).retry_seconds, held.attempts, self._rng)
        if delay is None:
            return self._finish(notification, held, Status.FAILED, reason="retries_exhausted", detail=why)
        until = self._clock() + delay
        self._stores.ledger.wait(held, held.attempts, until, counts=True, detail=why[:1000])
        return ChannelOutcome(held.channel, Status.WAITING, come_back_at=until, reason=why)

    def _finish(
        self, notification: Notification, held: Delivery, status: Status, **fields: str
    ) -> ChannelOutcome:
        at = datetime.fromtimestamp(self._clock(), UTC)
        fields = {k: v[:1000] for k, v in fields.items() if v}
        if not self._stores.ledger.finish(held, held.attempts, status, finished_at=at.isoformat(), **fields):
            # Another sender took the delivery over (our lease ran out): its record stands.
            return ChannelOutcome(held.channel, Status.SENDING, come_back_at=self._clock() + LEASE_SECONDS)
        recorded = replace(
            held,
            status=status,
            reason=fields.get("reason", ""),
            detail=fields.get("detail", ""),
            provider_message_id=fields.get("provider_message_id", ""),
        )
        self._announce(notification, recorded)
        return ChannelOutcome(held.channel, status, reason=fields.get("reason", ""))

    def _announce(self, notification: Notification, delivery: Delivery) -> None:
        if delivery.status not in FINAL or delivery.status.value in delivery.announced:
            return
        provider = (
            self._providers.mail_provider
            if delivery.channel is Channel.EMAIL
            else PROVIDERS[delivery.channel]
        )
        at = datetime.fromtimestamp(self._clock(), UTC)
        self._emitter.emit(
            [outcome_event(notification, delivery, at, provider=provider)], notification.correlation_id
        )
        self._stores.ledger.announced(delivery.delivery_id, delivery.status)

    # -- the gates and the channels ------------------------------------------------------------------

    def _send(self, notification: Notification, channel: Channel) -> str:
        preferences = self._stores.recipients.preferences(notification.customer_id)
        address = address_for(notification, preferences, channel)
        suppressed = address is not None and self._stores.suppressions.suppressed(address)
        check(self._catalog, notification, preferences, channel, suppressed)
        content = self._renderer.render(notification, channel)
        now = self._clock()
        quiet = quiet_until(self._catalog, preferences, channel, datetime.fromtimestamp(now, UTC))
        if quiet is not None:
            raise Later(quiet.timestamp(), f"quiet hours until {quiet.isoformat()}")
        recipient = address or (
            notification.partner if channel is Channel.WEBHOOK else notification.customer_id
        )
        self._limit(channel, str(recipient), now)
        if channel is Channel.EMAIL:
            return self._email(notification, content, str(address))
        if channel is Channel.SMS:
            return self._sms(notification, content, str(address))
        if channel is Channel.PUSH:
            return self._push(notification, content, preferences)
        if channel is Channel.WEBHOOK:
            return self._webhook(notification)
        return self._inbox(notification, content)

    def _limit(self, channel: Channel, recipient: str, now: float) -> None:
        # The provider's token first: one taken in vain is back within a second, a recipient's slot in an hour.
        provider = {Channel.EMAIL: "ses", Channel.SMS: "sms", Channel.PUSH: "webpush"}.get(channel)
        rate = self._catalog.providers.get(provider or "")
        if rate is not None:
            wait = self._stores.limits.take(f"provider#{provider}", rate.per_second, rate.burst, now)
            if wait:
                raise Later(now + wait, f"the {provider} sending rate is reached")
        per_hour = self._catalog.policy(channel).per_recipient_per_hour
        wait = self._stores.limits.count(f"recipient#{channel.value}#{recipient.lower()}", per_hour, now)
        if wait:
            raise Later(now + wait, f"{recipient} reached the hourly limit on {channel.value}")

    def _email(self, notification: Notification, content: Content, address: str) -> str:
        mailer = _required(self._providers.mailer, "e-mail")
        mail = OutgoingMail(
            sender=f"{self._catalog.sender_name} <{self._mail_from}>",
            to=(address,),
            subject=content.subject,
            text=content.text,
            html=content.html,
            idempotency_key=notification.delivery_id(Channel.EMAIL),
            headers={"List-Unsubscribe": f"<{self._catalog.app_url}/settings/notifications>"},
            tags={"template": notification.template},
        )
        try:
            return mailer.send(mail)
        except MailRefused as exc:
            raise Refused(str(exc)) from exc
        except MailOutcomeUnknown as exc:
            raise OutcomeUnknown(str(exc)) from exc
        except MailUnavailable as exc:
            raise Unavailable(str(exc)) from exc

    def _sms(self, notification: Notification, content: Content, phone: str) -> str:
        return _required(self._providers.sms, "SMS").send(
            phone, content.text, notification.delivery_id(Channel.SMS)
        )

    def _push(self, notification: Notification, content: Content, preferences: Preferences) -> str:
        sender = _required(self._providers.push, "web push")
        key = notification.delivery_id(Channel.PUSH)
        # `tag` lets the app's service worker show one notification for copies of the same message.
        payload = {"title": content.title, "body": content.text, "url": content.url, "tag": key}
        sent, gone, failures = [], [], []
        for subscription in preferences.push_subscriptions:
            try:
                sent.append(sender.send(subscription, payload, key, PUSH_TTL_SECONDS))
            except Refused as refused:
                if not refused.gone:
                    raise
                gone.append(subscription.endpoint)
                self._stores.recipients.drop_push_subscription(
                    notification.customer_id, subscription.endpoint
                )
            except Unavailable as exc:
                failures.append(exc)
        if sent:
            return " ".join(sent)[:300]
        if failures:
            raise failures[0]
        raise Refused(f"every push subscription is gone ({len(gone)})", gone=True)

    def _webhook(self, notification: Notification) -> str:
        sender = _required(self._providers.webhooks, "webhooks")
        partner = str(notification.partner)
        endpoint = self._providers.webhook_endpoint(partner)
        if endpoint is None:
            raise Skip("no_destination", f"{partner} has no webhook endpoint")
        endpoints = self._stores.endpoints
        state = endpoints.state(partner)
        if state.disabled:
            raise Skip("endpoint_disabled", f"{partner}'s endpoint is disabled: {state.disabled}")
        now = self._clock()
        if state.open_until > now:
            raise Later(state.open_until, f"{partner}'s endpoint breaker is open")
        body = json.dumps(
            {
                "type": f"notification.{notification.template}",
                "timestamp": notification.requested_at.isoformat(),
                "data": {
                    "notification_id": notification.notification_id,
                    "customer_id": notification.customer_id,
                    "order_id": notification.order_id,
                    "template": notification.template,
                    "variables": notification.variables,
                },
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        settings = self._catalog.webhooks
        try:
            status = sender.send(endpoint, notification.delivery_id(Channel.WEBHOOK), body)
        except Refused as refused:
            if refused.gone:
                endpoints.disable(partner, str(refused))
            raise
        except Unavailable:
            endpoints.failed(partner, now, settings.breaker_failures, settings.breaker_open_seconds)
            raise
        endpoints.succeeded(partner)
        return status

    def _inbox(self, notification: Notification, content: Content) -> str:
        entry: dict[str, Any] = {
            "notification_id": notification.notification_id,
            "template": notification.template,
            "title": content.title,
            "text": content.text,
            "url": content.url,
            "order_id": notification.order_id,
        }
        self._stores.inbox.put(
            notification.customer_id, entry, notification.requested_at, self._catalog.inbox.retention_days
        )
        return f"{notification.requested_at.isoformat()}#{notification.notification_id}"


def _required(provider: Any, what: str) -> Any:
    if provider is None:
        raise Unavailable(f"no {what} provider is configured for this function")
    return provider


def _refusal(refused: Refused) -> str:
    if refused.unsafe:
        return "unsafe_destination"
    if refused.gone:
        return "endpoint_gone"
    return "refused"

"""The notification service against real parts (moto's DynamoDB, the mail sink, the SMS capture, the
push service, a partner's webhook receiver), with faults injected: every notification reaches each
channel exactly once or ends with a reason, counted in every sink afterwards."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from lambdas.notifications.catalog import Channel
from lambdas.notifications.delivery import RECONCILE_WINDOW_SECONDS, Status
from lambdas.notifications.service import LEASE_SECONDS
from platform_core.mail import MailOutcomeUnknown, OutgoingMail
from tests.fixtures.notifications import (
    CUSTOMER,
    EMAIL,
    PARTNER,
    PHONE,
    Crash,
    CrashAfterSending,
    Harness,
    order_confirmed_request,
    requested,
)

pytestmark = pytest.mark.integration
ALL = {"email": 1, "sms": 1, "push": 1, "webhook": 1}


def statuses(handled: Any) -> dict[str, str]:
    return {o.channel.value: o.status.value for o in handled.outcomes}


def test_a_request_reaches_each_channel_once_and_each_outcome_is_announced(notifications: Harness) -> None:
    sinks = notifications.sinks
    handled = notifications.handle(requested(order_confirmed_request()))
    assert statuses(handled) == {c.value: "sent" for c in Channel}
    assert sinks.counts() == ALL

    [mail] = sinks.mail.received_by(EMAIL)
    assert mail["Subject"] == "Votre commande PO-77 est confirmée"
    plain = mail.get_body(("plain",))
    assert plain is not None
    assert "1\u202f234,50\xa0€" in plain.get_content()  # Babel: French spacing
    [text] = sinks.sms.received_by(PHONE)
    assert "PO-77" in text["body"] and text["context"]["delivery_id"].startswith("d-")
    [shown] = sinks.push.shown(notifications.subscription["endpoint"])
    assert shown["title"] == "Commande PO-77 confirmée" and shown["url"].endswith("/orders/ORD-1")
    [hook] = sinks.hooks.messages(PARTNER)
    assert hook["payload"]["type"] == "notification.order_confirmed"
    assert hook["payload"]["data"]["variables"]["client_order_ref"] == "PO-77"
    items, _ = notifications.inbox.page(CUSTOMER, 10)
    assert [i["title"] for i in items] == ["Commande PO-77 confirmée"]

    sent = notifications.emitter.of("notifications.notification_sent")
    assert sorted(p["channel"] for p in sent) == sorted(c.value for c in Channel)
    assert {p["provider"] for p in sent} == {"smtp", "sms", "webpush", "webhook", "inbox"}


def test_the_same_message_delivered_again_and_at_once_sends_nothing_twice(notifications: Harness) -> None:
    event = requested(order_confirmed_request())
    notifications.handle(event)
    threads = [threading.Thread(target=notifications.handle, args=(event,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    notifications.handle(event)
    assert notifications.sinks.counts() == ALL
    assert len(notifications.inbox.page(CUSTOMER, 10)[0]) == 1
    assert len(notifications.emitter.of("notifications.notification_sent")) == 5


def test_concurrent_first_deliveries_of_one_message_send_once(notifications: Harness) -> None:
    event = requested(order_confirmed_request())
    threads = [threading.Thread(target=notifications.handle, args=(event,)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    notifications.clock.advance(LEASE_SECONDS + 1)
    notifications.handle(event)  # whatever a loser left waiting is finished now
    assert notifications.sinks.counts() == ALL


def test_a_crash_after_the_mail_left_is_settled_by_ses_report_not_sent_again(notifications: Harness) -> None:
    event = requested(order_confirmed_request(channels=["email"]))
    assert notifications.providers.mailer is not None
    crashing = CrashAfterSending(notifications.providers.mailer)
    with pytest.raises(Crash):
        notifications.handle(event, mailer=crashing)
    assert len(notifications.sinks.mail.messages) == 1

    notifications.clock.advance(LEASE_SECONDS + 1)  # SQS brings the message back; the lease ran out
    assert statuses(notifications.handle(event)) == {"email": "waiting"}  # waits for SES's report
    assert notifications.report_mail_events() >= 1  # the Send event names the delivery
    assert statuses(notifications.handle(event)) == {"email": "sent"}
    assert len(notifications.sinks.mail.messages) == 1
    [sent] = notifications.emitter.of("notifications.notification_sent")
    assert sent["attempts"] == 2


def test_a_crash_before_the_mail_left_sends_it_once_the_report_window_passes(notifications: Harness) -> None:
    event = requested(order_confirmed_request(channels=["email"]))

    class CrashBeforeSending:
        def send(self, mail: OutgoingMail) -> str:
            raise Crash("died before sending")

    with pytest.raises(Crash):
        notifications.handle(event, mailer=CrashBeforeSending())
    notifications.clock.advance(LEASE_SECONDS + 1)
    assert statuses(notifications.handle(event)) == {"email": "waiting"}
    notifications.clock.advance(RECONCILE_WINDOW_SECONDS)  # no report came: SES never took it
    assert statuses(notifications.handle(event)) == {"email": "sent"}
    assert len(notifications.sinks.mail.messages) == 1


def test_a_provider_timeout_is_an_unknown_outcome_settled_by_the_report(notifications: Harness) -> None:
    event = requested(order_confirmed_request(channels=["email"]))
    mailer = notifications.providers.mailer
    assert mailer is not None
    real = mailer  # narrowed, for the class below

    class SentButNoAnswer:
        def send(self, mail: OutgoingMail) -> str:
            real.send(mail)
            raise MailOutcomeUnknown("read timeout")

    assert statuses(notifications.handle(event, mailer=SentButNoAnswer())) == {"email": "waiting"}
    notifications.report_mail_events()
    notifications.clock.advance(RECONCILE_WINDOW_SECONDS + 1)
    assert statuses(notifications.handle(event)) == {"email": "sent"}
    assert len(notifications.sinks.mail.messages) == 1


def test_a_crash_after_a_push_resends_under_the_same_tag_and_the_device_shows_one(
    notifications: Harness,
) -> None:
    event = requested(order_confirmed_request(channels=["push"]))
    push = notifications.providers.push
    assert push is not None
    real = push  # narrowed, for the class below

    class CrashAfterPush:
        def send(self, *args: Any) -> str:
            real.send(*args)
            raise Crash("died after the push")

    with pytest.raises(Crash):
        notifications.handle(event, push=CrashAfterPush())
    notifications.clock.advance(LEASE_SECONDS + 1)
    assert statuses(notifications.handle(event)) == {"push": "sent"}
    endpoint = notifications.subscription["endpoint"]
    received = notifications.sinks.push.received(endpoint)
    assert len(received) == 2 and len({m["topic"] for m in received}) == 1
    assert len(notifications.sinks.push.shown(endpoint)) == 1


def test_a_webhook_outage_is_retried_with_backoff_and_delivered_once(notifications: Harness) -> None:
    hooks = notifications.sinks.hooks
    hooks.answer_next[PARTNER] = [500, 503]
    event = requested(order_confirmed_request(channels=["webhook"]))
    first = notifications.handle(event)
    assert statuses(first) == {"webhook": "waiting"} and first.come_back_at is not None
    wait = first.come_back_at - notifications.clock.now
    assert 15 <= wait <= 30  # the schedule's first step (30 s) with jitter
    assert statuses(notifications.handle(event)) == {"webhook": "waiting"}  # not due yet: no attempt
    notifications.clock.advance(wait)
    second = notifications.handle(event)
    assert statuses(second) == {"webhook": "waiting"} and second.come_back_at is not None
    assert 60 <= second.come_back_at - notifications.clock.now <= 120
    notifications.clock.advance(120)
    assert statuses(notifications.handle(event)) == {"webhook": "sent"}
    assert len(hooks.messages(PARTNER)) == 1
    [sent] = notifications.emitter.of("notifications.notification_sent")
    assert sent["attempts"] == 3


def test_a_webhook_answered_410_disables_the_endpoint(notifications: Harness) -> None:
    notifications.sinks.hooks.gone.add(PARTNER)
    handled = notifications.handle(requested(order_confirmed_request(channels=["webhook"])))
    assert statuses(handled) == {"webhook": "failed"}
    [failed] = notifications.emitter.of("notifications.notification_failed")
    assert failed["reason"] == "endpoint_gone"
    notifications.sinks.hooks.gone.clear()
    later = notifications.handle(requested(order_confirmed_request("NTF-2", channels=["webhook"])))
    assert statuses(later) == {"webhook": "skipped"}
    assert notifications.emitter.of("notifications.notification_skipped")[0]["reason"] == "endpoint_disabled"
    assert notifications.sinks.hooks.messages(PARTNER) == []


def test_the_breaker_opens_after_failures_in_a_row_and_deliveries_wait_without_calling(
    notifications: Harness,
) -> None:
    hooks = notifications.sinks.hooks
    hooks.answer_next[PARTNER] = [500] * 5
    for n in range(5):
        notifications.handle(requested(order_confirmed_request(f"NTF-B{n}", channels=["webhook"])))
    calls = hooks.requests
    held = notifications.handle(requested(order_confirmed_request("NTF-B5", channels=["webhook"])))
    assert statuses(held) == {"webhook": "waiting"} and hooks.requests == calls  # not called while open
    notifications.clock.advance(301)
    assert statuses(
        notifications.handle(requested(order_confirmed_request("NTF-B5", channels=["webhook"])))
    ) == {"webhook": "sent"}


def test_a_partner_who_verifies_with_another_secret_refuses_and_nothing_is_counted(
    notifications: Harness,
) -> None:
    hooks = notifications.sinks.hooks
    hooks.verifies_with(PARTNER, ["whsec_" + "A" * 43])  # not the secret the service signs with
    handled = notifications.handle(requested(order_confirmed_request(channels=["webhook"])))
    assert statuses(handled) == {"webhook": "waiting"}  # 401 is retried like any non-2xx
    assert hooks.messages(PARTNER) == [] and len(hooks.rejected) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.8/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://2130706433/hook",
        "https://0x7f000001/hook",
        "https://0.0.0.0/hook",
        "https://[fd00:ec2::254]/latest",
    ],
)
def test_webhooks_to_private_loopback_or_metadata_addresses_fail_unsent(
    notifications: Harness, url: str
) -> None:
    from lambdas.notifications.channels import Endpoint

    handled = notifications.handle(
        requested(order_confirmed_request(channels=["webhook"])),
        webhook_endpoint=lambda partner: Endpoint(partner, url, (notifications.partner_secret,)),
    )
    assert statuses(handled) == {"webhook": "failed"}
    [failed] = notifications.emitter.of("notifications.notification_failed")
    assert failed["reason"] == "unsafe_destination"


def test_a_bounce_suppresses_the_address_for_later_notifications(notifications: Harness) -> None:
    sinks = notifications.sinks
    sinks.mail.bounced.add(EMAIL)
    notifications.handle(requested(order_confirmed_request(channels=["email"])))
    notifications.report_mail_events()
    [bounced] = notifications.emitter.of("notifications.notification_bounced")
    assert bounced["bounce_type"] == "permanent"
    assert notifications.stores.suppressions.suppressed(EMAIL.upper())
    later = notifications.handle(requested(order_confirmed_request("NTF-2", channels=["email"])))
    assert statuses(later) == {"email": "skipped"}
    assert notifications.emitter.of("notifications.notification_skipped")[0]["reason"] == "suppressed"
    assert len(sinks.mail.messages) == 1


def test_a_delivery_report_is_announced_once(notifications: Harness) -> None:
    notifications.handle(requested(order_confirmed_request(channels=["email"])))
    notifications.report_mail_events()
    assert notifications.delivery("NTF-ORD-1-order_confirmed", Channel.EMAIL).status is Status.DELIVERED
    [delivered] = notifications.emitter.of("notifications.notification_delivered")
    assert delivered["channel"] == "email"


def test_a_refused_address_fails_without_retry(notifications: Harness) -> None:
    notifications.sinks.mail.refused.add(EMAIL)
    handled = notifications.handle(requested(order_confirmed_request(channels=["email"])))
    assert statuses(handled) == {"email": "failed"}
    assert notifications.emitter.of("notifications.notification_failed")[0]["reason"] == "refused"


def test_an_expired_push_subscription_fails_the_push_and_is_forgotten(notifications: Harness) -> None:
    notifications.sinks.push.unsubscribe(notifications.subscription["endpoint"])
    handled = notifications.handle(requested(order_confirmed_request(channels=["push"])))
    assert statuses(handled) == {"push": "failed"}
    assert notifications.stores.recipients.preferences(CUSTOMER).push_subscriptions == ()
    later = notifications.handle(requested(order_confirmed_request("NTF-2", channels=["push"])))
    assert statuses(later) == {"push": "skipped"}


def test_a_missing_variable_fails_with_the_templates_name(notifications: Harness) -> None:
    payload = order_confirmed_request(channels=["email", "inbox"])
    del payload["variables"]["total"]
    handled = notifications.handle(requested(payload))
    assert statuses(handled) == {"email": "failed", "inbox": "failed"}
    failed = notifications.emitter.of("notifications.notification_failed")
    assert {f["reason"] for f in failed} == {"template_error"}
    assert all("order_confirmed" in f["detail"] and "total" in f["detail"] for f in failed)
    assert notifications.sinks.counts()["email"] == 0


def test_sms_needs_consent_and_an_opted_out_channel_is_skipped(notifications: Harness) -> None:
    from lambdas.notifications.policy import Preferences

    notifications.stores.recipients.save(Preferences(CUSTOMER, channels={Channel.EMAIL: False}))
    handled = notifications.handle(requested(order_confirmed_request(channels=["email", "sms", "inbox"])))
    assert statuses(handled) == {"email": "skipped", "sms": "skipped", "inbox": "sent"}
    reasons = {
        p["channel"]: p["reason"] for p in notifications.emitter.of("notifications.notification_skipped")
    }
    assert reasons == {"email": "opted_out", "sms": "opted_out"}
    assert notifications.sinks.counts()["email"] == notifications.sinks.counts()["sms"] == 0


def test_quiet_hours_hold_a_push_until_they_end(notifications: Harness) -> None:
    from datetime import UTC, datetime

    from lambdas.notifications.catalog import QuietHours
    from lambdas.notifications.policy import Preferences

    current = notifications.stores.recipients.preferences(CUSTOMER)
    hour = datetime.fromtimestamp(notifications.clock.now, UTC).hour
    quiet = QuietHours(start=f"{hour:02d}:00", end=f"{(hour + 2) % 24:02d}:00", timezone="UTC")
    notifications.stores.recipients.save(Preferences(**{**current.__dict__, "quiet_hours": quiet}))
    handled = notifications.handle(requested(order_confirmed_request(channels=["push", "inbox"])))
    assert statuses(handled) == {"push": "waiting", "inbox": "sent"} and handled.come_back_at is not None
    notifications.clock.advance(handled.come_back_at - notifications.clock.now)
    assert statuses(notifications.handle(requested(order_confirmed_request(channels=["push", "inbox"])))) == {
        "push": "sent",
        "inbox": "sent",
    }


def test_the_recipient_limit_holds_the_extra_messages_until_the_next_hour(notifications: Harness) -> None:
    outcomes = [
        statuses(notifications.handle(requested(order_confirmed_request(f"NTF-L{n}", channels=["sms"]))))[
            "sms"
        ]
        for n in range(7)
    ]
    assert (
        outcomes.count("sent") == 5 and outcomes.count("waiting") == 2
    )  # config: 5 SMS per recipient per hour
    assert len(notifications.sinks.sms.received_by(PHONE)) == 5


def test_an_opted_out_number_is_a_refusal(notifications: Harness) -> None:
    notifications.sinks.sms.opted_out.add(PHONE)
    handled = notifications.handle(requested(order_confirmed_request(channels=["sms"])))
    assert statuses(handled) == {"sms": "failed"}

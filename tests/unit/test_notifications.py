"""The notification service's rules without I/O: the delivery state machine, preferences and quiet hours,
the egress guard (with a resolver standing for DNS), templates, the catalog, signing-secret rotation,
Web Push encryption against the reference library, and what the queue's events become."""

from __future__ import annotations

import base64
import json
import os
import random
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import http_ece
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from lambdas.notifications.catalog import (
    CHANNEL_FILES,
    TEMPLATES_DIR,
    Catalog,
    Channel,
    QuietHours,
    get_catalog,
)
from lambdas.notifications.channels import signature
from lambdas.notifications.delivery import (
    RECONCILE_WINDOW_SECONDS,
    Delivery,
    Status,
    Step,
    claimable,
    retry_delay,
    step_after_claim,
    step_when_not_claimed,
)
from lambdas.notifications.egress import Egress, UnsafeDestination, is_public
from lambdas.notifications.inbox import PreferencesRequest, entry_id, sort_key_of
from lambdas.notifications.intake import Unroutable, notifications_for
from lambdas.notifications.models import Notification, Recipient, delivery_id
from lambdas.notifications.policy import Preferences, Skip, check, quiet_until
from lambdas.notifications.render import Renderer, TemplateError
from lambdas.notifications.secrets import endpoint_from, new_signing_secret, rotate_secret
from lambdas.notifications.webpush_crypto import encrypt
from platform_core.envelope import Event
from tests.fixtures.notifications import envelope, order_confirmed_request
from tools.traffic import TrafficGenerator

NOW = 1_800_000_000.0


def delivery(**fields: Any) -> Delivery:
    return Delivery("d-" + "0" * 32, "NTF-1", fields.pop("channel", Channel.EMAIL), **fields)


def notification(**changes: Any) -> Notification:
    values: dict[str, Any] = {
        "notification_id": "NTF-1",
        "customer_id": "cust-1",
        "template": "order_confirmed",
        "locale": "en",
        "channels": (Channel.EMAIL,),
        "cause": "notifications.notification_requested",
        "cause_event_id": "e-1",
        "requested_at": datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
        "recipient": Recipient(name="Ann", email="ann@example.com", phone="+33600000000"),
        "variables": {"order_id": "ORD-1", "client_order_ref": "PO-1", "total": "1234.5", "currency": "EUR"},
    }
    values.update(changes)
    return Notification(**values)


# -- the delivery state machine ------------------------------------------------------------------


def test_a_new_or_due_delivery_is_claimable_and_a_held_one_is_not() -> None:
    assert claimable(None, NOW)
    assert claimable(delivery(status=Status.WAITING, next_attempt_at=NOW - 1), NOW)
    assert not claimable(delivery(status=Status.WAITING, next_attempt_at=NOW + 1), NOW)
    assert claimable(delivery(status=Status.WAITING, next_attempt_at=NOW + 600, provider_accepted=True), NOW)
    assert not claimable(delivery(status=Status.SENDING, lease_until=NOW + 1), NOW)
    assert claimable(delivery(status=Status.SENDING, lease_until=NOW - 1), NOW)
    for final in (Status.SENT, Status.FAILED, Status.SKIPPED, Status.DELIVERED, Status.BOUNCED):
        assert not claimable(delivery(status=final), NOW)


def test_a_dead_senders_email_waits_for_the_report_then_is_settled_or_sent_again() -> None:
    died = delivery(status=Status.SENDING, attempt_started_at=NOW - 200, lease_until=NOW - 80)
    assert step_after_claim(died, NOW) is Step.AWAIT_REPORT
    assert step_after_claim(died, NOW - 200 + RECONCILE_WINDOW_SECONDS + 1) is Step.SEND
    accepted = delivery(status=Status.WAITING, unknown_since=NOW - 200, provider_accepted=True)
    assert step_after_claim(accepted, NOW) is Step.SETTLE


def test_a_dead_senders_push_webhook_or_inbox_is_sent_again_at_once() -> None:
    for channel in (Channel.PUSH, Channel.WEBHOOK, Channel.INBOX):
        died = delivery(
            channel=channel, status=Status.SENDING, attempt_started_at=NOW - 200, lease_until=NOW - 80
        )
        assert step_after_claim(died, NOW) is Step.SEND


def test_a_claim_refused_says_why() -> None:
    assert step_when_not_claimed(delivery(status=Status.SENT), NOW) is Step.DONE
    assert step_when_not_claimed(delivery(status=Status.SENDING, lease_until=NOW + 5), NOW) is Step.BUSY
    assert step_when_not_claimed(delivery(status=Status.WAITING, next_attempt_at=NOW + 5), NOW) is Step.WAIT


def test_retries_follow_the_schedule_with_jitter_and_end() -> None:
    schedule = (30, 120, 600)
    rng = random.Random(1)
    for attempt, step in enumerate(schedule, start=1):
        waits = [retry_delay(schedule, attempt, rng) for _ in range(200)]
        assert all(w is not None and step / 2 <= w <= step for w in waits)
        assert len({round(w or 0, 3) for w in waits}) > 100  # spread out, not a fixed step
    assert retry_delay(schedule, 4, rng) is None


# -- preferences, quiet hours ----------------------------------------------------------------------


def test_defaults_opt_in_email_and_opt_out_sms_until_the_customer_says_otherwise() -> None:
    catalog = get_catalog()
    nobody = Preferences("cust-1")
    check(catalog, notification(), nobody, Channel.EMAIL, suppressed=False)
    with pytest.raises(Skip, match="opted_out"):
        check(catalog, notification(), nobody, Channel.SMS, suppressed=False)
    check(catalog, notification(), Preferences("cust-1", {Channel.SMS: True}), Channel.SMS, suppressed=False)
    with pytest.raises(Skip, match="suppressed"):
        check(catalog, notification(), nobody, Channel.EMAIL, suppressed=True)
    with pytest.raises(Skip, match="no_destination"):
        check(catalog, notification(recipient=Recipient()), nobody, Channel.EMAIL, suppressed=False)
    with pytest.raises(Skip, match="no_destination"):
        check(catalog, notification(), nobody, Channel.PUSH, suppressed=False)


def test_quiet_hours_cross_midnight_in_the_customers_time_zone() -> None:
    catalog = get_catalog()
    tokyo = Preferences("cust-1", quiet_hours=QuietHours(start="22:00", end="07:00", timezone="Asia/Tokyo"))
    late = datetime(2026, 12, 4, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    until = quiet_until(catalog, tokyo, Channel.PUSH, late)
    assert until is not None and until.astimezone(UTC) == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert quiet_until(catalog, tokyo, Channel.PUSH, datetime(2026, 12, 4, 3, 0, tzinfo=UTC)) is None  # noon
    assert quiet_until(catalog, tokyo, Channel.EMAIL, late) is None  # e-mail ignores quiet hours
    early = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # 05:00 in Tokyo
    until = quiet_until(catalog, tokyo, Channel.SMS, early)
    assert until is not None and until.astimezone(UTC) == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


# -- egress ------------------------------------------------------------------------------------------


def resolver(answers: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in answers:
            raise socket.gaierror(f"unknown host {host}")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    return resolve


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.1.2.3"],
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["100.64.0.1"],
        ["192.168.1.10"],
        ["93.184.216.34", "10.0.0.1"],
    ],
)
def test_a_name_resolving_to_any_private_address_is_refused(addresses: list[str]) -> None:
    egress = Egress(resolver=resolver({"hooks.partner.example": addresses}))
    with pytest.raises(UnsafeDestination, match="non-public"):
        egress.target("https://hooks.partner.example/stockoss")


def test_a_public_name_is_called_at_the_address_that_was_checked() -> None:
    answers = {"hooks.partner.example": ["93.184.216.34"]}
    target = Egress(resolver=resolver(answers)).target("https://hooks.partner.example:8443/in?x=1")
    assert (target.address, target.host, target.port, target.path) == (
        "93.184.216.34",
        "hooks.partner.example",
        8443,
        "/in?x=1",
    )


def test_only_https_without_credentials_unless_the_deployment_allows_the_host() -> None:
    egress = Egress(resolver=resolver({"hooks.partner.example": ["93.184.216.34"]}))
    with pytest.raises(UnsafeDestination, match="https"):
        egress.target("http://hooks.partner.example/in")
    with pytest.raises(UnsafeDestination, match="credentials"):
        egress.target("https://user:pw@hooks.partner.example/in")
    local = Egress(frozenset({"receiver.local:8080"}), resolver=resolver({"receiver.local": ["127.0.0.1"]}))
    assert local.target("http://receiver.local:8080/hooks/p").address == "127.0.0.1"
    with pytest.raises(UnsafeDestination):
        local.target("http://receiver.local:8081/hooks/p")  # another port of the same host


def test_metadata_and_mapped_addresses_are_not_public() -> None:
    import ipaddress

    for address in (
        "169.254.169.254",
        "fd00:ec2::254",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ):
        assert not is_public(ipaddress.ip_address(address)), address
    assert is_public(ipaddress.ip_address("93.184.216.34"))


def test_a_pinned_post_reaches_the_checked_address_with_the_names_host_header() -> None:
    from local_platform.emulators.webhook_receiver import WebhookReceiver

    secret = new_signing_secret()
    with WebhookReceiver() as receiver:
        port = int(receiver.url.rsplit(":", 1)[1])
        receiver.endpoint("p1", [secret])
        egress = Egress(
            frozenset({f"hooks.partner.example:{port}"}),
            resolver=resolver({"hooks.partner.example": ["127.0.0.1"]}),
        )
        body = b'{"type":"t"}'
        now = datetime.now(UTC)
        headers = {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature((secret,), "msg_1", now, body),
        }
        answer = egress.post(f"http://hooks.partner.example:{port}/hooks/p1", body, headers)
        assert answer.status == 204 and len(receiver.messages("p1")) == 1


# -- webhook signatures and rotation ------------------------------------------------------------------


def test_during_a_rotation_both_secrets_sign_and_either_verifies_then_only_the_new_one() -> None:
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    document: dict[str, Any] = {
        "partner-demo": {
            "url": "https://hooks.partner.example/in",
            "secrets": [{"secret": new_signing_secret(), "expires_at": None}],
        }
    }
    old = document["partner-demo"]["secrets"][0]["secret"]
    rotated, new = rotate_secret(document, "partner-demo", timedelta(hours=24), now)
    body, sent_at = b'{"a":1}', datetime.now(UTC)
    during = endpoint_from("partner-demo", rotated["partner-demo"], now + timedelta(hours=1))
    assert during.secrets == (new, old)
    header = signature(during.secrets, "msg_1", sent_at, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": header,
    }
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"a": 1}
    after = endpoint_from("partner-demo", rotated["partner-demo"], now + timedelta(hours=25))
    assert after.secrets == (new,)
    headers["webhook-signature"] = signature(after.secrets, "msg_1", sent_at, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_a_tampered_body_or_id_does_not_verify() -> None:
    secret, sent_at = new_signing_secret(), datetime.now(UTC)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature((secret,), "msg_1", sent_at, b'{"total":"10.00"}'),
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"total":"99.00"}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"total":"10.00"}', {**headers, "webhook-id": "msg_2"})


# -- Web Push encryption -------------------------------------------------------------------------------


def test_web_push_payloads_decrypt_with_the_reference_implementation() -> None:
    browser = ec.generate_private_key(ec.SECP256R1())
    public = browser.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    auth = os.urandom(16)

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    payload = json.dumps({"title": "Commande confirmée", "tag": "d-1"}).encode()
    body = encrypt(payload, b64(public), b64(auth))
    assert http_ece.decrypt(body, private_key=browser, auth_secret=auth, version="aes128gcm") == payload
    assert encrypt(payload, b64(public), b64(auth)) != body  # a fresh key and salt every time
    with pytest.raises(ValueError, match="at most"):
        encrypt(b"x" * 5000, b64(public), b64(auth))


# -- templates -----------------------------------------------------------------------------------------


def test_every_template_has_every_channels_files_in_every_locale() -> None:
    catalog = get_catalog()
    for template in catalog.templates:
        locales = [p.name for p in (TEMPLATES_DIR / template).iterdir()]
        assert sorted(locales) == ["en", "fr"], template
        for locale in locales:
            for channel in Channel:
                for name in CHANNEL_FILES[channel]:
                    assert (TEMPLATES_DIR / template / locale / name).is_file(), f"{template}/{locale}/{name}"


def test_every_template_renders_on_every_channel_in_both_languages() -> None:
    renderer = Renderer(get_catalog())
    variables = {
        "order_confirmed": {
            "order_id": "ORD-1",
            "client_order_ref": "PO-1",
            "total": "10",
            "currency": "EUR",
        },
        "order_rejected": {"order_id": "ORD-1", "client_order_ref": "PO-1", "reason": "out_of_stock"},
        "invoice_issued": {
            "invoice_number": "F-2026-000001",
            "invoice_id": "INV-1",
            "total": "12",
            "currency": "EUR",
            "issue_date": "2026-12-04",
        },
        "document_rejected": {
            "file_name": "scan.pdf",
            "reason": "encrypted",
            "detail": "The PDF is encrypted",
        },
    }
    for template, values in variables.items():
        for locale in ("en", "fr"):
            for channel in Channel:
                content = renderer.render(
                    notification(template=template, locale=locale, variables=values), channel
                )
                assert "{{" not in content.text + content.subject + content.title


def test_a_missing_variable_is_an_error_naming_the_template() -> None:
    renderer = Renderer(get_catalog())
    with pytest.raises(TemplateError, match=r"order_confirmed.*currency"):
        renderer.render(
            notification(variables={"order_id": "ORD-1", "client_order_ref": "PO-1", "total": "1"}),
            Channel.EMAIL,
        )


def test_a_locale_without_translation_falls_back_and_formats_for_the_customer() -> None:
    content = Renderer(get_catalog()).render(notification(locale="de-DE"), Channel.EMAIL)
    assert content.subject == "Your order PO-1 is confirmed"
    assert "1.234,50\xa0€" in content.text  # German number format, English text


def test_variables_are_escaped_in_html_only() -> None:
    evil = notification(
        variables={
            "order_id": "ORD-1",
            "client_order_ref": "<script>x</script>",
            "total": "1",
            "currency": "EUR",
        }
    )
    content = Renderer(get_catalog()).render(evil, Channel.EMAIL)
    assert "<script>" not in (content.html or "") and "&lt;script&gt;" in (content.html or "")
    assert "<script>x</script>" in content.subject


def test_the_catalog_refuses_an_event_mapped_to_a_template_it_cannot_fill() -> None:
    document = get_catalog().model_dump(mode="json")
    document["events"]["billing.invoice_issued"]["variables"].pop("total")
    with pytest.raises(ValueError, match="invoice_issued needs total"):
        Catalog.model_validate(document)


def test_the_documented_reasons_exist_in_both_languages() -> None:
    import yaml

    reasons = {
        p.parent.name: set(yaml.safe_load(p.read_text()))
        for p in Path(TEMPLATES_DIR / "_shared").glob("*/reasons.yaml")
    }
    assert reasons["en"] == reasons["fr"]


# -- what the queue's events become -----------------------------------------------------------------


def test_a_v1_request_is_one_channel_without_an_address() -> None:
    payload = {
        "notification_id": "NTF-1",
        "customer_id": "c-1",
        "channel": "email",
        "template": "order_rejected",
        "locale": "fr",
    }
    [one] = notifications_for(
        Event.model_validate_json(envelope("notifications.notification_requested", payload, "1")),
        get_catalog(),
    )
    assert one.channels == (Channel.EMAIL,) and one.recipient == Recipient()


def test_an_issued_invoice_becomes_one_notification_per_invoice() -> None:
    invoice = {
        "invoice_id": "INV-7",
        "invoice_number": "F-2026-000007",
        "customer_id": "cust-1",
        "order_id": "ORD-7",
        "issue_date": "2026-12-04",
        "locale": "fr",
        "total": {"amount": "120.00", "currency": "EUR"},
    }
    event = Event.model_validate(
        {
            **json.loads(envelope("notifications.notification_requested", order_confirmed_request())),
            "event_type": "billing.invoice_issued",
            "schema_version": "2",
            "payload": invoice,
        }
    )
    [one] = notifications_for(event, get_catalog())
    assert one.notification_id == "invoice_issued:INV-7" and one.channels == (Channel.INBOX, Channel.PUSH)
    assert one.variables["total"] == "120.00" and one.variables["currency"] == "EUR"
    assert (
        notifications_for(event.model_copy(update={"payload": {**invoice, "customer_id": ""}}), get_catalog())
        == []
    )
    with pytest.raises(Unroutable):
        notifications_for(event.model_copy(update={"event_type": "orders.order_created"}), get_catalog())


def test_an_invoice_issued_before_v2_is_announced_with_its_issue_time() -> None:
    """v1 of billing.invoice_issued has issued_at and no issue_date: still an accepted contract."""
    _, issued = TrafficGenerator(seed=5).event_of_type("billing.invoice_issued")
    event = Event.model_validate_json(
        envelope("billing.invoice_issued", issued["payload"], "1", team="billing")
    )
    [one] = notifications_for(event, get_catalog())
    assert one.variables["issue_date"] == issued["payload"]["issued_at"]
    assert one.variables["invoice_number"] == issued["payload"]["invoice_number"]


def test_delivery_ids_are_stable_short_and_differ_per_channel() -> None:
    email, push = delivery_id("NTF-1", Channel.EMAIL), delivery_id("NTF-1", Channel.PUSH)
    assert email == delivery_id("NTF-1", Channel.EMAIL) and email != push
    assert len(email) == 34 and email[2:].isalnum()


def test_inbox_ids_round_trip_and_preferences_are_checked() -> None:
    sort_key = "2026-12-04T10:00:00+00:00#NTF-1"
    assert sort_key_of(entry_id(sort_key)) == sort_key
    assert sort_key_of("!!") is None
    with pytest.raises(ValueError):
        PreferencesRequest.model_validate(
            {"quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Nowhere/City"}}
        )
    with pytest.raises(ValueError):
        PreferencesRequest.model_validate({"phone": "0612345678"})  # not E.164


def test_a_rejected_document_without_a_file_name_is_named_by_its_id() -> None:
    rejected = {
        "document_id": "DOC-9",
        "owner_team": "orders",
        "reason": "encrypted",
        "detail": "The PDF is encrypted",
        "size_bytes": 1000,
        "rejected_uri": "s3://bucket/rejected/DOC-9",
        "rejected_at": "2026-12-04T10:00:00+00:00",
        "customer_id": "cust-1",
    }
    event = Event.model_validate_json(
        envelope("documents.document_rejected", rejected, "1", team="documents")
    )
    [one] = notifications_for(event, get_catalog())
    assert one.notification_id == "document_rejected:DOC-9" and one.variables["file_name"] == "DOC-9"


def test_the_inbox_scope_is_the_authorizers_own_and_only_the_web_apps() -> None:
    from lambdas.notifications.api_handler import INBOX_SCOPE
    from platform_core.config import ROOT, load_config

    identity = load_config().services["orders-authorizer"].identity
    assert identity is not None and INBOX_SCOPE in identity.scopes
    assert {name for name, c in identity.clients.items() if INBOX_SCOPE in c.scopes} == {"web-app"}
    document = yaml.safe_load((ROOT / "api" / "openapi.yaml").read_text(encoding="utf-8"))
    required = [
        requirement["ordersAuthorizer"]
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and operation.get("x-platform-function") == "notifications-api"
        for requirement in operation["security"]
    ]
    assert len(required) == 5
    assert all(scopes == [f"{identity.resource_server}/{INBOX_SCOPE}"] for scopes in required)

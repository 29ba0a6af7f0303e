"""scripts/webhook_secrets against the moto server: set, rotate (both secrets sign during the overlap),
show (no secret values), enable after a 410."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from lambdas.notifications.secrets import endpoint_from
from lambdas.notifications.store import DynamoEndpoints
from local_platform.provision import provision_service
from platform_core.resources import Resources
from scripts import webhook_secrets
from tests.fixtures.aws import isolated_config

pytestmark = pytest.mark.integration


@pytest.fixture
def env(aws_endpoint_url: str, monkeypatch: pytest.MonkeyPatch) -> Resources:
    config = isolated_config()
    resources = Resources(config, "dev")
    provision_service(resources, webhook_secrets.SERVICE)
    monkeypatch.setattr(webhook_secrets, "get_config", lambda: config)
    return resources


def test_set_then_rotate_keeps_the_old_secret_signing_for_the_overlap(env: Resources) -> None:
    first = webhook_secrets.set_endpoint("dev", "partner-demo", "https://hooks.partner.example/in")
    assert first is not None and first.startswith("whsec_")
    assert webhook_secrets.set_endpoint("dev", "partner-demo", "https://hooks.partner.example/v2") is None
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    second = webhook_secrets.rotate("dev", "partner-demo", now)
    secret_id = env.service_secrets(webhook_secrets.SERVICE)["webhooks"]
    document = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    entry = document["partner-demo"]
    assert entry["url"] == "https://hooks.partner.example/v2"
    assert endpoint_from("partner-demo", entry, now + timedelta(hours=23)).secrets == (second, first)
    assert endpoint_from("partner-demo", entry, now + timedelta(hours=25)).secrets == (second,)
    shown = json.dumps(webhook_secrets.show("dev"))
    assert "whsec_" not in shown and "hooks.partner.example/v2" in shown


def test_plain_http_endpoints_are_refused(env: Resources) -> None:
    with pytest.raises(SystemExit, match="https"):
        webhook_secrets.set_endpoint("dev", "partner-demo", "http://hooks.partner.example/in")


def test_enable_reopens_an_endpoint_disabled_after_a_410(env: Resources) -> None:
    table = env.service_tables(webhook_secrets.SERVICE)["endpoints"]
    endpoints = DynamoEndpoints(boto3.client("dynamodb"), table)
    endpoints.disable("partner-demo", "410 Gone")
    assert endpoints.state("partner-demo").disabled
    webhook_secrets.enable("dev", "partner-demo")
    assert not endpoints.state("partner-demo").disabled


def test_vapid_puts_a_key_pair_the_sender_can_sign_with(env: Resources) -> None:
    from py_vapid import Vapid02

    public = webhook_secrets.vapid("dev", "mailto:ops@stockoss.example.com")
    secret_id = env.service_secrets(webhook_secrets.SERVICE)["push"]
    stored = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    assert stored["public_key"] == public and stored["subject"] == "mailto:ops@stockoss.example.com"
    signed = Vapid02.from_string(stored["private_key"]).sign(
        {"sub": stored["subject"], "aud": "https://push.example"}
    )
    assert f"k={public}" in signed["Authorization"]

"""MSK IAM authentication for real: SASL/OAUTHBEARER over TLS, the signer's tokens, a listener that requires them.

The broker is Tansu behind the MSK-style IAM listener (local_platform/kafka_iam_listener.py):
every connection must authenticate with a valid MSK IAM token before any Kafka request.
The clients are configured exactly as in a Lambda on MSK (KafkaConnection with SASL_SSL, the
aws-msk-iam-sasl-signer token callback), only the CA is the listener's own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from botocore.credentials import CredentialProvider, Credentials
from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from lambdas.kafka_bridge.producer import KafkaPublisher, to_kafka_record
from local_platform.kafka_broker import KafkaBroker
from platform_core.envelope import Event
from platform_core.kafka import SESSION_TIMEOUT_MS
from platform_core.local_state import LOCAL_CREDENTIALS
from platform_core.registry import get_registry
from tools.traffic import TrafficGenerator

pytestmark = [pytest.mark.kafka]

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def iam_kafka() -> Iterator[KafkaBroker]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in {**LOCAL_CREDENTIALS, "AWS_REGION": REGION}.items():
            env.setenv(name, value)
        env.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)  # this test needs its own listener
        broker = KafkaBroker(msk_iam=True)
        broker.start()
        try:
            yield broker
        finally:
            broker.stop()


def _refusals(broker: KafkaBroker) -> list[str]:
    assert broker.listener is not None
    return broker.listener.refused


def test_the_bridge_produces_and_a_consumer_reads_through_msk_iam_authentication(
    iam_kafka: KafkaBroker,
) -> None:
    settings = iam_kafka.settings()
    assert settings.security_protocol == "SASL_SSL" and settings.ssl_ca_location
    events = [
        Event.model_validate(
            {**raw, "team": team, "received_at": datetime.now(UTC), "ingest_id": "r", "correlation_id": "c"}
        )
        for team, raw in TrafficGenerator(seed=41).events(30)
    ]
    records = [to_kafka_record(e.model_dump_json(), "dev", get_registry()) for e in events]
    topics = sorted({r.topic for r in records})
    admin = AdminClient(settings.client_config())
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
        future.result(timeout=30)

    publisher = KafkaPublisher(settings, 20_000)
    assert publisher.publish(records) == [None] * len(records)
    publisher.close()

    consumer = Consumer(
        {
            **settings.client_config(),
            "group.id": f"iam-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": SESSION_TIMEOUT_MS,
        }
    )
    consumer.subscribe(topics)
    read: list[bytes] = []
    deadline = time.monotonic() + 60
    try:
        while len(read) < len(records) and time.monotonic() < deadline:
            message = consumer.poll(1)
            if message is not None and message.error() is None:
                value = message.value()
                assert value is not None, "every record written has a value"
                read.append(value)
    finally:
        consumer.close()
    assert sorted(read) == sorted(r.value for r in records)
    assert _refusals(iam_kafka) == []


def test_a_client_that_does_not_authenticate_gets_nothing(iam_kafka: KafkaBroker) -> None:
    settings = iam_kafka.settings()
    before = len(_refusals(iam_kafka))
    tls_only: dict[str, str | int | float | bool] = {
        "bootstrap.servers": settings.bootstrap_servers,
        "security.protocol": "SSL",
        "ssl.ca.location": settings.ssl_ca_location,
    }
    with pytest.raises(KafkaException):
        AdminClient(tls_only).list_topics(timeout=5)
    assert any("before SASL authentication" in r for r in _refusals(iam_kafka)[before:])


class _OtherSecret(CredentialProvider):
    """The local access key with a secret the listener does not know: a forged signature."""

    def load(self) -> Credentials:
        return Credentials(
            LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"], "not-the-secret", LOCAL_CREDENTIALS["AWS_SESSION_TOKEN"]
        )


def test_a_token_signed_with_another_secret_is_refused(iam_kafka: KafkaBroker) -> None:
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def forged(_config: str | None) -> tuple[str, float]:
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
            REGION, _OtherSecret()
        )
        return token, expiry_ms / 1000

    before = len(_refusals(iam_kafka))
    config = {**iam_kafka.settings().client_config(), "oauth_cb": forged}
    with pytest.raises(KafkaException):
        AdminClient(config).list_topics(timeout=5)
    assert "the token's signature does not match" in _refusals(iam_kafka)[before:]

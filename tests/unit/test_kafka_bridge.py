"""The Kafka bridge with a fake producer: topic, key and headers from the event; only failures return."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from lambdas.kafka_bridge import handler
from lambdas.kafka_bridge.bridge import Bridge
from lambdas.kafka_bridge.producer import KafkaPublisher, PoisonMessage, producer_config, to_kafka_record
from platform_core.envelope import Event
from platform_core.kafka import KafkaConnection, MskTokenError
from platform_core.lambda_context import LocalLambdaContext
from platform_core.registry import get_registry
from tools.traffic import TrafficGenerator


class FakeError:
    def __init__(self, text: str, fatal: bool = False):
        self._text, self._fatal = text, fatal

    def fatal(self) -> bool:
        return self._fatal

    def __str__(self) -> str:
        return self._text


class FakeProducer:
    """Records produce() calls; delivery reports are served by flush(), as librdkafka does."""

    def __init__(
        self, config: dict[str, Any], fail_keys: frozenset[bytes] = frozenset(), full_once: bool = False
    ):
        self.config = config
        self.fail_keys = fail_keys
        self.full_once = full_once
        self.produced: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = []
        self._pending: list[tuple[Callable[..., None], bytes]] = []

    def produce(
        self, topic: str, value: bytes, key: bytes, headers: Any, on_delivery: Callable[..., None]
    ) -> None:
        if self.full_once:
            self.full_once = False
            raise BufferError("queue full")
        self.produced.append((topic, key, value, headers))
        self._pending.append((on_delivery, key))

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        for callback, key in self._pending:
            callback(FakeError("broker down") if key in self.fail_keys else None, None)
        self._pending.clear()
        return 0


def event(event_type: str = "orders.order_created", seed: int = 0) -> Event:
    team, raw = TrafficGenerator(seed=seed).event_of_type(event_type)
    return Event.model_validate(
        {**raw, "team": team, "received_at": datetime.now(UTC), "ingest_id": "r", "correlation_id": "corr-1"}
    )


def sqs_record(body: str) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "rh",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:outbox",
        "awsRegion": "eu-west-1",
    }


def test_topic_key_and_headers_come_from_the_event() -> None:
    created = event()
    record = to_kafka_record(created.model_dump_json(), "dev", get_registry())
    assert record.topic == "dev.orders.order_created"
    assert record.key == created.payload["order_id"].encode()
    assert dict(record.headers) == {
        "event_id": str(created.event_id).encode(),
        "event_type": b"orders.order_created",
        "team": b"orders",
        "correlation_id": b"corr-1",
    }
    assert record.value == created.model_dump_json().encode()


def test_a_message_without_a_valid_event_is_poison() -> None:
    with pytest.raises(PoisonMessage):
        to_kafka_record("{}", "dev", get_registry())
    bad = event().model_copy(update={"payload": {"customer_id": "c"}})
    with pytest.raises(PoisonMessage, match="order_id"):
        to_kafka_record(bad.model_dump_json(), "dev", get_registry())


def test_the_producer_is_idempotent_with_acks_all() -> None:
    config = producer_config(KafkaConnection("b:9092"), 5000)
    assert config["enable.idempotence"] is True and config["acks"] == "all"
    assert config["message.timeout.ms"] == 5000 and config["security.protocol"] == "PLAINTEXT"


def _credentials(monkeypatch: pytest.MonkeyPatch, present: bool) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup on this machine
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        if present:
            monkeypatch.setenv(name, "AKIDEXAMPLE")
        else:
            monkeypatch.delenv(name, raising=False)


def test_msk_uses_iam_oauthbearer_over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    _credentials(monkeypatch, present=True)
    config = KafkaConnection("b-1.msk:9098", "SASL_SSL", "eu-west-1").client_config()
    assert config["security.protocol"] == "SASL_SSL" and config["sasl.mechanism"] == "OAUTHBEARER"
    token, expires_at = config["oauth_cb"](None)
    assert base64.urlsafe_b64decode(token + "==").startswith(
        b"https://kafka.eu-west-1.amazonaws.com/?Action="
    )
    assert expires_at > time.time()


def test_an_msk_token_that_cannot_be_made_fails_the_bridge_at_once_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Left to librdkafka, the callback's error is swallowed and the producer stalls 10 s, reason lost."""
    _credentials(monkeypatch, present=False)
    with pytest.raises(MskTokenError, match="no AWS credentials"):
        KafkaPublisher(KafkaConnection("b-1.msk:9098", "SASL_SSL", "eu-west-1"), 5000)
    _credentials(monkeypatch, present=True)
    with pytest.raises(MskTokenError, match="without a region"):
        KafkaConnection("b-1.msk:9098", "SASL_SSL", "").client_config()


def test_a_failed_token_refresh_is_logged_with_its_reason(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _credentials(monkeypatch, present=True)
    refresh = KafkaConnection("b-1.msk:9098", "SASL_SSL", "eu-west-1").client_config()["oauth_cb"]
    _credentials(monkeypatch, present=False)  # the credentials went away between two refreshes
    with pytest.raises(MskTokenError):
        refresh(None)
    assert "MSK IAM token refresh failed" in caplog.text and "no AWS credentials" in caplog.text


def test_only_the_messages_kafka_did_not_acknowledge_return_to_the_queue() -> None:
    base = event()
    events = [
        base.model_copy(
            update={"event_id": uuid.uuid4(), "payload": {**base.payload, "order_id": f"ORD-{i}"}}
        )
        for i in range(6)
    ]
    failing_key = events[2].payload["order_id"].encode()
    producers: list[FakeProducer] = []

    def factory(config: dict[str, Any]) -> FakeProducer:
        producers.append(FakeProducer(config, fail_keys=frozenset({failing_key}), full_once=True))
        return producers[-1]

    bridge = Bridge(
        "stockoss", "dev", get_registry(), KafkaPublisher(KafkaConnection("b:9092"), 5000, factory)
    )
    records = [sqs_record(e.model_dump_json()) for e in events] + [sqs_record("not json")]
    with handler.kafka_bridge.overridden(bridge):
        response = handler.lambda_handler({"Records": records}, LocalLambdaContext("bridge"))
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        assert failed == {records[2]["messageId"], records[-1]["messageId"]}
        assert len(producers[0].produced) == 6  # the full queue was waited out, not skipped
        # The producer is created once and reused by the next invocation.
        handler.lambda_handler({"Records": records[:1]}, LocalLambdaContext("bridge"))
    assert len(producers) == 1

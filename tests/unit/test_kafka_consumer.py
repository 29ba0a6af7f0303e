"""The reference consumer's dead-letter topic: a refusal is an error, never a silent skip."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError

from lambdas.consumers.kafka_consumer import DeadLetterTopic, ParkingFailed
from platform_core.kafka import KafkaConnection


class Message:
    def topic(self) -> str:
        return "dev.orders.order_created"

    def partition(self) -> int:
        return 2

    def offset(self) -> int:
        return 41

    def key(self) -> bytes:
        return b"ORD-1"

    def value(self) -> bytes:
        return b"{}"

    def headers(self) -> list[tuple[str, bytes]]:
        return [("event_id", b"e-1")]


class Producer:
    """Answers every produce with the given delivery error (None: delivered) when flushed, or never."""

    def __init__(self, error: KafkaError | None, answers: bool = True):
        self.error, self.answers = error, answers
        self.config: dict[str, Any] = {}
        self.sent: list[dict[str, Any]] = []
        self._pending: list[Any] = []

    def produce(self, topic: str, **kwargs: Any) -> None:
        self.sent.append({"topic": topic, **kwargs})
        self._pending.append(kwargs["on_delivery"])

    def flush(self, _timeout: float) -> int:
        if self.answers:
            for callback in self._pending:
                callback(self.error, None)
            self._pending.clear()
        return len(self._pending)


def dead_letters(producer: Producer) -> DeadLetterTopic:
    def factory(config: dict[str, Any]) -> Producer:
        producer.config = config
        return producer

    return DeadLetterTopic(KafkaConnection("localhost:9092"), "dev.orders.dead-letter", "g", factory=factory)


def test_a_parked_message_keeps_its_key_value_and_headers_and_says_why() -> None:
    producer = Producer(error=None)
    dead_letters(producer)(Message(), "not a stored event")  # type: ignore[arg-type]
    (sent,) = producer.sent
    headers = dict(sent["headers"])
    assert (sent["topic"], sent["key"], sent["value"]) == ("dev.orders.dead-letter", b"ORD-1", b"{}")
    assert headers["event_id"] == b"e-1" and headers["dlt-reason"] == b"not a stored event"
    assert (headers["dlt-original-partition"], headers["dlt-original-offset"]) == (b"2", b"41")
    assert producer.config["acks"] == "all" and producer.config["enable.idempotence"] is True


@pytest.mark.parametrize(
    "producer",
    [
        Producer(error=KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "denied")),
        Producer(error=None, answers=False),
    ],
    ids=["refused", "no answer"],
)
def test_a_dead_letter_topic_that_does_not_take_the_message_raises(producer: Producer) -> None:
    with pytest.raises(ParkingFailed, match=r"dev\.orders\.dead-letter did not take the message"):
        dead_letters(producer)(Message(), "processing failed 3 times")  # type: ignore[arg-type]

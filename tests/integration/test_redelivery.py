"""Putting a message back on its queue for later, against the local SQS endpoint (real boto3 calls)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from platform_core.aws import client
from platform_core.redelivery import DEFERRED_SINCE, MAX_DELAY_SECONDS, Redelivery, WaitedTooLong

pytestmark = pytest.mark.integration
RETENTION = 345_600  # four days, the platform's default


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def queue() -> tuple[Any, str, str]:
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=f"redelivery-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def received(sqs: Any, url: str, body: str, arn: str) -> dict[str, Any]:
    """The message as Lambda's SQS event carries it, after one trip through the queue."""
    sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "corr-7"}},
    )
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=1)[
        "Messages"
    ]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return lambda_record(message, arn)


def lambda_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    attributes = {
        name: {"dataType": value["DataType"], "stringValue": value["StringValue"]}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "body": message["Body"],
        "messageAttributes": attributes,
        "eventSourceARN": arn,
    }


def delayed(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessagesDelayed"])


def test_a_message_put_back_keeps_its_body_and_attributes_and_waits_its_delay(aws_endpoint_url: str) -> None:
    sqs, url, arn = queue()
    clock = Clock()
    record = received(sqs, url, '{"order_id": "ORD-1"}', arn)
    assert Redelivery(sqs, RETENTION, clock).later(record, 2.4) == 2
    assert delayed(sqs, url) == 1
    [back] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=5)["Messages"]
    assert back["Body"] == '{"order_id": "ORD-1"}'
    assert back["MessageAttributes"]["correlation_id"]["StringValue"] == "corr-7"
    assert back["MessageAttributes"][DEFERRED_SINCE]["StringValue"] == f"{clock.now:.0f}"


def test_the_delay_is_what_sqs_allows_and_until_counts_from_now(aws_endpoint_url: str) -> None:
    sqs, url, arn = queue()
    clock = Clock()
    redelivery = Redelivery(sqs, RETENTION, clock)
    record = received(sqs, url, "{}", arn)
    assert redelivery.later(record, 0) == 1
    assert redelivery.later(record, 7200) == MAX_DELAY_SECONDS  # a longer wait takes several hops
    assert redelivery.until(record, clock.now + 30) == 30
    assert redelivery.until(record, clock.now - 5) == 1  # already due: as soon as SQS can


def test_a_message_waiting_longer_than_its_queue_keeps_messages_fails(aws_endpoint_url: str) -> None:
    sqs, url, arn = queue()
    clock = Clock()
    redelivery = Redelivery(sqs, RETENTION, clock)
    redelivery.later(received(sqs, url, "{}", arn), 1)
    [back] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=5)["Messages"]
    clock.now += RETENTION  # the first put-back's time travels with the message
    assert redelivery.later(lambda_record(back, arn), 60) == 60
    clock.now += 1
    with pytest.raises(WaitedTooLong):
        redelivery.later(lambda_record(back, arn), 60)

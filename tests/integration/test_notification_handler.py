"""notification-sender's Lambda handler over the service's real parts: a batch mixing a request whose
webhook must wait (put back on the queue with a delay, acknowledged), a provider's report, and an
event no notification is mapped to (a batch item failure, towards the DLQ)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from lambdas.notifications import handler
from lambdas.notifications.catalog import Channel
from lambdas.notifications.delivery import Status
from platform_core.lambda_context import LocalLambdaContext
from platform_core.redelivery import Redelivery
from tests.fixtures.notifications import PARTNER, Harness, envelope, order_confirmed_request

pytestmark = pytest.mark.integration


def sqs_event(queue_arn: str, bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "eu-west-1",
            }
            for body in bodies
        ]
    }


def test_a_batch_puts_waiting_work_back_applies_reports_and_parks_what_is_no_notification(
    notifications: Harness,
) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName=f"t{uuid.uuid4().hex[:8]}-notifications-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    notifications.sinks.hooks.answer_next[PARTNER] = [503]
    waiting = envelope(
        "notifications.notification_requested", order_confirmed_request(channels=["webhook", "email"])
    )
    unmapped = envelope(
        "orders.order_cancelled",
        {"order_id": "ORD-1", "customer_id": "c-1", "reason": "customer_request", "cancelled_by": "customer"},
        version="1",
    )
    service = notifications.service()
    with (
        handler.notification_service.overridden(service),
        handler.feedback.overridden(notifications.feedback()),
        handler.redelivery.overridden(Redelivery(sqs, 345_600, clock=notifications.clock)),
    ):
        first = handler.lambda_handler(
            sqs_event(arn, [waiting, unmapped]), LocalLambdaContext("notification-sender")
        )
        assert len(first["batchItemFailures"]) == 1  # the unmapped event only
        report = notifications.sinks.mail.events[0]  # SES's Send event for the e-mail just sent
        second = handler.lambda_handler(
            sqs_event(arn, [json.dumps(report)]), LocalLambdaContext("notification-sender")
        )
    assert second == {"batchItemFailures": []}
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessages"]
    )["Attributes"]
    assert (
        int(attributes["ApproximateNumberOfMessagesDelayed"]) == 1
    )  # the request, back when its webhook is due
    email = notifications.delivery("NTF-ORD-1-order_confirmed", Channel.EMAIL)
    assert email.status is Status.SENT and email.provider_accepted  # the Send report recorded
    assert notifications.delivery("NTF-ORD-1-order_confirmed", Channel.WEBHOOK).status is Status.WAITING

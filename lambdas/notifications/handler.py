"""notification-sender: the notifications team's queue -> each notification out on each of its channels.

The queue carries notification requests, issued invoices and rejected documents (config:
the team's subscriptions), and the providers' reports about what was sent (SES events through
EventBridge, SMS events through SNS; feedback.py). A message whose deliveries must wait is put back on the queue
until the earliest is due and acknowledged; a message that is no notification (an event the
catalog does not map, a version it does not read) fails and reaches the team's DLQ with the
reason in the log line; an outage of the platform itself (DynamoDB, the ingest API) fails the
message so SQS brings it back.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.notifications.catalog import get_catalog
from lambdas.notifications.channels import EndUserMessagingSms, StandardWebhooks, WebPush
from lambdas.notifications.egress import Egress
from lambdas.notifications.feedback import Feedback, is_report, report_from
from lambdas.notifications.intake import Unroutable
from lambdas.notifications.secrets import WebhookDirectory, vapid_from_secret
from lambdas.notifications.service import NotificationService, Providers, Stores
from lambdas.notifications.settings import SenderSettings
from lambdas.notifications.store import (
    DynamoEndpoints,
    DynamoInbox,
    DynamoLedger,
    DynamoLimits,
    DynamoRecipients,
    DynamoSuppressions,
)
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.dependencies import Provider
from platform_core.envelope import Event
from platform_core.mail import SesMailer, SmtpMailer
from platform_core.observability import MetricUnit, logger, metrics, sqs_correlation_id, tracer
from platform_core.producer import EventProducer
from platform_core.redelivery import Redelivery

processor = BatchProcessor(event_type=EventType.SQS)


@Provider
def notification_service() -> NotificationService:
    """The execution environment's service, over the stores and providers its settings name."""
    settings = SenderSettings.from_environment()
    catalog = get_catalog()
    dynamodb = client("dynamodb")
    secretsmanager = client("secretsmanager")
    egress = Egress(settings.egress_allowed, timeout_seconds=catalog.webhooks.timeout_seconds)
    private_key, subject = vapid_from_secret(secretsmanager, settings.secret_push)
    providers = Providers(
        mailer=SmtpMailer(settings.mail_smtp_url, configuration_set=settings.mail_configuration_set)
        if settings.mail_smtp_url
        else SesMailer(client("sesv2"), settings.mail_configuration_set),
        mail_provider="smtp" if settings.mail_smtp_url else "ses",
        sms=EndUserMessagingSms(
            client("pinpoint-sms-voice-v2"),
            origination_identity=settings.sms_origination_identity,
            configuration_set=settings.sms_configuration_set,
        ),
        push=WebPush(egress, private_key, subject),
        webhooks=StandardWebhooks(egress),
        webhook_endpoint=WebhookDirectory(secretsmanager, settings.secret_webhooks),
    )
    stores = Stores(
        ledger=DynamoLedger(dynamodb, settings.table_deliveries),
        recipients=DynamoRecipients(dynamodb, settings.table_recipients),
        suppressions=DynamoSuppressions(dynamodb, settings.table_suppressions),
        endpoints=DynamoEndpoints(dynamodb, settings.table_endpoints),
        limits=DynamoLimits(dynamodb, settings.table_limits),
        inbox=DynamoInbox(dynamodb, settings.table_inbox),
    )
    emitter = EventProducer.from_secret(settings.platform_api_url, settings.platform_api_key_secret)
    return NotificationService(
        catalog=catalog, stores=stores, providers=providers, emitter=emitter, mail_from=settings.mail_from
    )


@Provider
def feedback() -> Feedback:
    """Applies the providers' reports to the same ledger and suppression list the sender reads."""
    settings = SenderSettings.from_environment()
    dynamodb = client("dynamodb")
    return Feedback(
        DynamoLedger(dynamodb, settings.table_deliveries),
        DynamoSuppressions(dynamodb, settings.table_suppressions),
        EventProducer.from_secret(settings.platform_api_url, settings.platform_api_key_secret),
        mail_provider="smtp" if settings.mail_smtp_url else "ses",
    )


@Provider
def redelivery() -> Redelivery:
    return Redelivery(client("sqs"), get_config().sqs.message_retention_seconds)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    logger.set_correlation_id(sqs_correlation_id(record.raw_event))
    message = json.loads(record.body)
    if is_report(message):
        report = report_from(message)
        if report is not None:
            applied = feedback().apply(report)
            logger.info(
                "provider report",
                extra={"delivery_id": report.delivery_id, "kind": report.kind, "known": applied is not None},
            )
        return
    event = Event.model_validate(message)
    try:
        handled = notification_service().handle(event)
    except Unroutable as exc:
        metrics.add_metric(name="NotificationsUnroutable", unit=MetricUnit.Count, value=1)
        logger.error("not a notification", extra={"event_id": str(event.event_id), "reason": str(exc)})
        raise
    for outcome in handled.outcomes:
        metrics.add_metric(
            name=f"Deliveries_{outcome.channel.value}_{outcome.status.value}", unit=MetricUnit.Count, value=1
        )
    due = handled.come_back_at
    if due is not None:
        delay = redelivery().until(record.raw_event, due)
        logger.info("deliveries waiting", extra={"event_id": str(event.event_id), "delay": delay})
    logger.info(
        "notification handled",
        extra={
            "event_id": str(event.event_id),
            "event_type": event.event_type,
            "outcomes": {o.channel.value: o.status.value for o in handled.outcomes},
        },
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )

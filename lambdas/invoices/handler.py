"""The invoice service's Lambda: billing's queue (billing.invoice_requested) -> one request at a time.

A request that must wait (the invoice it credits is not issued yet, ECB rates are stale, the
mail provider is away) fails alone and comes back after the visibility timeout; one that can
never be issued fails every time and reaches the team's DLQ with its reason in the logs.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.invoices.documents import S3DocumentStore
from lambdas.invoices.facturx_xml import warm_up
from lambdas.invoices.fx import RATES_KEY, EcbRates, RatesNotLoaded
from lambdas.invoices.legal import get_billing_config
from lambdas.invoices.service import InvoiceService, NotYet, Rejected
from lambdas.invoices.settings import InvoiceSettings
from lambdas.invoices.store import DynamoInvoiceStore
from platform_core.aws import client
from platform_core.dependencies import Provider
from platform_core.mail import Mailer, SesMailer, SmtpMailer
from platform_core.observability import MetricUnit, logger, metrics, sqs_correlation_id, tracer
from platform_core.producer import EventProducer

processor = BatchProcessor(event_type=EventType.SQS)
RATES_REFRESH_SECONDS = 3600.0


class BucketRates:
    """The ECB rates file of the service's bucket, read at first use and again every hour."""

    def __init__(self, s3: Any, bucket: str, max_age_days: int):
        self._s3 = s3
        self._bucket = bucket
        self._max_age_days = max_age_days
        self._lock = threading.Lock()
        self._rates: EcbRates | None = None
        self._read_at = 0.0

    def __call__(self) -> EcbRates:
        with self._lock:
            if self._rates is None or time.monotonic() - self._read_at > RATES_REFRESH_SECONDS:
                try:
                    body = self._s3.get_object(Bucket=self._bucket, Key=RATES_KEY)["Body"].read()
                except self._s3.exceptions.NoSuchKey as exc:
                    raise RatesNotLoaded(
                        f"s3://{self._bucket}/{RATES_KEY} is missing: load it with python -m scripts.ecb_rates"
                    ) from exc
                self._rates = EcbRates.from_csv(body.decode("utf-8"), self._max_age_days)
                self._read_at = time.monotonic()
            return self._rates


@Provider
def invoice_service() -> InvoiceService:
    """Built once per execution environment (the cold start); tests replace it with `invoice_service.overridden(...)`."""
    settings = InvoiceSettings()  # type: ignore[call-arg]  # read from the environment
    config = get_billing_config()
    s3 = client("s3")
    mailer: Mailer = (
        SmtpMailer(settings.mail_smtp_url)
        if settings.mail_smtp_url
        else SesMailer(client("sesv2"), settings.mail_configuration_set)
    )
    warm_up()
    return InvoiceService(
        config=config,
        store=DynamoInvoiceStore(client("dynamodb"), settings.table_invoices, settings.table_counters),
        documents=S3DocumentStore(s3, settings.bucket_invoices, config.retention_years),
        emitter=EventProducer.from_secret(settings.platform_api_url, settings.platform_api_key_secret),
        mailer=mailer,
        rates=BucketRates(s3, settings.bucket_invoices, config.fx.max_age_days),
        mail_from=settings.mail_from,
    )


def record_handler(record: SQSRecord) -> None:
    correlation_id = sqs_correlation_id(record.raw_event)
    logger.set_correlation_id(correlation_id)
    try:
        outcome = invoice_service().handle(record.body, correlation_id)
    except NotYet as exc:
        metrics.add_metric(name="InvoiceRequestsDeferred", unit=MetricUnit.Count, value=1)
        logger.info("invoice request deferred", extra={"message_id": record.message_id, "reason": str(exc)})
        raise
    except Rejected as exc:
        metrics.add_metric(name="InvoiceRequestsRejected", unit=MetricUnit.Count, value=1)
        logger.error(
            "invoice request rejected",
            extra={
                "message_id": record.message_id,
                "receive_count": record.attributes.approximate_receive_count,
                "reason": str(exc),
            },
        )
        raise
    if outcome.new:
        metrics.add_metric(name="InvoicesIssued", unit=MetricUnit.Count, value=1)
    if outcome.mail == "refused":
        metrics.add_metric(name="InvoiceMailsRefused", unit=MetricUnit.Count, value=1)
    logger.info(
        "invoice issued",
        extra={
            "number": outcome.number,
            "document": outcome.document_uri,
            "mail": outcome.mail,
            "new": outcome.new,
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

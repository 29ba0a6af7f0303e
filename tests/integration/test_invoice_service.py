"""The invoice service end to end, in process, against real parts: DynamoDB and S3 on the moto server,
the platform's ingest API through the local gateway, and a real SMTP server. Retries and faults
never give a second number, document, event or e-mail."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from lambdas.invoices.conformance import check_pdfa3_facturx, embedded_xml
from lambdas.invoices.documents import DocumentMismatch, S3DocumentStore, document_key
from lambdas.invoices.facturx_xml import build_xml, validate
from lambdas.invoices.fx import EcbRates
from lambdas.invoices.legal import get_billing_config
from lambdas.invoices.models import Invoice
from lambdas.invoices.render import Renderer
from lambdas.invoices.service import InvoiceService, NotYet, Rejected
from lambdas.invoices.store import DynamoInvoiceStore, StoredDocument
from local_platform.emulators.mail_sink import MailSink
from platform_core.events_table import ENVELOPE_ATTRIBUTE
from platform_core.mail import Mailer, OutgoingMail, SmtpMailer
from platform_core.producer import EventProducer
from tests.fixtures.aws import RunningGateway
from tests.fixtures.invoices import (
    BUSINESS_US,
    ISSUED_AT,
    InvoiceResources,
    credit_note_request,
    in_currency,
    invoice_request,
    issued,
    request_event,
)

pytestmark = pytest.mark.integration
SENDER = "factures@stockoss.example.com"


def service(
    endpoint: str,
    names: InvoiceResources,
    gateway: RunningGateway,
    mailer: Mailer,
    ecb_rates: EcbRates,
    **kwargs: Any,
) -> InvoiceService:
    config = get_billing_config()
    return InvoiceService(
        config=config,
        store=kwargs.pop("store", None)
        or DynamoInvoiceStore(
            boto3.client("dynamodb", endpoint_url=endpoint), names.invoices_table, names.counters_table
        ),
        documents=S3DocumentStore(
            boto3.client("s3", endpoint_url=endpoint), names.bucket, config.retention_years
        ),
        emitter=EventProducer(gateway.url, gateway.api_keys["billing"].value),
        mailer=mailer,
        rates=lambda: ecb_rates,
        mail_from=SENDER,
        **{"clock": lambda: ISSUED_AT, **kwargs},
    )


def stored_events(gateway: RunningGateway, event_type: str) -> list[dict[str, Any]]:
    """The events the platform accepted (its events table), as their envelopes."""
    items = boto3.client("dynamodb").scan(TableName=gateway.resources.events_table)["Items"]
    return [
        json.loads(item[ENVELOPE_ATTRIBUTE]["S"]) for item in items if item["event_type"]["S"] == event_type
    ]


@pytest.fixture
def issuing(aws_endpoint_url, invoice_resources, ingest_gateway, smtp_server, ecb_rates):
    def make(**kwargs: Any) -> InvoiceService:
        mailer = kwargs.pop("mailer", SmtpMailer(smtp_server.url))
        return service(aws_endpoint_url, invoice_resources, ingest_gateway, mailer, ecb_rates, **kwargs)

    return make


def test_a_request_becomes_a_stored_locked_pdf_an_event_and_one_email(
    issuing,
    aws_endpoint_url: str,
    invoice_resources: InvoiceResources,
    ingest_gateway: RunningGateway,
    smtp_server: MailSink,
) -> None:
    body = request_event(in_currency(invoice_request("ORD-1"), "USD"))
    outcome = issuing().handle(body)
    for _ in range(3):  # redeliveries of the same message
        again = issuing().handle(body)
        assert (again.number, again.document_uri, again.new) == (outcome.number, outcome.document_uri, False)
    assert outcome.number == "F-2026-000001" and outcome.mail == "sent"

    s3 = boto3.client("s3", endpoint_url=aws_endpoint_url)
    key = outcome.document_uri.removeprefix(f"s3://{invoice_resources.bucket}/")
    assert key == "invoices/stockoss-fr/2026/F-2026-000001.pdf"
    head = s3.head_object(Bucket=invoice_resources.bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"].date().isoformat() == "2036-10-21"
    assert head["ServerSideEncryption"] == "aws:kms"
    pdf = s3.get_object(Bucket=invoice_resources.bucket, Key=key)["Body"].read()
    assert check_pdfa3_facturx(pdf) == []
    validate(embedded_xml(pdf))
    assert len(s3.list_object_versions(Bucket=invoice_resources.bucket).get("Versions", [])) == 1

    [message] = smtp_server.messages
    assert message["To"] == "compta@martin.example" and "F-2026-000001" in message["Subject"]
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_filename() == "F-2026-000001.pdf" and attachment.get_payload(decode=True) == pdf

    [event] = stored_events(ingest_gateway, "billing.invoice_issued")
    payload = event["payload"]
    assert event["schema_version"] == "2" and payload["invoice_number"] == "F-2026-000001"
    assert payload["document"]["uri"] == outcome.document_uri
    assert payload["tax_in_eur"]["rate_date"] == "2026-10-20"  # the ECB rate of the day before the invoice


def test_a_mail_provider_outage_is_retried_and_sends_once(
    issuing, smtp_server: MailSink, aws_endpoint_url: str, invoice_resources: InvoiceResources
) -> None:
    body = request_event(invoice_request("ORD-2"))
    down = SmtpMailer("smtp://127.0.0.1:9")  # nothing listens there
    with pytest.raises(NotYet, match="mail provider"):
        issuing(mailer=down).handle(body)
    record = DynamoInvoiceStore(
        boto3.client("dynamodb", endpoint_url=aws_endpoint_url),
        invoice_resources.invoices_table,
        invoice_resources.counters_table,
    ).get("stockoss-fr#ORD-2#invoice")
    assert record is not None and record.mail.state == "failed" and "unreachable" in (record.mail.error or "")
    assert issuing().handle(body).mail == "sent"
    assert issuing().handle(body).mail == "sent"
    assert len(smtp_server.messages) == 1
    assert issuing().handle(body).number == "F-2026-000001"  # still the one invoice


def test_a_refused_address_is_recorded_and_never_retried(issuing, smtp_server: MailSink) -> None:
    smtp_server.refused.add("compta@martin.example")
    body = request_event(invoice_request("ORD-3"))
    assert issuing().handle(body).mail == "refused"
    assert issuing().handle(body).mail == "refused"
    assert smtp_server.messages == []


def test_a_worker_that_dies_while_sending_is_taken_over_after_its_lease(
    issuing, smtp_server: MailSink
) -> None:
    clock = {"now": 1_000.0}

    class DiesBeforeSending:
        def send(self, mail: OutgoingMail) -> str:
            raise SystemExit("worker killed")

    body = request_event(invoice_request("ORD-4"))
    with pytest.raises(SystemExit):
        issuing(mailer=DiesBeforeSending(), monotonic=lambda: clock["now"]).handle(body)
    with pytest.raises(NotYet, match="another worker"):
        issuing(monotonic=lambda: clock["now"] + 5).handle(body)  # its lease still runs
    assert smtp_server.messages == []
    clock["now"] += 600
    assert issuing(monotonic=lambda: clock["now"]).handle(body).mail == "sent"
    assert len(smtp_server.messages) == 1


def test_a_credit_note_waits_for_its_invoice_then_takes_its_own_series(issuing) -> None:
    credit = request_event(credit_note_request("ORD-5"))
    with pytest.raises(NotYet, match="no invoice yet"):
        issuing().handle(credit)
    assert issuing().handle(request_event(invoice_request("ORD-5"))).number == "F-2026-000001"
    outcome = issuing().handle(credit)
    assert outcome.number == "A-2026-000001"
    assert (
        issuing().handle(request_event(credit_note_request("ORD-5", reference="RMA-2"))).number
        == "A-2026-000002"
    )


def test_bad_requests_are_rejected_before_any_number_is_taken(issuing) -> None:
    with pytest.raises(Rejected, match="v1 lacks"):
        issuing().handle(request_event(invoice_request("ORD-6"), version="1"))
    with pytest.raises(Rejected, match="no legal entity"):
        issuing().handle(request_event(invoice_request("ORD-7", seller_entity="nobody")))
    with pytest.raises(Rejected, match="no reference rate for KWD"):
        issuing().handle(request_event(in_currency(invoice_request("ORD-8"), "KWD")))
    export = in_currency(invoice_request("ORD-8", buyer=BUSINESS_US, delivery_address=None), "KWD")
    export["lines"][0]["unit_price"]["amount"] = "18.905"  # fils: EN 16931 allows two decimals
    with pytest.raises(Rejected, match="BR-DEC"):
        issuing().handle(request_event(export))
    unprintable = invoice_request("ORD-10")
    unprintable["buyer"] = {**unprintable["buyer"], "name": "山田商店"}
    with pytest.raises(Rejected, match=r"cannot print parties\[0\]\.name: '山' \(U\+5C71\)"):
        issuing().handle(request_event(unprintable))
    assert issuing().handle(request_event(invoice_request("ORD-9"))).number == "F-2026-000001"


def test_stale_ecb_rates_make_a_foreign_currency_invoice_wait(issuing) -> None:
    later = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # long after the last rate the file holds
    with pytest.raises(NotYet, match="no ECB reference rate"):
        issuing(clock=lambda: later).handle(request_event(in_currency(invoice_request("ORD-10"), "USD")))
    assert (
        issuing(clock=lambda: later).handle(request_event(invoice_request("ORD-11"))).number
        == "F-2027-000001"
    )


class CrashAfterStoring(Exception):
    """The worker died after its PDF reached S3 and before the record said so."""


def test_a_pdf_stored_by_an_earlier_build_before_a_crash_stays_the_issued_document(
    issuing,
    aws_endpoint_url: str,
    invoice_resources: InvoiceResources,
    smtp_server: MailSink,
) -> None:
    class EarlierBuild(Renderer):
        """Another engine or library version: the same document, other bytes."""

        def pdf(self, invoice: Invoice, xml: bytes) -> bytes:
            return super().pdf(invoice, xml) + b"%rendered by an earlier build\n"

    class DiesAfterStoring(DynamoInvoiceStore):
        def mark_stored(self, document_key: str, document: StoredDocument) -> None:
            raise CrashAfterStoring()

    dynamodb = boto3.client("dynamodb", endpoint_url=aws_endpoint_url)
    tables = (invoice_resources.invoices_table, invoice_resources.counters_table)
    body = request_event(invoice_request("ORD-7"))
    with pytest.raises(CrashAfterStoring):
        issuing(renderer=EarlierBuild(), store=DiesAfterStoring(dynamodb, *tables)).handle(body)

    outcome = issuing().handle(body)  # redelivered to the new build
    s3 = boto3.client("s3", endpoint_url=aws_endpoint_url)
    key = outcome.document_uri.removeprefix(f"s3://{invoice_resources.bucket}/")
    stored = s3.get_object(Bucket=invoice_resources.bucket, Key=key)["Body"].read()
    assert stored.endswith(b"%rendered by an earlier build\n")
    assert len(s3.list_object_versions(Bucket=invoice_resources.bucket, Prefix=key)["Versions"]) == 1
    record = DynamoInvoiceStore(dynamodb, *tables).get("stockoss-fr#ORD-7#invoice")
    assert record is not None and record.document is not None
    assert record.document.sha256 == hashlib.sha256(stored).hexdigest()
    [message] = smtp_server.messages
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_payload(decode=True) == stored  # the issued PDF, not the new rendering


def test_an_object_stored_for_another_invoice_under_the_key_is_never_overwritten(
    aws_endpoint_url: str, invoice_resources: InvoiceResources
) -> None:
    s3 = boto3.client("s3", endpoint_url=aws_endpoint_url)
    invoice = issued(invoice_request("ORD-8"), number="F-2026-000042")
    s3.put_object(
        Bucket=invoice_resources.bucket,
        Key=document_key(invoice),
        Body=b"%PDF-1.7 another document",
        Metadata={"sha256": "0" * 64, "invoice-number": "F-2026-000042", "order-id": "ORD-OTHER"},
    )
    documents = S3DocumentStore(s3, invoice_resources.bucket, retention_years=10)
    with pytest.raises(DocumentMismatch, match="order ORD-OTHER, not invoice F-2026-000042 of order ORD-8"):
        documents.put(invoice, Renderer().pdf(invoice, build_xml(invoice)))

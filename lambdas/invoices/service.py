"""One invoice request, start to finish: parse, price, number, render, store, announce, e-mail.

Every step after numbering can run again: the document is found by its key, the PDF by its
number (and digest), the event is a duplicate by its derived id, and the e-mail goes through the
send record. So a redelivered or retried request completes what a crashed one left, and never
makes a second number, document, event or e-mail.

Errors say what the queue should do: `NotYet` (retry later: the invoice to credit is not issued
yet, fresh ECB rates are missing, the numbering stayed contended, the mail provider is away) or
`Rejected` (this request can never be issued as sent: its reasons go with it to the DLQ).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from lambdas.invoices import events
from lambdas.invoices.documents import DocumentStore
from lambdas.invoices.facturx_xml import CheckedXml, InvalidFacturX, build_xml, numbered_xml
from lambdas.invoices.fx import EcbRates, RatesNotLoaded, UnknownCurrency
from lambdas.invoices.legal import BillingConfig
from lambdas.invoices.models import CreditedInvoice, Invoice, InvoiceRequest
from lambdas.invoices.render import Formatters, Renderer, messages
from lambdas.invoices.store import (
    InvoiceStore,
    IssuedRecord,
    MailRecord,
    NumberingContended,
    Series,
    StoredDocument,
)
from lambdas.invoices.tax import TaxRefused, build_invoice
from platform_core.envelope import Event
from platform_core.mail import Attachment, Mailer, MailRefused, MailUnavailable, OutgoingMail
from platform_core.producer import Emitter, derived_event_id

REQUEST_VERSION = "2"
# How long a worker may hold the right to send an invoice's e-mail before another may take it over.
MAIL_LEASE_SECONDS = 120.0


class NotYet(Exception):
    """Retry later: something this request needs is not there yet."""


class Rejected(Exception):
    """This request can never be issued as sent."""


@dataclass(frozen=True)
class Outcome:
    number: str
    document_uri: str
    mail: str  # sent, refused, already sent, or being sent by another worker
    new: bool


class InvoiceService:
    def __init__(
        self,
        *,
        config: BillingConfig,
        store: InvoiceStore,
        documents: DocumentStore,
        emitter: Emitter,
        mailer: Mailer,
        rates: Callable[[], EcbRates],
        mail_from: str,
        renderer: Renderer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.time,
    ):
        self._config = config
        self._store = store
        self._documents = documents
        self._emitter = emitter
        self._mailer = mailer
        self._rates = rates
        self._mail_from = mail_from
        self._renderer = renderer or Renderer()
        self._clock = clock
        self._now = monotonic

    def handle(self, body: str, correlation_id: str | None = None) -> Outcome:
        request = self._parse(body)
        record, new, checked = self._issue(request)
        invoice = record.invoice
        pdf, document = self._stored_pdf(record, checked)
        if not record.emitted:
            self._emitter.emit([events.issued(invoice, document, invoice.issued_at)], correlation_id)
            self._store.mark_emitted(record.document_key)
        return Outcome(invoice.number, document.uri, self._mail(record, pdf), new)

    # -- steps -------------------------------------------------------------------------------------

    def _parse(self, body: str) -> InvoiceRequest:
        try:
            event = Event.model_validate_json(body)
        except ValidationError as exc:
            raise Rejected(f"the message is not a platform event: {exc}") from exc
        if event.event_type != events.INVOICE_REQUESTED:
            raise Rejected(f"the invoice service does not handle {event.event_type}")
        if event.schema_version != REQUEST_VERSION:
            raise Rejected(
                f"{event.event_type} v{event.schema_version} lacks what an invoice needs (buyer, lines, "
                f"VAT categories): requesters send v{REQUEST_VERSION}"
            )
        try:
            return InvoiceRequest.model_validate(event.payload)
        except ValidationError as exc:
            raise Rejected(f"the request is not a v{REQUEST_VERSION} invoice request: {exc}") from exc

    def _issue(self, request: InvoiceRequest) -> tuple[IssuedRecord, bool, CheckedXml | None]:
        key = request.document_key
        existing = self._store.get(key)
        if existing is not None:
            return existing, False, None
        entity = self._config.entities.get(request.seller_entity)
        if entity is None:
            raise Rejected(f"no legal entity {request.seller_entity!r} in the billing configuration")
        credited = self._credited(request)
        now = self._clock()
        today = now.astimezone(ZoneInfo(entity.timezone)).date()
        series = Series(request.seller_entity, entity.series[request.document_type], today.year)
        invoice_id = str(derived_event_id(key, "document"))

        def build(number: str, issued_at: datetime, issue_date: date) -> Invoice:
            return self._build(
                request,
                number=number,
                invoice_id=invoice_id,
                issued_at=issued_at,
                issue_date=issue_date,
                credited=credited,
            )

        # Fail closed before a number is taken: the same document with a number of the same shape
        # must pass the XSD and the schematron, and its page be printable, or nothing is numbered.
        placeholder = build(series.number(999_999), now, today)
        checked = CheckedXml(placeholder.number, self._validated(placeholder))
        unprintable = self._renderer.unprintable(placeholder)
        if unprintable:
            raise Rejected(f"the invoice's fonts cannot print {', '.join(unprintable[:10])}")
        try:
            record = self._store.issue(key, series, now, today, build)
        except NumberingContended as exc:
            raise NotYet(str(exc)) from exc
        # A record numbered by this call carries this call's time; one found instead carries its own.
        return record, record.invoice.issued_at == now, checked

    def _build(
        self,
        request: InvoiceRequest,
        *,
        number: str,
        invoice_id: str,
        issued_at: datetime,
        issue_date: date,
        credited: CreditedInvoice | None,
    ) -> Invoice:
        try:
            return build_invoice(
                request,
                config=self._config,
                number=number,
                invoice_id=invoice_id,
                issued_at=issued_at,
                issue_date=issue_date,
                euro_rate=lambda currency, at: self._rates().rate(currency, at),
                credited=credited,
            )
        except RatesNotLoaded as exc:
            raise NotYet(str(exc)) from exc
        except (TaxRefused, UnknownCurrency) as exc:
            raise Rejected(str(exc)) from exc

    def _validated(self, invoice: Invoice) -> bytes:
        try:
            return build_xml(invoice)
        except InvalidFacturX as exc:
            raise Rejected(str(exc)) from exc

    def _credited(self, request: InvoiceRequest) -> CreditedInvoice | None:
        if request.document_type != "credit_note" or request.credit_note is None:
            return None
        original = self._store.get(f"{request.seller_entity}#{request.order_id}#invoice")
        if original is None:
            raise NotYet(f"order {request.order_id} has no invoice yet to credit")
        asked = request.credit_note.invoice_number
        if asked and asked != original.invoice.number:
            raise Rejected(f"order {request.order_id} was invoiced as {original.invoice.number}, not {asked}")
        return CreditedInvoice(
            number=original.invoice.number,
            issue_date=original.invoice.issue_date,
            reason=request.credit_note.reason,
            reference=request.credit_note.reference,
        )

    def _stored_pdf(self, record: IssuedRecord, checked: CheckedXml | None) -> tuple[bytes, StoredDocument]:
        if record.document is not None:
            return self._documents.get(record.document), record.document
        try:
            # The XML checked before numbering is not checked again when only its number changed.
            xml = numbered_xml(record.invoice, checked)
        except InvalidFacturX as exc:
            raise Rejected(str(exc)) from exc
        pdf = self._renderer.pdf(record.invoice, xml)
        document = self._documents.put(record.invoice, pdf)
        if (
            document.sha256 != hashlib.sha256(pdf).hexdigest()
        ):  # stored by an earlier build: that one is issued
            pdf = self._documents.get(document)
        self._store.mark_stored(record.document_key, document)
        return pdf, document

    def _mail(self, record: IssuedRecord, pdf: bytes) -> str:
        taken = self._store.begin_mail(record.document_key, MAIL_LEASE_SECONDS, self._now())
        if taken is None:
            current = self._store.get(record.document_key)
            state = current.mail.state if current else "unknown"
            if state == "sending":
                raise NotYet("another worker is sending this invoice's e-mail")
            return state
        invoice = record.invoice
        try:
            message_id = self._mailer.send(invoice_mail(invoice, pdf, self._mail_from))
        except MailRefused as exc:
            self._store.finish_mail(
                record.document_key, MailRecord("refused", taken.attempts, error=str(exc))
            )
            return "refused"
        except MailUnavailable as exc:
            self._store.finish_mail(record.document_key, MailRecord("failed", taken.attempts, error=str(exc)))
            raise NotYet(
                f"the mail provider could not take invoice {invoice.number}'s e-mail: {exc}"
            ) from exc
        self._store.finish_mail(
            record.document_key, MailRecord("sent", taken.attempts, message_id=message_id)
        )
        return "sent"


def invoice_mail(invoice: Invoice, pdf: bytes, sender: str) -> OutgoingMail:
    """The e-mail that carries a document to its buyer, in the buyer's language."""
    m = messages(invoice.locale)
    f = Formatters(invoice.locale, invoice.currency)
    subject_key = "mail_subject" if invoice.document_type == "invoice" else "mail_subject_credit_note"
    text = m["mail_body"].format(
        name=invoice.buyer.name,
        document=m[f"mail_document_{invoice.document_type}"],
        number=invoice.number,
        date=f.day(invoice.issue_date),
        total=f.money(invoice.total),
        order=invoice.order_id,
        seller=invoice.seller.legal_name,
    )
    return OutgoingMail(
        sender=sender,
        to=(invoice.buyer.email,),
        subject=m[subject_key].format(number=invoice.number),
        text=text,
        # One key per document: the adapter and the send record make it one message at most.
        idempotency_key=f"{invoice.invoice_id}/mail",
        attachments=(Attachment(f"{invoice.number}.pdf", "application/pdf", pdf),),
        reply_to=invoice.seller.email,
        headers={"X-Invoice-Number": invoice.number},
    )

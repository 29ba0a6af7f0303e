"""The events the invoice service emits, each with an id derived from the document it announces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lambdas.invoices.models import Invoice
from lambdas.invoices.store import StoredDocument
from platform_core.envelope import EventIn
from platform_core.producer import derived_event_id

SOURCE = "invoice-service"
INVOICE_REQUESTED = "billing.invoice_requested"
INVOICE_ISSUED = "billing.invoice_issued"
CREDIT_NOTE_ISSUED = "billing.credit_note_issued"
VERSIONS = {INVOICE_ISSUED: "2", CREDIT_NOTE_ISSUED: "1"}


def _money(amount: Any, currency: str) -> dict[str, str]:
    return {"amount": format(amount, "f"), "currency": currency}


def _rate(rate: Any) -> str:
    text = format(rate.normalize(), "f")
    return text


def issued(invoice: Invoice, document: StoredDocument, occurred_at: datetime) -> EventIn:
    event_type = INVOICE_ISSUED if invoice.document_type == "invoice" else CREDIT_NOTE_ISSUED
    currency = invoice.currency
    payload: dict[str, Any] = {
        "invoice_id": invoice.invoice_id,
        "invoice_number": invoice.number,
        "seller_entity": invoice.seller_key,
        "order_id": invoice.order_id,
        "customer_id": invoice.customer_id,
        "ordered_at": invoice.ordered_at.isoformat(),
        "issued_at": invoice.issued_at.isoformat(),
        "issue_date": invoice.issue_date.isoformat(),
        "currency": currency,
        "net": _money(invoice.net_total, currency),
        "tax": _money(invoice.tax_total, currency),
        "total": _money(invoice.total, currency),
        "vat_breakdown": [
            {
                "category_code": s.category_code,
                "rate": _rate(s.rate),
                "taxable": _money(s.taxable, currency),
                "tax": _money(s.tax, currency),
            }
            for s in invoice.vat_breakdown
        ],
        "tax_regime": invoice.regime,
        "buyer_kind": invoice.buyer.kind,
        "buyer_country": invoice.buyer.address.country,
        "locale": invoice.locale,
        "document": {
            "uri": document.uri,
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "retain_until": document.retain_until.isoformat(),
        },
        "emailed_by_billing": True,
    }
    if invoice.euro_vat is not None:
        payload["tax_in_eur"] = {
            "amount": format(invoice.euro_vat.amount, "f"),
            "exchange_rate": format(invoice.euro_vat.exchange_rate, "f"),
            "rate_date": invoice.euro_vat.rate_date.isoformat(),
            "rate_source": invoice.euro_vat.rate_source[:100],
        }
    if invoice.document_type == "invoice":
        payload["due_date"] = invoice.due_date.isoformat()
    elif invoice.credited is not None:
        payload["credited_invoice_number"] = invoice.credited.number
        payload["credit_reference"] = invoice.credited.reference
        payload["reason"] = invoice.credited.reason
    return EventIn(
        event_id=derived_event_id(invoice.invoice_id, event_type),
        event_type=event_type,
        schema_version=VERSIONS[event_type],
        occurred_at=occurred_at,
        source=SOURCE,
        payload=payload,
    )

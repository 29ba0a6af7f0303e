"""The invoice service's models: the request as billing.invoice_requested v2 carries it, and the issued document.

Requests are parsed at the edge (a payload that is not a v2 request is refused with the reasons);
an `Invoice` is what gets numbered, stored with its number, rendered and embedded as Factur-X:
once issued it is read back, never recomputed, so a retry renders the very same document.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lambdas.invoices.legal import DocumentType, Entity, VatCategory

Nature = Literal["goods", "services"]
TaxRegime = Literal["domestic", "eu_distance_sale", "intra_eu_reverse_charge", "export"]
# EN 16931 VAT category codes (UNCL5305): standard, zero rated, exempt, reverse charge, intra-community
# supply, export outside the EU, outside the scope of VAT.
CategoryCode = Literal["S", "Z", "E", "AE", "K", "G", "O"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Money(_Frozen):
    amount: Decimal
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class Address(_Frozen):
    name: str | None = None
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str = Field(pattern=r"^[A-Z]{2}$")


class Buyer(_Frozen):
    kind: Literal["person", "business"]
    name: str
    email: str
    vat_id: str | None = None
    siren: str | None = None
    address: Address


class RequestLine(_Frozen):
    sku: str
    description: str
    quantity: int = Field(ge=1)
    unit_price: Money
    vat_category: VatCategory
    nature: Nature = "goods"


class CreditNoteRequest(_Frozen):
    reference: str
    reason: str
    invoice_number: str | None = None


class InvoiceRequest(_Frozen):
    """The payload of billing.invoice_requested v2 (the schema has already checked its shape)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: str
    client_order_ref: str | None = None
    customer_id: str
    seller_entity: str
    document_type: DocumentType
    credit_note: CreditNoteRequest | None = None
    ordered_at: datetime
    delivered_at: date | None = None
    locale: str
    currency: str
    buyer: Buyer
    delivery_address: Address | None = None
    lines: tuple[RequestLine, ...] = Field(min_length=1)
    payment_terms_days: int = Field(ge=0, le=60)
    paid_at: datetime | None = None
    payment_method: Literal["card", "transfer", "direct_debit", "other"] | None = None

    @property
    def document_key(self) -> str:
        """What makes a request the same document: one invoice per order, one credit note per reference."""
        if self.document_type == "credit_note" and self.credit_note is not None:
            return f"{self.seller_entity}#{self.order_id}#credit_note#{self.credit_note.reference}"
        return f"{self.seller_entity}#{self.order_id}#invoice"


class InvoiceLine(_Frozen):
    position: int
    sku: str
    description: str
    quantity: int
    unit_price: Decimal
    net: Decimal
    nature: Nature
    category_code: CategoryCode
    vat_rate: Decimal


class VatSubtotal(_Frozen):
    category_code: CategoryCode
    rate: Decimal
    taxable: Decimal
    tax: Decimal
    # For exempt categories (K, G, AE, O): the VATEX code and its wording, which EN 16931 requires.
    exemption_code: str | None = None
    exemption_reason: str | None = None


class EuroVat(_Frozen):
    """The VAT of an invoice in another currency, in euros at a reference rate (printed with its source)."""

    amount: Decimal
    exchange_rate: Decimal  # units of the invoice currency for one euro
    rate_date: date
    rate_source: str


class CreditedInvoice(_Frozen):
    number: str
    issue_date: date
    reason: str
    reference: str


class Invoice(_Frozen):
    """An issued document, complete: what the PDF shows and the Factur-X XML carries."""

    document_type: DocumentType
    invoice_id: str
    number: str
    seller_key: str
    seller: Entity
    buyer: Buyer
    delivery_address: Address | None
    order_id: str
    client_order_ref: str | None
    customer_id: str
    ordered_at: datetime
    issued_at: datetime
    issue_date: date
    due_date: date
    delivery_date: date | None
    locale: str
    currency: str
    minor_units: int
    lines: tuple[InvoiceLine, ...]
    vat_breakdown: tuple[VatSubtotal, ...]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    paid_amount: Decimal
    due_amount: Decimal
    paid_at: datetime | None
    payment_method: str | None
    payment_terms_days: int
    regime: TaxRegime
    tax_country: str
    euro_vat: EuroVat | None
    credited: CreditedInvoice | None = None

    @property
    def nature(self) -> Literal["goods", "services", "mixed"]:
        natures = {line.nature for line in self.lines}
        return "mixed" if len(natures) > 1 else next(iter(natures))

    @property
    def year(self) -> int:
        return self.issue_date.year

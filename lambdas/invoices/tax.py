"""VAT and totals of a document: pure, no I/O, amounts in Decimal.

Rounding follows EN 16931: each line's net amount (BT-131) is rounded to the currency's minor
unit; VAT is computed once per category and rate on the sum of its lines (BT-116 x BT-119,
rounded: BT-117), and the document's VAT (BT-110) is the sum of those. Half-up rounding, the
commercial rule French accounting uses. Minor units come from ISO 4217 (JPY has none).

The regime says why a rate applies (France first, EU-ready):
- domestic: the seller's country's rates;
- EU business with a VAT id in another member state: exempt intra-community supply of goods (K)
  or reverse-charged services (AE), with their mentions;
- EU consumer elsewhere: the destination's rates when the entity sells over the distance-selling
  threshold (declared through the OSS), the seller's own otherwise;
- outside the EU: exempt export of goods (G); services to a business are not subject to French
  VAT (stated as E with the reason), to a consumer taxed as domestic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from iso4217 import Currency

from lambdas.invoices.legal import BillingConfig, Entity
from lambdas.invoices.models import (
    CategoryCode,
    CreditedInvoice,
    EuroVat,
    Invoice,
    InvoiceLine,
    InvoiceRequest,
    Nature,
    TaxRegime,
    VatSubtotal,
)

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# VATEX codes (CEF list) and the wording EN 16931 requires with an exempt category.
EXEMPTIONS: dict[CategoryCode, tuple[str, str]] = {
    "K": ("VATEX-EU-IC", "Intra-Community supply of goods, exempt (Article 138 of Directive 2006/112/EC)"),
    "AE": ("VATEX-EU-AE", "Reverse charge (Article 196 of Directive 2006/112/EC)"),
    "G": ("VATEX-EU-G", "Export outside the EU, exempt (Article 146 of Directive 2006/112/EC)"),
    # EN 16931's "O" (outside the scope) forbids a seller VAT id and any other category (BR-O-02, BR-O-11),
    # so a VAT-registered seller states services to a business outside the EU as exempt with the reason.
    "E": (
        "",
        "Not subject to French VAT: services to a business established outside the EU (CGI art. 259-1)",
    ),
}


class TaxRefused(ValueError):
    """The request cannot be taxed as asked (a currency without minor units, a category a country lacks)."""


def minor_units(currency: str) -> int:
    try:
        exponent = Currency(currency).exponent
    except ValueError as exc:
        raise TaxRefused(f"{currency} is not an ISO 4217 currency") from exc
    if exponent is None:
        raise TaxRefused(f"{currency} has no minor unit in ISO 4217 (not a currency one invoices in)")
    return int(exponent)


def round_money(amount: Decimal, units: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-units), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Taxation:
    regime: TaxRegime
    country: str  # whose rates apply (or where the goods go, for exempt supplies)


def taxation(request: InvoiceRequest, entity: Entity, config: BillingConfig) -> Taxation:
    destination = (request.delivery_address or request.buyer.address).country
    buyer_country = request.buyer.address.country
    eu = config.eu_countries
    # Goods are taxed where they go; services to a business where the business is, to a
    # consumer where the seller is (the general rules of Articles 32, 44 and 45 of the directive).
    place = destination if any(line.nature == "goods" for line in request.lines) else buyer_country
    if place == entity.country:
        return Taxation("domestic", entity.country)
    if place in eu:
        if request.buyer.kind == "business" and request.buyer.vat_id:
            return Taxation("intra_eu_reverse_charge", place)
        if entity.eu_distance_sales == "destination":
            return Taxation("eu_distance_sale", place)
        return Taxation("domestic", entity.country)
    return Taxation("export", place)


def _category(
    taxed: Taxation, nature: Nature, buyer_is_business: bool, rate: Decimal
) -> tuple[CategoryCode, Decimal]:
    if taxed.regime == "intra_eu_reverse_charge":
        return ("K" if nature == "goods" else "AE"), ZERO
    if taxed.regime == "export":
        if nature == "goods":
            return "G", ZERO
        if buyer_is_business:
            return "E", ZERO
    return ("Z" if rate == ZERO else "S"), rate


def build_invoice(
    request: InvoiceRequest,
    *,
    config: BillingConfig,
    number: str,
    invoice_id: str,
    issued_at: datetime,
    issue_date: date,
    euro_rate: Callable[[str, datetime], tuple[Decimal, date]] | None = None,
    credited: CreditedInvoice | None = None,
) -> Invoice:
    """The complete document for a request, numbered. `euro_rate(currency, at)` gives the reference
    rate (units per euro) published by `at` and its date; asked only when VAT is due in another currency."""
    entity = config.entities.get(request.seller_entity)
    if entity is None:
        raise TaxRefused(f"no legal entity {request.seller_entity!r} in the billing configuration")
    units = minor_units(request.currency)
    taxed = taxation(request, entity, config)
    rates_country = taxed.country if taxed.regime == "eu_distance_sale" else entity.country
    business = request.buyer.kind == "business"
    lines: list[InvoiceLine] = []
    for position, line in enumerate(request.lines, start=1):
        if line.unit_price.currency != request.currency:
            raise TaxRefused(
                f"line {position} is priced in {line.unit_price.currency}, the invoice in {request.currency}"
            )
        try:
            rate = config.rate(rates_country, line.vat_category)
        except KeyError as exc:
            raise TaxRefused(str(exc.args[0])) from exc
        code, applied = _category(taxed, line.nature, business, rate)
        lines.append(
            InvoiceLine(
                position=position,
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price.amount,
                net=round_money(line.unit_price.amount * line.quantity, units),
                nature=line.nature,
                category_code=code,
                vat_rate=applied,
            )
        )
    breakdown = _breakdown(lines, units)
    net_total = sum((line.net for line in lines), ZERO)
    tax_total = sum((subtotal.tax for subtotal in breakdown), ZERO)
    total = net_total + tax_total
    paid = total if request.paid_at is not None else round_money(ZERO, units)
    euro_vat = None
    if request.currency != "EUR" and tax_total != ZERO:
        if euro_rate is None:
            raise TaxRefused(f"VAT in {request.currency} needs a euro reference rate")
        exchange_rate, rate_date = euro_rate(request.currency, issued_at)
        euro_vat = EuroVat(
            amount=round_money(tax_total / exchange_rate, 2),
            exchange_rate=exchange_rate,
            rate_date=rate_date,
            rate_source=config.fx.source,
        )
    delivery_date = request.delivered_at
    if delivery_date is None and "K" in {subtotal.category_code for subtotal in breakdown}:
        # An intra-community supply states when the goods were supplied (EN 16931 BR-IC-11).
        delivery_date = issue_date
    return Invoice(
        document_type=request.document_type,
        invoice_id=invoice_id,
        number=number,
        seller_key=request.seller_entity,
        seller=entity,
        buyer=request.buyer,
        delivery_address=request.delivery_address,
        order_id=request.order_id,
        client_order_ref=request.client_order_ref,
        customer_id=request.customer_id,
        ordered_at=request.ordered_at,
        issued_at=issued_at,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=request.payment_terms_days),
        delivery_date=delivery_date,
        locale=request.locale.split("-")[0],
        currency=request.currency,
        minor_units=units,
        lines=tuple(lines),
        vat_breakdown=breakdown,
        net_total=net_total,
        tax_total=tax_total,
        total=total,
        paid_amount=paid,
        due_amount=total - paid,
        paid_at=request.paid_at,
        payment_method=request.payment_method,
        payment_terms_days=request.payment_terms_days,
        regime=taxed.regime,
        tax_country=taxed.country,
        euro_vat=euro_vat,
        credited=credited,
    )


def _breakdown(lines: list[InvoiceLine], units: int) -> tuple[VatSubtotal, ...]:
    groups: dict[tuple[CategoryCode, Decimal], Decimal] = {}
    for line in lines:
        key = (line.category_code, line.vat_rate)
        groups[key] = groups.get(key, ZERO) + line.net
    subtotals = []
    for (code, rate), taxable in sorted(groups.items(), key=lambda item: (-item[0][1], item[0][0])):
        exemption = EXEMPTIONS.get(code)
        subtotals.append(
            VatSubtotal(
                category_code=code,
                rate=rate,
                taxable=taxable,
                tax=round_money(taxable * rate / HUNDRED, units),
                exemption_code=(exemption[0] or None) if exemption else None,
                exemption_reason=exemption[1] if exemption else None,
            )
        )
    return tuple(subtotals)

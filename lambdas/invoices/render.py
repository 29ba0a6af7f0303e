"""An invoice as a page (Typst, the wording of its locale, Babel for numbers, dates, currencies and
countries), then as PDF/A-3b with its Factur-X XML embedded, in one Typst compilation.

Typst writes the PDF/A-3 parts itself (sRGB output intent, embedded font subsets, XMP with
`pdfaid:part=3`, `conformance=B` and its extension schemas, the attachment's AFRelationship in the
catalogue's /AF); the Factur-X properties (fx: DocumentType, DocumentFileName, Version,
ConformanceLevel) and their extension schema are then added to that metadata packet with pikepdf.
Dates inside the PDF are the invoice's own, so a retry renders byte-identical output.

Why Typst and not an HTML engine: an invoice must cost at most 50 ms of CPU for everything, the
Factur-X checks included; WeasyPrint's layout of the same page took 75 ms on its own
(docs/invoices.md has the measurements).
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pikepdf
import typst
import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from fontTools.ttLib import TTFont

from lambdas.invoices.facturx_xml import CONFORMANCE_LEVEL, XML_FILENAME
from lambdas.invoices.models import Address, Invoice

LOCALES = ("fr", "en")
_TEMPLATES = resources.files("lambdas.invoices") / "templates"
PAYMENT_METHODS = ("card", "transfer", "direct_debit", "other")
# Debian's fonts-dejavu-core, on this machine and in the function's image; the only fonts the page
# may use, so a page never depends on what else a machine has installed.
FONT_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")

FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FACTURX_PROPERTIES = f"""<rdf:Description rdf:about="" xmlns:fx="{FX_NAMESPACE}">\
<fx:DocumentType>INVOICE</fx:DocumentType>\
<fx:DocumentFileName>{XML_FILENAME}</fx:DocumentFileName>\
<fx:Version>1.0</fx:Version>\
<fx:ConformanceLevel>{CONFORMANCE_LEVEL}</fx:ConformanceLevel>\
</rdf:Description>""".encode()


def _property(name: str, description: str) -> str:
    return (
        f'<rdf:li rdf:parseType="Resource"><pdfaProperty:name>{name}</pdfaProperty:name>'
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description></rdf:li>"
    )


FACTURX_SCHEMA = (
    '<rdf:li rdf:parseType="Resource">'
    "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
    f"<pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>"
    "<pdfaSchema:prefix>fx</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq>"
    + _property("DocumentFileName", "The name of the embedded XML document")
    + _property("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER")
    + _property("Version", "The actual version of the standard applying to the embedded XML document")
    + _property("ConformanceLevel", "The conformance level of the embedded XML document")
    + "</rdf:Seq></pdfaSchema:property></rdf:li>"
).encode()
EXTENSION_SCHEMAS = b"<pdfaExtension:schemas><rdf:Bag>"


@cache
def messages(locale: str) -> dict[str, str]:
    """The wording of one locale (templates/messages.<locale>.yaml)."""
    if locale not in LOCALES:
        locale = "en"
    text = (_TEMPLATES / f"messages.{locale}.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


class Renderer:
    """Built once per process: the Typst compiler with the page's layout and its fonts loaded.

    One compilation at a time: the compiler is one mutable Rust object (its layout cache).
    """

    def __init__(self, font_directory: Path = FONT_DIRECTORY) -> None:
        missing = [name for name in FONT_FILES if not (font_directory / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"the invoice fonts {missing} are not in {font_directory} (Debian package fonts-dejavu-core)"
            )
        self._lock = threading.Lock()
        self._printable = printable_characters([font_directory / name for name in FONT_FILES])
        with resources.as_file(_TEMPLATES) as templates:  # a directory: the package is never zipped
            self._compiler = typst.Compiler(
                str(templates / "invoice.typ"),
                root=str(templates),
                font_paths=[str(font_directory)],
                ignore_system_fonts=True,
            )

    def unprintable(self, invoice: Invoice) -> list[str]:
        """What the page would print that its fonts have no glyph for, as `field: 'c' (U+XXXX)`.

        PDF/A forbids showing a missing glyph, and Typst refuses to write such a page: the service
        asks this before a number is taken, so such a request is refused instead of numbered.
        """
        found: dict[str, str] = {}
        for field, text in _strings(page_data(invoice), ""):
            for character in text:
                if ord(character) not in self._printable and not character.isspace():
                    found.setdefault(character, field)
        return [f"{field}: {character!r} (U+{ord(character):04X})" for character, field in found.items()]

    def pdf(self, invoice: Invoice, xml: bytes) -> bytes:
        """The PDF/A-3b with the Factur-X XML embedded (AFRelationship Data)."""
        return with_facturx_metadata(self.compiled_pdfa(invoice, xml))

    def compiled_pdfa(self, invoice: Invoice, xml: bytes) -> bytes:
        """The PDF/A-3b as Typst writes it, the XML attached, before the Factur-X XMP properties."""
        return self._compile(invoice, {"xml": xml.decode("utf-8")}, pdf_standards=["a-3b"])

    def bare_pdf(self, invoice: Invoice) -> bytes:
        """The same page as a plain PDF: no PDF/A, no XML (the benchmark's baseline)."""
        return self._compile(invoice, {}, pdf_standards=[])

    def _compile(self, invoice: Invoice, inputs: dict[str, str], pdf_standards: list[Any]) -> bytes:
        page = json.dumps(page_data(invoice), ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            document = self._compiler.compile(
                sys_inputs={"page": page, **inputs},
                pdf_standards=pdf_standards,
                timestamp=invoice.issued_at.astimezone(UTC).replace(microsecond=0),  # PDF dates hold seconds
                # Untagged, as PDF/A-3b allows: tags add an object per table cell, which every later
                # reading of the file (the metadata step, a mail client) then parses.
                pdf_tags=False,
            )
        if not isinstance(document, bytes):  # a list is one image per page, never asked for here
            raise TypeError(f"Typst returned {type(document).__name__}, not one PDF")
        return document


def printable_characters(fonts: list[Path]) -> frozenset[int]:
    """The code points every one of the fonts has a glyph for (text may be set in any of them)."""
    covered: frozenset[int] | None = None
    for path in fonts:
        font = TTFont(str(path), lazy=True)
        try:
            mapped = frozenset(font.getBestCmap())
        finally:
            font.close()
        covered = mapped if covered is None else covered & mapped
    return covered or frozenset()


def _strings(value: Any, field: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield field, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{field}.{key}" if field else key)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{field}[{index}]")


def with_facturx_metadata(document: bytes) -> bytes:
    """The PDF with the Factur-X properties and their PDF/A extension schema in its XMP packet."""
    with pikepdf.open(io.BytesIO(document)) as pdf:
        xmp = pdf.Root.Metadata.read_bytes()
        if EXTENSION_SCHEMAS not in xmp or b"</rdf:RDF>" not in xmp:
            raise ValueError("the PDF's XMP packet has no PDF/A extension schemas to add Factur-X's to")
        xmp = xmp.replace(EXTENSION_SCHEMAS, EXTENSION_SCHEMAS + FACTURX_SCHEMA, 1)
        xmp = xmp.replace(b"</rdf:RDF>", FACTURX_PROPERTIES + b"</rdf:RDF>", 1)
        pdf.Root.Metadata.write(xmp)
        out = io.BytesIO()
        # The file identifier from the content, not the clock: a retry gives the same bytes. The PDF
        # version is Typst's and unchanged, so its XMP property needs no fixing.
        pdf.save(out, deterministic_id=True, fix_metadata_version=False)
        return out.getvalue()


def page_data(invoice: Invoice) -> dict[str, Any]:
    """Everything the page prints, worded and formatted in the invoice's locale (templates/invoice.typ)."""
    f = Formatters(invoice.locale, invoice.currency)
    m = messages(f.locale)
    seller, buyer = invoice.seller, invoice.buyer
    facts = [(m["number"], invoice.number, True), (m["issue_date"], f.day(invoice.issue_date), False)]
    if invoice.delivery_date and invoice.delivery_date != invoice.issue_date:
        facts.append((m["delivery_date"], f.day(invoice.delivery_date), False))
    if invoice.document_type == "invoice":
        facts.append((m["due_date"], f.day(invoice.due_date), False))
    facts.append((m["order"], invoice.order_id, False))
    if invoice.client_order_ref:
        facts.append((m["your_reference"], invoice.client_order_ref, False))
    facts.append((m["customer"], invoice.customer_id, False))
    parties: list[dict[str, Any]] = [
        {
            "heading": m["billing_address"],
            "name": buyer.name,
            "address": f.address(buyer.address),
            "identifiers": [
                *([f"{m['siren']} {buyer.siren}"] if buyer.siren else []),
                *([f"{m['vat_id']} {buyer.vat_id}"] if buyer.vat_id else []),
            ],
        }
    ]
    if invoice.delivery_address:
        delivery = invoice.delivery_address
        parties.append(
            {
                "heading": m["delivery_address"],
                "name": delivery.name,
                "address": f.address(delivery),
                "identifiers": [],
            }
        )
    nature = f"{m['nature']} : {m['nature_' + invoice.nature]}"
    if seller.vat_on_debits and invoice.nature != "goods":
        nature += f" · {m['vat_on_debits']}"
    credited = invoice.credited
    totals = [
        (m["total_net"], f.money(invoice.net_total), False),
        (m["total_vat"], f.money(invoice.tax_total), False),
    ]
    totals.append((m["total"], f.money(invoice.total), True))
    if invoice.paid_amount:
        totals.append((m["paid"], f.money(invoice.paid_amount), False))
    if invoice.document_type == "invoice":
        totals.append((m["amount_due"], f.money(invoice.due_amount), True))
    return {
        "lang": f.locale,
        "title": f"{m[invoice.document_type]} {invoice.number}",
        "labels": {"page": m["page"], "page_of": m["page_of"]},
        "xml_filename": XML_FILENAME,
        "footer": _fmt(
            m["legal_footer"],
            legal_name=seller.legal_name,
            legal_form=seller.legal_form,
            capital=seller.share_capital,
            rcs=seller.rcs,
            siren=seller.siren,
            vat_id=seller.vat_id,
        ),
        "seller": {
            "name": seller.legal_name,
            "address": [seller.address.line1, f"{seller.address.postal_code} {seller.address.city}",
                        f.country(seller.address.country)],
            "identity": [f"{m['siren']} {seller.siren} · {m['vat_id']} {seller.vat_id}", seller.email],
        },
        "heading": m[invoice.document_type],
        "facts": facts,
        "parties": parties,
        "nature": nature,
        "credited": (
            _fmt(m["credit_for"], number=credited.number, date=f.day(credited.issue_date), reason=credited.reason)
            if credited
            else None
        ),
        "line_headings": [m[key] for key in ("sku", "description", "quantity", "unit_price", "vat_rate", "line_net")],
        "lines": [
            [line.sku, line.description, str(line.quantity), f.price(line.unit_price), f.percent(line.vat_rate),
             f.money(line.net)]
            for line in invoice.lines
        ],
        "vat_caption": m["vat_breakdown"],
        "vat_headings": [m["vat_rate"], m["taxable"], m["vat_amount"]],
        "vat": [
            [f.percent(s.rate) + ("" if s.category_code in ("S", "Z") else f" ({s.category_code})"),
             f.money(s.taxable), f.money(s.tax)]
            for s in invoice.vat_breakdown
        ],
        "totals": totals,
        "mentions": mentions(invoice, m, f),
    }  # fmt: skip


def _fmt(template: str, **values: Any) -> str:
    return template.format(**values)


class Formatters:
    """Babel's formatting of one locale (an unknown one falls back to English) and currency."""

    def __init__(self, locale: str, currency: str):
        self.locale = locale if locale in LOCALES else "en"
        self.currency = currency

    def money(self, amount: Decimal, currency: str | None = None) -> str:
        return format_currency(amount, currency or self.currency, locale=self.locale)

    def price(self, amount: Decimal) -> str:
        # Unit prices may carry more decimals than the currency's minor unit: keep them all.
        return format_currency(amount, self.currency, locale=self.locale, decimal_quantization=False)

    def percent(self, rate: Decimal) -> str:
        return format_decimal(rate, locale=self.locale) + "\u00a0%"

    def day(self, value: date | datetime) -> str:
        return format_date(value, format="long", locale=self.locale)

    def country(self, code: str) -> str:
        return str(Locale.parse(self.locale).territories.get(code, code))

    def address(self, address: Address) -> list[str]:
        lines = [address.line1, *([address.line2] if address.line2 else [])]
        return [*lines, f"{address.postal_code} {address.city}", self.country(address.country)]


def mentions(invoice: Invoice, m: dict[str, str], f: Formatters) -> list[str]:
    """The legal mentions this invoice needs, in its locale, in the order they are printed."""
    seller = invoice.seller
    result: list[str] = []
    codes = {subtotal.category_code for subtotal in invoice.vat_breakdown}
    if "K" in codes:
        result.append(m["reverse_charge_goods"])
    if "AE" in codes:
        result.append(m["reverse_charge_services"])
    if "G" in codes:
        result.append(m["export_goods"])
    if "E" in codes:
        result.append(m["outside_scope"])
    if invoice.regime == "eu_distance_sale":
        result.append(_fmt(m["distance_sale"], country=f.country(invoice.tax_country)))
    if invoice.euro_vat is not None:
        euro = invoice.euro_vat
        result.append(
            _fmt(
                m["euro_vat"],
                amount=f.money(euro.amount, "EUR"),
                date=f.day(euro.rate_date),
                rate=format_decimal(euro.exchange_rate, locale=f.locale, decimal_quantization=False),
                currency=invoice.currency,
                source=euro.rate_source,
            )
        )
    if invoice.document_type == "invoice":
        if invoice.paid_at is not None:
            method = invoice.payment_method if invoice.payment_method in PAYMENT_METHODS else "other"
            result.append(_fmt(m["paid_on"], date=f.day(invoice.paid_at), method=m[f"method_{method}"]))
        else:
            result.append(
                _fmt(
                    m["payment_terms"],
                    days=invoice.payment_terms_days,
                    date=f.day(invoice.due_date),
                    iban=seller.iban,
                    bic=seller.bic,
                )
            )
        if invoice.buyer.kind == "business":
            result.append(_fmt(m["late_payment"], fee=seller.recovery_fee))
    return result

"""An invoice as HTML (Jinja2, wording per locale, Babel for numbers, dates, currencies and countries),
then as PDF/A-3b with its Factur-X XML embedded, in one WeasyPrint pass.

WeasyPrint writes the PDF/A-3 parts itself (sRGB output intent, embedded font subsets, XMP with
`pdfaid:part=3`, `conformance=B`, the attachment's AFRelationship in the catalogue's /AF); the
Factur-X XMP extension schema (fx: DocumentType, DocumentFileName, Version, ConformanceLevel)
is added to the same metadata packet. Dates inside the PDF are the invoice's own, so a retry
renders byte-identical output.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ElementTree
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import cssselect2
import jinja2
import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from lambdas.invoices.facturx_xml import CONFORMANCE_LEVEL, XML_FILENAME
from lambdas.invoices.models import Invoice

LOCALES = ("fr", "en")
_TEMPLATES = resources.files("lambdas.invoices") / "templates"
PAYMENT_METHODS = ("card", "transfer", "direct_debit", "other")

FACTURX_XMP = f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
<fx:DocumentType>INVOICE</fx:DocumentType>
<fx:DocumentFileName>{XML_FILENAME}</fx:DocumentFileName>
<fx:Version>1.0</fx:Version>
<fx:ConformanceLevel>{CONFORMANCE_LEVEL}</fx:ConformanceLevel>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>fx</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentFileName</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The name of the embedded XML document</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentType</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The type of the hybrid document in capital letters, e.g. INVOICE or ORDER</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>Version</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The actual version of the standard applying to the embedded XML document</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The conformance level of the embedded XML document</pdfaProperty:description></rdf:li>
</rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
</rdf:RDF>
""".encode()


@cache
def messages(locale: str) -> dict[str, str]:
    """The wording of one locale (templates/messages.<locale>.yaml)."""
    if locale not in LOCALES:
        locale = "en"
    text = (_TEMPLATES / f"messages.{locale}.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


class Renderer:
    """Built once per process: the template environment, the parsed stylesheet and the font cache."""

    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("lambdas.invoices", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._template = self._env.get_template("invoice.html.j2")
        self.fonts = FontConfiguration()
        self.stylesheet = CSS(
            string=(_TEMPLATES / "invoice.css").read_text(encoding="utf-8"), font_config=self.fonts
        )

    def html(self, invoice: Invoice) -> str:
        helpers = Formatters(invoice.locale, invoice.currency)
        m = messages(helpers.locale)
        return self._template.render(
            invoice=invoice,
            seller=invoice.seller,
            buyer=invoice.buyer,
            m=m,
            mentions=mentions(invoice, m, helpers),
            created=invoice.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            money=helpers.money,
            price=helpers.price,
            percent=helpers.percent,
            day=helpers.day,
            country=helpers.country,
            fmt=_fmt,
        )

    def pdf(self, invoice: Invoice, xml: bytes) -> bytes:
        """The PDF/A-3b with the Factur-X XML embedded (AFRelationship Data)."""
        document = self._document(invoice)
        document.metadata.xmp_metadata.append(FACTURX_XMP)
        when = invoice.issued_at.astimezone(UTC)
        attachment = Attachment(
            url="data:text/xml;base64," + base64.b64encode(xml).decode("ascii"),
            name=XML_FILENAME,
            description="Factur-X EN 16931 invoice data",
            relationship="Data",
            created=when,
            modified=when,
        )
        return bytes(document.write_pdf(pdf_variant="pdf/a-3b", attachments=[attachment]))

    def bare_pdf(self, invoice: Invoice) -> bytes:
        """The same HTML as a plain PDF: no PDF/A, no XML (the benchmark's baseline)."""
        return bytes(self._document(invoice).write_pdf())

    def _document(self, invoice: Invoice) -> Any:
        return WellFormedPage(self.html(invoice)).render(
            stylesheets=[self.stylesheet], font_config=self.fonts
        )


# The elements templates/invoice.html.j2 uses: templates/user_agent.css has the user-agent rules for them.
USER_AGENT_ELEMENTS = frozenset(
    [
        "html",
        "head",
        "meta",
        "title",
        "body",
        "header",
        "footer",
        "section",
        "div",
        "h1",
        "h2",
        "h3",
        "p",
        "br",
        "strong",
        "span",
        "table",
        "caption",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ]
)


@cache
def _user_agent_stylesheet() -> CSS:
    return CSS(string=(_TEMPLATES / "user_agent.css").read_text(encoding="utf-8"))


class WellFormedPage(HTML):
    """Our template's page, which is well-formed XML, parsed by expat (C) into the element tree that
    WeasyPrint's pure-Python HTML5 parser builds, in a fraction of its time, and styled with the
    user-agent rules for its own elements only (templates/user_agent.css); a page with another
    element gets WeasyPrint's whole user-agent stylesheet. A test checks that the PDFs are byte for
    byte those of `HTML(string=...)`. Sets what `HTML.__init__` sets for a string with no base URL.

    Text that XML refuses (control characters) never gets here: the Factur-X XML, built first,
    refuses it with the reason.
    """

    def __init__(self, markup: str) -> None:  # the HTML5 parse of HTML.__init__ is what is skipped
        root = ElementTree.fromstring(markup)
        self.base_url = None
        self.url_fetcher = URLFetcher()
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element
        self.own_user_agent_rules = all(element.tag in USER_AGENT_ELEMENTS for element in root.iter())

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if self.own_user_agent_rules and not forms:
            return [_user_agent_stylesheet()]
        return list(super()._ua_stylesheets(forms))


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

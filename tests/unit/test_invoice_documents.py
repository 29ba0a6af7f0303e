"""The documents: the PDF's text (read with pypdf) shows the number, totals and mentions; the XML
embedded in it equals the invoice model and passes the XSD and the EN 16931 schematron; the file
passes the structural PDF/A-3b checks; every locale has the same wording keys."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pikepdf
import pytest
from babel.numbers import format_currency
from lxml import etree
from pypdf import PdfReader

from lambdas.invoices import facturx_xml
from lambdas.invoices.conformance import check_pdfa3_facturx, embedded_xml
from lambdas.invoices.facturx_xml import CheckedXml, InvalidFacturX, build_xml, numbered_xml, validate
from lambdas.invoices.models import CreditedInvoice, Invoice
from lambdas.invoices.render import LOCALES, Renderer, messages, with_facturx_metadata
from tests.fixtures.invoices import (
    BUSINESS_DE,
    BUSINESS_US,
    PERSON_DE,
    credit_note_request,
    in_currency,
    invoice_request,
    issued,
    with_lines,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


@cache
def renderer() -> Renderer:
    return Renderer()


def pdf_of(invoice: Invoice) -> bytes:
    return renderer().pdf(invoice, build_xml(invoice))


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, its spaces folded (Babel's narrow and no-break spaces included)."""
    return [
        " ".join(page.extract_text().replace("\u202f", " ").replace("\xa0", " ").split())
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]


def text_of(pdf: bytes) -> str:
    return " ".join(pages_of(pdf))


def money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale).replace("\u202f", " ").replace("\xa0", " ")


CASES = {
    "french business": invoice_request(),
    "german business (reverse charge)": invoice_request(
        buyer=BUSINESS_DE, delivery_address=None, locale="en"
    ),
    "german consumer (OSS)": invoice_request(buyer=PERSON_DE, delivery_address=None, locale="de"),
    "us business in dollars (export)": in_currency(
        invoice_request(buyer=BUSINESS_US, delivery_address=None, locale="en"), "USD"
    ),
    "french business in pounds": in_currency(invoice_request(), "GBP"),
    "paid by card": invoice_request(paid_at="2026-10-20T09:31:00Z", payment_method="card"),
    "sixty lines (several pages)": with_lines(invoice_request(), 60),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_pdf_shows_the_number_totals_and_mentions(case: str) -> None:
    invoice = issued(CASES[case])
    locale = invoice.locale if invoice.locale in LOCALES else "en"
    m = messages(locale)
    text = text_of(pdf_of(invoice))
    assert invoice.number in text
    for amount in (invoice.net_total, invoice.tax_total, invoice.total):
        assert money(amount, invoice.currency, locale) in text
    assert m[invoice.document_type].upper() in text.upper()
    assert invoice.seller.siren in text and invoice.seller.vat_id in text
    assert m[f"nature_{invoice.nature}"] in text  # the nature of the operation (2026)
    if invoice.buyer.siren:
        assert invoice.buyer.siren in text  # the buyer's SIREN (2026)
    if invoice.delivery_address:
        assert invoice.delivery_address.line1 in text  # the delivery address when different (2026)
    if invoice.buyer.kind == "business" and invoice.paid_at is None:
        assert m["late_payment"].split("{")[0].strip() in text
    if invoice.regime == "intra_eu_reverse_charge":
        assert "Article 138" in text and "Reverse charge" in text
    if invoice.regime == "export":
        assert "Article 146" in text
    if invoice.regime == "eu_distance_sale":
        assert "OSS" in text
    if invoice.euro_vat is not None:
        assert money(invoice.euro_vat.amount, "EUR", locale) in text
        assert str(invoice.euro_vat.exchange_rate).replace(".", "," if locale == "fr" else ".") in text
        assert "European Central Bank" in text


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_embedded_xml_is_the_invoice_and_passes_xsd_and_schematron(case: str) -> None:
    invoice = issued(CASES[case])
    pdf = pdf_of(invoice)
    xml = embedded_xml(pdf)
    assert xml == build_xml(invoice)
    validate(xml)  # raises on any XSD error or schematron finding
    root = etree.fromstring(xml)

    def one(path: str) -> str:
        [value] = root.xpath(path, namespaces=NS)
        return str(value)

    assert one("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID/text()") == invoice.number
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert Decimal(one(f"{summation}/ram:LineTotalAmount/text()")) == invoice.net_total
    assert (
        Decimal(one(f"{summation}/ram:TaxTotalAmount[@currencyID='{invoice.currency}']/text()"))
        == invoice.tax_total
    )
    assert Decimal(one(f"{summation}/ram:GrandTotalAmount/text()")) == invoice.total
    assert Decimal(one(f"{summation}/ram:DuePayableAmount/text()")) == invoice.due_amount
    lines = root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert [
        (
            line.findtext(".//ram:SellerAssignedID", namespaces=NS),
            int(Decimal(line.findtext(".//ram:BilledQuantity", namespaces=NS))),
            Decimal(line.findtext(".//ram:LineTotalAmount", namespaces=NS)),
            line.findtext(".//ram:CategoryCode", namespaces=NS),
        )
        for line in lines
    ] == [(line.sku, line.quantity, line.net, line.category_code) for line in invoice.lines]
    breakdown = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert sorted(
        (
            t.findtext("ram:CategoryCode", namespaces=NS),
            Decimal(t.findtext("ram:CalculatedAmount", namespaces=NS)),
        )
        for t in breakdown
    ) == sorted((s.category_code, s.tax) for s in invoice.vat_breakdown)
    if invoice.euro_vat is not None:
        assert (
            Decimal(one(f"{summation}/ram:TaxTotalAmount[@currencyID='EUR']/text()"))
            == invoice.euro_vat.amount
        )


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_pdf_passes_the_structural_pdfa3_checks(case: str) -> None:
    pdf = pdf_of(issued(CASES[case]))
    assert check_pdfa3_facturx(pdf) == []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert document.check_pdf_syntax() == []  # qpdf: cross-reference table, objects, streams


@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_of_a_long_invoice_carries_the_legal_footer_and_its_page_number(locale: str) -> None:
    invoice = issued(with_lines(invoice_request(locale=locale), 60))
    m = messages(locale)
    pages = pages_of(pdf_of(invoice))
    seller = invoice.seller
    footer = m["legal_footer"].format(
        legal_name=seller.legal_name,
        legal_form=seller.legal_form,
        capital=seller.share_capital,
        rcs=seller.rcs,
        siren=seller.siren,
        vat_id=seller.vat_id,
    )
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert footer in text, f"page {number}"
        assert f"{m['page']} {number} {m['page_of']} {len(pages)}" in text


def test_the_lines_table_repeats_its_header_on_every_page_it_continues_on() -> None:
    invoice = issued(with_lines(invoice_request(), 60))
    m = messages("fr")
    header = " ".join(
        m[key] for key in ("sku", "description", "quantity", "unit_price", "vat_rate", "line_net")
    )
    pages = pages_of(pdf_of(invoice))
    with_lines_on = [text for text in pages if any(line.sku in text for line in invoice.lines)]
    assert len(with_lines_on) >= 2
    for text in with_lines_on:
        assert text.count(header) == 1


def test_the_vat_summary_and_totals_are_never_split_across_pages() -> None:
    # Invoices one line longer each, across the line count where the summary no longer fits on page 1:
    # somewhere in that run, the page ends inside the summary's height unless it moves as a whole.
    m = messages("fr")
    moved_to_next_page = kept_on_first_page = 0
    for count in range(16, 56):
        invoice = issued(with_lines(invoice_request(), count))
        pages = pages_of(pdf_of(invoice))
        [caption_page] = [i for i, text in enumerate(pages) if m["vat_breakdown"] in text]
        block = [
            *(f"{money(s.taxable, 'EUR', 'fr')} {money(s.tax, 'EUR', 'fr')}" for s in invoice.vat_breakdown),
            f"{m['total_net']} {money(invoice.net_total, 'EUR', 'fr')}",
            f"{m['amount_due']} {money(invoice.due_amount, 'EUR', 'fr')}",
        ]
        assert len(invoice.vat_breakdown) == 2
        for part in block:
            assert [i for i, text in enumerate(pages) if part in text] == [caption_page], (count, part)
        if caption_page == 0:
            kept_on_first_page += 1
        elif invoice.lines[-1].sku in pages[0]:
            moved_to_next_page += 1  # the lines all fit on page 1, the summary did not
    assert kept_on_first_page and moved_to_next_page


def test_the_structural_checks_catch_a_plain_pdf() -> None:
    problems = check_pdfa3_facturx(renderer().bare_pdf(issued(invoice_request())))
    assert "catalog: no GTS_PDFA1 output intent" in problems
    assert "XMP: pdfaid:part is not '3'" in problems
    assert "no embedded file named factur-x.xml" in problems


def test_a_credit_note_references_the_invoice_it_corrects() -> None:
    invoice = issued(
        credit_note_request("ORD-1001"),
        number="A-2026-000001",
        credited=CreditedInvoice(
            number="F-2026-000001", issue_date=date(2026, 10, 21), reason="Sac abîmé", reference="RMA-1"
        ),
    )
    xml = build_xml(invoice)
    root = etree.fromstring(xml)
    assert root.xpath("//rsm:ExchangedDocument/ram:TypeCode/text()", namespaces=NS) == ["381"]
    assert root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=NS) == [
        "F-2026-000001"
    ]
    text = text_of(renderer().pdf(invoice, xml))
    assert "AVOIR" in text.upper() and "F-2026-000001" in text and "Sac abîmé" in text


def test_an_invoice_whose_xml_breaks_a_rule_is_refused() -> None:
    xml = build_xml(issued(invoice_request()))
    tampered = xml.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>1")
    with pytest.raises(InvalidFacturX, match="BR-CO-15"):
        validate(tampered)
    with pytest.raises(InvalidFacturX, match="XSD"):
        validate(xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b""))


def test_the_xml_checked_before_numbering_is_not_checked_again_when_only_its_number_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    placeholder = issued(invoice_request(), number="F-2026-999999")
    checked = CheckedXml(placeholder.number, build_xml(placeholder))
    numbered = issued(invoice_request(), number="F-2026-000042")
    changed = issued(invoice_request(client_order_ref="PO-78"), number="F-2026-000042")
    expected = {"numbered": build_xml(numbered), "changed": build_xml(changed)}
    validated: list[bytes] = []
    monkeypatch.setattr(facturx_xml, "validate", validated.append)

    assert numbered_xml(numbered, checked) == expected["numbered"]
    assert validated == []
    assert numbered_xml(changed, checked) == expected["changed"]  # other content: checked again
    assert validated == [expected["changed"]]
    assert numbered_xml(numbered, None) == expected["numbered"]  # nothing checked before: checked
    assert validated == [expected["changed"], expected["numbered"]]


def test_a_retry_renders_the_same_bytes() -> None:
    invoice = issued(invoice_request())
    assert pdf_of(invoice) == pdf_of(invoice)


def test_every_locale_has_the_same_wording_keys() -> None:
    keys = {locale: set(messages(locale)) for locale in LOCALES}
    assert keys["fr"] == keys["en"]


def _findings(executable: object, processor: object, xml: bytes) -> list[tuple[str, str, str]]:
    report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode("utf-8")))  # type: ignore[attr-defined]
    svrl = etree.fromstring(report.encode("utf-8"))
    found = svrl.iter(
        "{http://purl.oclc.org/dsdl/svrl}failed-assert", "{http://purl.oclc.org/dsdl/svrl}successful-report"
    )
    return sorted(
        (f.get("id") or "", f.get("location") or "", " ".join("".join(f.itertext()).split())) for f in found
    )


def test_the_schematron_with_code_lists_loaded_once_finds_what_the_shipped_one_finds() -> None:
    from importlib import resources

    from saxonche import PySaxonProcessor

    from lambdas.invoices.facturx_xml import _SCHEMAS, SCHEMATRON, _Schematron

    ours = _Schematron.instance()
    processor = PySaxonProcessor(license=False)
    with resources.as_file(_SCHEMAS / SCHEMATRON) as path:
        shipped = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
    xml = build_xml(issued(invoice_request(buyer=BUSINESS_DE, delivery_address=None, locale="en")))
    long_xml = build_xml(issued(with_lines(invoice_request(), 20)))
    tampered = {
        **{f"valid: {case}": build_xml(issued(CASES[case])) for case in sorted(CASES)},
        "twenty lines, one unit unknown": long_xml.replace(b'unitCode="C62"', b'unitCode="QQQ"', 1),
        "twenty lines, one line total wrong": long_xml.replace(
            b"<ram:LineTotalAmount>", b"<ram:LineTotalAmount>9", 1
        ),
        "valid": xml,
        "unknown currency": xml.replace(b">EUR<", b">EUX<"),
        "unknown country": xml.replace(b">DE<", b">QQ<"),
        "unknown identifier scheme": xml.replace(b'schemeID="0002"', b'schemeID="0000"'),
        "unknown payment means": xml.replace(b"<ram:TypeCode>58<", b"<ram:TypeCode>999<"),
        "unknown VAT category": xml.replace(b">K<", b">Q<"),
        "unknown document type": xml.replace(
            b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>999</ram:TypeCode>"
        ),
        "wrong total": xml.replace(b"<ram:GrandTotalAmount>", b"<ram:GrandTotalAmount>1"),
    }
    for case, document in tampered.items():
        expected = _findings(shipped, processor, document)
        assert case.startswith("valid") == (expected == []), case
        assert _findings(ours._executable, ours._processor, document) == expected, case


def test_the_factur_x_metadata_step_refuses_a_pdf_without_pdfa_extension_schemas() -> None:
    with pytest.raises(ValueError, match="extension schemas"):
        with_facturx_metadata(renderer().bare_pdf(issued(invoice_request())))


def test_the_renderer_refuses_to_start_without_its_fonts(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="fonts-dejavu-core"):
        Renderer(font_directory=tmp_path)


def test_an_invoice_issued_within_a_second_carries_its_issue_time_to_the_second() -> None:
    invoice = issued(invoice_request()).model_copy(
        update={"issued_at": datetime(2026, 10, 21, 17, 4, 5, 123456, tzinfo=UTC)}
    )
    pdf = pdf_of(invoice)
    assert check_pdfa3_facturx(pdf) == []
    assert b"<xmp:CreateDate>2026-10-21T17:04:05+00:00</xmp:CreateDate>" in pdf


def test_one_renderer_serves_several_threads_at_once() -> None:
    invoices = [issued(invoice_request(order_id=f"ORD-{n}"), number=f"F-2026-{n:06d}") for n in range(1, 9)]
    expected = [pdf_of(invoice) for invoice in invoices]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(pdf_of, invoices)) == expected


def test_the_xmp_packet_is_well_formed_and_declares_the_factur_x_schema_once() -> None:
    pdf = pdf_of(issued(invoice_request()))
    with pikepdf.open(io.BytesIO(pdf)) as document:
        packet = etree.fromstring(document.Root.Metadata.read_bytes())
    ns = {
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
        "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
        "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
        "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    }
    assert packet.xpath("//fx:DocumentFileName/text()", namespaces=ns) == ["factur-x.xml"]
    assert packet.xpath("//fx:ConformanceLevel/text()", namespaces=ns) == ["EN 16931"]
    assert packet.xpath("//pdfaid:part/text()", namespaces=ns) == ["3"]
    assert len(packet.xpath("//pdfaExtension:schemas", namespaces=ns)) == 1  # one bag, Typst's and ours
    prefixes = packet.xpath("//pdfaExtension:schemas/rdf:Bag/rdf:li/pdfaSchema:prefix/text()", namespaces=ns)
    assert prefixes.count("fx") == 1 and len(prefixes) == len(set(prefixes))


def test_what_the_fonts_cannot_print_is_named_with_its_field_and_the_rest_prints() -> None:
    request = invoice_request(locale="en")
    request["buyer"] = {**request["buyer"], "name": "Ελληνικά Кириллица Łódź 山田 한"}
    request["lines"][0]["description"] = "Farine \u2013 «T65» · 25 kg ≥ 1 €"  # an en dash
    invoice = issued(request)
    assert renderer().unprintable(invoice) == [
        "parties[0].name: '山' (U+5C71)",
        "parties[0].name: '田' (U+7530)",
        "parties[0].name: '한' (U+D55C)",
    ]
    printable = issued({**request, "buyer": {**request["buyer"], "name": "Ελληνικά Кириллица Łódź"}})
    assert renderer().unprintable(printable) == []
    assert "Ελληνικά Кириллица Łódź" in text_of(pdf_of(printable))


def test_the_readme_sample_invoice_is_what_the_renderer_gives_today(tmp_path: Path) -> None:
    from tools.invoice_sample import ROOT, render_sample

    pdf, _ = render_sample(tmp_path / "invoice-sample")
    committed = ROOT / "docs" / "images" / "invoice-sample.pdf"
    assert pdf.read_bytes() == committed.read_bytes(), (
        "the sample invoice in the README is out of date: run `python -m tools.invoice_sample`"
    )

"""Invoice fields found by the rules, checked against the generator's truth; identifiers with wrong check
digits are dropped rather than returned."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lambdas.documents.fields import extract_invoice_fields, parse_amount, parse_date
from tools.documents.corpus import generate


def test_every_field_of_generated_invoices_and_credit_notes_is_found() -> None:
    documents = [d for d in generate(240, 17) if d.fields]
    assert len(documents) == 80
    for document in documents:
        found = extract_invoice_fields(document.text)
        assert {k: str(v) for k, v in found.items() if k in document.fields} == document.fields, document.text
        assert found["totals_consistent"] is True


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1 234,56 €", "1234.56"),
        ("€1,234.56", "1234.56"),
        ("-8 240,34 €", "-8240.34"),
        ("12.00", "12.00"),
        ("abc", None),
    ],
)
def test_amounts_in_french_and_english_notation(text: str, amount: str | None) -> None:
    assert parse_amount(text) == (Decimal(amount) if amount else None)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("03/05/2025", date(2025, 5, 3)),
        ("2026-11-21", date(2026, 11, 21)),
        ("17 juin 2025", date(2025, 6, 17)),
        ("1er février 2026", date(2026, 2, 1)),
        ("21 November 2026", date(2026, 11, 21)),
        ("31/02/2026", None),
    ],
)
def test_dates_as_numbers_iso_or_words(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_identifiers_with_wrong_check_digits_are_not_returned() -> None:
    text = "ACME SARL\nSIREN 123456789 - TVA FR00123456789\nFACTURE\nFacture n° F-1\nIBAN FR76 3000 6000 0112 3456 7890 188"
    fields = extract_invoice_fields(text)
    assert "supplier_siren" not in fields and "supplier_vat_number" not in fields and "iban" not in fields
    assert fields["invoice_number"] == "F-1" and fields["supplier_name"] == "ACME SARL"

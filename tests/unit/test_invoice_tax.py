"""VAT and totals, recomputed independently: in integer minor units with exact fractions, per EN 16931."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.invoices.legal import get_billing_config
from lambdas.invoices.tax import TaxRefused, minor_units
from tests.fixtures.invoices import (
    BUSINESS_DE,
    BUSINESS_US,
    PERSON_DE,
    PERSON_FR,
    in_currency,
    invoice_request,
    issued,
)

# ISO 4217 minor units, written out here rather than read from the library under test.
CURRENCIES = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0}
FR_RATES: dict[str, Fraction | int] = {
    "standard": 20,
    "intermediate": 10,
    "reduced": Fraction(55, 10),
    "super_reduced": Fraction(21, 10),
}


def half_up(value: Fraction, units: int) -> int:
    """value (in major units) rounded half-up to an integer count of minor units."""
    scaled = value * 10**units
    floor = scaled.numerator // scaled.denominator
    return floor + (1 if scaled - floor >= Fraction(1, 2) else 0)


def expected_totals(payload: dict[str, Any], units: int, rates: dict[str, Fraction | int]) -> dict[str, Any]:
    nets = [
        half_up(Fraction(line["unit_price"]["amount"]) * line["quantity"], units) for line in payload["lines"]
    ]
    by_rate: dict[Fraction, int] = {}
    for line, net in zip(payload["lines"], nets, strict=True):
        rate = Fraction(rates[line["vat_category"]])
        by_rate[rate] = by_rate.get(rate, 0) + net
    taxes = {rate: half_up(Fraction(base, 10**units) * rate / 100, units) for rate, base in by_rate.items()}
    net = sum(nets)
    tax = sum(taxes.values())
    return {"nets": nets, "by_rate": by_rate, "taxes": taxes, "net": net, "tax": tax, "total": net + tax}


def minor(amount: Any, units: int) -> int:
    value = Fraction(str(amount)) * 10**units
    assert value.denominator == 1, f"{amount} has more than {units} decimals"
    return int(value)


price_strategy = st.decimals(min_value="0.01", max_value="99999.9999", places=4).map(lambda d: format(d, "f"))
lines_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "sku": st.from_regex(r"[A-Z]{3}-[0-9]{3}", fullmatch=True),
            "description": st.text(min_size=1, max_size=30).filter(str.strip),
            "quantity": st.integers(min_value=1, max_value=5000),
            "unit_price": price_strategy.map(lambda a: {"amount": a, "currency": "EUR"}),
            "vat_category": st.sampled_from(sorted(FR_RATES)),
        }
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(lines=lines_strategy, currency=st.sampled_from(sorted(CURRENCIES)))
def test_totals_and_vat_match_an_independent_computation(lines: list[dict[str, Any]], currency: str) -> None:
    units = CURRENCIES[currency]
    payload = in_currency(invoice_request(lines=lines, buyer=PERSON_FR, delivery_address=None), currency)
    if units == 0:
        for line in payload["lines"]:
            line["unit_price"]["amount"] = str(max(1, round(float(line["unit_price"]["amount"]))))
    invoice = issued(payload)
    want = expected_totals(payload, units, FR_RATES)
    assert invoice.minor_units == units
    assert [minor(line.net, units) for line in invoice.lines] == want["nets"]
    assert {Fraction(str(s.rate)): minor(s.taxable, units) for s in invoice.vat_breakdown} == want["by_rate"]
    assert {Fraction(str(s.rate)): minor(s.tax, units) for s in invoice.vat_breakdown} == want["taxes"]
    assert minor(invoice.net_total, units) == want["net"]
    assert minor(invoice.tax_total, units) == want["tax"]
    assert minor(invoice.total, units) == want["total"]
    assert invoice.due_amount == invoice.total  # nothing paid yet
    if currency != "EUR" and invoice.tax_total:
        assert invoice.euro_vat is not None
        assert invoice.euro_vat.amount == round(invoice.tax_total / invoice.euro_vat.exchange_rate, 2)
    else:
        assert invoice.euro_vat is None


def test_half_cents_round_up_per_line_and_per_rate() -> None:
    lines = [
        {"sku": "ABC-001", "description": "x", "quantity": 1, "unit_price": {"amount": "0.125", "currency": "EUR"},
         "vat_category": "standard"},
        {"sku": "ABC-002", "description": "y", "quantity": 3, "unit_price": {"amount": "0.0250", "currency": "EUR"},
         "vat_category": "standard"},
    ]  # fmt: skip
    invoice = issued(invoice_request(lines=lines, buyer=PERSON_FR, delivery_address=None))
    assert [str(line.net) for line in invoice.lines] == ["0.13", "0.08"]
    assert str(invoice.tax_total) == "0.04"  # 0.21 x 20 % = 0.042
    assert str(invoice.total) == "0.25"


def test_a_yen_invoice_has_no_minor_unit() -> None:
    payload = in_currency(invoice_request(buyer=PERSON_FR, delivery_address=None), "JPY")
    for line in payload["lines"]:
        line["unit_price"]["amount"] = "3150"
    invoice = issued(payload)
    assert minor_units("JPY") == 0
    assert all(line.net == line.net.to_integral_value() for line in invoice.lines)
    assert str(invoice.tax_total) == str(invoice.tax_total.to_integral_value())


def test_a_french_sale_uses_the_four_french_rates() -> None:
    rates = get_billing_config().vat_rates["FR"]
    assert [str(rates[c]) for c in ("standard", "intermediate", "reduced", "super_reduced")] == [
        "20",
        "10",
        "5.5",
        "2.1",
    ]
    invoice = issued(invoice_request())
    assert invoice.regime == "domestic"
    assert {(s.category_code, str(s.rate)) for s in invoice.vat_breakdown} == {("S", "20"), ("S", "5.5")}


def test_an_eu_business_with_a_vat_id_is_reverse_charged() -> None:
    invoice = issued(invoice_request(buyer=BUSINESS_DE, delivery_address=None, locale="en"))
    assert invoice.regime == "intra_eu_reverse_charge"
    assert {s.category_code for s in invoice.vat_breakdown} == {
        "K",
        "AE",
    }  # goods exempt, services reverse-charged
    assert invoice.tax_total == 0
    assert all(s.exemption_code and s.exemption_reason for s in invoice.vat_breakdown)
    assert invoice.delivery_date == invoice.issue_date  # an intra-community supply states it


def test_an_eu_consumer_pays_the_destination_rates_through_the_oss() -> None:
    invoice = issued(invoice_request(buyer=PERSON_DE, delivery_address=None, locale="en"))
    assert invoice.regime == "eu_distance_sale"
    assert {str(s.rate) for s in invoice.vat_breakdown} == {"19", "7"}  # Germany's standard and reduced


def test_goods_leaving_the_eu_are_exempt_exports() -> None:
    payload = in_currency(invoice_request(buyer=BUSINESS_US, delivery_address=None, locale="en"), "USD")
    invoice = issued(payload)
    assert invoice.regime == "export"
    assert {s.category_code for s in invoice.vat_breakdown} == {"G", "E"}
    assert invoice.tax_total == 0 and invoice.euro_vat is None  # no VAT to state in euros


def test_a_foreign_currency_invoice_states_its_vat_in_euros() -> None:
    invoice = issued(in_currency(invoice_request(), "USD"))
    assert invoice.euro_vat is not None
    assert str(invoice.euro_vat.exchange_rate) == "1.1172"
    assert invoice.euro_vat.rate_source.startswith("European Central Bank")


def test_a_line_in_another_currency_is_refused() -> None:
    payload = invoice_request()
    payload["lines"][0]["unit_price"]["currency"] = "USD"
    with pytest.raises(TaxRefused, match="priced in USD"):
        issued(payload)


def test_a_category_the_country_lacks_is_refused_not_guessed() -> None:
    payload = invoice_request(buyer=PERSON_DE, delivery_address=None)
    payload["lines"][0]["vat_category"] = "super_reduced"  # Germany has none
    with pytest.raises(TaxRefused, match="no super_reduced VAT rate for DE"):
        issued(payload)

"""ECB reference rates from the ECB's own historical file: the rate published by the invoice's time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lambdas.invoices.fx import EcbRates, RatesNotLoaded, UnknownCurrency


def test_before_the_afternoon_publication_the_previous_days_rate_applies(ecb_rates: EcbRates) -> None:
    morning = ecb_rates.rate("USD", datetime(2026, 10, 21, 8, 0, tzinfo=UTC))
    evening = ecb_rates.rate("USD", datetime(2026, 10, 21, 16, 0, tzinfo=UTC))  # 18:00 in Frankfurt
    assert morning[1] == date(2026, 10, 20)
    assert evening[1] == date(2026, 10, 21)


def test_a_weekend_uses_fridays_rate(ecb_rates: EcbRates) -> None:
    rate, day = ecb_rates.rate("JPY", datetime(2026, 10, 25, 12, 0, tzinfo=UTC))  # a Sunday
    assert day == date(2026, 10, 23) and rate > Decimal(100)


def test_stale_rates_are_refused_not_printed(ecb_rates: EcbRates) -> None:
    with pytest.raises(RatesNotLoaded, match="latest loaded: 2026-10-30"):
        ecb_rates.rate("USD", datetime(2026, 12, 4, 12, 0, tzinfo=UTC))


def test_a_currency_the_ecb_does_not_publish_is_unknown(ecb_rates: EcbRates) -> None:
    with pytest.raises(UnknownCurrency):
        ecb_rates.rate("XOF", datetime(2026, 10, 21, 17, 0, tzinfo=UTC))


def test_the_file_format_is_the_ecbs() -> None:
    rates = EcbRates.from_csv("Date,USD,CYP,\n2026-10-02,1.1000,N/A,\n2026-10-01,1.0900,N/A,\n", 7)
    assert rates.rate("USD", datetime(2026, 10, 2, 17, 0, tzinfo=UTC)) == (
        Decimal("1.1000"),
        date(2026, 10, 2),
    )
    with pytest.raises(UnknownCurrency):
        rates.rate("CYP", datetime(2026, 10, 2, 17, 0, tzinfo=UTC))  # only N/A: no series

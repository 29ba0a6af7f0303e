"""ECB euro foreign exchange reference rates, as data the service reads (never a live call at render).

The rates are the ECB's historical file (`eurofxref-hist.csv`: one row per business day, one
column per currency, units of the currency for one euro, `N/A` where none was published), kept
in the service's bucket by `python -m scripts.ecb_rates` and read once per process. An invoice
uses the rate of its date, or the last one published before it; if that one is older than the
configured age (the file was not refreshed), the invoice waits rather than print a stale rate.
A day's rates are published at 16:00 Central European Time: before that, the day before's apply.
"""

from __future__ import annotations

import bisect
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

RATES_KEY = "reference/ecb/eurofxref-hist.csv"
PUBLISHED_AT = time(16, 0)
PUBLISHED_IN = ZoneInfo("Europe/Berlin")


class RatesNotLoaded(Exception):
    """No reference rate recent enough for the invoice date: load fresh rates, then retry."""


class UnknownCurrency(ValueError):
    """The ECB publishes no reference rate for this currency: the invoice cannot state its VAT in euros."""


@dataclass(frozen=True)
class EcbRates:
    # currency -> (sorted days, rates on those days)
    series: dict[str, tuple[list[date], list[Decimal]]]
    max_age_days: int

    @classmethod
    def from_csv(cls, text: str, max_age_days: int) -> EcbRates:
        rows = csv.reader(io.StringIO(text))
        header = [column.strip() for column in next(rows)]
        collected: dict[str, list[tuple[date, Decimal]]] = {
            currency: [] for currency in header[1:] if currency
        }
        for row in rows:
            if not row or not row[0].strip():
                continue
            day = date.fromisoformat(row[0].strip())
            for currency, value in zip(header[1:], row[1:], strict=False):
                value = value.strip()
                if not currency or not value or value == "N/A":
                    continue
                try:
                    collected[currency].append((day, Decimal(value)))
                except InvalidOperation as exc:
                    raise ValueError(f"rate {value!r} of {currency} on {day} is not a number") from exc
        series = {}
        for currency, points in collected.items():
            if points:
                points.sort()
                series[currency] = ([d for d, _ in points], [r for _, r in points])
        if not series:
            raise ValueError("the rates file holds no rate")
        return cls(series, max_age_days)

    @property
    def latest_day(self) -> date:
        return max(days[-1] for days, _ in self.series.values())

    def rate(self, currency: str, at: datetime) -> tuple[Decimal, date]:
        """Units of `currency` for one euro: the last reference rate published by `at`, and its date."""
        local = at.astimezone(PUBLISHED_IN)
        day = local.date() if local.time() >= PUBLISHED_AT else local.date() - timedelta(days=1)
        if currency == "EUR":
            return Decimal(1), day
        if currency not in self.series:
            raise UnknownCurrency(f"the ECB publishes no reference rate for {currency}")
        days, rates = self.series[currency]
        index = bisect.bisect_right(days, day) - 1
        if index < 0 or day - days[index] > timedelta(days=self.max_age_days):
            last = days[index] if index >= 0 else None
            raise RatesNotLoaded(
                f"no ECB reference rate for {currency} within {self.max_age_days} days before {day} "
                f"(latest loaded: {last}); load fresh rates with python -m scripts.ecb_rates"
            )
        return rates[index], days[index]

"""The billing team's legal configuration (config/billing.yaml): who issues invoices, their series, VAT rates.

Read once per process and validated: an entity without a SIREN or VAT id, a rate that is not a
percentage, or a country without a standard rate fails the cold start, not an invoice.
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from platform_core.config import ROOT

DEFAULT_BILLING_CONFIG = ROOT / "config" / "billing.yaml"
BILLING_CONFIG_ENV = "BILLING_CONFIG_PATH"

VatCategory = Literal["standard", "intermediate", "reduced", "super_reduced", "zero"]
DocumentType = Literal["invoice", "credit_note"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostalAddress(_Strict):
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str = Field(pattern=r"^[A-Z]{2}$")


class Entity(_Strict):
    """A legal entity that issues invoices, with the mentions French law wants on each of them."""

    legal_name: str
    legal_form: str
    share_capital: str
    siren: str = Field(pattern=r"^[0-9]{9}$")
    vat_id: str = Field(pattern=r"^[A-Z]{2}[A-Z0-9]{2,13}$")
    rcs: str
    address: PostalAddress
    email: str
    iban: str
    bic: str
    vat_on_debits: bool
    eu_distance_sales: Literal["destination", "origin"]
    series: dict[DocumentType, str]
    recovery_fee: str
    timezone: str

    @field_validator("series")
    @classmethod
    def _series_are_prefixes(cls, series: dict[str, str]) -> dict[str, str]:
        for kind, prefix in series.items():
            if not prefix.isalpha() or not prefix.isupper() or not 1 <= len(prefix) <= 4:
                raise ValueError(f"series prefix {prefix!r} of {kind} must be 1 to 4 capital letters")
        if len(set(series.values())) != len(series):
            raise ValueError("each document type needs its own series")
        return series

    @property
    def country(self) -> str:
        return self.address.country


class FxSettings(_Strict):
    source: str
    max_age_days: int = Field(ge=1, le=31)


class BillingConfig(_Strict):
    entities: dict[str, Entity] = Field(min_length=1)
    vat_rates: dict[str, dict[VatCategory, Decimal]]
    fx: FxSettings
    retention_years: int = Field(ge=6, le=30)

    @model_validator(mode="after")
    def _check(self) -> BillingConfig:
        problems = []
        for country, rates in self.vat_rates.items():
            if "standard" not in rates:
                problems.append(f"vat_rates.{country}: no standard rate")
            for category, rate in rates.items():
                if not Decimal(0) <= rate < Decimal(100) or rate.as_tuple().exponent < -2:  # type: ignore[operator]
                    problems.append(f"vat_rates.{country}.{category}: {rate} is not a percentage")
        for name, entity in self.entities.items():
            if entity.country not in self.vat_rates:
                problems.append(f"entities.{name}: no VAT rates for its country {entity.country}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def eu_countries(self) -> frozenset[str]:
        """The EU member states: the countries with a VAT table."""
        return frozenset(self.vat_rates)

    def rate(self, country: str, category: VatCategory) -> Decimal:
        rates = self.vat_rates.get(country)
        if rates is None or category not in rates:
            raise KeyError(f"no {category} VAT rate for {country} in the billing configuration")
        return rates[category]


def load_billing_config(path: str | os.PathLike[str] | None = None) -> BillingConfig:
    config_path = Path(path or os.environ.get(BILLING_CONFIG_ENV) or DEFAULT_BILLING_CONFIG)
    with config_path.open(encoding="utf-8") as handle:
        return BillingConfig.model_validate(yaml.safe_load(handle))


@lru_cache(maxsize=1)
def get_billing_config() -> BillingConfig:
    return load_billing_config()

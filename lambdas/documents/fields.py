"""Fields of an invoice or credit note, found in its text: supplier, number, dates, totals, VAT number, IBAN.

Rules, in French and English, for what suppliers print: labelled values ("Facture n°", "Invoice
no.", "Total TTC", "Amount due"), amounts in either locale's notation (1 234,56 € / €1,234.56),
dates as numbers, ISO or words (month names from CLDR through babel). Identifiers are kept only when
their check digits hold (python-stdnum: IBAN mod 97, EU VAT numbers, SIREN's Luhn): an OCR error
gives no field rather than a wrong one. Totals are cross-checked (net + VAT = gross).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.dates import get_month_names
from stdnum import iban as iban_number
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren

_AMOUNT = r"(-?\s?(?:€\s?)?-?\d{1,3}(?:[ .,\u00a0\u202f]\d{3})*(?:[.,]\d{2})|-?\d+(?:[.,]\d{2}))\s?(?:€|EUR)?"
_LABELS = {
    "total_net": r"total\s+ht|montant\s+ht|total\s+hors\s+taxes|subtotal|net\s+total|total\s+excl\.?\s+vat",
    "total_vat": r"(?:tva|vat)(?:\s+\d{1,2}(?:[.,]\d{1,2})?\s?%)?",
    "total_gross": r"total\s+ttc|net\s+[àa]\s+payer|montant\s+ttc|total\s+due|total\s+incl\.?\s+vat|amount\s+due",
}
_NUMBER = re.compile(
    r"(?:facture[ \t]+n[°o](?![a-z])|n[°o](?![a-z])[ \t]+de[ \t]+facture|num[ée]ro[ \t]+de[ \t]+facture[ \t]*:?|invoice[ \t]+no\.?|invoice[ \t]+#|"
    r"invoice[ \t]+number:?|avoir[ \t]+n[°o](?![a-z])|n[°o](?![a-z])[ \t]+d.avoir|num[ée]ro[ \t]+d.avoir[ \t]*:?|credit[ \t]+note[ \t]+no\.?|"
    r"credit[ \t]+note[ \t]+#|credit[ \t]+memo[ \t]+number:?)[ \t]*([A-Z0-9][A-Z0-9/_.-]{2,40})",
    re.IGNORECASE,
)
_ISSUE = r"date\s+de\s+facture|date|[ée]mise\s+le|invoice\s+date|issued\s+on"
_DUE = (
    r"[ée]ch[ée]ance|date\s+d.[ée]ch[ée]ance|[àa]\s+r[ée]gler\s+avant\s+le|due\s+date|payment\s+due|due\s+by"
)
_IBAN = re.compile(r"\bIBAN\s*:?\s*([A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30})", re.IGNORECASE)
_VAT = re.compile(r"\b([A-Z]{2}\s?[0-9A-Z]{2}\s?\d{3}\s?\d{3}\s?\d{3})\b")
_SIREN = re.compile(r"\bSIREN\s*:?\s*(\d{3}\s?\d{3}\s?\d{3})\b", re.IGNORECASE)
_LEGAL_FORMS = re.compile(r"\b(SARL|SAS|SA|EURL|SNC|Ltd|LLC|Inc|GmbH|PLC)(?!\w)")


def _months() -> dict[str, int]:
    months: dict[str, int] = {}
    for locale in ("fr", "en"):
        for number, name in get_month_names("wide", locale=locale).items():
            months[_fold(name)] = int(number)
    return months


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_MONTHS = _months()
_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})|(\d{1,2})[/.](\d{1,2})[/.](\d{4})|(\d{1,2})(?:er)?\s+([^\W\d_]+)\s+(\d{4})|([^\W\d_]+)\s+(\d{1,2}),\s+(\d{4})"
)


def parse_amount(text: str) -> Decimal | None:
    """'1 234,56 €', '€1,234.56', '-8 240,34' -> Decimal; the last separator before two digits is the decimal one."""
    cleaned = re.sub(r"[€\sA-Za-z\u00a0\u202f]", "", text)
    negative = cleaned.startswith("-") or "-" in cleaned[:3]
    cleaned = cleaned.replace("-", "")
    match = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*|\d+)[.,](\d{2})", cleaned)
    if not match:
        return None
    try:
        value = Decimal(re.sub(r"[.,]", "", match.group(1)) + "." + match.group(2))
    except InvalidOperation:
        return None
    return -value if negative else value


def parse_date(text: str) -> date | None:
    match = _DATE.search(text)
    if not match:
        return None
    g = match.groups()
    # (year, month, day) as text, for whichever of the four notations matched.
    if g[0]:
        parts = (g[0], g[1], g[2])
    elif g[3]:
        parts = (g[5], g[4], g[3])
    elif g[6]:
        parts = (g[8], str(_MONTHS.get(_fold(g[7]), 0)), g[6])
    else:
        parts = (g[11], str(_MONTHS.get(_fold(g[9]), 0)), g[10])
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:  # no such day, or not a month name
        return None


def _labelled_values(lines: list[str], label: str) -> list[str]:
    """What follows the label on each line that starts with it ("TVA 20 %: 12,00 €" -> "12,00 €")."""
    pattern = re.compile(rf"^[ \t]*(?:{label})[ \t]*:?[ \t]*(.*)$", re.IGNORECASE)
    return [m.group(1) for line in lines if (m := pattern.match(line)) and m.group(1).strip()]


def _supplier(lines: list[str]) -> str | None:
    """The first line naming a company (a legal form) before the buyer's block."""
    for line in lines[:15]:
        if re.match(r"^\s*(client|factur[ée] [àa]|destinataire|bill to|customer)\b", line, re.IGNORECASE):
            break
        if _LEGAL_FORMS.search(line) and len(line) <= 80 and "StockOSS" not in line:
            return line.strip()
    return None


def extract_invoice_fields(text: str) -> dict[str, str | bool]:
    lines = [line for line in text.splitlines() if line.strip()]
    fields: dict[str, str | bool] = {}
    supplier = _supplier(lines)
    if supplier:
        fields["supplier_name"] = supplier
    if match := _NUMBER.search(text):
        fields["invoice_number"] = match.group(1).rstrip(".")
    for name, label in (("issue_date", _ISSUE), ("due_date", _DUE)):
        dates = [d for value in _labelled_values(lines, label) if (d := parse_date(value))]
        if dates:
            fields[name] = dates[0].isoformat()
    fields.update(_totals(lines, text))
    fields.update(_identifiers(text))
    return fields


def _totals(lines: list[str], text: str) -> dict[str, str | bool]:
    amounts: dict[str, Decimal] = {}
    for name, label in _LABELS.items():
        found = [
            a
            for value in _labelled_values(lines, label)
            if (m := re.search(_AMOUNT, value)) and (a := parse_amount(m.group(0))) is not None
        ]
        if found:
            amounts[name] = found[0]
    totals: dict[str, str | bool] = {name: str(value) for name, value in amounts.items()}
    if amounts and ("€" in text or "EUR" in text):
        totals["currency"] = "EUR"
    if len(amounts) == 3:
        totals["totals_consistent"] = amounts["total_net"] + amounts["total_vat"] == amounts["total_gross"]
    return totals


def _identifiers(text: str) -> dict[str, str | bool]:
    """IBAN, the supplier's VAT number and SIREN: the first candidate whose check digits hold."""
    found: dict[str, str | bool] = {}
    ibans = (iban_number.compact(m.group(1)) for m in _IBAN.finditer(text))
    if iban := next((c for c in ibans if iban_number.is_valid(c)), None):
        found["iban"] = iban
    vats = (eu_vat.compact(m.group(1)) for m in _VAT.finditer(text))
    if vat := next((c for c in vats if eu_vat.is_valid(c) and _is_supplier_vat(c, text)), None):
        found["supplier_vat_number"] = vat
    if (match := _SIREN.search(text)) and fr_siren.is_valid(candidate := fr_siren.compact(match.group(1))):
        found["supplier_siren"] = candidate
    return found


def _is_supplier_vat(candidate: str, text: str) -> bool:
    """The buyer (StockOSS) may print its own VAT number too; the supplier's comes before the buyer's block."""
    position = text.replace(" ", "").find(candidate)
    buyer = re.search(r"(client|factur[ée] [àa]|destinataire|bill to|customer)", text, re.IGNORECASE)
    return buyer is None or position < len(text[: buyer.start()].replace(" ", ""))

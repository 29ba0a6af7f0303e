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
    try:
        if g[0]:
            return date(int(g[0]), int(g[1]), int(g[2]))
        if g[3]:
            return date(int(g[5]), int(g[4]), int(g[3]))
        if g[6] and _fold(g[7]) in _MONTHS:
            return date(int(g[8]), _MONTHS[_fold(g[7])], int(g[6]))
        if g[9] and _fold(g[9]) in _MONTHS:
            return date(int(g[11]), _MONTHS[_fold(g[9])], int(g[10]))
    except ValueError:
        return None
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
    amounts: dict[str, Decimal] = {}
    for name, label in _LABELS.items():
        found = [
            a
            for value in _labelled_values(lines, label)
            if (m := re.search(_AMOUNT, value)) and (a := parse_amount(m.group(0))) is not None
        ]
        if found:
            amounts[name] = found[0]
            fields[name] = str(found[0])
    if amounts:
        fields["currency"] = "EUR" if ("€" in text or "EUR" in text) else fields.get("currency", "EUR")
    if len(amounts) == 3:
        fields["totals_consistent"] = amounts["total_net"] + amounts["total_vat"] == amounts["total_gross"]
    for match in _IBAN.finditer(text):
        candidate = iban_number.compact(match.group(1))
        if iban_number.is_valid(candidate):
            fields["iban"] = candidate
            break
    for match in _VAT.finditer(text):
        candidate = eu_vat.compact(match.group(1))
        if eu_vat.is_valid(candidate) and _is_supplier_vat(candidate, text):
            fields["supplier_vat_number"] = candidate
            break
    if match := _SIREN.search(text):
        candidate = fr_siren.compact(match.group(1))
        if fr_siren.is_valid(candidate):
            fields["supplier_siren"] = candidate
    return fields


def _is_supplier_vat(candidate: str, text: str) -> bool:
    """The buyer (StockOSS) may print its own VAT number too; the supplier's comes before the buyer's block."""
    position = text.replace(" ", "").find(candidate)
    buyer = re.search(r"(client|factur[ée] [àa]|destinataire|bill to|customer)", text, re.IGNORECASE)
    return buyer is None or position < len(text[: buyer.start()].replace(" ", ""))

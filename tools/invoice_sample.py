"""Render a sample invoice (PDF/A-3 with Factur-X) and the PNG of its first page shown in the README.

    python -m tools.invoice_sample                       # docs/images/invoice-sample.png (+ .pdf beside it)
    python -m tools.invoice_sample --out /tmp/sample --locale en

The sample is a French business buying goods and a service, delivered elsewhere: every mention
the 2026 reform adds shows. The page is rasterised by pdfium (pypdfium2).
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium

from lambdas.invoices.facturx_xml import build_xml
from lambdas.invoices.legal import get_billing_config
from lambdas.invoices.models import InvoiceRequest
from lambdas.invoices.render import Renderer
from lambdas.invoices.tax import build_invoice

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = {
    "order_id": "ORD-2026-004217",
    "client_order_ref": "PO-77-B",
    "customer_id": "CUST-009313",
    "seller_entity": "stockoss-fr",
    "document_type": "invoice",
    "ordered_at": "2026-10-20T09:30:00Z",
    "locale": "fr",
    "currency": "EUR",
    "buyer": {
        "kind": "business",
        "name": "Boulangerie Martin SARL",
        "email": "compta@martin.example",
        "siren": "732829320",
        "vat_id": "FR44732829320",
        "address": {"line1": "3 place du Marché", "postal_code": "69002", "city": "Lyon", "country": "FR"},
    },
    "delivery_address": {
        "name": "Entrepôt Martin",
        "line1": "ZI Nord, allée 4",
        "postal_code": "69120",
        "city": "Vaulx-en-Velin",
        "country": "FR",
    },
    "lines": [
        {"sku": "FLOUR-T65", "description": "Farine T65, sac 25 kg", "quantity": 4,
         "unit_price": {"amount": "18.90", "currency": "EUR"}, "vat_category": "reduced"},
        {"sku": "OVEN-CLEAN", "description": "Nettoyage du four à sole", "quantity": 1,
         "unit_price": {"amount": "120.00", "currency": "EUR"}, "vat_category": "standard", "nature": "services"},
        {"sku": "PROOF-BASKET", "description": "Banneton rotin 1 kg", "quantity": 12,
         "unit_price": {"amount": "7.45", "currency": "EUR"}, "vat_category": "standard"},
    ],
    "payment_terms_days": 30,
}  # fmt: skip


def render_sample(out: Path, locale: str = "fr", scale: float = 1.5) -> tuple[Path, Path]:
    issued_at = datetime(2026, 10, 21, 8, 0, tzinfo=UTC)
    invoice = build_invoice(
        InvoiceRequest.model_validate({**SAMPLE, "locale": locale}),
        config=get_billing_config(),
        number="F-2026-000123",
        invoice_id="sample",
        issued_at=issued_at,
        issue_date=issued_at.date(),
        euro_rate=lambda currency, at: (Decimal(1), date(2026, 10, 20)),
    )
    pdf = Renderer().pdf(invoice, build_xml(invoice))
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf_path, png_path = out.with_suffix(".pdf"), out.with_suffix(".png")
    pdf_path.write_bytes(pdf)
    document = pdfium.PdfDocument(pdf)
    try:
        document[0].render(scale=scale).to_pil().save(png_path, optimize=True)
    finally:
        document.close()
    return pdf_path, png_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "invoice-sample")
    parser.add_argument("--locale", default="fr", choices=["fr", "en"])
    args = parser.parse_args(argv)
    pdf_path, png_path = render_sample(args.out, args.locale)
    print(f"invoice_sample: {pdf_path} and {png_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

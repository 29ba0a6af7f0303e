"""The demo step of the invoice service: the orders team asks billing for invoices, billing issues them.

Sends billing.invoice_requested v2 for a few demo orders (a French business, a French consumer who
paid by card, a German business reverse-charged, an American business in dollars: an export),
plus a retry of one request and a credit note, as the order saga would; then waits for the
service (declared in config/platform.yaml, triggered by billing's queue) to issue them and shows
their numbers, totals, the PDFs in the bucket and the mail sink's count. Exactly one number,
PDF and e-mail per document, or the demo fails.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from rich.table import Table

from local_platform.emulators.mail_sink import MailSink
from tools.demo import Step

if TYPE_CHECKING:
    from tools.demo import DemoContext

WAIT_SECONDS = 240.0
LINES: list[dict[str, Any]] = [
    {"sku": "FLOUR-T65", "description": "Farine T65, sac 25 kg", "quantity": 4,
     "unit_price": {"amount": "18.90", "currency": "EUR"}, "vat_category": "reduced"},
    {"sku": "OVEN-CLEAN", "description": "Nettoyage four", "quantity": 1,
     "unit_price": {"amount": "120.00", "currency": "EUR"}, "vat_category": "standard", "nature": "services"},
]  # fmt: skip
BUYERS: dict[str, dict[str, Any]] = {
    "fr-business": {"kind": "business", "name": "Boulangerie Martin SARL", "email": "compta@martin.example",
                    "siren": "732829320", "vat_id": "FR44732829320",
                    "address": {"line1": "3 place du Marché", "postal_code": "69002", "city": "Lyon", "country": "FR"}},
    "fr-person": {"kind": "person", "name": "Camille Durand", "email": "camille.durand@example.com",
                  "address": {"line1": "12 rue des Lilas", "postal_code": "33000", "city": "Bordeaux", "country": "FR"}},
    "de-business": {"kind": "business", "name": "Bäckerei Schmidt GmbH", "email": "ap@schmidt.example",
                    "vat_id": "DE811907980",
                    "address": {"line1": "Hauptstraße 5", "postal_code": "10115", "city": "Berlin", "country": "DE"}},
    "us-business": {"kind": "business", "name": "Acme Bakery Inc.", "email": "ap@acme.example",
                    "vat_id": "US123456789",
                    "address": {"line1": "1 Market St", "postal_code": "94105", "city": "San Francisco", "country": "US"}},
}  # fmt: skip


def _request(order_id: str, buyer: str, **changes: Any) -> dict[str, Any]:
    currency = changes.pop("currency", "EUR")
    lines = [{**line, "unit_price": {**line["unit_price"], "currency": currency}} for line in LINES]
    now = datetime.now(UTC).isoformat()
    payload = {
        "order_id": order_id, "customer_id": f"CUST-{buyer}", "seller_entity": "stockoss-fr",
        "document_type": "invoice", "ordered_at": now, "locale": "en" if buyer[:2] in ("de", "us") else "fr",
        "currency": currency, "buyer": BUYERS[buyer], "lines": lines, "payment_terms_days": 30, **changes,
    }  # fmt: skip
    return {
        "event_id": str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"demo-invoice/{order_id}/{payload['document_type']}")
        ),
        "event_type": "billing.invoice_requested",
        "schema_version": "2",
        "occurred_at": now,
        "source": "orders-service",
        "payload": payload,
    }


def requests_for(run: str) -> list[dict[str, Any]]:
    orders = {f"ORD-DEMO-{run}-{i}": buyer for i, buyer in enumerate(BUYERS, start=1)}
    requests = [
        _request(order, buyer, **({"currency": "USD"} if buyer == "us-business" else {}),
                 **({"paid_at": datetime.now(UTC).isoformat(), "payment_method": "card"} if buyer == "fr-person" else {}))
        for order, buyer in orders.items()
    ]  # fmt: skip
    first = next(iter(orders))
    credit = _request(first, "fr-business", document_type="credit_note",
                      credit_note={"reference": "RMA-1", "reason": "Sac de farine abîmé à la livraison"})  # fmt: skip
    credit["payload"]["lines"] = [credit["payload"]["lines"][0] | {"quantity": 1}]
    return [*requests, credit]


def invoices_step(ctx: DemoContext) -> None:
    platform = ctx.platform
    sink = next((c for c in platform.components if isinstance(c, MailSink)), None)
    if sink is None:
        ctx.fail("the mail sink component is not running")
        return
    run = uuid.uuid4().hex[:6].upper()
    requests = requests_for(run)
    client = ctx.client("orders")  # the saga's team produces the requests
    for batch in (requests[:-1], requests[:1]):  # the second post is a retry: duplicates, nothing new
        response, _ = client.post_until_admitted(batch)
        if response.status_code != 202:
            ctx.fail(f"invoice requests refused: HTTP {response.status_code} {response.text[:200]}")
            return
    table_name = platform.resources.service_tables("invoices")["invoices"]
    with ctx.console.status("waiting for billing to issue, store and mail the invoices..."):
        items = _wait_for_documents(table_name, run, requests, client)
    # The run's own e-mails (each subject carries its document's number): the sink also receives
    # what other services send meanwhile (the notifications of the orders placed before).
    numbers = {i["number"]["S"] for i in items}
    mailed = sum(1 for m in sink.messages if any(n in str(m["Subject"]) for n in numbers))
    ctx.add_summary("Invoices issued by billing (the invoice service)", _summary(items, mailed, sink))
    for problem in _problems(items, mailed, len(requests)):
        ctx.fail(problem)


def _documents(table_name: str, run: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=table_name, ConsistentRead=True)["Items"]
    return sorted((i for i in items if run in i["order_id"]["S"]), key=lambda i: i["number"]["S"])


def _wait_for_documents(
    table_name: str, run: str, requests: list[dict[str, Any]], client: Any
) -> list[dict[str, Any]]:
    """The run's documents once all are issued and mailed (or at the deadline); the credit note is
    requested once the invoice it corrects exists, as a return would come after the delivery."""
    deadline = time.monotonic() + WAIT_SECONDS
    credit_sent = False
    items = _documents(table_name, run)
    while time.monotonic() < deadline:
        if not credit_sent and len(items) >= len(requests) - 1:
            client.post_until_admitted(requests[-1])
            credit_sent = True
        if len(items) == len(requests) and all(i.get("mail_state", {}).get("S") == "sent" for i in items):
            break
        time.sleep(1.0)
        items = _documents(table_name, run)
    return items


def _summary(items: list[dict[str, Any]], mailed: int, sink: MailSink) -> Table:
    table = Table("order", "document", "number", "mail", "PDF")
    for item in items:
        table.add_row(
            item["order_id"]["S"],
            item["document_type"]["S"],
            item["number"]["S"],
            item.get("mail_state", {}).get("S", "?"),
            item.get("document_uri", {}).get("S", "(not stored)"),
        )
    table.add_row("", "", "", f"{mailed} e-mails", f"mail sink: {sink.url} ({sink.directory})")
    return table


def _problems(items: list[dict[str, Any]], mailed: int, requested: int) -> list[str]:
    problems = []
    if len(items) != requested:
        problems.append(f"{len(items)} documents issued for {requested} requests")
    if len({i["number"]["S"] for i in items}) != len(items):
        problems.append("two documents share a number")
    if mailed != requested:
        problems.append(f"{mailed} e-mails for {requested} documents")
    if any("document_uri" not in i for i in items):
        problems.append("a document has no stored PDF")
    return problems


STEPS = [Step("Invoices: billing issues, stores and mails the demo orders' invoices", invoices_step)]

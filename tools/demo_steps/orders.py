"""The demo steps of the orders team: orders placed over HTTP, decided by the saga against the emulated ERP.

1. Signed-in customers (access tokens from the local issuer) and a partner (its
   API key) place orders through the gateway: most are confirmed; one asks for
   more sofas than the warehouse holds (rejected, its sale order cancelled and
   its stock released); one shows the buyer a price the ERP does not charge
   (rejected as price_changed).
2. The ERP goes down while orders come in: its circuit breaker opens, the
   orders wait in the orders queue (delayed, none in the DLQ), and once the ERP
   is back they drain and are confirmed.
Each order is then shown as its client sees it (GET /v1/orders/{id}), with the
sale order, the rejection and the compensations; an order that ends otherwise
than expected fails the demo.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import requests
from rich.table import Table

from local_platform.emulators.external_systems import ExternalSystems
from local_platform.emulators.odoo import catalog_prices
from platform_core.aws import client

if TYPE_CHECKING:
    from tools.demo import DemoContext

SCOPES = ["orders/read", "orders/write"]
DECIDED = ("confirmed", "rejected", "invoiced")
WAIT_SECONDS = 180.0
CENT = Decimal("0.01")


def _buyer(name: str, city: str, postal_code: str) -> dict[str, Any]:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    email = ascii_name.lower().replace(" ", ".") + "@example.com"
    address = {"line1": "1 place de la Gare", "postal_code": postal_code, "city": city, "country": "FR"}
    return {"kind": "person", "name": name, "email": email, "address": address}


class OrdersDemo:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        systems = ctx.platform.component("external-systems")
        if not isinstance(systems, ExternalSystems):
            raise TypeError("the external-systems component is not running")
        self.systems = systems
        self.url = f"{ctx.platform.gateway_url}/v1/orders"
        self.placed: list[dict[str, Any]] = []  # what each order should become

    def customer(self, subject: str) -> dict[str, str]:
        """A signed-in customer of the web app: its access token, with the app's (public) API key."""
        token = self.systems.issuer.access_token(subject, "web-app", SCOPES)
        return {
            "Authorization": f"Bearer {token}",
            "x-api-key": self.ctx.platform.client_keys["web-app"].value,
        }

    def partner(self) -> dict[str, str]:
        return {"x-api-key": self.ctx.platform.client_keys["partner-demo"].value}

    def total(self, lines: list[tuple[str, int]]) -> Decimal:
        """What the ERP will charge, VAT rounded per line: what a client shows before the buyer orders."""
        prices = catalog_prices(self.systems.odoo.db)
        total = Decimal(0)
        for sku, quantity in lines:
            net, rate = prices[sku]
            subtotal = (net * quantity).quantize(CENT)
            total += subtotal + (subtotal * rate / 100).quantize(CENT)
        return total

    def place(
        self,
        who: str,
        headers: dict[str, str],
        *,
        buyer: dict[str, Any],
        lines: list[tuple[str, int]],
        expect: str,
        total: Decimal | None = None,
    ) -> None:
        body = {
            "client_order_ref": f"CART-{len(self.placed) + 1:03d}-{int(time.time())}",
            "locale": "fr-FR",
            "buyer": buyer,
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            "total": {"amount": str(total if total is not None else self.total(lines)), "currency": "EUR"},
        }
        response = requests.post(self.url, json=body, headers=headers, timeout=60)
        if response.status_code != 202:
            self.ctx.fail(
                f"orders: POST /v1/orders for {who} answered {response.status_code}: {response.text[:200]}"
            )
            return
        order = response.json()
        self.placed.append({"who": who, "headers": headers, "order_id": order["order_id"], "expect": expect})

    def read(self, entry: dict[str, Any]) -> dict[str, Any]:
        # A fresh token per read: the customers' tokens outlive the demo, but a client refreshes anyway.
        headers = entry["headers"] if "x-api-key" in entry["headers"] else self.customer(entry["who"])
        response = requests.get(f"{self.url}/{entry['order_id']}", headers=headers, timeout=60)
        return (
            dict(response.json())
            if response.status_code == 200
            else {"status": f"HTTP {response.status_code}"}
        )

    def wait(self, entries: list[dict[str, Any]], until: Callable[[dict[str, Any]], bool]) -> bool:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if all(until(self.read(e)) for e in entries):
                return True
            time.sleep(1.0)
        return False

    def orders_queue(self) -> dict[str, int]:
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=self.ctx.platform.resources.team_queue("orders"))["QueueUrl"]
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return {
            "visible": int(attributes[names[0]]),
            "in flight": int(attributes[names[1]]),
            "delayed": int(attributes[names[2]]),
        }

    def breaker(self) -> str:
        table = self.ctx.platform.resources.service_tables("order-saga")["breakers"]
        item = client("dynamodb").get_item(TableName=table, Key={"dependency": {"S": "erp"}}).get("Item")
        return str(item["state"]["S"]) if item else "closed"


def place_and_decide(demo: OrdersDemo) -> None:
    ctx = demo.ctx
    demo.systems.odoo.db.set_on_hand("SKU-SOFA-3P", 2)
    demo.place(
        "cust-camille",
        demo.customer("cust-camille"),
        buyer=_buyer("Camille Martin", "Lyon", "69003"),
        lines=[("SKU-LAMP-LED", 2), ("SKU-BOOK-DESIGN", 1)],
        expect="confirmed",
    )
    demo.place(
        "cust-hugo",
        demo.customer("cust-hugo"),
        buyer=_buyer("Hugo Bernard", "Nantes", "44000"),
        lines=[("SKU-DESK-180", 1), ("SKU-CHAIR-OAK", 2)],
        expect="confirmed",
    )
    demo.place(
        "partner-demo",
        demo.partner(),
        buyer=_buyer("Atelier Lefebvre", "Lille", "59000"),
        lines=[("SKU-MUG-SET", 6)],
        expect="confirmed",
    )
    demo.place(
        "cust-lea",
        demo.customer("cust-lea"),
        buyer=_buyer("Léa Petit", "Rennes", "35000"),
        lines=[("SKU-SOFA-3P", 3)],
        expect="rejected:out_of_stock",
    )
    demo.place(
        "cust-noah",
        demo.customer("cust-noah"),
        buyer=_buyer("Noah Roux", "Brest", "29200"),
        lines=[("SKU-RUG-200", 1)],
        expect="rejected:price_changed",
        total=Decimal("99.00"),
    )
    with ctx.console.status("the order saga works the orders against the ERP..."):
        if not demo.wait(demo.placed, lambda order: order.get("status") in DECIDED):
            ctx.fail(f"orders: not all decided within {WAIT_SECONDS:.0f} s")
    ctx.console.print(f"{len(demo.placed)} orders placed by customers and a partner, decided by the saga")


def erp_outage(demo: OrdersDemo) -> None:
    ctx = demo.ctx
    odoo = demo.systems.odoo
    odoo.faults.outage = True
    first = len(demo.placed)
    for index, city in enumerate(("Paris", "Bordeaux", "Dijon")):
        subject = f"cust-outage-{index}"
        demo.place(
            subject,
            demo.customer(subject),
            buyer=_buyer(f"Client {city}", city, "75001"),
            lines=[("SKU-CABLE-USB", 2)],
            expect="confirmed",
        )
    waiting = demo.placed[first:]
    deadline = time.monotonic() + WAIT_SECONDS
    with ctx.console.status("the ERP is down: waiting for the breaker to open and the orders to wait..."):
        while time.monotonic() < deadline and (
            demo.breaker() != "open" or demo.orders_queue()["delayed"] < len(waiting)
        ):
            time.sleep(1.0)
    queue = demo.orders_queue()
    ctx.console.print(
        f"ERP down: breaker {demo.breaker()}; the orders wait in the orders queue: {queue} "
        f"(the DLQ stays empty); statuses {[demo.read(e)['status'] for e in waiting]}"
    )
    if demo.breaker() != "open":
        ctx.fail("orders: the ERP's breaker did not open during the outage")
    odoo.faults.outage = False
    with ctx.console.status("the ERP is back: the waiting orders drain..."):
        if not demo.wait(waiting, lambda order: order.get("status") in DECIDED):
            ctx.fail("orders: the orders that waited out the outage were not decided after it")
    ctx.console.print(f"ERP back: breaker {demo.breaker()}; orders queue {demo.orders_queue()}")


def show_orders(demo: OrdersDemo) -> None:
    ctx = demo.ctx
    table = Table("client", "order", "status", "sale order", "rejection", "undone", "saga steps")
    for entry in demo.placed:
        order = demo.read(entry)
        rejection = order.get("rejection") or {}
        got = order.get("status", "?")
        outcome = f"rejected:{rejection.get('reason')}" if got == "rejected" else got
        expected = entry["expect"]
        if outcome != expected and not (expected == "confirmed" and got == "invoiced"):
            ctx.fail(f"orders: {entry['order_id']} ({entry['who']}) ended {outcome}, expected {expected}")
        detail = f"{rejection.get('reason')}: {rejection.get('detail', '')[:60]}" if rejection else ""
        undone = ", ".join(f"{c['action']} {c['reference']}" for c in rejection.get("compensations", []))
        steps = str(len(order.get("timeline", [])) - 1)
        table.add_row(
            entry["who"], entry["order_id"], got, order.get("sale_order", ""), detail, undone, steps
        )
    ctx.add_summary("Orders (GET /v1/orders/{id}, as each client sees them)", table)
    stock = Table("sku", "on hand", "reserved")
    for sku in ("SKU-LAMP-LED", "SKU-SOFA-3P", "SKU-RUG-200", "SKU-CABLE-USB"):
        quant = demo.systems.odoo.db
        stock.add_row(
            sku,
            str(quant.free_quantity(sku) + quant.reserved_quantity(sku)),
            str(quant.reserved_quantity(sku)),
        )
    ctx.add_summary("ERP stock after the orders (rejected orders hold nothing)", stock)


def _steps() -> list[Any]:
    from tools.demo import Step

    # The three steps share one OrdersDemo, made by the first for the platform it runs on.
    demo: dict[str, OrdersDemo] = {}

    def begin(ctx: DemoContext) -> None:
        demo["current"] = OrdersDemo(ctx)
        place_and_decide(demo["current"])

    return [
        Step("Orders: customers (tokens) and a partner (API key) place orders; the saga decides", begin),
        Step(
            "Orders: the ERP goes down, orders wait in the queue, then drain",
            lambda _: erp_outage(demo["current"]),
        ),
        Step("Orders: as their clients see them", lambda _: show_orders(demo["current"])),
    ]


STEPS = _steps()

"""The ERP port over Odoo (17 to 19: the sale and stock apps' field names, `web_read`), through either transport.

Each method is one or a few calls, each its own Odoo transaction, chosen so
that repeating any of them is harmless: lookups before creations (a customer by
its reference, a sale order by its client reference and origin), confirmation
only of a draft, cancellation only of what is not cancelled. The reservation is
Odoo's own: confirming a sale order creates its delivery order and reserves
what is free, under Odoo's row locks, so concurrent confirmations never reserve
the same unit twice; what could not be reserved shows on the delivery's moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any

from lambdas.orders.erp.port import (
    Address,
    Customer,
    ErpRecordMissing,
    ErpRefused,
    Product,
    Reservation,
    SaleOrder,
    SaleOrderDraft,
    SaleOrderLine,
    Shortage,
)
from lambdas.orders.erp.transports import OdooTransport

TAXES: dict[str, Any] = {"fields": {"amount": {}, "amount_type": {}}}
# One nested read (Odoo 17+'s web_read) for a sale order with its lines, taxes, deliveries and moves:
# one call instead of one per model, each of which is a round trip (and a transaction) on the ERP.
SALE_ORDER: dict[str, Any] = {
    "name": {},
    "state": {},
    "currency_id": {"fields": {"name": {}}},
    "amount_untaxed": {},
    "amount_tax": {},
    "amount_total": {},
    "order_line": {
        "fields": {
            "product_id": {"fields": {"default_code": {}}},
            "name": {},
            "product_uom_qty": {},
            "price_unit": {},
            "tax_ids": TAXES,
            "price_subtotal": {},
        }
    },
    "picking_ids": {
        "fields": {
            "name": {},
            "state": {},
            "move_ids": {
                "fields": {
                    "product_id": {"fields": {"default_code": {}}},
                    "product_uom_qty": {},
                    "quantity": {},
                }
            },
        }
    },
}
PRODUCT: dict[str, Any] = {"default_code": {}, "name": {}, "list_price": {}, "taxes_id": TAXES}
# A cancelled sale order's wizard (asking whether to e-mail the customer) is for people, not for an API.
NO_CANCEL_WIZARD = {"disable_cancel_warning": True}


def _money(value: Any) -> Decimal:
    # Odoo serialises monetary fields as JSON numbers; through str() they keep their two decimals.
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _vat_rate(taxes: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(t["amount"])) for t in taxes if t["amount_type"] == "percent"), Decimal(0))


def _reservation(pickings: list[dict[str, Any]]) -> Reservation | None:
    """The delivery holding the order's stock, and what it could not reserve (a cancelled one holds nothing)."""
    if not pickings:
        return None
    live = [p for p in pickings if p["state"] != "cancel"] or pickings
    picking = min(live, key=lambda p: int(p["id"]))
    shortages = tuple(
        Shortage(
            sku=str(move["product_id"]["default_code"]),
            requested=int(move["product_uom_qty"]),
            reserved=int(move["quantity"]),
        )
        for move in picking["move_ids"]
        if picking["state"] == "cancel" or move["quantity"] < move["product_uom_qty"]
    )
    return Reservation(reference=picking["name"], state=picking["state"], shortages=shortages)


class OdooErp:
    def __init__(self, transport: OdooTransport):
        self._odoo = transport
        self._countries: dict[str, int] = {}

    # -- reference data ------------------------------------------------------------

    @cached_property
    def _currency(self) -> str:
        [company] = self._odoo.call("res.company", "search_read", domain=[], fields=["currency_id"], limit=1)
        return str(company["currency_id"][1])

    def company_currency(self) -> str:
        return self._currency

    def _country_id(self, code: str) -> int:
        if code not in self._countries:
            found = self._odoo.call("res.country", "search_read", domain=[["code", "=", code]], fields=["id"])
            if not found:
                raise ErpRefused(f"the ERP knows no country {code!r}")
            self._countries[code] = int(found[0]["id"])
        return self._countries[code]

    # -- customers -------------------------------------------------------------------

    def _address_values(self, address: Address) -> dict[str, Any]:
        return {
            "street": address.line1,
            "street2": address.line2 or False,
            "zip": address.postal_code,
            "city": address.city,
            "country_id": self._country_id(address.country),
        }

    def find_or_create_customer(self, customer: Customer) -> int:
        found = self._odoo.call(
            "res.partner",
            "search",
            domain=[["ref", "=", customer.ref], ["parent_id", "=", False]],
            order="id asc",
            limit=1,
        )
        if found:
            return int(found[0])
        values = {
            "name": customer.name,
            "ref": customer.ref,
            "email": customer.email,
            "phone": customer.phone or False,
            "is_company": customer.is_company,
            "vat": customer.vat or False,
            "company_registry": customer.siren or False,
            **self._address_values(customer.address),
        }
        [partner_id] = self._odoo.call("res.partner", "create", vals_list=[values])
        return int(partner_id)

    def find_or_create_address(self, parent_id: int, address: Address) -> int:
        values = {"type": "delivery", "parent_id": parent_id, **self._address_values(address)}
        domain = [[field, "=", value] for field, value in values.items()]
        found = self._odoo.call("res.partner", "search", domain=domain, order="id asc", limit=1)
        if found:
            return int(found[0])
        named = {**values, "name": address.name} if address.name else values
        [partner_id] = self._odoo.call("res.partner", "create", vals_list=[named])
        return int(partner_id)

    # -- catalogue ---------------------------------------------------------------------

    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        found = self._odoo.call(
            "product.product",
            "web_search_read",
            domain=[["default_code", "in", sorted(set(skus))], ["sale_ok", "=", True]],
            specification=PRODUCT,
        )
        return {
            row["default_code"]: Product(
                id=int(row["id"]),
                sku=row["default_code"],
                name=row["name"],
                list_price=_money(row["list_price"]),
                vat_rate=_vat_rate(row["taxes_id"]),
            )
            for row in found["records"]
        }

    # -- sale orders ---------------------------------------------------------------------

    def find_sale_order(self, client_order_ref: str, origin: str) -> SaleOrder | None:
        found = self._odoo.call(
            "sale.order",
            "search",
            domain=[["client_order_ref", "=", client_order_ref], ["origin", "=", origin]],
            order="id asc",
            limit=1,
        )
        return self.sale_order(int(found[0])) if found else None

    def create_sale_order(self, draft: SaleOrderDraft) -> SaleOrder:
        values: dict[str, Any] = {
            "partner_id": draft.partner_id,
            "client_order_ref": draft.client_order_ref,
            "origin": draft.origin,
            "order_line": [[0, 0, {"product_id": pid, "product_uom_qty": qty}] for pid, qty in draft.lines],
        }
        if draft.shipping_partner_id:
            values["partner_shipping_id"] = draft.shipping_partner_id
        if draft.note:
            values["note"] = draft.note
        [sale_order_id] = self._odoo.call("sale.order", "create", vals_list=[values])
        return self.sale_order(int(sale_order_id))

    def sale_order(self, sale_order_id: int) -> SaleOrder:
        rows = self._odoo.call("sale.order", "web_read", ids=[sale_order_id], specification=SALE_ORDER)
        if not rows:
            raise ErpRecordMissing(f"sale order {sale_order_id} does not exist")
        [row] = rows
        return SaleOrder(
            id=int(row["id"]),
            name=row["name"],
            state=row["state"],
            currency=str(row["currency_id"]["name"]),
            net=_money(row["amount_untaxed"]),
            tax=_money(row["amount_tax"]),
            total=_money(row["amount_total"]),
            lines=tuple(
                SaleOrderLine(
                    product_id=int(line["product_id"]["id"]),
                    sku=str(line["product_id"]["default_code"]),
                    name=line["name"],
                    quantity=int(line["product_uom_qty"]),
                    unit_price=_money(line["price_unit"]),
                    vat_rate=_vat_rate(line["tax_ids"]),
                    net=_money(line["price_subtotal"]),
                )
                for line in row["order_line"]
            ),
            reservation=_reservation(row["picking_ids"]),
        )

    def confirm_sale_order(self, sale_order_id: int) -> None:
        self._odoo.call("sale.order", "action_confirm", ids=[sale_order_id])

    def cancel_sale_order(self, sale_order_id: int) -> None:
        [row] = self._odoo.call("sale.order", "read", ids=[sale_order_id], fields=["state"]) or [None]
        if row is None:
            raise ErpRecordMissing(f"sale order {sale_order_id} does not exist")
        if row["state"] != "cancel":
            self._odoo.call("sale.order", "action_cancel", ids=[sale_order_id], context=NO_CANCEL_WIZARD)

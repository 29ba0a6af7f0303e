"""The adapters' scenarios a transcript records: what the order saga asks of the ERP and the WMS,
including the answers it must read as errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lambdas.orders.erp.odoo import OdooErp
from lambdas.orders.erp.port import Address, Customer, ErpError, SaleOrderDraft
from lambdas.orders.wms.openwms import OpenWms
from lambdas.orders.wms.port import WarehouseError
from tests.contracts.transcripts import plain

CUSTOMER = Customer(
    ref="cust-transcript-1",
    name="Camille Martin",
    email="camille.martin@example.com",
    address=Address(line1="12 rue des Lilas", postal_code="69003", city="Lyon", country="FR"),
)
DELIVERY = Address(line1="3 place Bellecour", postal_code="69002", city="Lyon", country="FR", name="Atelier")


def _attempt(results: list[Any], label: str, call: Callable[[], Any]) -> Any:
    try:
        value = call()
    except (ErpError, WarehouseError) as exc:
        results.append(
            [
                label,
                {
                    "error": type(exc).__name__,
                    "kind": getattr(exc, "kind", ""),
                    "status": getattr(exc, "status", None),
                },
            ]
        )
        return None
    results.append([label, plain(value)])
    return value


def odoo(erp: OdooErp) -> list[Any]:
    """Customer, catalogue, a sale order confirmed then cancelled, and the refusals along the way."""
    results: list[Any] = []
    _attempt(results, "company currency", erp.company_currency)
    partner = _attempt(results, "customer created", lambda: erp.find_or_create_customer(CUSTOMER))
    _attempt(results, "customer found", lambda: erp.find_or_create_customer(CUSTOMER))
    shipping = _attempt(results, "delivery address", lambda: erp.find_or_create_address(partner, DELIVERY))
    products = _attempt(
        results, "products", lambda: erp.products(["SKU-LAMP-LED", "SKU-BOOK-DESIGN", "SKU-NOPE"])
    )
    _attempt(results, "no sale order yet", lambda: erp.find_sale_order("CART-T1", "ORD-T1"))
    draft = SaleOrderDraft(
        partner_id=partner,
        client_order_ref="CART-T1",
        origin="ORD-T1",
        lines=((products["SKU-LAMP-LED"].id, 2), (products["SKU-BOOK-DESIGN"].id, 1)),
        shipping_partner_id=shipping,
    )
    sale_order = _attempt(results, "sale order created", lambda: erp.create_sale_order(draft))
    _attempt(results, "sale order found", lambda: erp.find_sale_order("CART-T1", "ORD-T1"))
    _attempt(results, "confirmed", lambda: erp.confirm_sale_order(sale_order.id))
    _attempt(results, "reserved", lambda: erp.sale_order(sale_order.id))
    _attempt(results, "confirmed again: refused", lambda: erp.confirm_sale_order(sale_order.id))
    _attempt(results, "cancelled", lambda: erp.cancel_sale_order(sale_order.id))
    _attempt(results, "cancelled again: nothing to do", lambda: erp.cancel_sale_order(sale_order.id))
    _attempt(results, "released", lambda: erp.sale_order(sale_order.id))
    _attempt(results, "a sale order that does not exist", lambda: erp.sale_order(99999))
    bad = SaleOrderDraft(partner_id=99999, client_order_ref="CART-T2", origin="ORD-T2", lines=draft.lines)
    _attempt(results, "a sale order for no customer: refused", lambda: erp.create_sale_order(bad))
    return results


def odoo_refused_key(erp: OdooErp) -> list[Any]:
    results: list[Any] = []
    _attempt(results, "a refused API key", erp.company_currency)
    return results


def openwms(wms: OpenWms) -> list[Any]:
    results: list[Any] = []
    product = _attempt(results, "product", lambda: wms.product("SKU-LAMP-LED"))
    _attempt(results, "available", lambda: wms.available(product))
    _attempt(results, "unknown product", lambda: wms.product("SKU-NOPE"))
    return results

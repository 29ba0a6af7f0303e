"""The events the orders team emits, built in one place, each with an id derived from its cause.

An event's id is `derived_event_id(order_id, purpose)`: the API and the saga
send the same ids when they run again for the same order, so the platform
answers `duplicate` and nothing is announced twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from lambdas.orders.authorization import PARTNER
from lambdas.orders.erp.port import Address, SaleOrder
from lambdas.orders.model import ORDER_CREATED, ORDER_CREATED_VERSION, PlacedOrder
from lambdas.orders.saga import Rejection, SagaState
from platform_core.envelope import EventIn
from platform_core.producer import derived_event_id

SOURCE = "orders-service"
STOCK_RESERVED = "orders.stock_reserved"
ORDER_CONFIRMED = "orders.order_confirmed"
ORDER_REJECTED = "orders.order_rejected"
INVOICE_REQUESTED = "billing.invoice_requested"
NOTIFICATION_REQUESTED = "notifications.notification_requested"
NOTIFICATION_REQUESTED_VERSION = "2"
# How long the ERP keeps a reservation announced as stock_reserved, for consumers' planning: Odoo
# holds it until the delivery is done or cancelled, so this is the promise, not an expiry the ERP enforces.
RESERVATION_PROMISE = timedelta(days=7)
PAYMENT_TERMS_DAYS = 30
WAREHOUSE = "WH"


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currency": currency}


def _rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _event(order_id: str, event_type: str, version: str, at: datetime, payload: dict[str, Any]) -> EventIn:
    return EventIn(
        event_id=derived_event_id(order_id, event_type),
        event_type=event_type,
        schema_version=version,
        occurred_at=at,
        source=SOURCE,
        payload=payload,
    )


def order_created(payload: Mapping[str, Any], at: datetime) -> EventIn:
    return _event(str(payload["order_id"]), ORDER_CREATED, ORDER_CREATED_VERSION, at, dict(payload))


def _erp(state: SagaState) -> dict[str, int]:
    return {"calls": state.erp_calls, "failures": state.erp_failures, "deferrals": state.deferrals}


def confirmation(
    order: PlacedOrder, sale_order: SaleOrder, state: SagaState, seller_entity: str, at: datetime
) -> list[EventIn]:
    """stock_reserved, order_confirmed, then what confirmation asks of billing and notifications."""
    reservation = sale_order.reservation.reference if sale_order.reservation else sale_order.name
    currency = sale_order.currency
    reserved = {
        "order_id": order.order_id,
        # stock_reserved v1 ids allow no "/", which Odoo's delivery names (WH/OUT/00012) contain.
        "reservation_id": re.sub(r"[^A-Za-z0-9_.:-]", "-", reservation)[:64],
        "warehouse_id": WAREHOUSE,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in sale_order.lines],
        "expires_at": (at + RESERVATION_PROMISE).isoformat(),
    }
    confirmed = {
        "order_id": order.order_id,
        "client_order_ref": order.client_order_ref,
        "customer_id": order.customer_id,
        "sale_order": {"id": sale_order.id, "name": sale_order.name},
        "reservation_id": reservation,
        "lines": [
            {
                "sku": line.sku,
                "description": line.name[:200],
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price, currency),
                "vat_rate": _rate(line.vat_rate),
                "net": _money(line.net, currency),
            }
            for line in sale_order.lines
        ],
        "net": _money(sale_order.net, currency),
        "tax": _money(sale_order.tax, currency),
        "total": _money(sale_order.total, currency),
        "confirmed_at": at.isoformat(),
        "erp": _erp(state),
    }
    return [
        _event(order.order_id, STOCK_RESERVED, "1", at, reserved),
        _event(order.order_id, ORDER_CONFIRMED, "1", at, confirmed),
        invoice_request(order, sale_order, seller_entity, at),
        _event(
            order.order_id,
            NOTIFICATION_REQUESTED,
            NOTIFICATION_REQUESTED_VERSION,
            at,
            _notification(order, "order_confirmed", sale_order),
        ),
    ]


# The ERP's VAT rates (a French company: percent) as the categories billing maps to the rate of the
# country of taxation (EN 16931's categories: standard, intermediate, reduced, super-reduced, zero).
VAT_CATEGORIES = {
    Decimal("20"): "standard",
    Decimal("10"): "intermediate",
    Decimal("5.5"): "reduced",
    Decimal("2.1"): "super_reduced",
    Decimal("0"): "zero",
}


def vat_category(rate: Decimal) -> str | None:
    return VAT_CATEGORIES.get(rate.normalize()) or VAT_CATEGORIES.get(rate)


def _address(address: Address) -> dict[str, str]:
    out = {
        "line1": address.line1,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }
    if address.line2:
        out["line2"] = address.line2
    if address.name:
        out["name"] = address.name
    return out


def invoice_request(order: PlacedOrder, sale_order: SaleOrder, seller_entity: str, at: datetime) -> EventIn:
    """What billing needs to invoice the order: the buyer as it placed the order, the ERP's lines."""
    buyer = order.customer
    billed: dict[str, Any] = {
        "kind": "business" if buyer.is_company else "person",
        "name": buyer.name,
        "email": buyer.email,
        "address": _address(buyer.address),
    }
    if buyer.vat:
        billed["vat_id"] = buyer.vat
    if buyer.siren:
        billed["siren"] = buyer.siren
    payload: dict[str, Any] = {
        "order_id": order.order_id,
        "client_order_ref": order.client_order_ref,
        "customer_id": order.customer_id,
        "seller_entity": seller_entity,
        "document_type": "invoice",
        "ordered_at": order.placed_at or at.isoformat(),
        "locale": order.locale,
        "currency": sale_order.currency,
        "buyer": billed,
        "lines": [
            {
                "sku": line.sku,
                "description": line.name[:200],
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price, sale_order.currency),
                "vat_category": vat_category(line.vat_rate),
                "nature": "goods",
            }
            for line in sale_order.lines
        ],
        "payment_terms_days": PAYMENT_TERMS_DAYS,
    }
    if order.delivery_address is not None:
        payload["delivery_address"] = _address(order.delivery_address)
    return _event(order.order_id, INVOICE_REQUESTED, "2", at, payload)


def _notification(
    order: PlacedOrder, template: str, sale_order: SaleOrder | None, detail: str = ""
) -> dict[str, Any]:
    """A notification_requested v2 payload, addressed to the buyer as it placed the order.

    By e-mail, and by SMS when the buyer gave a phone (sent only with its consent: SMS is opt-in).
    A signed-in customer also sees it in the app (inbox, push); a partner's buyer has no account
    there, and the partner hears of it by its webhook instead.
    """
    variables: dict[str, Any] = {"order_id": order.order_id, "client_order_ref": order.client_order_ref}
    if sale_order is not None:
        variables["sale_order"] = sale_order.name
        variables["total"] = str(sale_order.total.quantize(Decimal("0.01")))
        variables["currency"] = sale_order.currency
    if detail:
        variables["reason"] = detail[:200]
    buyer = order.customer
    recipient = {"name": buyer.name[:200], "email": buyer.email}
    channels = ["email"]
    if buyer.phone:
        recipient["phone"] = buyer.phone
        channels.append("sms")
    placed_by = order.payload["placed_by"]
    partner = placed_by["client_id"] if placed_by["kind"] == PARTNER else None
    channels.extend(["webhook"] if partner else ["inbox", "push"])
    payload: dict[str, Any] = {
        "notification_id": f"NTF-{order.order_id}-{template}"[:64],
        "customer_id": order.customer_id,
        "template": template,
        "locale": order.locale.split("-")[0],
        "channels": channels,
        "recipient": recipient,
        "order_id": order.order_id,
        "variables": variables,
    }
    if partner:
        payload["partner"] = partner
    return payload


def rejection(order: PlacedOrder, rejected: Rejection, state: SagaState, at: datetime) -> list[EventIn]:
    compensations = state.compensations
    payload: dict[str, Any] = {
        "order_id": order.order_id,
        "client_order_ref": order.client_order_ref,
        "customer_id": order.customer_id,
        "reason": rejected.reason.value,
        "detail": rejected.detail[:500],
        "compensations": [{"action": action, "reference": ref[:64]} for action, ref in compensations],
        "total": _money(order.total, order.currency),
        "rejected_at": at.isoformat(),
        "erp": _erp(state),
    }
    if rejected.shortages:
        payload["shortages"] = [
            {"sku": s.sku, "requested": s.requested, "available": s.available} for s in rejected.shortages
        ]
    return [
        _event(order.order_id, ORDER_REJECTED, "1", at, payload),
        _event(
            order.order_id,
            NOTIFICATION_REQUESTED,
            NOTIFICATION_REQUESTED_VERSION,
            at,
            _notification(order, "order_rejected", None, rejected.reason.value),
        ),
    ]

"""The order as placed (the `orders.order_created` v2 payload), its id, and the typed view the saga reads.

The payload's JSON Schema (schemas/orders/order_created/2.json) is the one
definition of a valid order; the orders API validates requests against the
part of it a client sends (`request_schema`), and the saga reads validated
payloads through `PlacedOrder`.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lambdas.orders.erp.port import Address, Customer
from platform_core.registry import SchemaRegistry

ORDER_CREATED = "orders.order_created"
ORDER_CREATED_VERSION = "2"
# Set by the API from who calls (the token or the key) and from the body, never sent by the client.
SERVER_FIELDS = ("order_id", "placed_by", "customer_id", "channel", "shipping_country")
ORDER_ID_NAMESPACE = uuid.UUID("0b6f0f55-5a9e-5b8e-8d55-2f3c5f7e9a10")  # fixed forever: ids are derived


def order_id_for(client_id: str, client_order_ref: str) -> str:
    """The order id of a client's reference: the same POST always names the same order."""
    return "ORD-" + uuid.uuid5(ORDER_ID_NAMESPACE, f"{client_id}/{client_order_ref}").hex[:24].upper()


def request_schema(registry: SchemaRegistry) -> dict[str, Any]:
    """The JSON Schema of `POST /v1/orders`: the order_created v2 payload without what the server sets."""
    schema = registry.get(ORDER_CREATED, ORDER_CREATED_VERSION)
    if schema is None:
        raise RuntimeError(f"no schema {ORDER_CREATED} v{ORDER_CREATED_VERSION}")
    document = copy.deepcopy(dict(schema.document))
    for name in SERVER_FIELDS:
        document["properties"].pop(name)
    document["required"] = [name for name in document["required"] if name not in SERVER_FIELDS]
    document["$id"] = "https://schemas.stockoss.dev/api/place_order_request.json"
    document["title"] = "Place an order"
    document["description"] = (
        "The body of POST /v1/orders: the order_created v2 payload without the fields the platform sets "
        "(order id, who placed it, customer id, channel, shipping country)."
    )
    document.pop("x-business-key", None)
    return document


def _address(value: dict[str, Any]) -> Address:
    return Address(
        line1=value["line1"],
        line2=value.get("line2", ""),
        postal_code=value["postal_code"],
        city=value["city"],
        country=value["country"],
        name=value.get("name", ""),
    )


@dataclass(frozen=True)
class PlacedOrder:
    order_id: str
    client_order_ref: str
    customer_id: str
    locale: str
    customer: Customer
    delivery_address: Address | None
    lines: tuple[tuple[str, int], ...]  # (sku, quantity), one per SKU
    total: Decimal
    currency: str
    payload: dict[str, Any]
    placed_at: str = ""  # RFC 3339, when the API recorded it

    @classmethod
    def from_payload(cls, payload: dict[str, Any], placed_at: str = "") -> PlacedOrder:
        buyer = payload["buyer"]
        quantities: dict[str, int] = {}
        for line in payload["lines"]:
            quantities[line["sku"]] = quantities.get(line["sku"], 0) + int(line["quantity"])
        return cls(
            order_id=payload["order_id"],
            client_order_ref=payload["client_order_ref"],
            customer_id=payload["customer_id"],
            locale=payload["locale"],
            customer=Customer(
                ref=payload["customer_id"],
                name=buyer["name"],
                email=buyer["email"],
                address=_address(buyer["address"]),
                is_company=buyer["kind"] == "business",
                vat=buyer.get("vat_id"),
                siren=buyer.get("siren"),
                phone=buyer.get("phone"),
            ),
            delivery_address=_address(payload["delivery_address"]) if "delivery_address" in payload else None,
            lines=tuple(quantities.items()),
            total=Decimal(payload["total"]["amount"]),
            currency=payload["total"]["currency"],
            payload=payload,
            placed_at=placed_at,
        )


def export_request_schema(path: str) -> None:
    """Write the request schema where api/openapi.yaml references it (`python -m lambdas.orders.model`)."""
    import json

    from platform_core.registry import get_registry

    with open(path, "w", encoding="utf-8") as handle:
        json.dump(request_schema(get_registry()), handle, indent=2, ensure_ascii=False)
        handle.write("\n")


if __name__ == "__main__":
    from platform_core.config import ROOT

    export_request_schema(str(ROOT / "api" / "schemas" / "place-order-request.json"))

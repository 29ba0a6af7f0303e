"""The warehouse (WMS) port: what the warehouse itself knows about a product and its stock.

Odoo is the stock of record by default: its reservation, made when a sale
order is confirmed, is what holds goods for an order. A WMS adds the
warehouse's own view: whether it handles a product at all (its product master)
and how many units it holds ready to pick (its packaging units). The saga uses
that view as an early check before it touches the ERP; it is a check, not a
reservation (two orders may both pass it; the ERP's reservation decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class WarehouseError(Exception):
    """The WMS refused the request (not found aside, which is an answer)."""


class WarehouseUnavailable(WarehouseError):
    """Server error, timeout or no connection: retry later."""


@dataclass(frozen=True)
class WarehouseProduct:
    key: str  # the WMS's own key for the product
    sku: str
    label: str
    base_unit: str  # e.g. PIECE


class Warehouse(Protocol):
    def product(self, sku: str) -> WarehouseProduct | None:
        """The product the WMS handles under this SKU, or None."""
        ...

    def available(self, product: WarehouseProduct) -> int:
        """Units of the product ready to pick (in available packaging units), in its base unit."""
        ...

"""The ERP port: what the order saga needs from the ERP, and the errors it can meet.

The ERP (Odoo by default) holds customers, the catalogue with its prices and
taxes, sale orders, and the stock: confirming a sale order reserves its goods
(the delivery order), cancelling it releases them. Every call is its own
transaction on the ERP side, so nothing here chains calls that must be atomic:
each operation the saga uses is idempotent on its own or preceded by a search
(a sale order is looked up by its references before one is created).

Errors say what retrying can do:
- `ErpUnavailable` (server error, timeout, connection refused): transient;
  retried with backoff, counted by the circuit breaker, the order waits.
- `ErpAccessDenied` (bad API key, missing rights): the platform's set-up is
  wrong; no order is at fault, so orders wait too (the breaker opens) until
  someone fixes the credentials.
- `ErpRefused` (validation or business rule, e.g. a product that cannot be
  sold): this order cannot go through as it is; it is rejected.
- `ErpRecordMissing` (a record the saga knew is gone): the saga looks again
  by reference; if it is gone for good the order is rejected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class ErpError(Exception):
    """Any failure of an ERP call; `kind` names the documented error class (e.g. odoo.exceptions.UserError)."""

    def __init__(self, message: str, kind: str = "", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status


class ErpUnavailable(ErpError):
    """Server error, timeout or no connection: retry later."""


class ErpAccessDenied(ErpError):
    """The ERP refuses the platform's credentials or rights."""


class ErpRefused(ErpError):
    """The ERP refuses this request (validation, business rule, bad parameters)."""


class ErpRecordMissing(ErpError):
    """A record does not exist (any more)."""


@dataclass(frozen=True)
class Address:
    line1: str
    postal_code: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    line2: str = ""
    name: str = ""


@dataclass(frozen=True)
class Customer:
    """The buyer as the ERP knows it, keyed by our customer id (the ERP partner's reference)."""

    ref: str
    name: str
    email: str
    address: Address
    is_company: bool = False
    vat: str | None = None
    siren: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    name: str
    list_price: Decimal  # net, in the company currency
    vat_rate: Decimal  # percent, e.g. 20 or 5.5


@dataclass(frozen=True)
class SaleOrderDraft:
    partner_id: int
    client_order_ref: str  # the client's reference for the order
    origin: str  # our order id: with the client reference, what the saga searches by
    lines: tuple[tuple[int, int], ...]  # (product id, quantity)
    shipping_partner_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class SaleOrderLine:
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal  # net
    vat_rate: Decimal  # percent
    net: Decimal


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    reserved: int


@dataclass(frozen=True)
class Reservation:
    """The stock reserved for a confirmed sale order: its delivery order and what it holds."""

    reference: str  # the delivery order, e.g. WH/OUT/00012
    state: str  # the ERP's state of the delivery order
    shortages: tuple[Shortage, ...]  # lines not fully reserved

    @property
    def complete(self) -> bool:
        return not self.shortages


@dataclass(frozen=True)
class SaleOrder:
    id: int
    name: str
    state: str  # draft, sent, sale (confirmed), cancel
    currency: str
    net: Decimal
    tax: Decimal
    total: Decimal
    lines: tuple[SaleOrderLine, ...]
    reservation: Reservation | None  # once confirmed

    @property
    def confirmed(self) -> bool:
        return self.state == "sale"

    @property
    def cancelled(self) -> bool:
        return self.state == "cancel"


class Erp(Protocol):
    """What the order saga does in the ERP."""

    def company_currency(self) -> str: ...

    def find_or_create_customer(self, customer: Customer) -> int:
        """The ERP partner id of the customer (found by reference, else created)."""
        ...

    def find_or_create_address(self, parent_id: int, address: Address) -> int:
        """A delivery address of a partner (found by its fields, else created)."""
        ...

    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        """The saleable products among `skus`, by SKU (missing SKUs are absent)."""
        ...

    def find_sale_order(self, client_order_ref: str, origin: str) -> SaleOrder | None: ...

    def create_sale_order(self, draft: SaleOrderDraft) -> SaleOrder: ...

    def sale_order(self, sale_order_id: int) -> SaleOrder:
        """The sale order with its lines, amounts and reservation (ErpRecordMissing if gone)."""
        ...

    def confirm_sale_order(self, sale_order_id: int) -> None:
        """Confirm a draft sale order: the ERP reserves its goods (as much as it has)."""
        ...

    def cancel_sale_order(self, sale_order_id: int) -> None:
        """Cancel a sale order (idempotent): its delivery is cancelled and the reservation released."""
        ...

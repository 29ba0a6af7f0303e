"""The saga's executor: performs the steps the state machine (saga.py) names, against the ERP, the
warehouse and the platform, storing the state after each.

Why a crash anywhere leaves nothing behind: the state is stored after every
step, under the order's lease, and every step is safe to perform again from
the last stored state:

- the customer is looked up by reference before it is created;
- the sale order is looked up by the client's reference and our order id
  before it is created, so a crash between Odoo's commit and ours finds it;
- confirmation happens only from draft, cancellation only if not cancelled;
- announcements carry ids derived from the order: sent twice, the platform
  answers `duplicate`.

What cannot be done now is deferred (`Deferred`): the dependency is down (its
breaker is open, or the retries are spent), the platform's ingest API is
unavailable, or another invocation holds the order. The handler puts the
message back on the queue with a delay: the order waits, it does not fail.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from lambdas.orders import events
from lambdas.orders.breaker import BreakerOpen
from lambdas.orders.erp.port import (
    Erp,
    ErpAccessDenied,
    ErpRecordMissing,
    ErpRefused,
    ErpUnavailable,
    SaleOrder,
    SaleOrderDraft,
)
from lambdas.orders.model import PlacedOrder
from lambdas.orders.resilience import Dependency
from lambdas.orders.saga import (
    Done,
    Outcome,
    Reason,
    Refused,
    Rejection,
    SagaState,
    Shortage,
    Step,
    advance,
    counted,
    next_step,
)
from lambdas.orders.store import Conflict, OrderRecord, OrderStore
from lambdas.orders.wms.port import Warehouse, WarehouseUnavailable
from platform_core.envelope import EventIn
from platform_core.producer import Emitter, EmitUnavailable

T = TypeVar("T")
DEFAULT_DELAY_SECONDS = 30


class Deferred(Exception):
    """The order cannot move on now; its message should come back after `delay_seconds`."""

    def __init__(self, reason: str, delay_seconds: float = DEFAULT_DELAY_SECONDS):
        super().__init__(reason)
        self.reason = reason
        self.delay_seconds = delay_seconds


@dataclass
class SagaPorts:
    store: OrderStore
    erp: Erp
    erp_calls: Dependency
    emitter: Emitter
    warehouse: Warehouse | None = None
    warehouse_calls: Dependency | None = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass
class _Tally:
    calls: int = 0
    failures: int = 0


class SagaRunner:
    def __init__(
        self,
        ports: SagaPorts,
        lease_seconds: float = 60.0,
        defer_seconds: float = DEFAULT_DELAY_SECONDS,
        seller_entity: str = "stockoss-fr",
    ):
        self._ports = ports
        self._lease_seconds = lease_seconds
        self._defer_seconds = defer_seconds
        self._seller_entity = seller_entity  # the legal entity billing invoices in the name of
        self._tally = _Tally()

    # -- entry points -------------------------------------------------------------------

    def run(self, order_id: str, correlation_id: str | None = None) -> SagaState:
        """Move the order as far as it can go now; its final or current state."""
        store = self._ports.store
        owner = uuid.uuid4().hex
        if not store.acquire(order_id, owner, time.time(), self._lease_seconds):
            raise Deferred(f"order {order_id} is being processed by another invocation", 10)
        record = None
        self._tally = _Tally()
        try:
            record = store.get(order_id)
            if record is None:
                raise LookupError(f"no order {order_id}")
            while (step := next_step(record.saga)) is not None:
                outcome = self._perform(step, record, correlation_id)
                saga = advance(self._counted(record.saga), outcome, self._ports.clock().isoformat())
                record = store.save(record.with_saga(saga), lease_owner=owner)
            return record.saga
        except Deferred:
            if record is not None:  # what the ERP did before the order had to wait, and that it waited
                with contextlib.suppress(Conflict):
                    store.save(
                        record.with_saga(counted(self._counted(record.saga), deferrals=1)), lease_owner=owner
                    )
            raise
        finally:
            store.release(order_id, owner)

    def _counted(self, state: SagaState) -> SagaState:
        """The state with this run's ERP calls on record (the tally starts again)."""
        tally, self._tally = self._tally, _Tally()
        return counted(state, tally.calls, tally.failures)

    def _so_far(self, state: SagaState) -> SagaState:
        """The state with this run's ERP calls so far (what an announcement reports)."""
        return counted(state, self._tally.calls, self._tally.failures)

    # -- the steps ----------------------------------------------------------------------------

    def _perform(self, step: Step, record: OrderRecord, correlation_id: str | None) -> Outcome:
        order = PlacedOrder.from_payload(record.payload, record.placed_at)
        state = record.saga
        steps: dict[Step, Callable[[], Outcome]] = {
            Step.ENSURE_CUSTOMER: lambda: self._ensure_customer(order),
            Step.CHECK_PRODUCTS: lambda: self._check_products(order),
            Step.CREATE_SALE_ORDER: lambda: self._create_sale_order(order, state),
            Step.CONFIRM_SALE_ORDER: lambda: self._confirm(state),
            Step.CHECK_RESERVATION: lambda: self._check_reservation(state),
            Step.ANNOUNCE_CONFIRMATION: lambda: self._announce_confirmation(order, state, correlation_id),
            Step.CANCEL_SALE_ORDER: lambda: self._cancel(state),
            Step.ANNOUNCE_REJECTION: lambda: self._announce_rejection(order, state, correlation_id),
        }
        try:
            return steps[step]()
        except ErpRecordMissing as exc:
            if step in (Step.CONFIRM_SALE_ORDER, Step.CHECK_RESERVATION, Step.ANNOUNCE_CONFIRMATION):
                gone = Rejection(
                    Reason.ERP_REFUSED, f"the sale order disappeared from the ERP: {exc.message}"
                )
                return Refused(step, gone, {"sale_order_id": None})
            raise

    def _announce_confirmation(
        self, order: PlacedOrder, state: SagaState, correlation_id: str | None
    ) -> Outcome:
        sale_order = self._erp(lambda: self._ports.erp.sale_order(_id(state)))
        clock = self._ports.clock()
        self._emit(
            events.confirmation(order, sale_order, self._so_far(state), self._seller_entity, clock),
            correlation_id,
        )
        return Done(Step.ANNOUNCE_CONFIRMATION)

    def _announce_rejection(
        self, order: PlacedOrder, state: SagaState, correlation_id: str | None
    ) -> Outcome:
        rejection = state.rejection or Rejection(Reason.ERP_REFUSED, "rejected")
        self._emit(
            events.rejection(order, rejection, self._so_far(state), self._ports.clock()), correlation_id
        )
        return Done(Step.ANNOUNCE_REJECTION)

    def _erp(self, fn: Callable[[], T]) -> T:
        return self._call(self._ports.erp_calls, fn)

    def _call(self, dependency: Dependency, fn: Callable[[], T]) -> T:
        tally = self._tally

        def attempt() -> T:
            tally.calls += 1
            try:
                return fn()
            except (ErpUnavailable, ErpAccessDenied, WarehouseUnavailable):
                tally.failures += 1
                raise

        try:
            return dependency.call(attempt)
        except BreakerOpen as exc:
            raise Deferred(str(exc), max(1.0, exc.retry_after)) from exc
        except (ErpUnavailable, ErpAccessDenied, WarehouseUnavailable) as exc:
            state = dependency.breaker.state()
            delay = max(self._defer_seconds, state.open_until - time.time())
            raise Deferred(f"{dependency.name} unavailable: {exc}", delay) from exc

    def _emit(self, announced: list[EventIn], correlation_id: str | None) -> None:
        try:
            self._ports.emitter.emit(announced, correlation_id)
        except EmitUnavailable as exc:
            raise Deferred(f"the platform's ingest API is unavailable: {exc}", self._defer_seconds) from exc

    def _ensure_customer(self, order: PlacedOrder) -> Outcome:
        erp = self._ports.erp
        try:
            partner = self._erp(lambda: erp.find_or_create_customer(order.customer))
            shipping = None
            if order.delivery_address is not None:
                address = order.delivery_address
                shipping = self._erp(lambda: erp.find_or_create_address(partner, address))
        except ErpRefused as exc:
            return Refused(
                Step.ENSURE_CUSTOMER, Rejection(Reason.ERP_REFUSED, f"customer refused: {exc.message}")
            )
        return Done(Step.ENSURE_CUSTOMER, {"partner_id": partner, "shipping_partner_id": shipping})

    def _check_products(self, order: PlacedOrder) -> Outcome:
        erp = self._ports.erp
        currency = self._erp(erp.company_currency)
        if order.currency != currency:
            detail = f"orders are taken in {currency}, not {order.currency}"
            return Refused(Step.CHECK_PRODUCTS, Rejection(Reason.CURRENCY_NOT_SUPPORTED, detail))
        skus = [sku for sku, _ in order.lines]
        products = self._erp(lambda: erp.products(skus))
        unknown = [sku for sku in skus if sku not in products]
        if unknown:
            detail = f"the ERP sells no product {', '.join(unknown)}"
            return Refused(Step.CHECK_PRODUCTS, Rejection(Reason.UNKNOWN_PRODUCT, detail))
        untaxable = [sku for sku in skus if events.vat_category(products[sku].vat_rate) is None]
        if untaxable:
            detail = f"no invoice VAT category for the ERP's rate of {', '.join(untaxable)}"
            return Refused(Step.CHECK_PRODUCTS, Rejection(Reason.ERP_REFUSED, detail))
        refused = self._check_warehouse(order)
        if refused is not None:
            return refused
        return Done(Step.CHECK_PRODUCTS, {"products": tuple((sku, products[sku].id) for sku in skus)})

    def _check_warehouse(self, order: PlacedOrder) -> Refused | None:
        """The warehouse's own view, when there is a WMS: a check before the ERP, not a reservation."""
        warehouse, calls = self._ports.warehouse, self._ports.warehouse_calls
        if warehouse is None or calls is None:
            return None
        shortages = []
        for sku, quantity in order.lines:
            product = self._call(calls, lambda sku=sku: warehouse.product(sku))  # type: ignore[misc]
            if product is None:
                detail = f"the warehouse does not handle {sku}"
                return Refused(Step.CHECK_PRODUCTS, Rejection(Reason.UNKNOWN_PRODUCT, detail))
            available = self._call(calls, lambda product=product: warehouse.available(product))  # type: ignore[misc]
            if available < quantity:
                shortages.append(Shortage(sku, quantity, available))
        if shortages:
            detail = "; ".join(
                f"{s.sku}: {s.requested} requested, {s.available} in the warehouse" for s in shortages
            )
            return Refused(Step.CHECK_PRODUCTS, Rejection(Reason.OUT_OF_STOCK, detail, tuple(shortages)))
        return None

    def _create_sale_order(self, order: PlacedOrder, state: SagaState) -> Outcome:
        erp = self._ports.erp
        if state.partner_id is None:
            raise AssertionError("a sale order needs its customer first")
        draft = SaleOrderDraft(
            partner_id=state.partner_id,
            client_order_ref=order.client_order_ref,
            origin=order.order_id,
            lines=tuple((pid, dict(order.lines)[sku]) for sku, pid in state.products),
            shipping_partner_id=state.shipping_partner_id,
        )
        try:
            sale_order = self._erp(lambda: erp.find_sale_order(draft.client_order_ref, draft.origin))
            if sale_order is None:
                sale_order = self._erp(lambda: erp.create_sale_order(draft))
        except ErpRefused as exc:
            return Refused(
                Step.CREATE_SALE_ORDER, Rejection(Reason.ERP_REFUSED, f"sale order refused: {exc.message}")
            )
        made = {"sale_order_id": sale_order.id, "sale_order_name": sale_order.name}
        if sale_order.cancelled:
            gone = Rejection(Reason.ERP_REFUSED, f"the sale order {sale_order.name} was cancelled in the ERP")
            return Refused(Step.CREATE_SALE_ORDER, gone, {**made, "sale_order_id": None})
        if sale_order.total != order.total or sale_order.currency != order.currency:
            detail = (
                f"the ERP prices the order at {sale_order.total} {sale_order.currency}, "
                f"not the {order.total} {order.currency} the buyer agreed to"
            )
            return Refused(Step.CREATE_SALE_ORDER, Rejection(Reason.PRICE_CHANGED, detail), made)
        return Done(Step.CREATE_SALE_ORDER, made)

    def _confirm(self, state: SagaState) -> Outcome:
        erp = self._ports.erp
        sale_order = self._erp(lambda: erp.sale_order(_id(state)))
        if sale_order.state in ("draft", "sent"):
            try:
                self._erp(lambda: erp.confirm_sale_order(sale_order.id))
            except ErpRefused as exc:
                again = self._erp(lambda: erp.sale_order(sale_order.id))
                if not again.confirmed:  # not a confirmation that went through before a lost answer
                    refused = Rejection(Reason.ERP_REFUSED, f"confirmation refused: {exc.message}")
                    return Refused(Step.CONFIRM_SALE_ORDER, refused)
        elif sale_order.cancelled:
            gone = Rejection(Reason.ERP_REFUSED, f"the sale order {sale_order.name} was cancelled in the ERP")
            return Refused(Step.CONFIRM_SALE_ORDER, gone, {"sale_order_id": None})
        return Done(Step.CONFIRM_SALE_ORDER)

    def _check_reservation(self, state: SagaState) -> Outcome:
        sale_order: SaleOrder = self._erp(lambda: self._ports.erp.sale_order(_id(state)))
        reservation = sale_order.reservation
        if reservation is None:
            refused = Rejection(Reason.ERP_REFUSED, f"the ERP made no delivery for {sale_order.name}")
            return Refused(Step.CHECK_RESERVATION, refused)
        if not reservation.complete:
            shortages = tuple(Shortage(s.sku, s.requested, s.reserved) for s in reservation.shortages)
            detail = "; ".join(
                f"{s.sku}: {s.requested} requested, {s.available} available" for s in shortages
            )
            return Refused(Step.CHECK_RESERVATION, Rejection(Reason.OUT_OF_STOCK, detail, shortages))
        return Done(Step.CHECK_RESERVATION, {"reservation": reservation.reference})

    def _cancel(self, state: SagaState) -> Outcome:
        with contextlib.suppress(ErpRecordMissing):  # gone already: nothing is held for it
            self._erp(lambda: self._ports.erp.cancel_sale_order(_id(state)))
        return Done(Step.CANCEL_SALE_ORDER)


def _id(state: SagaState) -> int:
    if state.sale_order_id is None:
        raise AssertionError(f"order {state.order_id} has no sale order at {state.stage}")
    return state.sale_order_id

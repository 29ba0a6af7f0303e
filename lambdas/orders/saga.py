"""The order saga as a pure state machine: where an order stands, what to do next, what an outcome changes.

No I/O here. The runner (lambdas/orders/runner.py) asks `next_step(state)`,
performs it against the ERP, the warehouse and the platform, and folds the
outcome in with `advance(state, outcome)`; the new state is stored before the
next step, so a crash anywhere resumes from the last stored stage, and every
step is safe to perform again (see the runner).

    placed -> customer_ready -> products_checked -> sale_order_created
           -> sale_order_confirmed -> reserved -> confirmed            (announced)
    any step may reject -> rejecting -> (cancel the sale order if one exists)
           -> compensated -> rejected                                  (announced)

A rejection before a sale order exists needs no compensation; after, the sale
order is cancelled, which also cancels its delivery and releases the stock
reserved for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Stage(StrEnum):
    PLACED = "placed"
    CUSTOMER_READY = "customer_ready"
    PRODUCTS_CHECKED = "products_checked"
    SALE_ORDER_CREATED = "sale_order_created"
    SALE_ORDER_CONFIRMED = "sale_order_confirmed"
    RESERVED = "reserved"
    CONFIRMED = "confirmed"
    REJECTING = "rejecting"
    COMPENSATED = "compensated"
    REJECTED = "rejected"


class Step(StrEnum):
    ENSURE_CUSTOMER = "ensure_customer"
    CHECK_PRODUCTS = "check_products"
    CREATE_SALE_ORDER = "create_sale_order"
    CONFIRM_SALE_ORDER = "confirm_sale_order"
    CHECK_RESERVATION = "check_reservation"
    ANNOUNCE_CONFIRMATION = "announce_confirmation"
    CANCEL_SALE_ORDER = "cancel_sale_order"
    ANNOUNCE_REJECTION = "announce_rejection"


class Reason(StrEnum):
    """Why an order is rejected (the order_rejected schema's enum)."""

    OUT_OF_STOCK = "out_of_stock"
    UNKNOWN_PRODUCT = "unknown_product"
    PRICE_CHANGED = "price_changed"
    CURRENCY_NOT_SUPPORTED = "currency_not_supported"
    ERP_REFUSED = "erp_refused"


FINAL = frozenset({Stage.CONFIRMED, Stage.REJECTED})

NEXT: dict[Stage, Step] = {
    Stage.PLACED: Step.ENSURE_CUSTOMER,
    Stage.CUSTOMER_READY: Step.CHECK_PRODUCTS,
    Stage.PRODUCTS_CHECKED: Step.CREATE_SALE_ORDER,
    Stage.SALE_ORDER_CREATED: Step.CONFIRM_SALE_ORDER,
    Stage.SALE_ORDER_CONFIRMED: Step.CHECK_RESERVATION,
    Stage.RESERVED: Step.ANNOUNCE_CONFIRMATION,
    Stage.COMPENSATED: Step.ANNOUNCE_REJECTION,
}
# The stage each step leads to when it succeeds.
AFTER: dict[Step, Stage] = {
    Step.ENSURE_CUSTOMER: Stage.CUSTOMER_READY,
    Step.CHECK_PRODUCTS: Stage.PRODUCTS_CHECKED,
    Step.CREATE_SALE_ORDER: Stage.SALE_ORDER_CREATED,
    Step.CONFIRM_SALE_ORDER: Stage.SALE_ORDER_CONFIRMED,
    Step.CHECK_RESERVATION: Stage.RESERVED,
    Step.ANNOUNCE_CONFIRMATION: Stage.CONFIRMED,
    Step.CANCEL_SALE_ORDER: Stage.COMPENSATED,
    Step.ANNOUNCE_REJECTION: Stage.REJECTED,
}


@dataclass(frozen=True)
class Shortage:
    sku: str
    requested: int
    available: int


@dataclass(frozen=True)
class Rejection:
    reason: Reason
    detail: str
    shortages: tuple[Shortage, ...] = ()


@dataclass(frozen=True)
class SagaState:
    """What the saga knows about one order; every field but `stage` is filled in as steps succeed."""

    order_id: str
    stage: Stage = Stage.PLACED
    partner_id: int | None = None
    shipping_partner_id: int | None = None
    products: tuple[tuple[str, int], ...] = ()  # (sku, ERP product id)
    sale_order_id: int | None = None
    sale_order_name: str | None = None
    reservation: str | None = None
    rejection: Rejection | None = None
    compensations: tuple[tuple[str, str], ...] = ()  # (action, reference)
    history: tuple[tuple[str, str], ...] = field(default=())  # (stage, when), in order
    # How the ERP behaved for this order (announced with the outcome, for the lake's ERP error rates).
    erp_calls: int = 0
    erp_failures: int = 0
    deferrals: int = 0

    @property
    def finished(self) -> bool:
        return self.stage in FINAL


@dataclass(frozen=True)
class Done:
    """A step succeeded; `changes` are the facts it learnt (ids, references)."""

    step: Step
    changes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    """A step found that the order cannot go through: reject it, compensating what exists (`changes`
    records what the step made before refusing, e.g. the sale order whose price differs)."""

    step: Step
    rejection: Rejection
    changes: dict[str, object] = field(default_factory=dict)


Outcome = Done | Refused


class InvalidTransition(Exception):
    """An outcome that does not belong to the state (a bug in the runner)."""


def next_step(state: SagaState) -> Step | None:
    """The step to perform now; None when the saga is over."""
    if state.finished:
        return None
    if state.stage is Stage.REJECTING:
        return Step.CANCEL_SALE_ORDER if state.sale_order_id is not None else Step.ANNOUNCE_REJECTION
    return NEXT[state.stage]


def advance(state: SagaState, outcome: Outcome, at: str) -> SagaState:
    """The state after an outcome of `next_step(state)` (`at`: when, RFC 3339)."""
    expected = next_step(state)
    if outcome.step is not expected:
        raise InvalidTransition(
            f"{outcome.step} is not the next step of an order {state.stage} (expected {expected})"
        )
    if isinstance(outcome, Refused):
        if state.stage in (Stage.REJECTING, Stage.COMPENSATED) or outcome.step is Step.ANNOUNCE_CONFIRMATION:
            raise InvalidTransition(f"{outcome.step} cannot refuse an order (it is {state.stage})")
        refused = replace(state, rejection=outcome.rejection, **outcome.changes)  # type: ignore[arg-type]
        return _moved(refused, Stage.REJECTING, at)
    changes = dict(outcome.changes)
    if outcome.step is Step.CANCEL_SALE_ORDER:
        cancelled = ("sale_order_cancelled", str(state.sale_order_name or state.sale_order_id))
        changes["compensations"] = (*state.compensations, cancelled)
    return _moved(replace(state, **changes), AFTER[outcome.step], at)  # type: ignore[arg-type]


def counted(state: SagaState, calls: int = 0, failures: int = 0, deferrals: int = 0) -> SagaState:
    """The state with more ERP calls, failures or deferrals on record."""
    return replace(
        state,
        erp_calls=state.erp_calls + calls,
        erp_failures=state.erp_failures + failures,
        deferrals=state.deferrals + deferrals,
    )


def _moved(state: SagaState, stage: Stage, at: str) -> SagaState:
    return replace(state, stage=stage, history=(*state.history, (stage.value, at)))

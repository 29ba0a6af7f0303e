"""The order saga's state machine: the next step from each stage, and what each outcome changes."""

from __future__ import annotations

import pytest

from lambdas.orders.saga import (
    Done,
    InvalidTransition,
    Reason,
    Refused,
    Rejection,
    SagaState,
    Stage,
    Step,
    advance,
    next_step,
)

AT = "2026-03-01T10:00:00+00:00"
HAPPY: list[tuple[Step, dict[str, object]]] = [
    (Step.ENSURE_CUSTOMER, {"partner_id": 7, "shipping_partner_id": None}),
    (Step.CHECK_PRODUCTS, {"products": (("SKU-LAMP-LED", 3),)}),
    (Step.CREATE_SALE_ORDER, {"sale_order_id": 11, "sale_order_name": "S00011"}),
    (Step.CONFIRM_SALE_ORDER, {}),
    (Step.CHECK_RESERVATION, {"reservation": "WH/OUT/00004"}),
    (Step.ANNOUNCE_CONFIRMATION, {}),
]


def run(state: SagaState, outcomes: list[tuple[Step, dict[str, object]]]) -> SagaState:
    for step, changes in outcomes:
        state = advance(state, Done(step, changes), AT)
    return state


def test_a_confirmed_order_went_through_every_step_in_order() -> None:
    state = run(SagaState("ORD-1"), HAPPY)
    assert state.stage is Stage.CONFIRMED and next_step(state) is None
    assert [stage for stage, _ in state.history] == [
        "customer_ready",
        "products_checked",
        "sale_order_created",
        "sale_order_confirmed",
        "reserved",
        "confirmed",
    ]
    assert (state.sale_order_id, state.reservation) == (11, "WH/OUT/00004")


def test_a_rejection_before_any_sale_order_compensates_nothing() -> None:
    state = run(SagaState("ORD-2"), HAPPY[:1])
    state = advance(state, Refused(Step.CHECK_PRODUCTS, Rejection(Reason.UNKNOWN_PRODUCT, "SKU-X")), AT)
    assert next_step(state) is Step.ANNOUNCE_REJECTION
    state = advance(state, Done(Step.ANNOUNCE_REJECTION), AT)
    assert state.stage is Stage.REJECTED and state.compensations == ()


def test_a_rejection_after_the_sale_order_cancels_it_first() -> None:
    state = run(SagaState("ORD-3"), HAPPY[:4])
    shortage = Rejection(Reason.OUT_OF_STOCK, "SKU-LAMP-LED: 3 requested, 1 available")
    state = advance(state, Refused(Step.CHECK_RESERVATION, shortage), AT)
    assert next_step(state) is Step.CANCEL_SALE_ORDER
    state = advance(state, Done(Step.CANCEL_SALE_ORDER), AT)
    assert state.compensations == (("sale_order_cancelled", "S00011"),)
    state = advance(state, Done(Step.ANNOUNCE_REJECTION), AT)
    assert state.stage is Stage.REJECTED and state.rejection == shortage


def test_a_refusal_keeps_what_its_step_made_so_it_can_be_undone() -> None:
    state = run(SagaState("ORD-4"), HAPPY[:2])
    made = {"sale_order_id": 12, "sale_order_name": "S00012"}
    state = advance(state, Refused(Step.CREATE_SALE_ORDER, Rejection(Reason.PRICE_CHANGED, "x"), made), AT)
    assert (state.stage, state.sale_order_id, next_step(state)) == (
        Stage.REJECTING,
        12,
        Step.CANCEL_SALE_ORDER,
    )


@pytest.mark.parametrize("wrong", [Step.CREATE_SALE_ORDER, Step.ANNOUNCE_CONFIRMATION])
def test_an_outcome_for_another_step_is_refused(wrong: Step) -> None:
    with pytest.raises(InvalidTransition):
        advance(SagaState("ORD-5"), Done(wrong), AT)


def test_compensation_cannot_itself_be_refused() -> None:
    state = run(SagaState("ORD-6"), HAPPY[:3])
    state = advance(state, Refused(Step.CONFIRM_SALE_ORDER, Rejection(Reason.ERP_REFUSED, "x")), AT)
    with pytest.raises(InvalidTransition):
        advance(state, Refused(Step.CANCEL_SALE_ORDER, Rejection(Reason.ERP_REFUSED, "y")), AT)

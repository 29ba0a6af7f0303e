"""The order saga against the Odoo emulator over real HTTP: confirmations, rejections with their
compensations, concurrent orders for scarce stock, crashes between steps, and an ERP outage."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from lambdas.orders.breaker import BreakerPolicy, InMemoryBreakerStore
from lambdas.orders.erp.odoo import OdooErp
from lambdas.orders.erp.transports import Json2Transport
from lambdas.orders.runner import Deferred
from lambdas.orders.saga import Reason, Stage
from lambdas.orders.store import InMemoryOrderStore, OrderStore
from local_platform.emulators.odoo import skus_on_hand
from tests.fixtures.orders import (
    BUYER,
    SagaRig,
    erp_dependency,
    jsonrpc_erp,
    order_payload,
    order_request,
    placed_record,
)


def final(rig: SagaRig, order_id: str) -> Any:
    record = rig.store.get(order_id)
    assert record is not None
    return record.saga


def test_an_order_in_stock_is_confirmed_and_announced(saga_rig: SagaRig) -> None:
    order_id = saga_rig.place([("SKU-LAMP-LED", 2), ("SKU-BOOK-DESIGN", 1)])
    state = saga_rig.runner().run(order_id, "corr-1")
    assert state.stage is Stage.CONFIRMED
    [sale_order] = saga_rig.odoo.db.sale_orders()
    assert (sale_order["state"], sale_order["origin"]) == ("sale", order_id)
    assert skus_on_hand(saga_rig.odoo.db, ["SKU-LAMP-LED"])["SKU-LAMP-LED"] == (1000, 2)
    types = sorted(e.event_type for e in saga_rig.emitter.events.values())
    assert types == [
        "billing.invoice_requested",
        "notifications.notification_requested",
        "orders.order_confirmed",
        "orders.stock_reserved",
    ]
    [confirmed] = saga_rig.emitter.of_type("orders.order_confirmed")
    assert confirmed.payload["total"] == saga_rig.store.get(order_id).payload["total"]  # type: ignore[union-attr]
    assert {line["vat_rate"] for line in confirmed.payload["lines"]} == {"20", "5.5"}


def test_the_confirmation_is_notified_to_the_buyer_by_e_mail_and_in_the_app(saga_rig: SagaRig) -> None:
    order_id = saga_rig.place([("SKU-LAMP-LED", 1)])
    saga_rig.runner().run(order_id)
    [requested] = saga_rig.emitter.of_type("notifications.notification_requested")
    assert requested.schema_version == "2"
    payload = requested.payload
    assert (payload["template"], payload["locale"]) == ("order_confirmed", "fr")
    assert payload["channels"] == ["email", "inbox", "push"]
    assert payload["recipient"] == {"name": "Camille Martin", "email": "camille.martin@example.com"}
    assert "partner" not in payload


def test_a_partners_order_is_notified_to_its_webhook_not_the_app_and_by_sms_when_the_buyer_gave_a_phone(
    saga_rig: SagaRig,
) -> None:
    buyer = {**BUYER, "phone": "+33612345678"}
    request = order_request(saga_rig.prices, [("SKU-MUG-SET", 1)], buyer=buyer)
    payload = order_payload(request, client_id="partner-demo", subject="partner-demo", kind="partner")
    saga_rig.store.create(placed_record(payload))
    saga_rig.runner().run(payload["order_id"])
    [requested] = saga_rig.emitter.of_type("notifications.notification_requested")
    assert requested.payload["channels"] == ["email", "sms", "webhook"]
    assert requested.payload["recipient"]["phone"] == "+33612345678"
    assert requested.payload["partner"] == "partner-demo"
    assert requested.payload["customer_id"] == payload["customer_id"]


def test_a_rejection_is_notified_with_its_reason(saga_rig: SagaRig) -> None:
    saga_rig.odoo.db.set_on_hand("SKU-SOFA-3P", 0)
    order_id = saga_rig.place([("SKU-SOFA-3P", 1)])
    saga_rig.runner().run(order_id)
    [requested] = saga_rig.emitter.of_type("notifications.notification_requested")
    assert requested.payload["template"] == "order_rejected"
    assert requested.payload["variables"]["reason"] == "out_of_stock"
    assert requested.payload["recipient"]["email"] == "camille.martin@example.com"


def test_the_legacy_json_rpc_transport_runs_the_same_saga(saga_rig: SagaRig) -> None:
    order_id = saga_rig.place([("SKU-MUG-SET", 3)])
    assert saga_rig.runner(erp=jsonrpc_erp(saga_rig.odoo)).run(order_id).stage is Stage.CONFIRMED
    assert saga_rig.odoo.db.calls["sale.order.action_confirm"] == 1


def test_out_of_stock_rejects_and_releases_what_was_reserved(saga_rig: SagaRig) -> None:
    saga_rig.odoo.db.set_on_hand("SKU-SOFA-3P", 1)
    order_id = saga_rig.place([("SKU-SOFA-3P", 3), ("SKU-LAMP-LED", 1)])
    state = saga_rig.runner().run(order_id)
    assert state.stage is Stage.REJECTED and state.rejection is not None
    assert state.rejection.reason is Reason.OUT_OF_STOCK
    assert [(s.sku, s.requested, s.available) for s in state.rejection.shortages] == [("SKU-SOFA-3P", 3, 1)]
    assert state.compensations == (("sale_order_cancelled", state.sale_order_name),)
    [sale_order] = saga_rig.odoo.db.sale_orders()
    assert sale_order["state"] == "cancel"
    assert skus_on_hand(saga_rig.odoo.db, ["SKU-SOFA-3P", "SKU-LAMP-LED"]) == {
        "SKU-SOFA-3P": (1, 0),
        "SKU-LAMP-LED": (1000, 0),
    }
    [rejected] = saga_rig.emitter.of_type("orders.order_rejected")
    assert rejected.payload["shortages"] == [{"sku": "SKU-SOFA-3P", "requested": 3, "available": 1}]
    assert rejected.payload["compensations"] == [{"action": "sale_order_cancelled", "reference": "S00001"}]


def test_an_unknown_product_is_rejected_before_any_sale_order(saga_rig: SagaRig) -> None:
    prices = {**saga_rig.prices, "SKU-UNICORN": (Decimal("10"), Decimal("20"))}
    payload = order_payload(order_request(prices, [("SKU-UNICORN", 1)]))
    saga_rig.store.create(placed_record(payload))
    state = saga_rig.runner().run(payload["order_id"])
    assert state.rejection is not None and state.rejection.reason is Reason.UNKNOWN_PRODUCT
    assert saga_rig.odoo.db.sale_orders() == [] and state.compensations == ()


def test_a_price_the_buyer_did_not_agree_to_is_rejected_and_the_sale_order_cancelled(
    saga_rig: SagaRig,
) -> None:
    order_id = saga_rig.place([("SKU-RUG-200", 1)], total=Decimal("1.00"))
    state = saga_rig.runner().run(order_id)
    assert state.rejection is not None and state.rejection.reason is Reason.PRICE_CHANGED
    assert "not the 1.00 EUR the buyer agreed to" in state.rejection.detail
    assert [s["state"] for s in saga_rig.odoo.db.sale_orders()] == ["cancel"]
    assert saga_rig.odoo.db.reserved_quantity("SKU-RUG-200") == 0


def test_twenty_concurrent_orders_for_ten_units_confirm_exactly_ten(saga_rig: SagaRig) -> None:
    saga_rig.odoo.db.set_on_hand("SKU-DESK-180", 10)
    orders = [saga_rig.place([("SKU-DESK-180", 1)]) for _ in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        states = list(pool.map(lambda o: saga_rig.runner().run(o), orders))
    stages = [s.stage for s in states]
    assert stages.count(Stage.CONFIRMED) == 10 and stages.count(Stage.REJECTED) == 10
    assert all(s.rejection.reason is Reason.OUT_OF_STOCK for s in states if s.rejection)
    # Exactly the confirmed orders hold stock: nothing stays reserved for a rejected one.
    assert skus_on_hand(saga_rig.odoo.db, ["SKU-DESK-180"])["SKU-DESK-180"] == (10, 10)
    by_state: dict[str, int] = {}
    for sale_order in saga_rig.odoo.db.sale_orders():
        by_state[sale_order["state"]] = by_state.get(sale_order["state"], 0) + 1
    assert by_state == {"sale": 10, "cancel": 10}
    assert len(saga_rig.emitter.of_type("orders.order_confirmed")) == 10
    assert len(saga_rig.emitter.of_type("orders.order_rejected")) == 10


class Crash(BaseException):
    """The process dies: not an Exception, so nothing in the saga catches it."""


class CrashingTransport:
    """The ERP connection, killed right after its n-th call went through (Odoo committed, we never knew)."""

    def __init__(self, inner: Json2Transport, crash_after: int):
        self._inner = inner
        self._left = crash_after

    def call(self, model: str, method: str, ids: Any = (), context: Any = None, **params: Any) -> Any:
        result = self._inner.call(model, method, ids, context, **params)
        self._left -= 1
        if self._left == 0:
            raise Crash(f"after {model}.{method}")
        return result


class CrashingStore:
    """The order store, killed right after its n-th save (the step is recorded, the next never starts)."""

    def __init__(self, inner: OrderStore, crash_after: int):
        self._inner = inner
        self._left = crash_after

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def save(self, record: Any, lease_owner: str | None = None) -> Any:
        saved = self._inner.save(record, lease_owner)
        self._left -= 1
        if self._left == 0:
            raise Crash("after save")
        return saved


@pytest.mark.parametrize("scenario", ["confirmed", "rejected"])
def test_a_crash_between_any_two_steps_leaves_no_orphan(saga_rig: SagaRig, scenario: str) -> None:
    """Crash after each ERP call (Odoo committed it) and after each saved step, in turn, until a run
    goes through uncrashed; each time the redelivered message finishes the order with one sale order,
    the right reservation, and every event announced once."""
    saga_rig.odoo.db.set_on_hand("SKU-SHELF-5", 10_000 if scenario == "confirmed" else 100)
    quantity = 2 if scenario == "confirmed" else 500
    expected = Stage.CONFIRMED if scenario == "confirmed" else Stage.REJECTED
    crashes = 0
    for where in ("erp", "store"):
        for n in range(1, 100):
            store = InMemoryOrderStore()
            order_id = SagaRig(saga_rig.odoo, store, saga_rig.emitter, erp_dependency()).place(
                [("SKU-SHELF-5", quantity)]
            )
            transport = Json2Transport(saga_rig.odoo.url, saga_rig.odoo.api_key)
            crashing = saga_rig.runner(
                erp=OdooErp(CrashingTransport(transport, n) if where == "erp" else transport),
                store=CrashingStore(store, n) if where == "store" else store,
            )
            try:
                crashing.run(order_id)
            except Crash:
                crashes += 1
            else:
                break  # n is past the last call: this run met no crash
            store.leases.clear()  # the crashed invocation's lease expires
            state = saga_rig.runner(store=store).run(order_id)
            assert state.stage is expected, (where, n)
            mine = [s for s in saga_rig.odoo.db.sale_orders() if s["origin"] == order_id]
            assert len(mine) == 1, (where, n, mine)
            assert mine[0]["state"] == ("sale" if scenario == "confirmed" else "cancel"), (where, n)
    orders = crashes + 2
    assert crashes > 10
    held = quantity * orders if scenario == "confirmed" else 0
    assert saga_rig.odoo.db.reserved_quantity("SKU-SHELF-5") == held
    announced = "orders.order_confirmed" if scenario == "confirmed" else "orders.order_rejected"
    assert len(saga_rig.emitter.of_type(announced)) == orders


def test_a_redelivered_message_while_the_order_is_in_progress_waits(saga_rig: SagaRig) -> None:
    order_id = saga_rig.place([("SKU-CABLE-USB", 1)])
    assert saga_rig.store.acquire(order_id, "another-invocation", 1e12, 60)
    with pytest.raises(Deferred, match="being processed"):
        saga_rig.runner().run(order_id)
    assert saga_rig.odoo.db.sale_orders() == []


def test_an_erp_outage_opens_the_breaker_orders_wait_and_then_drain(saga_rig: SagaRig) -> None:
    clock = [1_000.0]
    breakers = InMemoryBreakerStore()
    policy = BreakerPolicy(failure_threshold=3, window_seconds=60, open_seconds=20)
    saga_rig.erp_calls = erp_dependency(breakers, policy)
    saga_rig.erp_calls.breaker._clock = lambda: clock[0]
    orders = [saga_rig.place([("SKU-LAMP-LED", 1)]) for _ in range(5)]
    saga_rig.odoo.faults.outage = True
    delays = []
    for order_id in orders:
        with pytest.raises(Deferred) as deferred:
            saga_rig.runner().run(order_id)
        delays.append(deferred.value.delay_seconds)
    assert breakers.read("erp").state == "open"
    calls_when_opened = saga_rig.odoo.requests
    for order_id in orders:  # open: nobody calls the ERP, everyone waits
        with pytest.raises(Deferred, match="circuit open"):
            saga_rig.runner().run(order_id)
    assert saga_rig.odoo.requests == calls_when_opened
    saga_rig.odoo.faults.outage = False
    clock[0] += 21  # the open period is over: one probe, which succeeds and closes the breaker
    states = [saga_rig.runner().run(order_id) for order_id in orders]
    assert [s.stage for s in states] == [Stage.CONFIRMED] * 5
    assert breakers.read("erp").state == "closed"
    # Each order waited twice (the outage, then the open breaker); the failed calls are on record.
    confirmed = saga_rig.emitter.of_type("orders.order_confirmed")
    assert [e.payload["erp"]["deferrals"] for e in confirmed] == [2] * 5
    assert sum(e.payload["erp"]["failures"] for e in confirmed) == 3  # the breaker opened at the third
    assert all(e.payload["erp"]["calls"] > e.payload["erp"]["failures"] for e in confirmed)
    assert all(d >= 1 for d in delays)


def _with_warehouse(rig: SagaRig, wms: Any) -> Any:
    from lambdas.orders.breaker import CircuitBreaker
    from lambdas.orders.resilience import Dependency
    from lambdas.orders.wms.openwms import OpenWms
    from lambdas.orders.wms.port import WarehouseUnavailable
    from tests.fixtures.orders import NO_WAIT

    runner = rig.runner()
    ports = runner._ports
    ports.warehouse = OpenWms(wms.url, wms.token)
    breaker = CircuitBreaker(InMemoryBreakerStore(), "wms", cache_seconds=0.0)
    ports.warehouse_calls = Dependency(breaker, (WarehouseUnavailable,), (), NO_WAIT, sleep=lambda _: None)
    return runner


def test_the_warehouse_check_rejects_before_the_erp_is_touched(saga_rig: SagaRig) -> None:
    from local_platform.emulators.openwms import OpenWmsEmulator

    tax = next(iter(saga_rig.odoo.db.records["account.tax"]))
    saga_rig.odoo.db.add_product("SKU-GIFT-CARD", "Gift card", Decimal("25.00"), tax, 1000)  # the ERP's only
    with OpenWmsEmulator() as wms:
        short = saga_rig.place([("SKU-SOFA-3P", 41)])  # the warehouse holds 40 available sofas
        state = _with_warehouse(saga_rig, wms).run(short)
        assert state.rejection is not None and state.rejection.reason is Reason.OUT_OF_STOCK
        shortages = [(s.sku, s.requested, s.available) for s in state.rejection.shortages]
        assert shortages == [("SKU-SOFA-3P", 41, 40)]
        card = saga_rig.place([("SKU-GIFT-CARD", 1)])
        state = _with_warehouse(saga_rig, wms).run(card)
        assert state.rejection is not None and state.rejection.reason is Reason.UNKNOWN_PRODUCT
        assert "the warehouse does not handle SKU-GIFT-CARD" in state.rejection.detail
        fine = saga_rig.place([("SKU-SOFA-3P", 2)])
        assert _with_warehouse(saga_rig, wms).run(fine).stage is Stage.CONFIRMED
    assert [s["origin"] for s in saga_rig.odoo.db.sale_orders()] == [fine]  # none for the refused orders


def test_an_invoice_issued_for_an_order_shows_on_its_timeline(saga_rig: SagaRig) -> None:
    from lambdas.orders.consumer import OrderEvents
    from lambdas.orders.placing import view
    from platform_core.envelope import Event

    order_id = saga_rig.place([("SKU-MUG-SET", 1)])
    saga_rig.runner().run(order_id)
    issued = Event.model_validate(
        {
            "event_id": "7d0f4b8e-1c2a-4d5e-9f60-0a1b2c3d4e5f",
            "event_type": "billing.invoice_issued",
            "schema_version": "2",
            "occurred_at": "2026-03-01T10:00:00+00:00",
            "source": "billing-service",
            "payload": {"order_id": order_id, "invoice_number": "F-2026-000123"},
            "team": "billing",
            "received_at": "2026-03-01T10:00:01+00:00",
            "ingest_id": "req-1",
            "correlation_id": "corr-1",
        }
    )
    events = OrderEvents(saga_rig.store, saga_rig.runner())
    assert events.handle(issued.to_json()) == "invoiced"
    assert events.handle(issued.to_json()) == "invoiced (already recorded)"
    record = saga_rig.store.get(order_id)
    assert record is not None
    shown = view(record)
    assert shown["status"] == "invoiced" and shown["invoice"]["number"] == "F-2026-000123"
    assert shown["timeline"][-1]["status"] == "invoiced"

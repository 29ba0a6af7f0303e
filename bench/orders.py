"""Orders benchmarks: the saga against the emulated ERP, and the whole flow from POST /v1/orders.

1. Saga throughput, in-process: orders/s through the saga's steps (state
   machine, order store, breaker, retries, events built and schema-checked)
   against the Odoo emulator over real HTTP (JSON-2), with 1 and 4 workers.
   The baseline, measured in the same run against the same emulator: the bare
   ERP calls the saga makes for an order (the same adapter calls in a row, no
   state, no breaker, no events), the least any integration does. The
   emulator's own time (inside its request handler) is reported apart, for
   both, so what the ratio shows is the saga's overhead, not the emulator's.
2. End to end: orders placed through the local platform's gateway as a
   signed-in customer, POST /v1/orders to 202 (p50/p95; the seed's target:
   p95 under 500 ms) and to `confirmed` (polling GET /v1/orders/{id}), and
   orders/s, with the emulator's time apart (see `end_to_end`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lambdas.orders.breaker import BreakerPolicy, CircuitBreaker, InMemoryBreakerStore
from lambdas.orders.erp.odoo import OdooErp
from lambdas.orders.erp.port import Address, Customer, ErpAccessDenied, ErpUnavailable, SaleOrderDraft
from lambdas.orders.erp.transports import Json2Transport
from lambdas.orders.model import order_id_for
from lambdas.orders.resilience import Dependency, RetryPolicy
from lambdas.orders.runner import SagaPorts, SagaRunner
from lambdas.orders.saga import SagaState, Stage
from lambdas.orders.store import InMemoryOrderStore, OrderRecord, PlacedBy
from local_platform.emulators.odoo import OdooDatabase, OdooEmulator, catalog_prices
from platform_core.envelope import EventIn
from platform_core.producer import Emitted
from platform_core.registry import get_registry

ORDERS = int(__import__("os").environ.get("BENCH_ORDERS_SAGA", "200"))
LINES = (("SKU-LAMP-LED", 2), ("SKU-MUG-SET", 1))
CENT = Decimal("0.01")
BUYER = {
    "kind": "person",
    "name": "Bench Buyer",
    "email": "bench@example.com",
    "address": {"line1": "1 rue du Banc", "postal_code": "75001", "city": "Paris", "country": "FR"},
}


class _CheckedEmitter:
    """What the ingest API does with the saga's events that costs CPU here: schema validation."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()
        self._registry = get_registry()

    def emit(self, events: Any, correlation_id: str | None = None) -> Emitted:
        for event in events:
            assert isinstance(event, EventIn)
            assert not self._registry.validate_payload(event.event_type, event.schema_version, event.payload)
        with self._lock:
            self.count += len(events)
        return Emitted(tuple(str(e.event_id) for e in events), ())


def _total(prices: dict[str, tuple[Decimal, Decimal]]) -> Decimal:
    total = Decimal(0)
    for sku, quantity in LINES:
        net, rate = prices[sku]
        subtotal = (net * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        total += subtotal + (subtotal * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return total


def _record(index: int, total: Decimal, run: str) -> OrderRecord:
    subject = f"bench-{run}-{index % 50}"
    reference = f"CART-{run}-{index}"
    order_id = order_id_for(f"web-app/{subject}", reference)
    payload = {
        "order_id": order_id,
        "client_order_ref": reference,
        "placed_by": {"kind": "customer", "client_id": "web-app", "subject": subject},
        "customer_id": subject,
        "channel": "web",
        "locale": "fr-FR",
        "buyer": BUYER,
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in LINES],
        "total": {"amount": str(total), "currency": "EUR"},
        "shipping_country": "FR",
    }
    return OrderRecord(
        order_id=order_id,
        placed_by=PlacedBy("customer", "web-app", subject),
        client_order_ref=reference,
        customer_id=subject,
        request_hash="bench",
        payload=payload,
        placed_at=datetime.now(UTC).isoformat(),
        saga=SagaState(order_id=order_id),
    )


def _emulator() -> OdooEmulator:
    database = OdooDatabase().seed()
    for sku, _ in LINES:
        database.set_on_hand(sku, 10**9)
    emulator = OdooEmulator(database)
    emulator.start()
    return emulator


def _timed(workers: int, orders: int, work: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, range(orders)))
    return time.perf_counter() - started


def saga_throughput(orders: int = ORDERS, workers: int = 1) -> dict[str, Any]:
    emulator = _emulator()
    try:
        prices = catalog_prices(emulator.db)
        total = _total(prices)
        store = InMemoryOrderStore()
        emitter = _CheckedEmitter()
        breaker = CircuitBreaker(InMemoryBreakerStore(), "erp", BreakerPolicy(), cache_seconds=1.0)
        erp = OdooErp(Json2Transport(emulator.url, emulator.api_key))
        runner = SagaRunner(
            SagaPorts(
                store=store,
                erp=erp,
                erp_calls=Dependency(breaker, (ErpUnavailable,), (ErpAccessDenied,), RetryPolicy()),
                emitter=emitter,
            )
        )
        records = [_record(i, total, f"saga{workers}") for i in range(orders)]
        for record in records:
            store.create(record)
        busy_before, requests_before = emulator.busy_seconds, emulator.requests

        def one(index: int) -> None:
            assert runner.run(records[index].order_id).stage is Stage.CONFIRMED

        saga_seconds = _timed(workers, orders, one)
        saga_busy = emulator.busy_seconds - busy_before
        saga_requests = emulator.requests - requests_before

        # The baseline: the same ERP calls, in a row, nothing else.
        products = erp.products([sku for sku, _ in LINES])
        busy_before, requests_before = emulator.busy_seconds, emulator.requests

        def bare(index: int) -> None:
            customer = Customer(
                ref=f"bare-{workers}-{index % 50}",
                name=BUYER["name"],  # type: ignore[arg-type]
                email=BUYER["email"],  # type: ignore[arg-type]
                address=Address(line1="1 rue du Banc", postal_code="75001", city="Paris", country="FR"),
            )
            erp.company_currency()
            partner = erp.find_or_create_customer(customer)
            erp.products([sku for sku, _ in LINES])
            draft = SaleOrderDraft(
                partner_id=partner,
                client_order_ref=f"BARE-{workers}-{index}",
                origin=f"BARE-{workers}-{index}",
                lines=tuple((products[sku].id, quantity) for sku, quantity in LINES),
            )
            assert erp.find_sale_order(draft.client_order_ref, draft.origin) is None
            sale_order = erp.create_sale_order(draft)
            erp.sale_order(sale_order.id)
            erp.confirm_sale_order(sale_order.id)
            assert erp.sale_order(sale_order.id).reservation is not None
            erp.sale_order(sale_order.id)

        bare_seconds = _timed(workers, orders, bare)
        bare_busy = emulator.busy_seconds - busy_before
        bare_requests = emulator.requests - requests_before
    finally:
        emulator.stop()
    return {
        "workers": workers,
        "orders": orders,
        "saga_orders_per_second": round(orders / saga_seconds, 1),
        "bare_orders_per_second": round(orders / bare_seconds, 1),
        "saga_over_bare": round(saga_seconds / bare_seconds, 2),
        "saga_ms_per_order_outside_emulator": round((saga_seconds * workers - saga_busy) / orders * 1000, 2),
        "bare_ms_per_order_outside_emulator": round((bare_seconds * workers - bare_busy) / orders * 1000, 2),
        "emulator_ms_per_order_saga": round(saga_busy / orders * 1000, 2),
        "emulator_ms_per_order_bare": round(bare_busy / orders * 1000, 2),
        "erp_requests_per_order_saga": round(saga_requests / orders, 1),
        "erp_requests_per_order_bare": round(bare_requests / orders, 1),
        "events_per_order": round(emitter.count / orders, 1),
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _markdown(saga: list[dict[str, Any]]) -> str:
    lines = [
        "Saga against the Odoo emulator (JSON-2 over HTTP), in-process; baseline: the same ERP calls bare.",
        "",
        "| workers | orders | saga orders/s | bare orders/s | saga / bare | ms/order outside the emulator (saga, bare) "
        "| emulator ms/order (saga, bare) | ERP requests/order (saga, bare) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in saga:
        lines.append(
            f"| {row['workers']} | {row['orders']} | {row['saga_orders_per_second']} | "
            f"{row['bare_orders_per_second']} | {row['saga_over_bare']}x | "
            f"{row['saga_ms_per_order_outside_emulator']}, {row['bare_ms_per_order_outside_emulator']} | "
            f"{row['emulator_ms_per_order_saga']}, {row['emulator_ms_per_order_bare']} | "
            f"{row['erp_requests_per_order_saga']}, {row['erp_requests_per_order_bare']} |"
        )
    return "\n".join(lines)


def run() -> dict[str, Any]:
    saga = [saga_throughput(workers=1), saga_throughput(workers=4)]
    return {"saga": saga, "markdown": _markdown(saga)}

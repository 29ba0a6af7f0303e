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

import json
import os
import threading
import time
import uuid
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

ORDERS = int(os.environ.get("BENCH_ORDERS_SAGA", "200"))
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


E2E_ORDERS = int(os.environ.get("BENCH_ORDERS_E2E", "200"))
E2E_CLIENTS = int(os.environ.get("BENCH_ORDERS_CLIENTS", "8"))
WARM_UP = 2  # orders per client before the measured ones


def _confirmed_at(table: str, order_ids: list[str], timeout: float) -> dict[str, datetime]:
    """When the saga recorded each order confirmed (its own timestamp), polling the orders table."""
    from platform_core.aws import client

    dynamodb = client("dynamodb")
    pending, confirmed = set(order_ids), {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for chunk in [sorted(pending)[i : i + 100] for i in range(0, len(pending), 100)]:
            keys = [{"order_id": {"S": order_id}} for order_id in chunk]
            found = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
            for item in found["Responses"].get(table, []):
                record = json.loads(item["record"]["S"])
                stages = dict(record["saga"]["history"])
                if "confirmed" in stages:
                    confirmed[item["order_id"]["S"]] = datetime.fromisoformat(stages["confirmed"])
                    pending.discard(item["order_id"]["S"])
        time.sleep(0.1)
    if pending:
        raise TimeoutError(f"{len(pending)} orders not confirmed within {timeout:.0f} s")
    return confirmed


def end_to_end(orders: int = E2E_ORDERS, clients: int = E2E_CLIENTS) -> dict[str, Any]:
    """Orders placed over HTTP as signed-in customers, through the local platform as deployed."""
    import requests

    from local_platform.emulators.external_systems import ExternalSystems
    from local_platform.runtime import LocalPlatform

    with LocalPlatform(state_path=None) as platform:
        systems = platform.component("external-systems")
        assert isinstance(systems, ExternalSystems)
        for sku, _ in LINES:
            systems.odoo.db.set_on_hand(sku, 10**9)
        total = _total(catalog_prices(systems.odoo.db))
        app_key = platform.client_keys["web-app"].value
        url = f"{platform.gateway_url}/v1/orders"
        table = platform.resources.service_tables("order-saga")["orders"]
        sessions = threading.local()

        def place(index: int) -> tuple[float, float, str, datetime]:
            session = getattr(sessions, "session", None) or requests.Session()
            sessions.session = session
            token = systems.issuer.access_token(
                f"bench-{index % 50}", "web-app", ["orders/read", "orders/write"]
            )
            body = {
                "client_order_ref": f"BENCH-{uuid.uuid4().hex[:12]}",
                "locale": "fr-FR",
                "buyer": BUYER,
                "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in LINES],
                "total": {"amount": str(total), "currency": "EUR"},
            }
            headers = {"Authorization": f"Bearer {token}", "x-api-key": app_key}
            sent_at = datetime.now(UTC)
            started = time.perf_counter()
            response = session.post(url, json=body, headers=headers, timeout=60)
            elapsed = time.perf_counter() - started
            if response.status_code != 202:
                raise RuntimeError(f"POST /v1/orders answered {response.status_code}: {response.text[:200]}")
            return started, elapsed, response.json()["order_id"], sent_at

        # Warm as many execution environments as the clients keep busy (cold starts are the
        # cold-start benchmark's business, not this one's).
        with ThreadPoolExecutor(max_workers=clients) as pool:
            warm = list(pool.map(place, range(WARM_UP * clients)))
        _confirmed_at(table, [w[2] for w in warm], timeout=300)
        busy_before, requests_before = systems.odoo.busy_seconds, systems.odoo.requests
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            placed = list(pool.map(place, range(orders)))
        posted = time.perf_counter() - started
        confirmed = _confirmed_at(table, [p[2] for p in placed], timeout=600)
        emulator_busy = systems.odoo.busy_seconds - busy_before
        erp_requests = systems.odoo.requests - requests_before
    first_sent = min(p[3] for p in placed)
    last_confirmed = max(confirmed.values())
    to_202 = sorted(p[1] * 1000 for p in placed)
    to_confirmed = sorted((confirmed[p[2]] - p[3]).total_seconds() * 1000 for p in placed)
    span = (last_confirmed - first_sent).total_seconds()
    return {
        "orders": orders,
        "clients": clients,
        "posted_per_second": round(orders / posted, 1),
        "confirmed_per_second": round(orders / span, 1),
        "to_202_p50_ms": round(_percentile(to_202, 0.5), 1),
        "to_202_p95_ms": round(_percentile(to_202, 0.95), 1),
        "to_202_target_p95_ms": 500,
        "to_confirmed_p50_ms": round(_percentile(to_confirmed, 0.5), 1),
        "to_confirmed_p95_ms": round(_percentile(to_confirmed, 0.95), 1),
        "emulator_ms_per_order": round(emulator_busy / orders * 1000, 2),
        "emulator_share_of_span": round(emulator_busy / span, 3),
        "erp_requests_per_order": round(erp_requests / orders, 1),
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _markdown(saga: list[dict[str, Any]], e2e: dict[str, Any]) -> str:
    lines = [
        f"End to end through the local platform ({e2e['orders']} orders, {e2e['clients']} clients, signed-in "
        "customers; moto, the workers and the emulators share the machine):",
        "",
        "| placed/s | confirmed/s | to 202 p50 / p95 (target p95 < 500 ms) | to confirmed p50 / p95 "
        "| emulator ms/order (share of the span) |",
        "|---|---|---|---|---|",
        f"| {e2e['posted_per_second']} | {e2e['confirmed_per_second']} | {e2e['to_202_p50_ms']} / "
        f"{e2e['to_202_p95_ms']} ms | {e2e['to_confirmed_p50_ms']} / {e2e['to_confirmed_p95_ms']} ms | "
        f"{e2e['emulator_ms_per_order']} ({e2e['emulator_share_of_span']:.1%}) |",
        "",
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
    e2e = end_to_end()
    return {"saga": saga, "end_to_end": e2e, "markdown": _markdown(saga, e2e)}

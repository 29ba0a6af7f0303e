"""The saga's DynamoDB state over the local AWS endpoint: the breaker every instance shares, the
order's lease and its versioned saves, under real concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from lambdas.orders.breaker import BreakerOpen, BreakerPolicy, CircuitBreaker, DynamoBreakerStore
from lambdas.orders.saga import SagaState, Stage
from lambdas.orders.store import Conflict, DynamoOrderStore
from platform_core.aws import client
from platform_core.resources import Resources
from tests.fixtures.orders import order_payload, order_request, orders_tables, placed_record
from tests.integration.test_orders_api import PRICES

pytestmark = pytest.mark.integration


def test_one_instances_failures_open_the_breaker_for_every_instance(platform_resources: Resources) -> None:
    table = orders_tables(platform_resources)["breakers"]
    clock = [5_000.0]
    policy = BreakerPolicy(failure_threshold=4, window_seconds=30, open_seconds=10)
    instances = [
        CircuitBreaker(
            DynamoBreakerStore(client("dynamodb"), table), "erp", policy, lambda: clock[0], cache_seconds=0
        )
        for _ in range(8)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:  # eight Lambdas see the ERP fail at once
        list(pool.map(lambda breaker: breaker.record_failure(), instances))
    for breaker in instances:
        with pytest.raises(BreakerOpen):
            breaker.guard()
    clock[0] += 11  # the open period is over: exactly one instance wins the probe
    allowed = []
    for breaker in instances:
        try:
            breaker.guard()
            allowed.append(breaker)
        except BreakerOpen:
            pass
    assert len(allowed) == 1
    allowed[0].record_failure()  # the probe failed: open again, for twice as long
    clock[0] += 11
    with pytest.raises(BreakerOpen):
        instances[1].guard()
    clock[0] += 10
    instances[2].guard()
    instances[2].record_success()
    assert all(b.state(fresh=True).state == "closed" for b in instances)


def test_an_orders_lease_admits_one_invocation_and_stale_saves_lose(platform_resources: Resources) -> None:
    table = orders_tables(platform_resources)["orders"]
    store = DynamoOrderStore(client("dynamodb"), table)
    record = placed_record(order_payload(order_request(PRICES, [("SKU-MUG-SET", 1)])))
    assert store.create(record) and not store.create(record)
    with ThreadPoolExecutor(max_workers=16) as pool:
        won = list(pool.map(lambda i: store.acquire(record.order_id, f"owner-{i}", 1_000.0, 60), range(16)))
    assert won.count(True) == 1
    owner = f"owner-{won.index(True)}"
    current = store.get(record.order_id)
    assert current is not None
    saved = store.save(current.with_saga(SagaState(record.order_id, Stage.CUSTOMER_READY)), lease_owner=owner)
    with pytest.raises(Conflict):  # written from a stale read
        store.save(current.with_saga(SagaState(record.order_id, Stage.REJECTING)), lease_owner=owner)
    with pytest.raises(Conflict):  # written by someone not holding the lease
        store.save(saved, lease_owner="owner-late")
    assert not store.acquire(record.order_id, "owner-late", 1_030.0, 60)
    assert store.acquire(record.order_id, "owner-late", 1_061.0, 60)  # the holder died: its lease expired
    store.release(record.order_id, owner)  # not the holder any more: nothing happens
    assert not store.acquire(record.order_id, "owner-third", 1_062.0, 60)

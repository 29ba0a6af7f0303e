"""The order saga's Lambda on the orders team's queue, in its execution environment on the local platform:
an ERP outage opens the shared breaker, the orders wait in the queue (delayed, not failed, nothing in the
DLQ) and drain once the ERP is back; a message that is not an event fails towards the DLQ."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from local_platform.emulators.external_systems import ExternalSystems
from local_platform.runtime import LocalPlatform
from platform_core.aws import client
from tests.e2e.test_orders_platform import Orders
from tests.fixtures.aws import isolated_config

pytestmark = pytest.mark.integration
# The saga's knobs for a test that waits seconds, not minutes (config/platform.yaml's defaults otherwise).
FAST = {"ERP_ATTEMPTS": "2", "BREAKER_FAILURES": "3", "BREAKER_OPEN_SECONDS": "2", "DEFER_SECONDS": "1"}


@pytest.fixture(scope="module")
def orders(aws_endpoint_url: str) -> Iterator[Orders]:
    config = isolated_config()
    saga = config.services["order-saga"]
    fast = saga.model_copy(update={"environment": {**saga.environment, **FAST}})
    config = config.model_copy(update={"services": {**config.services, "order-saga": fast}})
    systems = ExternalSystems()
    platform = LocalPlatform(config, components=[systems], state_path=None)
    platform.start()
    try:
        yield Orders(platform, systems)
    finally:
        platform.stop()


def dlq_depth(orders: Orders) -> int:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=orders.platform.resources.team_dlq("orders"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def breaker_state(orders: Orders) -> str:
    table = orders.platform.resources.service_tables("order-saga")["breakers"]
    item = client("dynamodb").get_item(TableName=table, Key={"dependency": {"S": "erp"}}, ConsistentRead=True)
    return str(item["Item"]["state"]["S"])


def test_during_an_erp_outage_orders_wait_in_the_queue_and_drain_after_recovery(orders: Orders) -> None:
    placed = [orders.place(orders.token(f"cust-{i}"), [("SKU-CABLE-USB", 1)]) for i in range(4)]
    assert {p.status_code for p in placed} == {202}
    ids = [(f"cust-{i}", p.json()["order_id"]) for i, p in enumerate(placed)]
    orders.systems.odoo.faults.outage = True
    orders.stream.run_until_idle(timeout=120)
    orders.queue.poll_once(wait_seconds=0)
    # Every order went back on the queue, delayed: none failed, none reached the DLQ.
    assert orders.queue.queue_depth()["delayed"] == 4
    assert orders.queue.status()["messages_failed"] == 0 and dlq_depth(orders) == 0
    assert breaker_state(orders) == "open"
    assert {orders.get(orders.token(c), o).json()["status"] for c, o in ids} == {"received"}
    orders.systems.odoo.faults.outage = False
    deadline = time.monotonic() + 90
    while {orders.get(orders.token(c), o).json()["status"] for c, o in ids} != {"confirmed"}:
        assert time.monotonic() < deadline, [orders.get(orders.token(c), o).json() for c, o in ids]
        time.sleep(0.5)
        orders.queue.run_until_idle(timeout=60)
    assert dlq_depth(orders) == 0 and breaker_state(orders) == "closed"


def test_a_message_that_is_not_an_event_fails_towards_the_dlq(orders: Orders) -> None:
    client("sqs").send_message(QueueUrl=orders.queue.queue_url, MessageBody="not an event")
    failed = orders.queue.status()["messages_failed"]
    orders.queue.poll_once(wait_seconds=0)
    assert orders.queue.status()["messages_failed"] == failed + 1

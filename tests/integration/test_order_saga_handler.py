"""The order saga's Lambda on the orders team's queue, over the local AWS endpoint: orders placed through
the orders API reach it through the real ingest, stream, fan-out and SQS; an ERP outage opens the shared
breaker, the orders wait in the queue (delayed, not failed) and drain once the ERP is back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lambdas.orders import api_handler, saga_handler
from lambdas.orders.authorization import CUSTOMER, Caller
from lambdas.orders.placing import OrderDesk
from lambdas.orders.store import DynamoOrderStore
from local_platform.emulators.odoo import OdooEmulator, catalog_prices, skus_on_hand
from local_platform.pollers.sqs import SqsMapping, SqsPoller
from local_platform.pollers.stream import StreamMapping, StreamPoller
from local_platform.pollers.wiring import fanout_handler
from local_platform.provision import queue_url, stream_arn
from platform_core import naming
from platform_core.aws import client
from platform_core.lambda_context import LocalLambdaContext
from platform_core.producer import EventProducer
from platform_core.registry import get_registry
from platform_core.resources import Resources
from tests.fixtures.aws import RunningGateway
from tests.fixtures.orders import api_event, order_request, orders_tables

pytestmark = pytest.mark.integration
ANN = Caller(CUSTOMER, "web-app", "cust-ann", frozenset({"read", "write"}))


@dataclass
class SagaPlatform:
    gateway: RunningGateway
    odoo: OdooEmulator
    stream: StreamPoller
    orders_queue: SqsPoller
    tables: dict[str, str]

    @property
    def resources(self) -> Resources:
        return self.gateway.resources

    def place(self, lines: list[tuple[str, int]]) -> str:
        body = order_request(catalog_prices(self.odoo.db), lines)
        response = api_handler.lambda_handler(
            api_event("POST", "/v1/orders", ANN, body=body), LocalLambdaContext("orders-api", "eu-west-1")
        )
        assert response["statusCode"] == 202, response
        return str(json.loads(response["body"])["order_id"])

    def deliver(self) -> None:
        """The stream to the team queues, then the orders queue to the saga, until both are idle."""
        self.stream.run_until_idle(timeout=60)
        self.orders_queue.run_until_idle(timeout=60)

    def status(self, order_id: str) -> str:
        response = api_handler.lambda_handler(
            api_event(
                "GET",
                f"/v1/orders/{order_id}",
                ANN,
                resource="/v1/orders/{order_id}",
                path_params={"order_id": order_id},
            ),
            LocalLambdaContext("orders-api", "eu-west-1"),
        )
        return str(json.loads(response["body"])["status"])

    def queue_depth(self) -> dict[str, int]:
        attributes = client("sqs").get_queue_attributes(
            QueueUrl=self.orders_queue.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return {name: int(value) for name, value in attributes.items()}

    def dlq_depth(self) -> int:
        url = queue_url(self.resources.team_dlq("orders"))
        return int(
            client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )


@pytest.fixture
def saga_platform(
    ingest_gateway: RunningGateway, odoo: OdooEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SagaPlatform]:
    resources = ingest_gateway.resources
    project, env = resources.project, resources.env
    tables = orders_tables(resources)
    secrets = client("secretsmanager")
    erp_secret = naming.service_secret(project, env, "orders", "erp")
    key_secret = naming.team_api_key_secret(project, env, "orders")
    erp = {"url": odoo.url, "transport": "json2", "database": odoo.database, "api_key": odoo.api_key}
    secrets.create_secret(Name=erp_secret, SecretString=json.dumps(erp))
    secrets.create_secret(Name=key_secret, SecretString=ingest_gateway.api_keys["orders"].value)
    environment = {
        "PLATFORM_ENV": env,
        "PLATFORM_API_URL": ingest_gateway.url,
        "PLATFORM_API_KEY_SECRET": key_secret,
        "TABLE_ORDERS": tables["orders"],
        "TABLE_BREAKERS": tables["breakers"],
        "SECRET_ERP": erp_secret,
        "ERP_ATTEMPTS": "2",
        "BREAKER_FAILURES": "3",
        "BREAKER_OPEN_SECONDS": "2",
        "DEFER_SECONDS": "1",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    saga_handler.order_events.cache_clear()
    saga_handler.redelivery.cache_clear()
    desk = OrderDesk(
        DynamoOrderStore(client("dynamodb"), tables["orders"]),
        EventProducer(ingest_gateway.url, ingest_gateway.api_keys["orders"].value),
        get_registry(),
    )
    monkeypatch.setattr(api_handler, "desk", lambda: desk)
    config = resources.config
    stream = StreamPoller(
        stream_arn(resources),
        fanout_handler(resources),
        StreamMapping.from_config(config),
        queue_url(resources.fanout_failure_queue),
        function_name=f"{project}-{env}-fanout",
        region=config.region,
    )
    orders_queue = SqsPoller(
        resources.team_queue("orders"),
        saga_handler.lambda_handler,
        SqsMapping(batch_size=10, wait_seconds=0),
        function_name=naming.service_function(project, env, "orders", "order-saga"),
        region=config.region,
    )
    yield SagaPlatform(ingest_gateway, odoo, stream, orders_queue, tables)
    saga_handler.order_events.cache_clear()
    saga_handler.redelivery.cache_clear()


def stored_types(resources: Resources) -> list[str]:
    items = client("dynamodb").scan(TableName=resources.events_table)["Items"]
    return sorted(json.loads(item["envelope"]["S"])["event_type"] for item in items)


def test_an_order_goes_from_the_api_through_the_platform_to_the_saga_and_is_confirmed(
    saga_platform: SagaPlatform,
) -> None:
    order_id = saga_platform.place([("SKU-LAMP-LED", 2)])
    assert saga_platform.status(order_id) == "received"
    saga_platform.deliver()
    assert saga_platform.status(order_id) == "confirmed"
    assert stored_types(saga_platform.resources) == [
        "billing.invoice_requested",
        "notifications.notification_requested",
        "orders.order_confirmed",
        "orders.order_created",
        "orders.stock_reserved",
    ]
    assert skus_on_hand(saga_platform.odoo.db, ["SKU-LAMP-LED"])["SKU-LAMP-LED"] == (1000, 2)
    assert saga_platform.dlq_depth() == 0


def test_during_an_erp_outage_orders_wait_in_the_queue_and_drain_after_recovery(
    saga_platform: SagaPlatform,
) -> None:
    orders = [saga_platform.place([("SKU-CABLE-USB", 1)]) for _ in range(4)]
    saga_platform.odoo.faults.outage = True
    saga_platform.stream.run_until_idle(timeout=60)
    saga_platform.orders_queue.poll_once(wait_seconds=0)
    # Every order went back on the queue, delayed; none failed, none reached the DLQ.
    assert saga_platform.queue_depth()["ApproximateNumberOfMessagesDelayed"] == 4
    assert saga_platform.orders_queue.stats.messages_failed == 0 and saga_platform.dlq_depth() == 0
    breaker = client("dynamodb").get_item(
        TableName=saga_platform.tables["breakers"], Key={"dependency": {"S": "erp"}}, ConsistentRead=True
    )["Item"]
    assert breaker["state"]["S"] == "open"
    assert {saga_platform.status(o) for o in orders} == {"received"}  # no step could be taken
    saga_platform.odoo.faults.outage = False
    deadline = time.monotonic() + 60
    while {saga_platform.status(o) for o in orders} != {"confirmed"}:
        assert time.monotonic() < deadline, [saga_platform.status(o) for o in orders]
        time.sleep(0.5)
        saga_platform.orders_queue.run_until_idle(timeout=60)
    assert saga_platform.dlq_depth() == 0
    assert skus_on_hand(saga_platform.odoo.db, ["SKU-CABLE-USB"])["SKU-CABLE-USB"] == (5000, 4)
    breaker_state = client("dynamodb").get_item(
        TableName=saga_platform.tables["breakers"], Key={"dependency": {"S": "erp"}}, ConsistentRead=True
    )["Item"]["state"]["S"]
    assert breaker_state == "closed"


def test_a_message_that_is_not_an_event_fails_towards_the_dlq(saga_platform: SagaPlatform) -> None:
    client("sqs").send_message(QueueUrl=saga_platform.orders_queue.queue_url, MessageBody="not an event")
    saga_platform.orders_queue.poll_once(wait_seconds=0)
    assert saga_platform.orders_queue.stats.messages_failed == 1

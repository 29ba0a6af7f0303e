"""The fan-out side of the local platform: the real handlers, built for one environment's resources,
behind the pollers that play their event source mappings.

    stream of the events table --StreamPoller--> fan-out handler
    Kafka outbox queue          --SqsPoller----> kafka-bridge handler --> Kafka
    orders team queue           --SqsPoller----> order processor handler

The other teams' queues have no consumer here: their messages wait, as they
would for a team that has not deployed one yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from lambdas.fanout import handler as fanout
from lambdas.fanout.service import FanoutService
from lambdas.fanout.sinks import RawZoneWriter, SqsSender
from lambdas.kafka_bridge import handler as kafka_bridge
from lambdas.kafka_bridge.bridge import Bridge
from lambdas.kafka_bridge.producer import DEFAULT_DELIVERY_TIMEOUT_MS, KafkaPublisher
from lambdas.order_processor.handler import build_handler as build_order_processor
from lambdas.order_processor.service import OrderProcessor
from lambdas.order_processor.store import DynamoOrderStore
from local_platform.pollers.sqs import SqsMapping, SqsPoller
from local_platform.pollers.stream import StreamMapping, StreamPoller
from local_platform.provision import queue_url, stream_arn
from platform_core.aws import client
from platform_core.dependencies import hosted
from platform_core.kafka import KafkaConnection
from platform_core.registry import get_registry
from platform_core.resources import Resources

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
ORDERS_TEAM = "orders"


def fanout_handler(resources: Resources, sqs: Any = None, s3: Any = None) -> Handler:
    """The fan-out Lambda over these resources (clients injectable, e.g. wrapped for fault injection)."""
    service = FanoutService(
        resources.config,
        resources.env,
        SqsSender(sqs or client("sqs")),
        RawZoneWriter(s3 or client("s3"), resources.raw_bucket),
    )
    return hosted(fanout.lambda_handler, {fanout.fanout_service: service})


def bridge_handler(
    resources: Resources,
    kafka: KafkaConnection,
    delivery_timeout_ms: int = DEFAULT_DELIVERY_TIMEOUT_MS,
    publisher: KafkaPublisher | None = None,
) -> Handler:
    publisher = publisher or KafkaPublisher(kafka, delivery_timeout_ms)
    bridge = Bridge(resources.project, resources.env, get_registry(), publisher)
    return hosted(kafka_bridge.lambda_handler, {kafka_bridge.kafka_bridge: bridge})


def order_processor_handler(resources: Resources) -> Handler:
    processor = OrderProcessor(
        DynamoOrderStore(client("dynamodb"), resources.orders_table), resources.project
    )
    return build_order_processor(lambda: processor)


class FanoutPollers:
    """A platform component: the stream poller and the SQS pollers of the fan-out side."""

    name = "fanout"

    def __init__(
        self,
        resources: Resources | None = None,
        kafka: KafkaConnection | None = None,
        delivery_timeout_ms: int = DEFAULT_DELIVERY_TIMEOUT_MS,
        fanout: Handler | None = None,
    ):
        self._resources = resources
        self._kafka = kafka
        self._delivery_timeout_ms = delivery_timeout_ms
        self._fanout = fanout
        self._publisher: KafkaPublisher | None = None
        self._started = False

    def start(self, platform: Any = None) -> None:
        if platform is not None:
            self._resources = platform.resources
            if self._kafka is None:
                # The broker component (local_platform.kafka_broker) starts before this one.
                broker = next(c for c in platform.components if c.name == "kafka")
                self._kafka = broker.settings()
        for poller in self.pollers:
            poller.start()
        self._started = True

    def stop(self) -> None:
        if self._started:
            for poller in reversed(self.pollers):
                poller.stop()
            # Before the broker stops: a producer left open logs its lost connection.
            if self._publisher is not None:
                self._publisher.close()
            self._started = False

    def status(self) -> dict[str, Any]:
        if self._resources is None:
            return {"running": False}
        return {poller.name: poller.status() for poller in self.pollers}

    @property
    def resources(self) -> Resources:
        if self._resources is None:
            raise RuntimeError("no resources: pass them, or start the component in a LocalPlatform")
        return self._resources

    @property
    def pollers(self) -> list[StreamPoller | SqsPoller]:
        return [self.stream, self.outbox, self.orders]

    @cached_property
    def stream(self) -> StreamPoller:
        resources = self.resources
        return StreamPoller(
            stream_arn(resources),
            self._fanout or fanout_handler(resources),
            StreamMapping.from_config(resources.config),
            queue_url(resources.fanout_failure_queue),
            function_name=f"{resources.project}-{resources.env}-fanout",
            region=resources.config.region,
        )

    @cached_property
    def outbox(self) -> SqsPoller:
        resources = self.resources
        if self._kafka is None:
            raise RuntimeError("no Kafka cluster: pass KafkaConnection, or start the kafka component first")
        self._publisher = KafkaPublisher(self._kafka, self._delivery_timeout_ms)
        return SqsPoller(
            resources.outbox_queue,
            bridge_handler(resources, self._kafka, publisher=self._publisher),
            SqsMapping.from_config(resources.config),
            function_name=f"{resources.project}-{resources.env}-kafka-bridge",
            region=resources.config.region,
        )

    @cached_property
    def orders(self) -> SqsPoller:
        resources = self.resources
        return SqsPoller(
            resources.team_queue(ORDERS_TEAM),
            order_processor_handler(resources),
            SqsMapping.from_config(resources.config),
            function_name=f"{resources.project}-{resources.env}-order-processor",
            region=resources.config.region,
        )

    def run_until_idle(self, timeout: float = 300.0) -> None:
        """Deliver everything now: the stream to the queues, the outbox to Kafka, the orders queue."""
        deadline = time.monotonic() + timeout
        self.stream.run_until_idle(timeout=timeout)
        self.outbox.run_until_idle(timeout=max(1.0, deadline - time.monotonic()))
        self.orders.run_until_idle(timeout=max(1.0, deadline - time.monotonic()))


def fanout_pollers() -> FanoutPollers:
    """The factory local_platform.runtime's DEFAULT_COMPONENTS names."""
    return FanoutPollers()

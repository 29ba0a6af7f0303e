"""Counting invariants of the fan-out on a mixed load: moto server + the Tansu broker + the real handlers."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from local_platform.kafka_broker import KafkaBroker
from platform_core import naming
from platform_core.kafka_topics import ensure_platform_topics
from tests.integration.fanout_support import (
    FanoutPollers,
    QueueCollector,
    check_invariants,
    fanout_resources,
    queue_depth,
    stored_events,
    write_events,
)

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_5000_events_every_subscriber_gets_every_event_and_the_raw_zone_holds_each_once(
    aws_endpoint_url: str, fresh_kafka: KafkaBroker
) -> None:
    run_mixed_load(fresh_kafka, orders=900, minimum_events=5000)


def test_every_subscriber_gets_every_event_and_the_raw_zone_holds_each_once(
    aws_endpoint_url: str, fresh_kafka: KafkaBroker
) -> None:
    """The same invariants on a smaller load (make test); the 5,000-event run is marked slow."""
    run_mixed_load(fresh_kafka, orders=120, minimum_events=600)


def run_mixed_load(broker: KafkaBroker, orders: int, minimum_events: int) -> None:
    resources = fanout_resources()
    kafka = broker.settings()
    ensure_platform_topics(resources.config, resources.env, kafka)
    events = stored_events(resources.config, orders=orders, seed=4)
    load = write_events(resources, events)
    assert len(load.accepted) >= minimum_events and load.duplicates > minimum_events // 50

    pipeline = FanoutPollers(resources, kafka, delivery_timeout_ms=10_000)
    collectors = {
        team: QueueCollector(resources.team_queue(team)) for team in resources.config.sqs_subscriber_teams
    }
    with ExitStack() as running:
        for collector in collectors.values():
            running.enter_context(collector)
        # The bridge runs alongside the fan-out, as it does on AWS.
        pipeline.outbox.start()
        running.callback(pipeline.outbox.stop)
        pipeline.stream.run_until_idle(timeout=1800)
    pipeline.outbox.run_until_idle(timeout=600)

    collected = {team: c.messages for team, c in collectors.items()}
    delivered = check_invariants(resources, load.accepted, kafka, collected)
    # Every event type, every team and several hours of raw partitions were exercised.
    assert {e.event_type for e in load.accepted.values()} == set(resources.config.event_types)
    assert len(delivered.topics) == len(resources.config.kafka_event_types)
    stats = pipeline.stream.stats
    assert stats.records_parked == 0 and stats.function_errors == 0
    for queue in [resources.fanout_failure_queue, resources.outbox_dlq] + [
        resources.team_dlq(t) for t in resources.config.sqs_subscriber_teams
    ]:
        assert queue_depth(queue) == 0, queue
    assert queue_depth(resources.outbox_queue) == 0
    assert naming.topic_name(resources.env, "orders.order_created") in delivered.topics

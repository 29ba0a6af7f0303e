"""The sink accounting (tools/sinks.py): what accepted events must put where, and when a count is a failure."""

from __future__ import annotations

from collections import Counter

from platform_core.config import get_config
from tools import sinks
from tools.sinks import Delivery, Held, SinkCount


def test_expected_counts_follow_the_routing_of_the_config() -> None:
    config = get_config()
    event_type = "orders.order_created"
    expected = sinks.expected_counts(config, "dev", Counter({event_type: 3}))
    assert expected[sinks.EVENTS_TABLE] == expected[sinks.RAW_ZONE] == 3
    for team in config.sqs_subscriber_teams:
        wanted = 3 if team in config.sqs_subscribers(event_type) else 0
        assert expected[sinks.queue_sink(team)] == wanted, team
        assert expected[sinks.dlq_sink(team)] == 0
    for kafka_type in config.kafka_event_types:
        assert expected[sinks.topic_sink("dev", kafka_type)] == (3 if kafka_type == event_type else 0)
    assert expected[sinks.FAILURE_QUEUE] == expected[sinks.OUTBOX_DLQ] == 0


def test_expected_ids_and_counts_agree() -> None:
    config = get_config()
    accepted = {f"id-{i}": event_type for i, event_type in enumerate(config.event_types)}
    by_id = sinks.expected_ids(config, "dev", accepted)
    by_count = sinks.expected_counts(config, "dev", Counter(accepted.values()))
    assert {sink: len(ids) for sink, ids in by_id.items()} == by_count


def test_raw_zone_copies_fail_even_when_every_event_is_there() -> None:
    twice = SinkCount(sinks.RAW_ZONE, Delivery.EXACTLY_ONCE, 10, Held(copies=11, distinct=10))
    assert not twice.ok and "11 (10 distinct) for 10 expected" in (twice.problem or "")
    assert SinkCount(sinks.RAW_ZONE, Delivery.EXACTLY_ONCE, 10, Held(10, 10)).ok


def test_queues_may_hold_a_redelivered_copy_but_never_fewer() -> None:
    assert SinkCount("queue billing", Delivery.AT_LEAST_ONCE, 10, Held(11)).ok
    assert not SinkCount("queue billing", Delivery.AT_LEAST_ONCE, 10, Held(9)).ok


def test_anything_in_a_dlq_and_an_unread_sink_are_failures() -> None:
    assert not SinkCount("DLQ orders", Delivery.NOTHING, 0, Held(1)).ok
    unread = SinkCount("topic dev.orders.order_created", Delivery.AT_LEAST_ONCE, 4, None)
    assert not unread.ok and unread.problem == "topic dev.orders.order_created: not read"


def test_account_covers_every_sink_and_reports_each_problem() -> None:
    config = get_config()
    expected = sinks.expected_counts(config, "dev", Counter({"orders.order_created": 2}))
    held = {sink: Held(count, count if sink == sinks.RAW_ZONE else None) for sink, count in expected.items()}
    held[sinks.FAILURE_QUEUE] = Held(1)
    counts = sinks.account(config, "dev", expected, held)
    assert {c.sink for c in counts} == set(sinks.sinks(config, "dev"))
    assert sinks.problems(counts) == [f"{sinks.FAILURE_QUEUE}: 1, none expected"]

"""`make status` against real parts: Kafka lag measured where the broker's own offsets are wrong,
and the health picture of a running platform read from its state file."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import cast

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from local_platform.kafka_broker import KafkaBroker
from local_platform.runtime import Component, LocalPlatform
from platform_core import naming
from platform_core.kafka_topics import ensure_topics
from platform_core.local_state import read_state
from tests.fixtures.aws import isolated_config
from tools.status import consumer_lag, count_topic_messages, health
from tools.traffic import IngestClient, TrafficGenerator

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


def test_consumer_lag_is_the_committed_offsets_against_the_measured_end(fresh_kafka: KafkaBroker) -> None:
    settings = fresh_kafka.settings()
    topic = f"t.status.{uuid.uuid4().hex[:8]}"
    ensure_topics(AdminClient(settings.client_config()), {topic: (3, 24)}, replication_factor=1)
    producer = Producer(settings.client_config())
    for i in range(40):
        producer.produce(topic, value=b"{}", key=f"k{i % 9}".encode())
    assert producer.flush(10) == 0
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = Consumer({**settings.client_config(), "group.id": group, "enable.auto.commit": False})
    try:
        # The group has processed partition 0 to its end, and nothing of the others.
        consumer.assign([TopicPartition(topic, 0, 0)])
        read = 0
        for _ in range(20):
            messages = [m for m in consumer.consume(100, timeout=0.5) if m.error() is None]
            read += len(messages)
            if read and not messages:
                break
        consumer.commit(offsets=[TopicPartition(topic, 0, read)], asynchronous=False)
    finally:
        consumer.close()

    assert count_topic_messages(settings, topic) == 40
    [row] = consumer_lag(settings, {group: [topic]})
    assert (row["end"], row["committed"], row["lag"]) == (40, read, 40 - read)
    assert 0 < read < 40


def test_health_picture_of_a_running_platform_with_its_live_counters(
    aws_endpoint_url: str, tmp_path: Path
) -> None:
    state_path = tmp_path / "platform.json"
    components = [cast(Component, KafkaBroker())]  # no pollers: queues and topics stay as ingest leaves them
    with LocalPlatform(isolated_config(), components=components, state_path=state_path) as platform:
        accepted: dict[str, int] = {}
        rejected_requests: dict[str, int] = {}
        traffic = TrafficGenerator(seed=3, config=platform.config)
        for team, event in traffic.events(4):
            producer = IngestClient(platform.gateway_url, platform.api_keys[team].value)
            try:
                bad, _ = traffic.invalidate(event, "missing_payload_field")
                response = producer.post([event, bad])
            finally:
                producer.close()
            assert response.status_code == 202, response.text
            accepted[team] = accepted.get(team, 0) + 1
            rejected_requests[team] = rejected_requests.get(team, 0) + 1
        state = read_state(state_path)
        assert state is not None
        picture = health(state, sample_seconds=0)

    assert picture["process_alive"] and picture["gateway_up"]
    # Live counters from the status API, not the state file's start-up snapshot.
    assert picture["live"]["functions"]["ingest"]["invocations"] == sum(accepted.values())
    assert sum(counts.get("202", 0) for counts in picture["live"]["gateway"]["responses"].values()) == sum(
        accepted.values()
    )
    for team in platform.config.teams:
        assert picture["ingest"][team]["accepted"] == accepted.get(team, 0)
        assert picture["ingest"][team]["rejected_requests"] == rejected_requests.get(team, 0)
    assert picture["events_table_items"] == sum(accepted.values())
    assert all(depth == {"visible": 0, "in_flight": 0, "delayed": 0} for depth in picture["queues"].values())
    groups = {row["group"] for row in picture["kafka_lag"]}
    assert groups == {
        naming.consumer_group(platform.config.project, "dev", t) for t in ("billing", "documents")
    }
    assert all(row["lag"] == 0 for row in picture["kafka_lag"])
    assert picture["lake"] == {
        "raw_objects": 0,
        "last_run_id": None,
        "last_run_at": None,
        "raw_objects_not_yet_processed": 0,
    }

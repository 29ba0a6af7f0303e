"""Disaster-recovery drill against the local runtime: the moto server and the real Kafka broker.

Events come in through the local API Gateway and the real ingest handler, the
real fan-out archives them to the raw zone, then the table is "lost" and
brought back with scripts/dr: restored from its backup (moto has no backup of a
deleted table, so the drill takes an on-demand one midway, as AWS Backup
would), then the raw zone replayed from the backup time on. The restored table
must equal the lost one item for item, a rerun must change nothing, and a
replay of a time range must deliver every event of that range to a team's
queue and to Kafka.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local_platform.kafka_broker import KafkaBroker
from local_platform.provision import queue_url
from platform_core import naming
from platform_core.aws import client
from platform_core.envelope import Event
from platform_core.kafka_topics import ensure_platform_topics
from platform_core.resources import Resources
from scripts.dr.replay import Destination, Selection, partition_prefixes, replay
from scripts.dr.restore_table import RestorePlan, restore
from tests.fixtures.aws import RunningGateway, running_gateway
from tests.integration.fanout_support import FanoutPollers, drain_queue, fanout_resources, read_topic
from tools.traffic import IngestClient, Kind, Sent, TrafficGenerator, batches

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

QUEUE_TEAM = "billing"
TOPIC_TYPE = "orders.order_created"


@dataclass
class Drill:
    resources: Resources
    gateway: RunningGateway
    fanout: FanoutPollers

    def send(self, sent: list[Sent]) -> None:
        clients = {
            team: IngestClient(self.gateway.url, key.value) for team, key in self.gateway.api_keys.items()
        }
        try:
            for number, (team, batch) in enumerate(batches(sent, 15)):
                response, _ = clients[team].post_until_admitted([s.event for s in batch])
                assert response.status_code in (202, 400), response.text
                assert response.headers["X-Correlation-Id"]
                if number % 3 == 2:
                    # Requests spread in time, so a range can cut between them.
                    self.fanout.stream.run_until_idle(timeout=60)
        finally:
            for ingest_client in clients.values():
                ingest_client.close()
        self.fanout.stream.run_until_idle(timeout=60)

    def items(self) -> dict[str, dict[str, Any]]:
        table = self.resources.events_table
        pages = client("dynamodb").get_paginator("scan").paginate(TableName=table)
        return {item["pk"]["S"]: item for page in pages for item in page["Items"]}


@pytest.fixture
def drill(aws_endpoint_url: str) -> Iterator[Drill]:
    resources = fanout_resources()
    # Terraform enables PITR on the events table (config: point_in_time_recovery); the local provisioning does not.
    client("dynamodb").update_continuous_backups(
        TableName=resources.events_table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    with running_gateway(resources) as gateway:
        yield Drill(resources, gateway, FanoutPollers(resources))


def valid_ids(sent: list[Sent]) -> set[str]:
    return {s.event["event_id"] for s in sent if s.kind is not Kind.INVALID}


def test_lost_table_comes_back_from_backup_plus_raw_zone_replay_item_for_item(
    drill: Drill, tmp_path: Path
) -> None:
    resources = drill.resources
    dynamodb = client("dynamodb")
    traffic = TrafficGenerator(seed=23, config=resources.config).mix(
        40, duplicate_rate=0.1, invalid_rate=0.05
    )
    half = len(traffic) // 2
    drill.send(traffic[:half])
    backup = dynamodb.create_backup(TableName=resources.events_table, BackupName="drill")["BackupDetails"]
    at_backup = len(drill.items())
    drill.send(traffic[half:])
    before = drill.items()
    accepted = valid_ids(traffic)
    assert {pk.split("#", 1)[1] for pk in before} == accepted
    assert len(before) > at_backup > 0

    dynamodb.delete_table(TableName=resources.events_table)  # the loss
    dynamodb.get_waiter("table_not_exists").wait(TableName=resources.events_table)

    restored = restore(
        resources,
        RestorePlan(
            source=resources.events_table,
            target=resources.events_table,
            from_latest_backup=True,
            poll_seconds=0.2,
        ),
    )
    assert restored.backup_arn == backup["BackupArn"] and restored.method == "backup"
    assert restored.verification is not None and restored.verification.ok
    assert restored.verification.items == at_backup
    assert "stream NEW_IMAGE enabled" in restored.settings_applied
    table = dynamodb.describe_table(TableName=resources.events_table)["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"

    # RPO: everything accepted after the backup is in the raw zone; replay from it (with a margin) to now.
    selection = Selection(backup["BackupCreationDateTime"] - timedelta(minutes=15), datetime.now(UTC))
    to_table = Destination("table", resources.events_table)
    checkpoint = tmp_path / "replay.json"
    first = replay(resources, selection, to_table, checkpoint=checkpoint, max_objects=1)
    assert first.stopped_early and first.objects_read == 1
    rest = replay(resources, selection, to_table, checkpoint=checkpoint)
    assert rest.objects_done_before == 1 and not rest.stopped_early and rest.failed == 0
    assert first.written + rest.written == len(before) - at_backup
    assert first.already_present + rest.already_present == at_backup
    assert drill.items() == before  # item for item: key, envelope, metadata and TTL

    again = replay(resources, selection, to_table, checkpoint=tmp_path / "rerun.json")
    assert (again.written, again.already_present, again.selected) == (0, len(before), len(before))
    assert drill.items() == before


def test_point_in_time_restore_into_a_new_table_and_copy_back_of_lost_items(drill: Drill) -> None:
    resources = drill.resources
    dynamodb = client("dynamodb")
    drill.send(TrafficGenerator(seed=29, config=resources.config).mix(12, invalid_rate=0.0))
    before = drill.items()
    target = f"{resources.events_table}-restored"
    # moto restores the source's items as they are when asked (AWS: as they were at the restore time).
    restored = restore(resources, RestorePlan(source=resources.events_table, target=target, poll_seconds=0.2))
    assert restored.method == "point-in-time" and restored.pitr_window
    assert restored.verification is not None and restored.verification.ok
    assert (restored.verification.items, restored.verification.source_items) == (len(before), len(before))
    assert sum(restored.verification.per_team.values()) == len(before)

    lost = sorted(before)[:7]  # damage after the restore point: items deleted by mistake
    for pk in lost:
        dynamodb.delete_item(TableName=resources.events_table, Key={"pk": {"S": pk}})
    copied = restore(
        resources,
        RestorePlan(
            source=resources.events_table, target=target, skip_restore=True, copy_back_to_source=True
        ),
    )
    assert copied.copied_back == {"written": len(lost), "already_present": len(before) - len(lost)}
    assert drill.items() == before


def test_replay_of_a_time_range_delivers_every_event_of_it_to_a_queue_and_to_kafka(
    drill: Drill, fresh_kafka: KafkaBroker
) -> None:
    resources = drill.resources
    config = resources.config
    kafka = fresh_kafka.settings()
    ensure_platform_topics(config, resources.env, kafka)
    drill.send(TrafficGenerator(seed=31, config=config).mix(30, duplicate_rate=0.1, invalid_rate=0.0))
    events = [Event.model_validate_json(item["envelope"]["S"]) for item in drill.items().values()]
    moments = sorted({e.received_at for e in events})
    assert len(moments) >= 4, "the requests should land at distinct times"
    selection = Selection(moments[len(moments) // 4], moments[3 * len(moments) // 4])
    in_range = [e for e in events if selection.start <= e.received_at < selection.end]
    assert 0 < len(in_range) < len(events)

    client("sqs").purge_queue(QueueUrl=queue_url(resources.team_queue(QUEUE_TEAM)))  # what the fan-out sent
    to_queue = Destination("queue", resources.team_queue(QUEUE_TEAM))
    dry = replay(resources, selection, to_queue, dry_run=True)
    assert (dry.selected, dry.written) == (len(in_range), 0)
    sent = replay(resources, selection, to_queue)
    expected = {str(e.event_id): e for e in in_range if QUEUE_TEAM in config.sqs_subscribers(e.event_type)}
    assert sent.written == len(expected) and sent.not_for_destination == len(in_range) - len(expected)
    messages = drain_queue(resources.team_queue(QUEUE_TEAM))
    assert sorted(m["MessageAttributes"]["event_id"]["StringValue"] for m in messages) == sorted(expected)
    for message in messages:
        event = expected[message["MessageAttributes"]["event_id"]["StringValue"]]
        assert Event.model_validate_json(message["Body"]) == event
        assert message["MessageAttributes"]["correlation_id"]["StringValue"] == event.correlation_id

    typed = Selection(selection.start, selection.end, event_types=frozenset({TOPIC_TYPE}))
    produced = replay(resources, typed, Destination("topics", ""), kafka=kafka)
    wanted = {str(e.event_id) for e in in_range if e.event_type == TOPIC_TYPE}
    assert produced.written == len(wanted) > 0 and produced.failed == 0
    records = read_topic(kafka, naming.topic_name(resources.env, TOPIC_TYPE), len(wanted), timeout=30)
    assert sorted(dict(r.headers())["event_id"].decode() for r in records) == sorted(wanted)


def test_a_range_reads_the_hour_partitions_it_overlaps_and_keeps_from_inclusive_to_exclusive() -> None:
    from platform_core.config import get_config

    resources = Resources(get_config(), "dev")
    start, end = datetime(2026, 11, 21, 23, 30, tzinfo=UTC), datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    selection = Selection(start, end, team="orders")
    assert partition_prefixes(resources, selection) == [
        "raw/team=orders/dt=2026-11-21/hour=23/",
        "raw/team=orders/dt=2026-11-22/hour=00/",
    ]
    team, raw = TrafficGenerator(seed=1).event_of_type("orders.order_created")

    def at(moment: datetime) -> Event:
        stamp = {"team": team, "received_at": moment, "ingest_id": "r", "correlation_id": "c"}
        return Event.model_validate({**raw, **stamp})

    assert selection.wants(at(start)) and not selection.wants(at(end))
    assert not selection.wants(at(start - timedelta(microseconds=1)))
    assert not Selection(start, end, team="billing").wants(at(start))
    assert not Selection(start, end, event_types=frozenset({"billing.invoice_issued"})).wants(at(start))
    with pytest.raises(ValueError):
        Selection(end, start)

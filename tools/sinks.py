"""Where accepted events must end up, and what each sink holds: one accounting for the demo, the soak and tests.

An accepted event (an item of the events table) must reach: the raw zone
exactly once; every team queue subscribing to its type and its Kafka topic
at least once (docs/fanout.md); and nothing may be left in a DLQ or the
fan-out's failure queue. `sinks_of` says which sinks one event type reaches
(the routing of config/platform.yaml), `expected_counts` / `expected_ids`
what a set of accepted events must put in each, `observe` what each holds
(read without consuming anything), and `account` compares both.

What a team's consumer already took off its queue counts as delivered: the
caller passes it (`consumed`, per team), read after the queue's depth so a
message deleted in between is counted twice rather than missed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from rich.table import Table

from local_platform.kafka_broker import KafkaBroker
from local_platform.pollers.sqs import SqsPoller
from local_platform.pollers.wiring import Triggers
from local_platform.runtime import LocalPlatform
from platform_core import naming
from platform_core.aws import client
from platform_core.config import PlatformConfig
from platform_core.kafka import KafkaConnection
from platform_core.raw_zone import decode_events
from platform_core.resources import Resources
from tools.status import count_items, count_topic_messages, queue_depths

C = TypeVar("C")

EVENTS_TABLE = "events table"
RAW_ZONE = "raw zone"
RAW_MISPLACED = "raw objects in the wrong partition"
FAILURE_QUEUE = "fan-out failure queue"
OUTBOX_DLQ = "kafka outbox DLQ"


class Delivery(StrEnum):
    EXACTLY_ONCE = "exactly once"
    AT_LEAST_ONCE = "at least once"
    NOTHING = "nothing"  # a DLQ or failure destination: anything there is a failure


def queue_sink(team: str) -> str:
    return f"queue {team}"


def dlq_sink(team: str) -> str:
    return f"DLQ {team}"


def topic_sink(env: str, event_type: str) -> str:
    return f"topic {naming.topic_name(env, event_type)}"


def sinks(config: PlatformConfig, env: str) -> dict[str, Delivery]:
    """Every sink of the data path and its delivery guarantee."""
    found = {
        EVENTS_TABLE: Delivery.EXACTLY_ONCE,
        RAW_ZONE: Delivery.EXACTLY_ONCE,
        RAW_MISPLACED: Delivery.NOTHING,
    }
    for team in config.sqs_subscriber_teams:
        found[queue_sink(team)] = Delivery.AT_LEAST_ONCE
        found[dlq_sink(team)] = Delivery.NOTHING
    for event_type in config.kafka_event_types:
        found[topic_sink(env, event_type)] = Delivery.AT_LEAST_ONCE
    found[OUTBOX_DLQ] = Delivery.NOTHING
    found[FAILURE_QUEUE] = Delivery.NOTHING
    return found


def sinks_of(config: PlatformConfig, env: str, event_type: str) -> list[str]:
    """The sinks an accepted event of this type must reach."""
    reached = [EVENTS_TABLE, RAW_ZONE]
    reached += [queue_sink(team) for team in config.sqs_subscribers(event_type)]
    if event_type in config.kafka_event_types:
        reached.append(topic_sink(env, event_type))
    return reached


def expected_counts(config: PlatformConfig, env: str, accepted_types: Mapping[str, int]) -> dict[str, int]:
    """Sink -> how many events it must hold, for `accepted_types` (event type -> accepted events)."""
    expected = dict.fromkeys(sinks(config, env), 0)
    for event_type, count in accepted_types.items():
        for sink in sinks_of(config, env, event_type):
            expected[sink] += count
    return expected


def expected_ids(config: PlatformConfig, env: str, accepted: Mapping[str, str]) -> dict[str, set[str]]:
    """Sink -> the event ids it must hold, for `accepted` (event id -> event type)."""
    expected: dict[str, set[str]] = {sink: set() for sink in sinks(config, env)}
    for event_id, event_type in accepted.items():
        for sink in sinks_of(config, env, event_type):
            expected[sink].add(event_id)
    return expected


# -- reading the sinks (nothing is consumed) ------------------------------------------------------


def stored_event_types(resources: Resources) -> Counter[str]:
    """Event type -> items in the events table (the accepted events)."""
    counts: Counter[str] = Counter()
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=resources.events_table, ProjectionExpression="event_type")
    )
    for page in pages:
        counts.update(item["event_type"]["S"] for item in page["Items"])
    return counts


@dataclass
class RawZone:
    """The raw zone read back: partition (team=/dt=/hour=) -> event id -> copies, and objects holding
    an event that belongs to another partition (its team and received hour say where it goes)."""

    partitions: dict[str, Counter[str]]
    misplaced: list[str]

    @property
    def copies(self) -> Counter[str]:
        """Event id -> copies across every partition."""
        copies: Counter[str] = Counter()
        for ids in self.partitions.values():
            copies.update(ids)
        return copies


def read_raw_zone(resources: Resources) -> RawZone:
    s3 = client("s3")
    zone = RawZone({}, [])
    prefix = naming.ZONE_RAW + "/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=resources.raw_bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            partition = obj["Key"].rsplit("/", 1)[0]
            body = s3.get_object(Bucket=resources.raw_bucket, Key=obj["Key"])["Body"].read()
            ids = zone.partitions.setdefault(partition.removeprefix(prefix), Counter())
            for event, _ in decode_events(body):
                ids[str(event.event_id)] += 1
                if naming.raw_key(event.team, event.received_at, "x").rsplit("/", 1)[0] != partition:
                    zone.misplaced.append(obj["Key"])
    return zone


@dataclass(frozen=True)
class Held:
    """What a sink holds: every copy, and how many distinct events when the sink can tell."""

    copies: int
    distinct: int | None = None


def observe(
    resources: Resources, kafka: KafkaConnection | None, consumed: Mapping[str, int] | None = None
) -> dict[str, Held]:
    """What every sink holds now; `consumed`: team -> messages its consumer took off its queue."""
    config, env = resources.config, resources.env
    held = {EVENTS_TABLE: Held(count_items(resources.events_table))}
    raw = read_raw_zone(resources)
    copies = raw.copies
    held[RAW_ZONE] = Held(sum(copies.values()), len(copies))
    held[RAW_MISPLACED] = Held(len(raw.misplaced))
    depths = queue_depths(resources)

    def in_queue(name: str) -> int:
        return depths[name]["visible"] + depths[name]["in_flight"]

    for team in config.sqs_subscriber_teams:
        held[queue_sink(team)] = Held(in_queue(resources.team_queue(team)))
        held[dlq_sink(team)] = Held(in_queue(resources.team_dlq(team)))
    for team, count in (consumed or {}).items():  # read after the depths: never missed, maybe twice
        held[queue_sink(team)] = Held(held[queue_sink(team)].copies + count)
    if kafka is not None:
        for event_type in config.kafka_event_types:
            topic = naming.topic_name(env, event_type)
            held[topic_sink(env, event_type)] = Held(count_topic_messages(kafka, topic))
    held[OUTBOX_DLQ] = Held(in_queue(resources.outbox_dlq))
    held[FAILURE_QUEUE] = Held(in_queue(resources.fanout_failure_queue))
    return held


def wait_until_delivered(
    resources: Resources, expected: Mapping[str, int], timeout: float, poll_seconds: float = 1.0
) -> bool:
    """Wait until the fan-out has caught up: the raw zone holds what the table does and the outbox is empty.

    The queues fill in the same batches as the raw zone, and the topics from
    the outbox, so this is when every sink can be counted. False on timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        distinct = len(read_raw_zone(resources).copies)
        outbox = queue_depths(resources)[resources.outbox_queue]
        if distinct >= expected[RAW_ZONE] and outbox["visible"] + outbox["in_flight"] == 0:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(poll_seconds)


def component(platform: LocalPlatform, kind: type[C]) -> C | None:
    """The platform's running component of this type, if any."""
    return next((c for c in platform.components if isinstance(c, kind)), None)


def broker_connection(platform: LocalPlatform) -> KafkaConnection | None:
    broker = component(platform, KafkaBroker)
    return None if broker is None else broker.settings()


def consumed_from_queues(platform: LocalPlatform) -> dict[str, int]:
    """Team -> messages the local platform's queue consumers took off (deleted from) the team's queue."""
    triggers = component(platform, Triggers)
    if triggers is None:
        return {}
    consumed: dict[str, int] = {}
    for team in platform.config.sqs_subscriber_teams:
        service = triggers.queue_consumer(team)
        if service is not None:
            poller = triggers.poller(service)
            assert isinstance(poller, SqsPoller)
            consumed[team] = poller.stats.messages_deleted
    return consumed


# -- the comparison -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SinkCount:
    sink: str
    delivery: Delivery
    expected: int
    held: Held | None  # None: the sink was not read (no Kafka connection)

    @property
    def ok(self) -> bool:
        if self.held is None:
            return False
        match self.delivery:
            case Delivery.EXACTLY_ONCE:
                distinct = self.held.copies if self.held.distinct is None else self.held.distinct
                return distinct == self.expected == self.held.copies
            case Delivery.AT_LEAST_ONCE:
                return self.held.copies >= self.expected
            case Delivery.NOTHING:
                return self.held.copies == 0

    @property
    def problem(self) -> str | None:
        if self.ok:
            return None
        if self.held is None:
            return f"{self.sink}: not read"
        if self.delivery is Delivery.NOTHING:
            return f"{self.sink}: {self.held.copies}, none expected"
        distinct = "" if self.held.distinct is None else f" ({self.held.distinct} distinct)"
        return f"{self.sink}: {self.held.copies}{distinct} for {self.expected} expected ({self.delivery})"


def account(
    config: PlatformConfig, env: str, expected: Mapping[str, int], held: Mapping[str, Held]
) -> list[SinkCount]:
    guarantees = sinks(config, env)
    return [SinkCount(sink, guarantees[sink], expected[sink], held.get(sink)) for sink in guarantees]


def problems(counts: Iterable[SinkCount]) -> list[str]:
    return [count.problem for count in counts if count.problem is not None]


def accounting_table(counts: Iterable[SinkCount], title: str = "Every sink: expected and held") -> Table:
    table = Table("sink", "guarantee", "expected", "held", "distinct", title=title)
    for count in counts:
        held = "-" if count.held is None else str(count.held.copies)
        distinct = "-" if count.held is None or count.held.distinct is None else str(count.held.distinct)
        style = "" if count.ok else "[red]"
        table.add_row(
            f"{style}{count.sink}", str(count.delivery), str(count.expected), f"{style}{held}", distinct
        )
    return table

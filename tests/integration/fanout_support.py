"""What the fan-out integration tests share: the stored events, and reading every destination back.

Events reach the table the way the ingest Lambda writes them (the contract
of lambdas/ingest/store.py: one conditional put per (team, event_id)), so a
duplicate never makes a second stream INSERT. Every destination is then read
back in full and compared with what the configuration says it must hold.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from local_platform.provision import provision, queue_url
from platform_core import naming
from platform_core.aws import client
from platform_core.config import PlatformConfig
from platform_core.dependencies import hosted
from platform_core.envelope import Event
from platform_core.kafka import KafkaConnection
from platform_core.registry import get_registry
from platform_core.resources import Resources
from tests.fixtures.aws import isolated_config
from tools import sinks
from tools.traffic import Kind, TrafficGenerator


def fanout_resources(visibility_timeout_seconds: int = 2, max_receive_count: int | None = None) -> Resources:
    """Fresh resources whose queues redeliver quickly (tests wait for retries in seconds, not minutes)."""
    config = isolated_config()
    sqs = config.sqs.model_copy(
        update={
            "visibility_timeout_seconds": visibility_timeout_seconds,
            "max_receive_count": max_receive_count or config.sqs.max_receive_count,
        }
    )
    resources = Resources(config.model_copy(update={"sqs": sqs}), "dev")
    provision(resources)
    return resources


@dataclass
class Load:
    accepted: dict[str, Event]  # event_id -> the stored event
    duplicates: int  # events sent again with the same id (no second item, no second INSERT)


def stored_events(
    config: PlatformConfig, orders: int, seed: int, duplicate_rate: float = 0.08
) -> list[Event]:
    """A realistic mixed load (all teams, all event types) with retries of the same event ids."""
    received = datetime.now(UTC) - timedelta(hours=1)
    events: list[Event] = []
    for index, sent in enumerate(TrafficGenerator(seed=seed, config=config).mix(orders, duplicate_rate, 0.0)):
        assert sent.kind is not Kind.INVALID
        events.append(
            Event.model_validate(
                {
                    **sent.event,
                    "team": sent.team,
                    # Spread over two hours: the raw zone then has several hour partitions per team.
                    "received_at": received + timedelta(milliseconds=1500 * index),
                    "ingest_id": f"req-{index // 50}",
                    "correlation_id": f"corr-{uuid.uuid4().hex[:12]}",
                }
            )
        )
    return events


def event_item(event: Event, envelope: str | None = None) -> dict[str, dict[str, str]]:
    """The events-table item of the cross-area contract (what the ingest Lambda writes)."""
    event_id = str(event.event_id)
    return {
        "pk": {"S": f"{event.team}#{event_id}"},
        "envelope": {"S": event.model_dump_json() if envelope is None else envelope},
        "team": {"S": event.team},
        "event_id": {"S": event_id},
        "event_type": {"S": event.event_type},
        "received_at": {"S": event.received_at.isoformat().replace("+00:00", "Z")},
        "correlation_id": {"S": event.correlation_id},
        "expires_at": {"N": str(int((datetime.now(UTC) + timedelta(days=7)).timestamp()))},
    }


def put_item(resources: Resources, item: dict[str, dict[str, str]]) -> bool:
    """A conditional put, as ingest does it: True when written, False for a duplicate."""
    try:
        client("dynamodb").put_item(
            TableName=resources.events_table, Item=item, ConditionExpression="attribute_not_exists(pk)"
        )
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def write_events(resources: Resources, events: Iterable[Event]) -> Load:
    """Store events as the ingest Lambda does: a conditional put each, so duplicates are no-ops."""
    events = list(events)
    accepted: dict[str, Event] = {}
    duplicates = 0
    with ThreadPoolExecutor(max_workers=16) as pool:
        # In order per event id: a duplicate is always written after its original.
        written = list(pool.map(lambda e: put_item(resources, event_item(e)), events))
    for event, new in zip(events, written, strict=True):
        if new:
            accepted[str(event.event_id)] = event
        else:
            duplicates += 1
    return Load(accepted, duplicates)


def drain_queue(name: str) -> list[dict[str, Any]]:
    """Every message of a queue, received once each (kept invisible, not deleted)."""
    sqs = client("sqs")
    url = queue_url(name)
    messages: list[dict[str, Any]] = []
    empty = 0
    while empty < 2:
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, MessageAttributeNames=["All"]
        ).get("Messages", [])
        messages.extend(received)
        empty = 0 if received else empty + 1
    return messages


class QueueCollector:
    """A subscriber that receives and deletes as messages arrive, keeping every message it got.

    moto scans a whole queue on every SendMessage (its queue attributes count
    the messages), so sends slow down as a queue fills; a consumer keeping up,
    as subscribers do, keeps large loads fast and counts exactly the same.
    """

    def __init__(self, queue: str):
        self._url = queue_url(queue)
        self._stop = threading.Event()
        self.messages: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._run, name=f"collect-{queue}", daemon=True)

    def __enter__(self) -> QueueCollector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=300)

    def _run(self) -> None:
        sqs = client("sqs")
        empty = 0
        while not (self._stop.is_set() and empty >= 2):
            received = sqs.receive_message(
                QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
            ).get("Messages", [])
            empty = 0 if received else empty + 1
            if received:
                self.messages.extend(received)
                sqs.delete_message_batch(
                    QueueUrl=self._url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)
                    ],
                )


def queue_depth(name: str) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=queue_url(name),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def read_topic(kafka: KafkaConnection, topic: str, expected: int, timeout: float = 60.0) -> list[Any]:
    """Every message of a topic, from the beginning of each partition (no group: no rebalance wait).

    Tansu's watermark offsets cannot be trusted, so the end is "expected messages
    seen and then nothing more for two seconds".
    """
    consumer = Consumer(
        {
            **kafka.client_config(),
            "group.id": f"test-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        messages: list[Any] = []
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        quiet_since = datetime.now(UTC)
        while datetime.now(UTC) < deadline:
            batch = consumer.consume(500, timeout=0.5)
            fresh = [m for m in batch if m.error() is None]
            messages.extend(fresh)
            if fresh:
                quiet_since = datetime.now(UTC)
            elif len(messages) >= expected and datetime.now(UTC) - quiet_since > timedelta(seconds=2):
                break
        return messages
    finally:
        consumer.close()


@dataclass
class Delivered:
    queues: dict[str, Counter[str]] = field(default_factory=dict)  # team -> event id -> copies
    topics: dict[str, Counter[str]] = field(default_factory=dict)  # topic -> event id -> copies
    raw: Counter[str] = field(default_factory=Counter)


def check_invariants(
    resources: Resources,
    accepted: dict[str, Event],
    kafka: KafkaConnection,
    collected: dict[str, list[dict[str, Any]]] | None = None,
) -> Delivered:
    """Each subscriber queue and topic has every accepted event of its subscriptions at least once,
    the raw zone has each exactly once, and nothing else arrived anywhere.

    `collected`: team -> the messages a QueueCollector already took off its queue.
    """
    config = resources.config
    registry = get_registry()
    delivered = Delivered()
    expected_by_sink = sinks.expected_ids(
        config, resources.env, {i: e.event_type for i, e in accepted.items()}
    )
    for team in config.sqs_subscriber_teams:
        expected = expected_by_sink[sinks.queue_sink(team)]
        messages = (collected or {}).get(team, []) + drain_queue(resources.team_queue(team))
        got: Counter[str] = Counter()
        for message in messages:
            event = Event.model_validate_json(message["Body"])
            attributes = message["MessageAttributes"]
            assert attributes["event_id"]["StringValue"] == str(event.event_id)
            assert attributes["event_type"]["StringValue"] == event.event_type
            assert attributes["team"]["StringValue"] == event.team
            assert attributes["correlation_id"]["StringValue"] == event.correlation_id
            assert event == accepted[str(event.event_id)]
            got[str(event.event_id)] += 1
        assert set(got) == expected, (
            f"{team}: missing {len(expected - set(got))}, unexpected {len(set(got) - expected)}"
        )
        delivered.queues[team] = got
    for event_type in config.kafka_event_types:
        topic = naming.topic_name(resources.env, event_type)
        expected = expected_by_sink[sinks.topic_sink(resources.env, event_type)]
        got = Counter()
        for message in read_topic(kafka, topic, len(expected)):
            event = Event.model_validate_json(message.value())
            headers = {k: v.decode() for k, v in message.headers() or []}
            assert headers["event_id"] == str(event.event_id)
            assert headers["correlation_id"] == event.correlation_id
            business_key = registry.get(event.event_type, event.schema_version).business_key  # type: ignore[union-attr]
            assert message.key().decode() == event.payload[business_key]
            assert event == accepted[str(event.event_id)]
            got[str(event.event_id)] += 1
        assert set(got) == expected, (
            f"{topic}: missing {len(expected - set(got))}, unexpected {len(set(got) - expected)}"
        )
        delivered.topics[topic] = got
    raw = sinks.read_raw_zone(resources)
    assert not raw.misplaced, f"events outside their partition in {raw.misplaced}"
    delivered.raw = raw.copies
    assert set(delivered.raw) == expected_by_sink[sinks.RAW_ZONE], (
        f"raw zone: missing {len(set(accepted) - set(delivered.raw))}, unexpected {len(set(delivered.raw) - set(accepted))}"
    )
    duplicated = {i: n for i, n in delivered.raw.items() if n != 1}
    assert not duplicated, f"raw zone holds {len(duplicated)} events more than once"
    return delivered


# -- the fan-out side run in this process, for tests that inject faults into the handlers' clients --

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def fanout_handler(resources: Resources, sqs: Any = None, s3: Any = None) -> Handler:
    """The fan-out handler over these resources, its clients injectable (e.g. with botocore fault hooks)."""
    from lambdas.fanout import handler as fanout
    from lambdas.fanout.service import FanoutService
    from lambdas.fanout.sinks import RawZoneWriter, SqsSender

    service = FanoutService(
        resources.config,
        resources.env,
        SqsSender(sqs or client("sqs")),
        RawZoneWriter(s3 or client("s3"), resources.raw_bucket),
    )
    return hosted(fanout.lambda_handler, {fanout.fanout_service: service})


def _bridge_handler(resources: Resources, publisher: Any) -> Handler:
    from lambdas.kafka_bridge import handler as kafka_bridge
    from lambdas.kafka_bridge.bridge import Bridge

    bridge = Bridge(resources.project, resources.env, get_registry(), publisher)
    return hosted(kafka_bridge.lambda_handler, {kafka_bridge.kafka_bridge: bridge})


def _event_consumer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A team's queue consumer reduced to its contract: a message that is not a platform event fails."""
    failures = []
    for record in event["Records"]:
        try:
            Event.model_validate_json(record["body"])
        except ValueError:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


class FanoutPollers:
    """The platform's pollers (the same event source mapping code) in front of handlers run in this
    process: the stream -> fan-out, the Kafka outbox -> bridge, the orders queue -> a consumer that
    fails what is not a platform event."""

    def __init__(
        self,
        resources: Resources,
        kafka: KafkaConnection | None = None,
        delivery_timeout_ms: int = 10_000,
        fanout: Handler | None = None,
    ):
        from lambdas.kafka_bridge.producer import KafkaPublisher
        from local_platform.functions.in_process import InProcessFunction
        from local_platform.pollers.sqs import SqsMapping, SqsPoller
        from local_platform.pollers.stream import StreamMapping, StreamPoller
        from local_platform.provision import stream_arn
        from platform_core.resources import FANOUT, KAFKA_BRIDGE

        config, region = resources.config, resources.config.region
        self.stream = StreamPoller(
            stream_arn(resources),
            InProcessFunction(fanout or fanout_handler(resources), name=resources.function_name(FANOUT)),
            StreamMapping.from_config(config),
            queue_url(resources.fanout_failure_queue),
            region=region,
        )
        self._publisher = KafkaPublisher(kafka, delivery_timeout_ms) if kafka is not None else None
        if self._publisher is not None:
            bridge = InProcessFunction(
                _bridge_handler(resources, self._publisher), name=resources.function_name(KAFKA_BRIDGE)
            )
            self.outbox = SqsPoller(
                resources.outbox_queue, bridge, SqsMapping.from_config(config), region=region
            )
        orders = InProcessFunction(_event_consumer, name="orders-consumer")
        self.orders = SqsPoller(
            resources.team_queue("orders"), orders, SqsMapping(batch_size=10), region=region
        )

    def close(self) -> None:
        if self._publisher is not None:
            self._publisher.close()


@contextmanager
def lambda_client_for(resources: Resources, functions: dict[str, Handler]) -> Iterator[Any]:
    """A real boto3 `lambda` client against the local runtime's Invoke API, whose functions (by short
    name) run the given handlers in this process (so a test keeps its fault-injected clients)."""
    import boto3

    from local_platform.functions.in_process import InProcessFunction
    from local_platform.functions.invoke_api import LambdaApi
    from local_platform.functions.runtime import FunctionRuntime

    overrides = {
        name: InProcessFunction(handler, name=resources.function_name(name))
        for name, handler in functions.items()
    }
    runtime = FunctionRuntime(
        resources, resources.function_environment, log_dir=Path("."), overrides=overrides
    )
    with LambdaApi(runtime) as api:
        yield boto3.session.Session().client(
            "lambda", endpoint_url=api.url, region_name=resources.config.region
        )

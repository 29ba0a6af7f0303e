"""One event followed end to end by its correlation id, through the real local platform.

The client sends one `orders.order_created` with a known X-Correlation-Id to the
local API Gateway; the id must then be found on every hop an operator looks at:
the stored item, the SQS message attributes of every subscriber queue and of the
Kafka outbox, the raw-zone line, the Kafka headers read by a team's reference
consumer, and the structured JSON log lines of each function that touched it
(ingest, fan-out, kafka-bridge, a team's Kafka consumer). The functions
run in their execution environments (worker processes), so their logs are read
from each function's log file, as an operator reads its log group; the Kafka
consumer runs in this process and is captured with its Logger's own formatter.
"""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from aws_lambda_powertools import Logger

from lambdas.consumers import kafka_consumer
from lambdas.consumers.kafka_consumer import KafkaEventConsumer
from local_platform.kafka_broker import KafkaBroker
from local_platform.pollers.sqs import SqsPoller
from local_platform.pollers.stream import StreamPoller
from local_platform.pollers.wiring import build_pollers
from local_platform.provision import queue_url
from local_platform.runtime import Component, LocalPlatform
from platform_core import naming
from platform_core.aws import client
from platform_core.envelope import Event
from tests.fixtures.aws import isolated_config
from tools.traffic import IngestClient, TrafficGenerator

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

EVENT_TYPE = "orders.order_created"
FUNCTIONS = ("ingest", "fanout", "kafka-bridge")
LOGGERS: dict[str, Logger] = {"kafka-consumer": kafka_consumer.log}


class JsonLines(logging.Handler):
    """Keeps every line a powertools Logger writes, parsed back from its JSON."""

    def __init__(self, formatter: logging.Formatter):
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def json_logs() -> Iterator[dict[str, JsonLines]]:
    captured: dict[str, JsonLines] = {}
    for service, powertools_logger in LOGGERS.items():
        handler = JsonLines(powertools_logger.registered_formatter)
        logging.getLogger(powertools_logger.name).addHandler(handler)
        captured[service] = handler
    yield captured
    for service, powertools_logger in LOGGERS.items():
        logging.getLogger(powertools_logger.name).removeHandler(captured[service])


def received_with_attributes(name: str) -> list[dict[str, Any]]:
    """The messages of a queue with their attributes, left visible for the poller that consumes it."""
    sqs = client("sqs")
    url = queue_url(name)
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, MessageAttributeNames=["All"]
    ).get("Messages", [])
    for message in messages:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return messages


def raw_zone_lines(bucket: str) -> list[dict[str, Any]]:
    s3 = client("s3")
    lines: list[dict[str, Any]] = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=f"{naming.ZONE_RAW}/").get("Contents", []):
        body = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
        lines.extend(json.loads(line) for line in body.decode().splitlines())
    return lines


def consume_as_a_subscriber(
    platform: LocalPlatform, broker: KafkaBroker
) -> list[tuple[Event, dict[str, str]]]:
    """What the reference consumer of a team subscribing to EVENT_TYPE on Kafka reads, with the headers."""
    config = platform.config
    kafka_team = next(t for t, s in config.teams.items() if EVENT_TYPE in s.subscriptions.kafka)
    seen: list[tuple[Event, dict[str, str]]] = []
    consumer = KafkaEventConsumer(
        broker.settings(),
        naming.consumer_group(config.project, platform.env, kafka_team),
        [naming.topic_name(platform.env, EVENT_TYPE)],
        lambda consumed, headers: seen.append((consumed, headers)),
        dead_letter_topic=naming.dead_letter_topic(platform.env, kafka_team),
    )
    try:
        consumer.run(idle_seconds=2, max_seconds=60)
    finally:
        consumer.close()
    return seen


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a function's log file (the runtime's own lines, e.g. tracebacks, are not JSON)."""
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue
        if isinstance(line, dict):
            lines.append(line)
    return lines


def test_one_correlation_id_is_on_every_hop_and_in_every_functions_logs(
    aws_endpoint_url: str, json_logs: dict[str, JsonLines]
) -> None:
    correlation_id = f"e2e-{uuid.uuid4()}"
    broker = KafkaBroker()
    components = [cast(Component, broker)]
    with LocalPlatform(isolated_config(), components=components, state_path=None) as platform:
        resources = platform.resources
        config = platform.config
        # The platform's triggers, driven step by step (not by their background threads), so each hop can be read.
        pollers = build_pollers(platform)
        team, event = TrafficGenerator(seed=11, config=config).event_of_type(EVENT_TYPE)
        producer = IngestClient(platform.gateway_url, platform.api_keys[team].value)
        try:
            response = producer.post(event, correlation_id=correlation_id)
        finally:
            producer.close()
        assert response.status_code == 202, response.text
        assert response.headers["X-Correlation-Id"] == correlation_id
        event_id = event["event_id"]

        item = client("dynamodb").get_item(
            TableName=resources.events_table, Key={"pk": {"S": f"{team}#{event_id}"}}
        )["Item"]
        assert item["correlation_id"]["S"] == correlation_id
        assert Event.model_validate_json(item["envelope"]["S"]).correlation_id == correlation_id

        fanout = pollers["fanout"]
        assert isinstance(fanout, StreamPoller)
        fanout.run_until_idle(timeout=60)
        subscriber_queues = [resources.team_queue(t) for t in config.sqs_subscribers(EVENT_TYPE)]
        assert subscriber_queues, "the test event must have SQS subscribers"
        for name in [*subscriber_queues, resources.outbox_queue]:
            messages = received_with_attributes(name)
            assert len(messages) == 1, name
            attributes = messages[0]["MessageAttributes"]
            assert attributes["correlation_id"]["StringValue"] == correlation_id, name
            assert attributes["event_id"]["StringValue"] == event_id, name
        [line] = raw_zone_lines(resources.raw_bucket)
        assert (line["event_id"], line["correlation_id"]) == (event_id, correlation_id)

        bridge = pollers["kafka-bridge"]
        assert isinstance(bridge, SqsPoller)
        bridge.run_until_idle(timeout=60)

        [(consumed, headers)] = consume_as_a_subscriber(platform, broker)
        assert str(consumed.event_id) == event_id
        assert headers["correlation_id"] == correlation_id
        assert headers["event_id"] == event_id
        assert platform.functions is not None
        logs = {function: log_lines(platform.functions.log_path(function)) for function in FUNCTIONS}

    for service, lines in [*logs.items(), *((name, c.lines) for name, c in json_logs.items())]:
        ours = [line for line in lines if line.get("correlation_id") == correlation_id]
        assert ours, f"no {service} log line carries the correlation id"
        for line in ours:
            assert line["service"] == service and line["level"] in ("INFO", "DEBUG"), line
    fanned = [line for line in logs["fanout"] if line.get("correlation_id") == correlation_id]
    assert [line["event_ids"] for line in fanned] == [[event_id]]
    [processed] = [
        line for line in json_logs["kafka-consumer"].lines if line.get("correlation_id") == correlation_id
    ]
    assert processed["event_id"] == event_id and processed["topic"] == naming.topic_name("dev", EVENT_TYPE)

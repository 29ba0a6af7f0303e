"""Faults, each followed by the same counting invariants: moto server + Tansu + the real handlers.

Faults are injected on real boto3 clients with botocore event hooks (the
request never reaches moto, or its answer is altered), on the broker process
(paused: unresponsive, data kept), or around the real handler (a crash after
it did its work), never by patching boto3.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from itertools import count
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config

from local_platform.kafka_broker import KafkaBroker
from local_platform.provision import queue_url
from platform_core.aws import client
from platform_core.envelope import Event
from platform_core.kafka_topics import ensure_platform_topics
from tests.integration.fanout_support import (
    FanoutPollers,
    check_invariants,
    drain_queue,
    event_item,
    fanout_handler,
    fanout_resources,
    lambda_client_for,
    put_item,
    queue_depth,
    stored_events,
    write_events,
)

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

# Few botocore retries on the fault-injected clients, so that bursts of errors
# get through to the fan-out's own backoff (and the test does not sleep for
# botocore's 20 s cap).
FAULTY_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, max_pool_connections=32)


def faulty_client(service: str) -> Any:
    return boto3.session.Session().client(service, config=FAULTY_CLIENT_CONFIG)  # type: ignore[call-overload]


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        yield self._body


def error_response(request: Any, status: int, body: bytes, headers: dict[str, str]) -> AWSResponse:
    return AWSResponse(request.url, status, HTTPHeaders.from_dict(headers), _Raw(body))


def bursts(length: int, every: int) -> Callable[[], bool]:
    """True for `length` calls in a row out of every `every` calls (a throttling storm, then calm)."""
    calls = count()
    return lambda: next(calls) % every < length


def run(resources: Any, kafka: Any, pipeline: FanoutPollers) -> None:
    pipeline.stream.run_until_idle(timeout=600)
    pipeline.outbox.run_until_idle(timeout=600)


def setup(broker: KafkaBroker, orders: int, seed: int, **queues: Any) -> tuple[Any, Any, dict[str, Event]]:
    resources = fanout_resources(**queues)
    kafka = broker.settings()
    ensure_platform_topics(resources.config, resources.env, kafka)
    load = write_events(resources, stored_events(resources.config, orders=orders, seed=seed))
    return resources, kafka, load.accepted


def test_the_outbox_holds_while_the_broker_is_down_then_delivers(
    aws_endpoint_url: str, fresh_kafka: KafkaBroker
) -> None:
    if fresh_kafka.status()["external"]:
        pytest.skip("needs a broker started here, to take it down")
    resources, kafka, accepted = setup(fresh_kafka, orders=40, seed=11, max_receive_count=10)
    pipeline = FanoutPollers(resources, kafka, delivery_timeout_ms=1500)
    pipeline.stream.run_until_idle()
    waiting = queue_depth(resources.outbox_queue)
    assert waiting > 50

    fresh_kafka.pause()
    try:
        for _ in range(2):  # two bridge invocations while it is down: nothing acknowledged
            pipeline.outbox.poll_once(wait_seconds=0)
        assert pipeline.outbox.stats.messages_deleted == 0
        assert pipeline.outbox.stats.messages_failed > 0
        # Held, not lost: once the failed receives are visible again, all are still there
        # (counted when none is in flight: moto counts visible and in-flight at two instants).
        time.sleep(resources.config.sqs.visibility_timeout_seconds + 0.5)
        assert queue_depth(resources.outbox_queue) == waiting
    finally:
        fresh_kafka.resume()
    pipeline.outbox.run_until_idle(timeout=300)
    check_invariants(resources, accepted, kafka)
    assert queue_depth(resources.outbox_dlq) == 0


def test_a_crash_in_the_middle_of_a_batch_is_retried_and_the_raw_zone_stays_exactly_once(
    aws_endpoint_url: str, fresh_kafka: KafkaBroker
) -> None:
    resources, kafka, accepted = setup(fresh_kafka, orders=40, seed=12)
    sqs = faulty_client("sqs")
    crashes = {"left": 3}

    def crash_on_the_fourth_send(**_kwargs: Any) -> None:
        if crash_on_the_fourth_send.calls == 3 and crashes["left"] > 0:  # type: ignore[attr-defined]
            crashes["left"] -= 1
            raise RuntimeError("simulated crash: the execution environment died mid-batch")
        crash_on_the_fourth_send.calls += 1  # type: ignore[attr-defined]

    crash_on_the_fourth_send.calls = 0  # type: ignore[attr-defined]
    sqs.meta.events.register("before-call.sqs.SendMessageBatch", crash_on_the_fourth_send)

    # And once, the crash comes after the handler did all its work (raw objects
    # written, response lost): the retry starts at the same record, possibly bisected.
    real = fanout_handler(resources, sqs=sqs)
    lost = {"left": 1}

    def loses_its_first_response(event: dict[str, Any], context: Any) -> dict[str, Any]:
        response = real(event, context)
        if lost["left"] and len(event["Records"]) > 1:
            lost["left"] -= 1
            raise TimeoutError("simulated timeout after the work was done")
        return response

    pipeline = FanoutPollers(resources, kafka, fanout=loses_its_first_response, delivery_timeout_ms=10_000)
    run(resources, kafka, pipeline)
    assert pipeline.stream.stats.function_errors >= 2 and pipeline.stream.stats.bisections >= 1
    assert crashes["left"] == 0 and lost["left"] == 0
    check_invariants(resources, accepted, kafka)
    assert queue_depth(resources.fanout_failure_queue) == 0


def test_a_poison_event_is_parked_with_its_metadata_and_the_rest_flows(
    aws_endpoint_url: str, fresh_kafka: KafkaBroker
) -> None:
    resources, kafka, accepted = setup(fresh_kafka, orders=30, seed=13)
    victim = next(iter(accepted.values()))
    poison = victim.model_copy(update={"event_id": victim.event_id.__class__(int=victim.event_id.int ^ 1)})
    # Stored with an envelope that is not a valid event (what a bug upstream could write).
    assert put_item(resources, event_item(poison, envelope=json.dumps({"event_id": str(poison.event_id)})))
    # More events after the poison: the shard must not stay blocked behind it.
    accepted.update(write_events(resources, stored_events(resources.config, orders=10, seed=14)).accepted)

    pipeline = FanoutPollers(resources, kafka, delivery_timeout_ms=10_000)
    run(resources, kafka, pipeline)
    parked = drain_queue(resources.fanout_failure_queue)
    assert len(parked) == 1
    record = json.loads(parked[0]["Body"])
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"] == pipeline.stream.status()["stream_arn"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # The parked sequence number is the poison's: read it back from the stream.
    streams = client("dynamodbstreams")
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    first = streams.get_records(ShardIterator=iterator, Limit=1)["Records"][0]
    assert first["dynamodb"]["Keys"]["pk"]["S"] == f"{poison.team}#{poison.event_id}"
    # Everything else flowed, and the poison reached no subscriber and not the raw zone.
    check_invariants(resources, accepted, kafka)


def test_sqs_and_s3_throttling_is_absorbed(aws_endpoint_url: str, fresh_kafka: KafkaBroker) -> None:
    resources, kafka, accepted = setup(fresh_kafka, orders=40, seed=16)
    sqs, s3 = faulty_client("sqs"), faulty_client("s3")
    sqs_storm, s3_storm = bursts(3, 7), bursts(3, 5)
    injected = {"sqs": 0, "s3": 0, "entries": 0}

    def throttle_sqs(request: Any, **_kwargs: Any) -> AWSResponse | None:
        if not sqs_storm():
            return None
        injected["sqs"] += 1
        body = json.dumps({"__type": "com.amazonaws.sqs#ThrottlingException", "message": "Rate exceeded"})
        return error_response(
            request, 400, body.encode(), {"x-amzn-query-error": "ThrottlingException;Sender"}
        )

    def throttle_s3(request: Any, **_kwargs: Any) -> AWSResponse | None:
        if not s3_storm():
            return None
        injected["s3"] += 1
        body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        return error_response(request, 503, body, {"Content-Type": "application/xml"})

    def fail_one_entry(parsed: dict[str, Any], **_kwargs: Any) -> None:
        # A server-side failure of one entry of a successful batch call (it was not stored).
        successful = parsed.get("Successful", [])
        if len(successful) > 1 and injected["entries"] % 2 == 0:
            entry = successful.pop()
            parsed.setdefault("Failed", []).append(
                {"Id": entry["Id"], "SenderFault": False, "Code": "InternalError", "Message": "injected"}
            )
        injected["entries"] += 1

    sqs.meta.events.register("before-send.sqs.SendMessageBatch", throttle_sqs)
    sqs.meta.events.register("after-call.sqs.SendMessageBatch", fail_one_entry)
    s3.meta.events.register("before-send.s3.PutObject", throttle_s3)

    pipeline = FanoutPollers(resources, kafka, fanout=fanout_handler(resources, sqs=sqs, s3=s3))
    run(resources, kafka, pipeline)
    assert injected["sqs"] > 10 and injected["s3"] > 3 and injected["entries"] > 3
    check_invariants(resources, accepted, kafka)
    assert queue_depth(resources.fanout_failure_queue) == 0


def test_a_poison_message_reaches_the_team_dlq_and_is_redriven_after_a_fix(
    aws_endpoint_url: str, fresh_kafka: KafkaBroker
) -> None:
    from scripts.redrive import redrive

    resources = fanout_resources(visibility_timeout_seconds=1, max_receive_count=2)
    pipeline = FanoutPollers(resources, fresh_kafka.settings())
    sqs = client("sqs")
    url = queue_url(resources.team_queue("orders"))
    sqs.send_message(QueueUrl=url, MessageBody="not an event")
    deadline = time.monotonic() + 60
    while queue_depth(resources.team_dlq("orders")) == 0:
        pipeline.orders.poll_once(wait_seconds=1)
        assert time.monotonic() < deadline, "the poison message never reached the DLQ"
    assert pipeline.orders.stats.messages_failed >= 2
    report = redrive(resources.team_queue("orders"), resources.team_dlq("orders"))
    assert (report.moved, report.failed, report.remaining) == (1, 0, 0)
    assert redrive(resources.team_queue("orders"), resources.team_dlq("orders")).moved == 0  # idempotent
    assert [m["Body"] for m in drain_queue(resources.team_queue("orders"))] == ["not an event"]


def test_batches_parked_during_an_sqs_outage_are_replayed_after_it(
    aws_endpoint_url: str, fresh_kafka: KafkaBroker
) -> None:
    from scripts.redrive import replay_stream_failures

    resources = fanout_resources()
    # No retries after a failure: parked at once (keeps the test short; the path is the same).
    fanout = resources.config.fanout.model_copy(update={"maximum_retry_attempts": 0})
    resources = resources.__class__(resources.config.model_copy(update={"fanout": fanout}), resources.env)
    kafka = fresh_kafka.settings()
    ensure_platform_topics(resources.config, resources.env, kafka)
    accepted = write_events(resources, stored_events(resources.config, orders=4, seed=17)).accepted

    sqs = faulty_client("sqs")
    outage = {"on": True}

    def denied(request: Any, **_kwargs: Any) -> AWSResponse | None:
        if not outage["on"]:
            return None
        body = json.dumps({"__type": "com.amazonaws.sqs#AccessDenied", "message": "policy changed"})
        return error_response(request, 403, body.encode(), {"x-amzn-query-error": "AccessDenied;Sender"})

    sqs.meta.events.register("before-send.sqs.SendMessageBatch", denied)
    handler = fanout_handler(resources, sqs=sqs)
    pipeline = FanoutPollers(resources, kafka, fanout=handler, delivery_timeout_ms=10_000)
    pipeline.stream.run_until_idle()
    parked = queue_depth(resources.fanout_failure_queue)
    config = resources.config
    routed = [
        e
        for e in accepted.values()
        if config.sqs_subscribers(e.event_type) or e.event_type in config.kafka_event_types
    ]
    # Every event with a queue to reach is parked; those only archived (no subscriber) went through.
    assert parked > 0 and pipeline.stream.stats.records_parked == len(routed)

    outage["on"] = False  # the policy is fixed; new events flow, the parked ones are replayed
    accepted.update(write_events(resources, stored_events(resources.config, orders=3, seed=18)).accepted)
    pipeline.stream.run_until_idle()
    # Replayed through Lambda's Invoke API (a real boto3 client), as the script does against AWS.
    function = resources.function_name("fanout")
    with lambda_client_for(resources, {"fanout": handler}) as lambda_client:
        report = replay_stream_failures(resources.fanout_failure_queue, function, lambda_client=lambda_client)
        assert (report.moved, report.failed, report.remaining) == (parked, 0, 0)
        again = replay_stream_failures(resources.fanout_failure_queue, function, lambda_client=lambda_client)
        assert again.moved == 0
    pipeline.outbox.run_until_idle()
    check_invariants(resources, accepted, kafka)

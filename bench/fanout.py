"""Fan-out benchmarks: handler CPU per record, Kafka bridge throughput, end-to-end events/s.

1. Fan-out handler CPU per record, I/O excluded (in-process fake SQS and S3
   clients), in 1,000-record stream batches, through the real handler
   (powertools batch processor included). Target: at most 100 us per record.
   The baseline, measured in the same run on the same envelopes: parsing the
   stored envelope JSON into the pydantic Event and serialising it again,
   the least any fan-out must do per record.
2. Kafka bridge throughput to the local broker (Tansu) with 1 KiB events, as
   the bridge Lambda produces them (idempotent, acks=all, flushed per batch),
   for the outbox batch of 10 and for large batches.
3. End to end through the local runtime: events posted to the local API
   gateway until every one is in the raw zone and the Kafka outbox is empty
   (moto, on the same two cores, bounds it).
"""

from __future__ import annotations

import contextlib
import io
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.fanout import handler as fanout
from lambdas.fanout.retry import Backoff
from lambdas.fanout.service import FanoutService
from lambdas.fanout.sinks import RawZoneWriter, SqsSender
from platform_core.config import PlatformConfig, get_config
from platform_core.dependencies import hosted
from platform_core.envelope import Event
from platform_core.lambda_context import LocalLambdaContext
from tools.traffic import TrafficGenerator

TARGET_US_PER_RECORD = 100.0
BATCH = 1000
ROUNDS = 7
MESSAGE_BYTES = 1024


class _NullSqs:
    def get_queue_url(self, QueueName: str) -> dict[str, str]:
        return {"QueueUrl": QueueName}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Successful": [{"Id": e["Id"]} for e in Entries], "Failed": []}


class _NullS3:
    class _Missing(Exception):
        pass

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(
        self, Bucket: str, Key: str, Body: bytes, ContentType: str, ServerSideEncryption: str
    ) -> None:
        self.objects[Key] = Body

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        if Key not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey"}}, "GetObject")
        return {"Body": io.BytesIO(self.objects[Key])}

    def delete_object(self, Bucket: str, Key: str) -> None:
        self.objects.pop(Key, None)

    def list_objects_v2(self, Bucket: str, Prefix: str, MaxKeys: int) -> dict[str, Any]:
        keys = sorted(k for k in self.objects if k.startswith(Prefix))[:MaxKeys]
        return {"Contents": [{"Key": k} for k in keys]}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    # The handler prints its EMF metrics to stdout, as in Lambda.
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def _stored(count: int, seed: int) -> list[Event]:
    received = datetime.now(UTC)
    events: list[Event] = []
    for team, raw in TrafficGenerator(seed=seed).events(count):
        events.append(
            Event.model_validate(
                {**raw, "team": team, "received_at": received, "ingest_id": "req", "correlation_id": "corr"}
            )
        )
        if len(events) == count:
            break
    return events


def _records(events: list[Event]) -> list[dict[str, Any]]:
    arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/bench-dev-events/stream/2026-01-01T00:00:00.000"
    return [
        {
            "eventID": uuid.uuid4().hex,
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "eu-west-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1767225600,
                "Keys": {"pk": {"S": f"{e.team}#{e.event_id}"}},
                "NewImage": {"pk": {"S": f"{e.team}#{e.event_id}"}, "envelope": {"S": e.model_dump_json()}},
                "SequenceNumber": f"{i:021d}",
                "SizeBytes": 1000,
                "StreamViewType": "NEW_IMAGE",
            },
            "eventSourceARN": arn,
        }
        for i, e in enumerate(events)
    ]


def handler_cpu() -> dict[str, Any]:
    events = _stored(BATCH, seed=31)
    records = _records(events)
    bodies = [r["dynamodb"]["NewImage"]["envelope"]["S"] for r in records]
    service = FanoutService(
        get_config(),
        "dev",
        SqsSender(_NullSqs(), Backoff(sleep=lambda _s: None)),
        RawZoneWriter(_NullS3(), "raw"),
    )
    handler = hosted(fanout.lambda_handler, {fanout.fanout_service: service})
    event = {"Records": records}
    context: Any = LocalLambdaContext("bench-fanout")
    handler_us: list[float] = []
    baseline_us: list[float] = []
    with _quiet():
        handler(event, context)  # warm: cold-start work is not per-record cost
        for _ in range(ROUNDS):
            started = time.process_time()
            response = handler(event, context)
            handler_us.append((time.process_time() - started) / BATCH * 1e6)
            assert response == {"batchItemFailures": []}
            started = time.process_time()
            for body in bodies:
                Event.model_validate_json(body).model_dump_json()
            baseline_us.append((time.process_time() - started) / BATCH * 1e6)
    per_record = statistics.median(handler_us)
    baseline = statistics.median(baseline_us)
    return {
        "records_per_batch": BATCH,
        "us_per_record": round(per_record, 1),
        "baseline_us_per_record": round(baseline, 1),
        "ratio_to_baseline": round(per_record / baseline, 2),
        "target_us_per_record": TARGET_US_PER_RECORD,
        "meets_target": per_record <= TARGET_US_PER_RECORD,
        "messages_per_record": round(service.process(records).messages / BATCH, 2),
    }


def _kilobyte_events(count: int) -> list[str]:
    """Stored order_created events padded to about 1 KiB (more order lines)."""
    team, raw = TrafficGenerator(seed=5).event_of_type("orders.order_created")
    line = raw["payload"]["lines"][0]
    bodies = []
    for i in range(count):
        payload = {**raw["payload"], "order_id": f"ORD-BENCH-{i:07d}", "lines": [line]}
        event = Event.model_validate(
            {
                **raw,
                "event_id": str(uuid.uuid4()),
                "payload": payload,
                "team": team,
                "received_at": datetime.now(UTC),
                "ingest_id": "req",
                "correlation_id": "corr",
            }
        )
        body = event.model_dump_json()
        while len(body) < MESSAGE_BYTES:
            payload["lines"].append(line)
            body = event.model_copy(update={"payload": payload}).model_dump_json()
        bodies.append(body)
    return bodies


def bridge_throughput() -> dict[str, Any]:
    from lambdas.kafka_bridge.bridge import Bridge
    from lambdas.kafka_bridge.producer import KafkaPublisher
    from local_platform.kafka_broker import kafka_broker
    from platform_core.kafka_topics import ensure_platform_topics
    from platform_core.registry import get_registry

    config = get_config()
    bodies = _kilobyte_events(20_000)
    results: dict[str, Any] = {"message_bytes": round(statistics.mean(len(b) for b in bodies))}
    with kafka_broker() as broker:
        settings = broker.settings()
        ensure_platform_topics(config, "dev", settings)
        bridge = Bridge(config.project, "dev", get_registry(), KafkaPublisher(settings, 30_000))
        for batch, total in ((10, 2_000), (1_000, 18_000)):
            chosen = bodies[:total] if batch == 10 else bodies[2_000 : 2_000 + total]
            records = [{"messageId": str(i), "body": b} for i, b in enumerate(chosen)]
            started = time.perf_counter()
            failed = 0
            for offset in range(0, len(records), batch):
                outcome = bridge.process(records[offset : offset + batch])
                failed += sum(error is not None for error in outcome.values())
            elapsed = time.perf_counter() - started
            results[f"batch_{batch}"] = {
                "messages": total,
                "failed": failed,
                "messages_per_second": round(total / elapsed),
                "mib_per_second": round(total * results["message_bytes"] / elapsed / 2**20, 2),
            }
    return results


def _lifted(config: PlatformConfig) -> PlatformConfig:
    """API limits out of the way: this measures the pipeline, not the usage plans."""
    teams = {
        name: team.model_copy(
            update={"api": team.api.model_copy(update={"rate_limit": 100_000, "burst_limit": 100_000})}
        )
        for name, team in config.teams.items()
    }
    return config.model_copy(update={"teams": teams})


def end_to_end(orders: int = 170) -> dict[str, Any]:
    from local_platform.runtime import LocalPlatform
    from tools import sinks
    from tools.traffic import IngestClient

    by_team: dict[str, list[dict[str, Any]]] = {}
    # The platform runs the StockOSS services: the order saga makes the invoice requests itself.
    generator = TrafficGenerator(seed=77, start=datetime.now(UTC) - timedelta(minutes=5), live_services=True)
    for team, raw in generator.events(orders):
        by_team.setdefault(team, []).append(raw)
    total = sum(len(v) for v in by_team.values())
    with _quiet(), LocalPlatform(_lifted(get_config()), state_path=None) as platform:
        started = time.perf_counter()
        for team, events in by_team.items():
            client = IngestClient(platform.gateway_url, platform.api_keys[team].value)
            for offset in range(0, len(events), 100):
                response, _ = client.post_until_admitted(events[offset : offset + 100])
                response.raise_for_status()
            client.close()
        ingested = time.perf_counter() - started
        if not sinks.wait_until_delivered(platform.resources, {sinks.RAW_ZONE: total}, 600, poll_seconds=0.5):
            raise TimeoutError(
                "the fan-out did not archive every event and empty the outbox within 10 minutes"
            )
        elapsed = time.perf_counter() - started
    return {
        "events": total,
        "ingest_seconds": round(ingested, 1),
        "until_archived_and_in_kafka_seconds": round(elapsed, 1),
        "events_per_second": round(total / elapsed, 1),
    }


def _markdown(cpu: dict[str, Any], bridge: dict[str, Any], e2e: dict[str, Any]) -> str:
    verdict = "meets" if cpu["meets_target"] else "MISSES"
    lines = [
        f"Fan-out handler CPU, {cpu['records_per_batch']}-record stream batches, fake SQS/S3 clients "
        f"(median of {ROUNDS}, process CPU time): **{cpu['us_per_record']} us/record** "
        f"({verdict} the {cpu['target_us_per_record']:.0f} us target; {cpu['messages_per_record']} SQS messages "
        f"per record). Baseline (envelope JSON -> pydantic Event -> JSON, same run): "
        f"{cpu['baseline_us_per_record']} us/record; ratio {cpu['ratio_to_baseline']}x.",
        "",
        f"Kafka bridge to the local Tansu broker, {bridge['message_bytes']}-byte events, idempotent producer, "
        "acks=all, flushed per batch:",
        "",
        "| batch | messages | msgs/s | MiB/s | failed |",
        "|---:|---:|---:|---:|---:|",
    ]
    for key in ("batch_10", "batch_1000"):
        row = bridge[key]
        lines.append(
            f"| {key.removeprefix('batch_')} | {row['messages']} | {row['messages_per_second']} "
            f"| {row['mib_per_second']} | {row['failed']} |"
        )
    lines += [
        "",
        f"End to end through the local runtime (gateway -> ingest -> DynamoDB stream -> fan-out -> SQS, outbox "
        f"-> Kafka, raw zone): {e2e['events']} events in {e2e['until_archived_and_in_kafka_seconds']} s = "
        f"**{e2e['events_per_second']} events/s** (ingest alone {e2e['ingest_seconds']} s). The moto server "
        "on the same two cores bounds this figure; it says nothing about AWS.",
    ]
    return "\n".join(lines)


def run() -> dict[str, Any]:
    cpu = handler_cpu()
    bridge = bridge_throughput()
    e2e = end_to_end()
    return {
        "handler_cpu": cpu,
        "kafka_bridge": bridge,
        "end_to_end": e2e,
        "markdown": _markdown(cpu, bridge, e2e),
    }

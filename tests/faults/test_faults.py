"""The whole path under faults, and every event counted in every sink afterwards.

Each scenario starts a local platform (moto server, Tansu, every function in
its execution environments, the triggers), sends StockOSS traffic through the
API Gateway, injects one fault where it happens in production (inside the
function's execution environment, at the broker, in the stream a script
reads), lets the platform recover, then counts every sink with tools/sinks.py:
the events table and the raw zone hold each accepted event exactly once, every
subscribing queue and topic at least once, and no DLQ or failure queue holds
anything. Nothing lost, nothing twice.

The teams' consumers stay idle (their queues keep what they receive, so the
count is the fan-out's): what is under test is the data path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local_platform.kafka_broker import KafkaBroker
from local_platform.pollers.wiring import Triggers
from local_platform.runtime import LocalPlatform
from platform_core.aws import client
from platform_core.config import PlatformConfig
from scripts.redrive import replay_stream_failures
from tests.fixtures.aws import isolated_config
from tools import sinks
from tools.traffic import TrafficGenerator

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.kafka]

ORDERS = 12


def data_path_config(**fanout: Any) -> PlatformConfig:
    """The configuration with queues that redeliver in seconds."""
    config = isolated_config()
    sqs = config.sqs.model_copy(update={"visibility_timeout_seconds": 2})
    return config.model_copy(update={"sqs": sqs, "fanout": config.fanout.model_copy(update=fanout)})


@contextmanager
def platform_with(
    config: PlatformConfig, faults: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
) -> Iterator[LocalPlatform]:
    with LocalPlatform(
        config, components=[KafkaBroker(), Triggers()], state_path=None, faults=faults
    ) as platform:
        # Generous usage plans: the faults under test are not the gateway's 429s.
        assert platform.gateway is not None
        for bucket in platform.gateway._buckets.values():
            bucket.rate, bucket.burst = 1000, 1000
        # The teams' consumers stay idle: their queues keep what the fan-out delivers, to be counted.
        for function, poller in triggers(platform).pollers.items():
            if function not in ("fanout", "kafka-bridge"):
                poller.stop()
        # Each team key's authorizer result is then cached, as API Gateway caches it: concurrent
        # traffic does not queue for the authorizer's execution environments.
        for key in platform.api_keys.values():
            warm = requests.get(
                f"{platform.gateway_url}/v1/schemas", headers={"x-api-key": key.value}, timeout=120
            )
            assert warm.status_code == 200, warm.text
        yield platform


def send(
    platform: LocalPlatform, events: list[tuple[str, dict[str, Any]]], copies: int = 1
) -> dict[str, str]:
    """POST each event `copies` times at once; the accepted ones (event id -> type)."""
    accepted: dict[str, str] = {}
    lock = threading.Lock()

    def post(item: tuple[str, dict[str, Any]]) -> None:
        team, event = item
        response = requests.post(
            f"{platform.gateway_url}/v1/events",
            json=event,
            headers={"x-api-key": platform.api_keys[team].value},
            timeout=300,
        )
        assert response.status_code == 202, response.text
        for result in response.json()["results"]:
            if result["status"] == "accepted":
                with lock:
                    assert result["event_id"] not in accepted, "accepted twice"
                    accepted[result["event_id"]] = event["event_type"]

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(post, [item for item in events for _ in range(copies)]))
    return accepted


def traffic(platform: LocalPlatform, seed: int) -> list[tuple[str, dict[str, Any]]]:
    return list(TrafficGenerator(seed=seed, config=platform.config).events(ORDERS))


def triggers(platform: LocalPlatform) -> Triggers:
    found = sinks.component(platform, Triggers)
    assert found is not None
    return found


def settle_and_count(platform: LocalPlatform, accepted: Mapping[str, str]) -> None:
    """Deliver everything, then compare every sink with what the accepted events must leave there."""
    from collections import Counter

    triggers(platform).stream.run_until_idle(timeout=600)
    triggers(platform).outbox.run_until_idle(timeout=600)
    expected = sinks.expected_counts(platform.config, platform.env, Counter(accepted.values()))
    assert sinks.wait_until_delivered(platform.resources, expected, timeout=300)
    held = sinks.observe(
        platform.resources, sinks.broker_connection(platform), sinks.consumed_from_queues(platform)
    )
    counts = sinks.account(platform.config, platform.env, expected, held)
    assert not sinks.problems(counts), sinks.problems(counts)


def test_concurrent_duplicates_leave_each_event_once(aws_endpoint_url: str) -> None:
    with platform_with(data_path_config()) as platform:
        accepted = send(platform, traffic(platform, seed=31), copies=8)
        assert accepted
        settle_and_count(platform, accepted)
        assert platform.function("ingest").status()["environments"] > 1  # the copies ran concurrently


def test_an_oversized_event_is_refused_with_a_reason_and_kept(aws_endpoint_url: str) -> None:
    with platform_with(data_path_config()) as platform:
        team, event = TrafficGenerator(seed=32, config=platform.config).event_of_type(
            "notifications.notification_requested"
        )
        event["payload"]["variables"] = {"note": "x" * 500_000}  # 500 KB: under the request limit
        response = requests.post(
            f"{platform.gateway_url}/v1/events",
            json=event,
            headers={"x-api-key": platform.api_keys[team].value},
            timeout=120,
        )
        assert response.status_code != 503, "a request that can never succeed must not be told to retry"
        assert response.status_code in (202, 400, 413), response.text
        [result] = response.json()["results"]
        assert result["status"] == "rejected" and result["reasons"], result
        rejected = client("s3").list_objects_v2(Bucket=platform.resources.rejected_bucket).get("Contents", [])
        assert rejected, "the refused event is kept in the rejected zone"
        accepted = send(platform, traffic(platform, seed=33))
        settle_and_count(platform, accepted)


def test_a_broker_outage_holds_the_outbox_then_delivers(aws_endpoint_url: str) -> None:
    with platform_with(data_path_config()) as platform:
        platform.extend_function_environment("kafka-bridge", {"KAFKA_DELIVERY_TIMEOUT_MS": "2000"})
        broker = sinks.component(platform, KafkaBroker)
        assert broker is not None and not broker.status()["external"]
        outbox = triggers(platform).outbox
        outbox.stop()  # driven by hand below
        accepted = send(platform, traffic(platform, seed=34))
        triggers(platform).stream.run_until_idle(timeout=300)
        broker.pause()
        try:
            for _ in range(2):
                outbox.poll_once(wait_seconds=0)
            assert outbox.stats.messages_deleted == 0 and outbox.stats.messages_failed > 0
        finally:
            broker.resume()
        settle_and_count(platform, accepted)


def test_a_fanout_worker_killed_mid_batch_is_retried_and_the_raw_zone_stays_exactly_once(
    aws_endpoint_url: str, tmp_path: Path
) -> None:
    crash = {"kind": "crash", "service": "sqs", "operation": "SendMessageBatch", "after": 2, "times": 1}
    with platform_with(
        data_path_config(), faults={"fanout": [{**crash, "dir": str(tmp_path / "crash")}]}
    ) as platform:
        accepted = send(platform, traffic(platform, seed=35))
        settle_and_count(platform, accepted)
        fanout = platform.function("fanout").status()
        assert fanout["crashes"] == 1, fanout  # Runtime.ExitError, retried by the stream mapping


def test_an_s3_throttle_is_absorbed(aws_endpoint_url: str, tmp_path: Path) -> None:
    # More throttles in a row than botocore's retries absorb: the fan-out fails, the mapping retries.
    throttle = {"kind": "throttle", "service": "s3", "operation": "PutObject", "first": 12}
    with platform_with(
        data_path_config(), faults={"fanout": [{**throttle, "dir": str(tmp_path / "s3")}]}
    ) as platform:
        accepted = send(platform, traffic(platform, seed=36))
        settle_and_count(platform, accepted)
        assert len(list((tmp_path / "s3").iterdir())) > 12  # every throttle was answered, then calls passed


class EmptyPagesFirst:
    """A dynamodbstreams client whose first reads of each iterator answer empty pages, as DynamoDB
    Streams may before the records."""

    def __init__(self, empty: int):
        self._client = boto3.session.Session().client("dynamodbstreams")
        self._empty = empty
        self.empty_pages = 0

    def get_shard_iterator(self, **kwargs: Any) -> Any:
        return self._client.get_shard_iterator(**kwargs)

    def get_records(self, **kwargs: Any) -> Any:
        if self.empty_pages % (self._empty + 1) < self._empty:
            self.empty_pages += 1
            return {"Records": [], "NextShardIterator": kwargs["ShardIterator"]}
        self.empty_pages += 1
        return self._client.get_records(**kwargs)


def test_batches_parked_in_an_outage_are_replayed_through_empty_stream_pages(
    aws_endpoint_url: str, tmp_path: Path
) -> None:
    outage_dir = tmp_path / "outage"
    outage_dir.mkdir()
    (outage_dir / "on").touch()
    outage = {"kind": "outage", "service": "sqs", "operation": "SendMessageBatch", "dir": str(outage_dir)}
    config = data_path_config(maximum_retry_attempts=0, bisect_batch_on_function_error=False)
    with platform_with(config, faults={"fanout": [outage]}) as platform:
        accepted = send(platform, traffic(platform, seed=37))
        triggers(platform).stream.run_until_idle(timeout=300)
        parked = triggers(platform).stream.stats.batches_parked
        assert parked > 0
        (outage_dir / "on").unlink()  # the policy is fixed
        lambda_client = boto3.session.Session().client(
            "lambda", endpoint_url=platform.lambda_url, region_name=platform.config.region
        )
        streams = EmptyPagesFirst(empty=3)
        report = replay_stream_failures(
            platform.resources.fanout_failure_queue,
            platform.resources.function_name("fanout"),
            lambda_client=lambda_client,
            streams=streams,
            pause=0,
        )
        assert (report.moved, report.failed, report.remaining) == (parked, 0, 0), report
        assert streams.empty_pages > parked * 3
        settle_and_count(platform, accepted)


def curated_copies(platform: LocalPlatform, mirror: Path) -> dict[str, int]:
    """Event id -> rows, as a reader sees the curated `events` table (the local Athena engine over a
    fresh mirror of the curated bucket)."""
    from local_platform.lake.pipeline import sync_down
    from local_platform.query.engine import LocalEngine

    sync_down(platform.resources.curated_bucket, "curated/", mirror / "curated")
    if not list((mirror / "curated").rglob("*.parquet")):
        return {}
    table = LocalEngine(mirror).execute("SELECT event_id, count(*) AS copies FROM events GROUP BY event_id")
    return dict(zip(table.column("event_id").to_pylist(), table.column("copies").to_pylist(), strict=True))


@pytest.mark.spark
def test_a_lake_run_failing_between_write_and_switch_changes_nothing_a_reader_sees(
    aws_endpoint_url: str, spark: Any, tmp_path: Path
) -> None:
    """A run that dies after writing the new partition files, before the switch (replacing the old
    files, committing the manifest or the catalog), leaves what readers see as it was; the next run
    curates every accepted event exactly once."""
    from local_platform.lake.pipeline import run_lake
    from platform_core.aws import session

    with platform_with(data_path_config()) as platform:
        first = send(platform, traffic(platform, seed=38))
        settle_and_count(platform, first)
        assert run_lake(platform.resources, tmp_path / "run1", spark=spark).ok
        before = curated_copies(platform, tmp_path / "read1")
        assert set(before) == set(first) and set(before.values()) == {1}

        second = send(platform, traffic(platform, seed=39))
        settle_and_count(platform, {**first, **second})
        failing = {"on": True}

        def switch_fails(params: Mapping[str, Any], **_kwargs: Any) -> None:
            # Anything but writing a new data file is part of the switch: the run dies there.
            key = str(params.get("Key", ""))
            if failing["on"] and not key.endswith(".parquet"):
                raise RuntimeError("injected: the run dies between write and switch")

        # On the clients the runner uses (this process's, made from one session), and on the session
        # for clients made later.
        for service, operations in (
            ("s3", ("DeleteObjects", "DeleteObject", "CopyObject", "PutObject", "CreateMultipartUpload")),
            ("glue", ("BatchCreatePartition", "CreatePartition", "UpdatePartition", "BatchUpdatePartition")),
        ):
            for emitter in (client(service).meta.events, session().events):
                for operation in operations:
                    emitter.register(f"before-parameter-build.{service}.{operation}", switch_fails)
        try:
            assert not run_lake(platform.resources, tmp_path / "run2", spark=spark).ok
        finally:
            failing["on"] = False
        assert curated_copies(platform, tmp_path / "read2") == before, "a failed run changed what readers see"

        assert run_lake(platform.resources, tmp_path / "run3", spark=spark).ok
        after = curated_copies(platform, tmp_path / "read3")
        assert set(after) == set(first) | set(second) and set(after.values()) == {1}

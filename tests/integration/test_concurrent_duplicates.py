"""Idempotency under true concurrency: copies of one event inside the ingest function at the same moment.

32 clients send the same event at once through the local API Gateway; each
request runs in its own execution environment (worker process) of the ingest
function, and a barrier injected at the DynamoDB PutItem holds every copy
until all 32 are there, so they are provably inside the handler together when
they race on the conditional write. Exactly one is accepted, one item exists,
and the table's stream holds exactly one INSERT for (team, event_id).
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from platform_core.aws import client
from platform_core.config import ApiLimits
from platform_core.resources import Resources
from tests.fixtures.aws import running_gateway
from tools.traffic import TrafficGenerator

pytestmark = pytest.mark.integration

COPIES = 32


def stream_inserts(resources: Resources, pk: str) -> int:
    """INSERT records of the events table's stream for one key, read from every shard."""
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName=resources.events_table)["Table"]["LatestStreamArn"]
    inserts = 0
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = page.get("Records", [])
            inserts += sum(
                r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["pk"]["S"] == pk for r in records
            )
            iterator = page.get("NextShardIterator") if records else None
    return inserts


def test_32_concurrent_copies_of_one_event_make_one_item_and_one_stream_insert(
    platform_resources: Resources, tmp_path: Path
) -> None:
    barrier = tmp_path / "barrier"
    faults = {
        "ingest": [
            {
                "kind": "barrier",
                "service": "dynamodb",
                "operation": "PutItem",
                "parties": COPIES,
                "dir": str(barrier),
            }
        ]
    }
    plans = {
        team: ApiLimits(rate_limit=1000, burst_limit=1000, quota_per_day=10**6)
        for team in platform_resources.config.teams
    }
    team, event = TrafficGenerator(seed=5, config=platform_resources.config).order_flow()[0]
    start = threading.Barrier(COPIES)

    with running_gateway(platform_resources, limits=plans, faults=faults) as gateway:
        # One request first, so the copies race in warm ingest execution environments, not in cold starts.
        warm = requests.get(f"{gateway.url}/v1/schemas", headers=gateway.headers(team), timeout=120)
        assert warm.status_code == 200, warm.text

        def post(_: int) -> Any:
            start.wait(timeout=60)
            return requests.post(gateway.events_url, json=event, headers=gateway.headers(team), timeout=300)

        with ThreadPoolExecutor(COPIES) as pool:
            responses = list(pool.map(post, range(COPIES)))

    assert [r.status_code for r in responses] == [202] * COPIES, [
        r.text for r in responses if r.status_code != 202
    ]
    assert not (barrier / "timed-out").exists(), "the copies were not all inside the handler at once"
    verdicts = Counter(r.json()["results"][0]["status"] for r in responses)
    assert verdicts == {"accepted": 1, "duplicate": COPIES - 1}
    pk = f"{team}#{event['event_id']}"
    items = client("dynamodb").scan(TableName=platform_resources.events_table)["Items"]
    assert [i["pk"]["S"] for i in items] == [pk]
    assert stream_inserts(platform_resources, pk) == 1

"""The ingest API over real HTTP: local API Gateway -> ingest handler -> moto server (or LocalStack).

Checks what the stores hold (table items, stream records, the rejected zone),
not just the responses.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from local_platform.provision import TTL_ATTRIBUTE, stream_arn
from platform_core.aws import client
from platform_core.config import ApiLimits
from platform_core.envelope import Event
from platform_core.registry import get_registry
from platform_core.resources import Resources
from tests.fixtures.aws import RunningGateway, running_gateway
from tools.traffic import TrafficGenerator

pytestmark = pytest.mark.integration


def team_events(team: str, count: int, seed: int = 1) -> list[dict[str, Any]]:
    generator = TrafficGenerator(seed)
    events: list[dict[str, Any]] = []
    while len(events) < count:
        events.extend(e for t, e in generator.order_flow() if t == team)
    return events[:count]


def table_items(resources: Resources) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client("dynamodb").get_paginator("scan").paginate(TableName=resources.events_table):
        items.extend(page["Items"])
    return items


def stream_records(resources: Resources) -> list[dict[str, Any]]:
    """Every record of the table's stream, read with the DynamoDB Streams API as the fan-out's poller does."""
    streams = client("dynamodbstreams")
    arn = stream_arn(resources)
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def rejected_documents(resources: Resources) -> dict[str, dict[str, Any]]:
    s3 = client("s3")
    documents = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=resources.rejected_bucket):
        for entry in page.get("Contents", []):
            body = s3.get_object(Bucket=resources.rejected_bucket, Key=entry["Key"])["Body"].read()
            documents[entry["Key"]] = json.loads(body)
    return documents


def post(gateway: RunningGateway, team: str, body: Any, **headers: str) -> requests.Response:
    return requests.post(
        gateway.events_url, data=json.dumps(body), headers=gateway.headers(team, **headers), timeout=30
    )


def test_accepted_events_are_stored_with_the_platform_metadata(ingest_gateway: RunningGateway) -> None:
    events = team_events("orders", 12)
    before = datetime.now(UTC)
    response = post(ingest_gateway, "orders", events, **{"X-Correlation-Id": "checkout-42"})

    assert response.status_code == 202
    body = response.json()
    assert response.headers["X-Correlation-Id"] == body["correlation_id"] == "checkout-42"
    assert body["summary"] == {"accepted": 12, "duplicate": 0, "rejected": 0}
    assert [r["event_id"] for r in body["results"]] == [e["event_id"] for e in events]

    items = {item["event_id"]["S"]: item for item in table_items(ingest_gateway.resources)}
    assert set(items) == {e["event_id"] for e in events}
    retention = ingest_gateway.resources.config.ingest.event_retention_days * 86_400
    for sent in events:
        item = items[sent["event_id"]]
        stored = Event.from_json(item["envelope"]["S"])
        assert item["pk"]["S"] == f"orders#{sent['event_id']}"
        assert stored.team == item["team"]["S"] == "orders"
        assert stored.event_type == item["event_type"]["S"] == sent["event_type"]
        assert stored.payload == sent["payload"]
        assert stored.ingest_id == body["request_id"]
        assert stored.correlation_id == item["correlation_id"]["S"] == "checkout-42"
        assert json.loads(item["envelope"]["S"])["received_at"] == item["received_at"]["S"]
        assert stored.received_at >= before.replace(microsecond=0)
        assert int(item[TTL_ATTRIBUTE]["N"]) == pytest.approx(
            stored.received_at.timestamp() + retention, abs=1
        )


def test_retries_and_concurrent_duplicates_store_and_stream_each_event_once(
    ingest_gateway: RunningGateway,
) -> None:
    events = team_events("billing", 20, seed=2)
    first = post(ingest_gateway, "billing", events)
    assert first.json()["summary"]["accepted"] == 20

    # A client retrying the same batch, and eight producers racing with overlapping batches.
    retry = post(ingest_gateway, "billing", events)
    assert retry.status_code == 202
    assert retry.json()["summary"] == {"accepted": 0, "duplicate": 20, "rejected": 0}
    fresh = team_events("billing", 30, seed=3)[10:]
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda i: post(ingest_gateway, "billing", fresh[i % 4 :] + events[:5]), range(8))
        )

    assert all(r.status_code == 202 for r in responses)
    verdicts: Counter[tuple[str, str]] = Counter()
    for response in responses:
        for result in response.json()["results"]:
            verdicts[result["event_id"], result["status"]] += 1
    for event in fresh:
        assert verdicts[event["event_id"], "accepted"] == 1, "exactly one request wins each new event"
    unique = {e["event_id"] for e in events + fresh}
    assert len(table_items(ingest_gateway.resources)) == len(unique)

    records = stream_records(ingest_gateway.resources)
    inserts = Counter(r["dynamodb"]["Keys"]["pk"]["S"] for r in records if r["eventName"] == "INSERT")
    assert set(inserts) == {f"billing#{event_id}" for event_id in unique}
    assert set(inserts.values()) == {1}
    assert all(r["eventName"] == "INSERT" for r in records), "a duplicate must never modify the item"


def test_same_event_id_from_two_teams_is_two_events(ingest_gateway: RunningGateway) -> None:
    orders_event = team_events("orders", 1)[0]
    billing_event = {**team_events("billing", 1)[0], "event_id": orders_event["event_id"]}
    assert post(ingest_gateway, "orders", orders_event).json()["summary"]["accepted"] == 1
    assert post(ingest_gateway, "billing", billing_event).json()["summary"]["accepted"] == 1
    assert len(table_items(ingest_gateway.resources)) == 2


def test_rejected_events_are_kept_with_their_reasons(ingest_gateway: RunningGateway) -> None:
    generator = TrafficGenerator(4)
    valid = team_events("orders", 2)
    missing, _ = generator.invalidate(valid[0], "missing_payload_field")
    foreign = team_events("documents", 1)[0]  # the orders team may not produce it
    sent = [valid[0], missing, "not an event", foreign, valid[1]]
    response = post(ingest_gateway, "orders", sent)

    assert response.status_code == 202
    body = response.json()
    assert body["summary"] == {"accepted": 2, "duplicate": 0, "rejected": 3}
    rejected = {r["index"]: r for r in body["results"] if r["status"] == "rejected"}
    assert rejected[1]["reasons"] == [{"path": "payload", "message": '"order_id" is a required property'}]
    assert rejected[2]["event_id"] is None
    assert rejected[3]["reasons"][0]["path"] == "event_type"

    documents = rejected_documents(ingest_gateway.resources)
    assert len(documents) == 1
    key, document = next(iter(documents.items()))
    assert key.startswith("rejected/team=orders/dt=") and key.endswith(f"/{body['request_id']}.json")
    assert document["request_id"] == body["request_id"]
    assert document["team"] == "orders"
    assert document["correlation_id"] == body["correlation_id"]
    assert document["source_ip"] == "127.0.0.1"
    assert [e["index"] for e in document["events"]] == [1, 2, 3]
    assert [e["raw"] for e in document["events"]] == [missing, "not an event", foreign]
    assert document["events"][0]["event_id"] == missing["event_id"]
    assert document["events"][2]["event_type"] == foreign["event_type"]
    assert "event_id" not in document["events"][1]
    assert all(e["reasons"] for e in document["events"])
    assert len(table_items(ingest_gateway.resources)) == 2


def test_all_rejected_is_400_and_a_non_json_body_is_kept(ingest_gateway: RunningGateway) -> None:
    bad, _ = TrafficGenerator(5).invalidate(team_events("orders", 1)[0], "bad_event_id")
    all_rejected = post(ingest_gateway, "orders", [bad])
    assert all_rejected.status_code == 400
    assert all_rejected.json()["summary"] == {"accepted": 0, "duplicate": 0, "rejected": 1}

    garbage = '{"event_id": "1", "payload": '
    not_json = requests.post(
        ingest_gateway.events_url, data=garbage, headers=ingest_gateway.headers("orders"), timeout=30
    )
    assert not_json.status_code == 400
    assert not_json.json()["message"] == "the body is not valid JSON"

    documents = {d["request_id"]: d for d in rejected_documents(ingest_gateway.resources).values()}
    kept = documents[not_json.json()["request_id"]]["events"]
    assert kept == [{"index": None, "reasons": [kept[0]["reasons"][0]], "raw": garbage}]
    assert kept[0]["reasons"][0]["path"] == "body"
    assert documents[all_rejected.json()["request_id"]]["events"][0]["raw"] == bad
    assert table_items(ingest_gateway.resources) == []


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no key", 401),
        ("unknown key", 403),
        ("too large", 413),
        ("wrong content type", 415),
        ("batch over the limit", 400),
        ("empty batch", 400),
    ],
)
def test_request_level_status_codes(ingest_gateway: RunningGateway, case: str, status: int) -> None:
    event = team_events("orders", 1)[0]
    headers = ingest_gateway.headers("orders")
    body = json.dumps(event)
    config = ingest_gateway.resources.config
    if case == "no key":
        del headers["x-api-key"]
    elif case == "unknown key":
        headers["x-api-key"] = "0" * 40
    elif case == "too large":
        body = json.dumps({**event, "payload": {"blob": "x" * config.api.max_body_bytes}})
    elif case == "wrong content type":
        headers["Content-Type"] = "text/plain"
    elif case == "batch over the limit":
        body = json.dumps([event] * (config.api.max_batch_events + 1))
    elif case == "empty batch":
        body = "[]"

    response = requests.post(ingest_gateway.events_url, data=body, headers=headers, timeout=30)

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["message"]
    assert table_items(ingest_gateway.resources) == []


def test_a_large_event_is_rejected_with_the_reason_and_kept_never_answered_retry(
    ingest_gateway: RunningGateway,
) -> None:
    """500 KB: well under the request limit, over what DynamoDB (400 KB) and SQS (256 KiB) carry."""
    resources = ingest_gateway.resources
    team, event = TrafficGenerator(seed=3, config=resources.config).event_of_type(
        "notifications.notification_requested"
    )
    event["payload"]["variables"] = {"message": "x" * 500_000}
    small = team_events(team, 1, seed=4)[0]

    response = post(ingest_gateway, team, [small, event])

    assert response.status_code == 202, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected"]
    [reason] = body["results"][1]["reasons"]
    assert f"at most {resources.config.api.max_event_bytes} bytes" in reason["message"]
    assert {item["event_id"]["S"] for item in table_items(resources)} == {small["event_id"]}
    [document] = rejected_documents(resources).values()
    assert document["events"][0]["raw"] == event and document["events"][0]["reasons"] == [reason]


def test_a_missing_events_table_is_a_500_not_a_retry_forever(ingest_gateway: RunningGateway) -> None:
    dynamodb = client("dynamodb")
    dynamodb.delete_table(TableName=ingest_gateway.resources.events_table)
    dynamodb.get_waiter("table_not_exists").wait(TableName=ingest_gateway.resources.events_table)

    response = post(ingest_gateway, "orders", team_events("orders", 2))

    assert response.status_code == 500, response.text
    assert "Retry-After" not in response.headers
    assert "misconfigured" in response.json()["message"]


def test_schema_discovery(ingest_gateway: RunningGateway) -> None:
    headers = ingest_gateway.headers("documents")
    listing = requests.get(f"{ingest_gateway.url}/v1/schemas", headers=headers, timeout=30)
    assert listing.status_code == 200
    by_type = {s["event_type"]: s for s in listing.json()["schemas"]}
    assert by_type["orders.order_created"]["producer"] == "orders"
    assert by_type["billing.invoice_issued"]["versions"] == list(
        get_registry().versions("billing.invoice_issued")
    )
    assert listing.json()["limits"] == ingest_gateway.resources.config.api.model_dump()

    latest = requests.get(
        f"{ingest_gateway.url}/v1/schemas/orders.order_created", headers=headers, timeout=30
    )
    newest = by_type["orders.order_created"]["versions"][-1]
    pinned = requests.get(
        f"{ingest_gateway.url}/v1/schemas/orders.order_created/{newest}", headers=headers, timeout=30
    )
    assert latest.status_code == pinned.status_code == 200
    assert latest.headers["Content-Type"] == "application/schema+json"
    assert latest.json() == pinned.json()
    assert latest.json()["x-business-key"] == "order_id"

    for path in ("/v1/schemas/orders.nope", "/v1/schemas/orders.order_created/7"):
        assert requests.get(f"{ingest_gateway.url}{path}", headers=headers, timeout=30).status_code == 404
    assert requests.get(f"{ingest_gateway.url}/v1/schemas", timeout=30).status_code == 401


def test_usage_plan_limits_apply_per_team(platform_resources: Resources) -> None:
    now = [1000.0]  # the buckets' clock, so the test does not depend on the machine's speed
    tight = ApiLimits(rate_limit=0.5, burst_limit=3, quota_per_day=1000)
    roomy = ApiLimits(rate_limit=100, burst_limit=100, quota_per_day=1000)
    plans = {"orders": tight, "billing": roomy, "documents": roomy}
    with running_gateway(platform_resources, plans, clock=lambda: now[0]) as gateway:
        url = f"{gateway.url}/v1/schemas"
        orders = [requests.get(url, headers=gateway.headers("orders"), timeout=30) for _ in range(6)]
        billing = [requests.get(url, headers=gateway.headers("billing"), timeout=30) for _ in range(6)]

        assert [r.status_code for r in orders] == [200, 200, 200, 429, 429, 429]
        throttled = orders[-1]
        assert throttled.json()["message"] == "Too Many Requests"
        assert throttled.headers["Retry-After"] == "2"  # one token every 1/rate seconds
        assert [r.status_code for r in billing] == [200] * 6
        assert gateway.gateway.stats()["orders"] == {200: 3, 429: 3}

        # Throttled POSTs reach nothing: no item, no rejected object.
        blocked = post(gateway, "orders", team_events("orders", 1))
        assert blocked.status_code == 429
        now[0] += 2.0  # one token back at 0.5/s
        assert post(gateway, "orders", team_events("orders", 1)).status_code == 202
        assert post(gateway, "orders", team_events("orders", 1, seed=2)).status_code == 429
    assert len(table_items(platform_resources)) == 1
    assert rejected_documents(platform_resources) == {}

"""What the console reads, and only through APIs: AWS's (boto3: CloudWatch, SQS, DynamoDB and its
stream, S3, CloudWatch Logs), Kafka's, the query engine (Athena's SQL over the lake), and the
platform's status API. Nothing here touches a running platform's memory, so the same code reads an
AWS environment (with Athena for the lake queries) as it reads `make up`.
"""

from __future__ import annotations

import gzip
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from lambdas.console.ports import LakeQueries, LiveCounters
from platform_core import naming
from platform_core.aws import client
from platform_core.events_table import partition_key
from platform_core.kafka import KafkaConnection
from platform_core.redrive import FANOUT_FAILURES
from platform_core.resources import Resources

VERDICTS = ("accepted", "duplicate", "rejected")
THROTTLED_METRIC = "ThrottledRequests"  # local_platform.cloudwatch publishes it; the console only reads it
# Bounds on what a trace reads when nothing indexes the id (newest objects first).
TRACE_MAX_OBJECTS = 500
TRACE_MAX_STREAM_PAGES = 200
MAX_EMPTY_STREAM_PAGES = 3
_DESERIALIZE = TypeDeserializer()


@dataclass(frozen=True)
class Platform:
    """Where the console reads: the environment's names, its lake's SQL engine, the functions' live
    counters and Kafka (each None where the console has none)."""

    resources: Resources
    lake: LakeQueries | None = None
    live: LiveCounters | None = None
    kafka: KafkaConnection | None = None
    # A team's API key id, where 429s are counted per key (AWS: the access log's metric filter).
    api_key_id: Callable[[str], str | None] | None = None

    @property
    def prefix(self) -> str:
        return f"{self.resources.project}-{self.resources.env}-"

    def short(self, name: str) -> str:
        return name.removeprefix(self.prefix)


def minute_window(minutes: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[start, end) on whole minutes, the current minute included."""
    end = (now or datetime.now(UTC)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return end - timedelta(minutes=minutes), end


# -- overview: CloudWatch metrics and the lake ------------------------------------------------------


# The ingest's metric dimensions: {team, event_type, service}; event_type is a registered type or this.
UNKNOWN_EVENT_TYPE = "unknown"
INGEST_SERVICE = "ingest"
# The resolution asked of CloudWatch per range: per minute up to an hour, coarser beyond (as
# CloudWatch's own dashboards pick a period), so a range costs a bounded number of datapoints.
PERIODS = {60: 60, 360: 600, 1440: 3600}
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit


def period_for(minutes: int) -> int:
    return next((period for limit, period in sorted(PERIODS.items()) if minutes <= limit), 3600)


def ingest_metrics(platform: Platform, team: str) -> list[dict[str, Any]]:
    """The identities of a team's verdict metrics, from the ingest's contract rather than ListMetrics:
    accepted and duplicate events are of a type the team produces; a rejected one is of any registered
    type or `unknown`."""
    from platform_core.registry import get_registry

    produces = platform.resources.config.teams[team].produces
    registered = [*get_registry().event_types, UNKNOWN_EVENT_TYPE]
    identities = [(name, t) for name in ("accepted", "duplicate") for t in produces]
    identities += [("rejected", t) for t in registered]
    return [
        {
            "MetricName": name,
            "Dimensions": [
                {"Name": "team", "Value": team},
                {"Name": "event_type", "Value": event_type},
                {"Name": "service", "Value": INGEST_SERVICE},
            ],
        }
        for name, event_type in identities
    ]


def metric_series(
    namespace: str, metrics: list[dict[str, Any]], start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Per period and metric name: the Sum over the given metrics, as a per-minute rate (rows for charts)."""
    period = period_for(int((end - start).total_seconds() // 60))
    totals: dict[tuple[str, str], float] = defaultdict(float)
    cloudwatch = client("cloudwatch")
    for first in range(0, len(metrics), MAX_QUERIES_PER_CALL):
        chunk = metrics[first : first + MAX_QUERIES_PER_CALL]
        queries = [
            {
                "Id": f"m{i}",
                "Label": metric["MetricName"],
                "MetricStat": {"Metric": {"Namespace": namespace, **metric}, "Period": period, "Stat": "Sum"},
            }
            for i, metric in enumerate(chunk)
        ]
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=start, EndTime=end
        )
        for page in pages:
            for result in page["MetricDataResults"]:
                for at, value in zip(result["Timestamps"], result["Values"], strict=True):
                    minute = at.astimezone(UTC).replace(second=0, microsecond=0)
                    totals[(minute.isoformat(), result["Label"])] += value
    per_minute = period / 60
    return [
        {"minute": minute, "series": name, "count": value, "per_minute": round(value / per_minute, 2)}
        for (minute, name), value in sorted(totals.items())
    ]


def verdicts_per_minute(
    platform: Platform, team: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """accepted / duplicate / rejected events per minute: the ingest's EMF metrics in CloudWatch."""
    return metric_series(platform.resources.project, ingest_metrics(platform, team), start, end)


def throttled_per_minute(
    platform: Platform, team: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The API's 429 answers to the team per minute: per team as the local platform publishes them, per
    API key as the access log's metric filter does on AWS (one of the two has datapoints)."""
    metrics = [{"MetricName": THROTTLED_METRIC, "Dimensions": [{"Name": "team", "Value": team}]}]
    key_id = platform.api_key_id(team) if platform.api_key_id is not None else None
    if key_id:
        metrics.append(
            {"MetricName": THROTTLED_METRIC, "Dimensions": [{"Name": "apiKeyId", "Value": key_id}]}
        )
    return metric_series(f"{platform.resources.project}/api", metrics, start, end)


LATENCY_SQL = """
SELECT
    date_trunc('minute', received_at) AS minute,
    count(*) AS events,
    approx_percentile(date_diff('millisecond', occurred_at, received_at), 0.5) AS p50_ms,
    approx_percentile(date_diff('millisecond', occurred_at, received_at), 0.95) AS p95_ms
FROM events
WHERE team = ? AND event_date >= ? AND received_at >= from_iso8601_timestamp(?)
GROUP BY 1
ORDER BY 1
"""


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def run_query(platform: Platform, sql: str, params: list[str]) -> list[dict[str, Any]]:
    """Athena SQL (with `?` parameters as SQL literals) over the curated zone; [] without a lake."""
    return platform.lake.query(sql, params) if platform.lake is not None else []


def warm_up(platform: Platform) -> None:
    """Open the lake's query engine before the first page needs it."""
    team = next(iter(platform.resources.config.teams))
    latency_per_minute(platform, team, minute_window(1)[0])


def latency_per_minute(platform: Platform, team: str, start: datetime) -> list[dict[str, Any]]:
    """Ingest latency (occurred_at to received_at) per minute, p50 and p95 in seconds, from the lake."""
    rows = run_query(
        platform,
        LATENCY_SQL,
        [
            _literal(team),
            _literal(start.strftime("%Y-%m-%d")),
            _literal(start.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ],
    )
    series = []
    for row in rows:
        minute = row["minute"].replace(tzinfo=UTC).isoformat()
        for name in ("p50_ms", "p95_ms"):
            if row[name] is not None:
                series.append({"minute": minute, "series": name[:3], "seconds": float(row[name]) / 1000})
    return series


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["series"]] += round(row["count"])
    return dict(counts)


# -- flow: queues, Kafka lag, the lake ---------------------------------------------------------------


@dataclass
class QueueState:
    name: str
    kind: str  # "queue", "dlq" or "failures"
    visible: int
    in_flight: int
    delayed: int
    oldest_age_seconds: float | None
    redrive: str | None  # the redrive script's --queue for a DLQ


def _redrive_names(resources: Resources) -> dict[str, str]:
    names = {resources.team_dlq(t): t for t in resources.config.sqs_subscriber_teams}
    names[resources.outbox_dlq] = "outbox"
    names[resources.fanout_failure_queue] = FANOUT_FAILURES
    return names


def _oldest_age_from_cloudwatch(queue: str) -> float | None:
    """SQS's ApproximateAgeOfOldestMessage (AWS publishes it every minute; the local endpoint does not)."""
    now = datetime.now(UTC)
    result = client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "age",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SQS",
                        "MetricName": "ApproximateAgeOfOldestMessage",
                        "Dimensions": [{"Name": "QueueName", "Value": queue}],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now,
    )
    values = result["MetricDataResults"][0]["Values"]
    return float(values[0]) if values else None


def _oldest_dead_letter_age(url: str) -> float | None:
    """The age of the oldest message a dead-letter queue holds, read without consuming: receive with
    no visibility timeout (a DLQ has no consumer and no redrive policy whose receive count this could
    move on)."""
    messages = (
        client("sqs")
        .receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["SentTimestamp"]
        )
        .get("Messages", [])
    )
    if not messages:
        return None
    oldest = min(int(m["Attributes"]["SentTimestamp"]) for m in messages)
    return max(0.0, time.time() - oldest / 1000)


def queue_counts(sqs: Any, url: str) -> dict[str, int]:
    """A queue's messages: visible, in flight, and delayed (a consumer's deferred work, e.g. orders
    waiting out an ERP outage)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return {
        "visible": int(attributes["ApproximateNumberOfMessages"]),
        "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
    }


def queues(platform: Platform) -> list[QueueState]:
    resources = platform.resources
    redrive = _redrive_names(resources)
    names = [
        (name, kind)
        for pair in resources.queues_with_dlq()
        for name, kind in zip(pair, ("queue", "dlq"), strict=True)
    ]
    names.append((resources.fanout_failure_queue, "failures"))
    sqs = client("sqs")
    states = []
    for name, kind in names:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        counts = queue_counts(sqs, url)
        age = _oldest_age_from_cloudwatch(name)
        if age is None and kind != "queue" and counts["visible"]:
            age = _oldest_dead_letter_age(url)
        states.append(
            QueueState(
                name=name,
                kind=kind,
                **counts,
                oldest_age_seconds=age,
                redrive=redrive.get(name) if kind != "queue" else None,
            )
        )
    return states


def raw_objects(resources: Resources) -> dict[str, str]:
    """Every raw object's ETag by key."""
    return {
        item["Key"]: item["ETag"].strip('"')
        for page in client("s3")
        .get_paginator("list_objects_v2")
        .paginate(Bucket=resources.raw_bucket, Prefix=f"{naming.ZONE_RAW}/")
        for item in page.get("Contents", [])
    }


def lake_status(platform: Platform) -> dict[str, Any]:
    """The raw objects the last committed run has not read, the run, and its data-quality checks (each
    check is an Athena query whose rows are violations). What the lake engine cannot say is None."""
    raw = raw_objects(platform.resources)
    manifest = platform.lake.last_run() if platform.lake is not None else None
    checks = None
    if manifest and platform.lake is not None:
        checks = platform.lake.checks(manifest["run_id"], manifest["committed_at"])
    seen = manifest.get("objects") if manifest else {}
    return {
        "raw_objects": len(raw),
        "not_yet_curated": None
        if seen is None
        else sorted(k for k, etag in raw.items() if seen.get(k) != etag),
        "last_run_id": manifest["run_id"] if manifest else None,
        "last_run_at": manifest["committed_at"] if manifest else None,
        "checks": [vars(c) for c in checks] if checks else [],
    }


def live_status(platform: Platform) -> tuple[str, dict[str, dict[str, float]] | None]:
    """(where they come from, the functions' live counters or None when nothing answers them)."""
    if platform.live is None:
        return "", None
    return platform.live.source, platform.live.functions()


# -- services ----------------------------------------------------------------------------------------

NOTIFICATION_SERVICE, DELIVERIES_TABLE = "notification-sender", "deliveries"
MAX_DELIVERIES = 2000


def notification_deliveries(platform: Platform) -> list[dict[str, Any]]:
    """The notification service's delivery records (one per notification and channel), newest first:
    read from its table (a bounded scan: the table keeps deliveries until their TTL)."""
    resources = platform.resources
    if NOTIFICATION_SERVICE not in resources.config.services:
        return []
    table = resources.service_tables(NOTIFICATION_SERVICE).get(DELIVERIES_TABLE)
    if table is None:
        return []
    deliveries: list[dict[str, Any]] = []
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=table,
            FilterExpression="begins_with(pk, :d)",
            ExpressionAttributeValues={":d": {"S": "d#"}},
            PaginationConfig={"MaxItems": MAX_DELIVERIES},
        )
    )
    for page in pages:
        for raw in page["Items"]:
            item = {k: _DESERIALIZE.deserialize(v) for k, v in raw.items()}
            started = float(item.get("attempt_started_at", 0) or 0)
            deliveries.append(
                {
                    "delivery_id": str(item["pk"]).removeprefix("d#"),
                    "customer_id": str(item.get("customer_id", "")),
                    "notification_id": str(item.get("notification_id", "")),
                    "channel": str(item.get("channel", "")),
                    "status": str(item.get("status", "pending")),
                    "attempts": int(item.get("attempts", 0) or 0),
                    "reason": str(item.get("reason", "")),
                    "at": datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M:%S")
                    if started
                    else "",
                }
            )
    deliveries.sort(key=lambda d: d["at"], reverse=True)
    return deliveries


INBOX_TABLE, INBOX_CHANNEL = "inbox", "inbox"
MAX_INBOX_ENTRIES = 100


def _seconds(iso: str) -> str:
    """An ISO 8601 UTC time as the pages show times: to the second, no zone (every time is UTC)."""
    return iso[:19].replace("T", " ")


def inbox_customers(deliveries: list[dict[str, Any]]) -> list[str]:
    """The customers the in-app inbox channel delivered to, most recent first."""
    seen: dict[str, None] = {}
    for delivery in deliveries:
        if delivery["channel"] == INBOX_CHANNEL and delivery["customer_id"]:
            seen.setdefault(delivery["customer_id"], None)
    return list(seen)


def inbox(platform: Platform, customer_id: str) -> list[dict[str, Any]]:
    """One customer's in-app inbox, newest first, as the notifications API shows it to them (a Query on
    the service's inbox table: its key is the customer)."""
    resources = platform.resources
    if NOTIFICATION_SERVICE not in resources.config.services:
        return []
    table = resources.service_tables(NOTIFICATION_SERVICE).get(INBOX_TABLE)
    if table is None:
        return []
    answer = client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": customer_id}},
        ScanIndexForward=False,
        Limit=MAX_INBOX_ENTRIES,
    )
    entries = []
    for raw in answer.get("Items", []):
        item = {k: _DESERIALIZE.deserialize(v) for k, v in raw.items()}
        entries.append(
            {
                "created_at": _seconds(str(item.get("created_at", ""))),
                "template": str(item.get("template", "")),
                "title": str(item.get("title", "")),
                "text": str(item.get("text", "")),
                "order_id": str(item.get("order_id") or ""),
                "notification_id": str(item.get("notification_id", "")),
                "read_at": _seconds(str(item["read_at"])) if item.get("read_at") else None,
            }
        )
    return entries


# -- trace -------------------------------------------------------------------------------------------


@dataclass
class Hop:
    name: str
    found: bool
    at: str | None = None
    summary: str = ""
    detail: Any = None


@dataclass
class Trace:
    key: str
    team: str | None = None
    event_id: str | None = None
    correlation_id: str | None = None
    verdict: str | None = None
    hops: list[Hop] = field(default_factory=list)


def _item(resources: Resources, team: str, event_id: str) -> dict[str, Any] | None:
    response = client("dynamodb").get_item(
        TableName=resources.events_table,
        Key={"pk": {"S": partition_key(team, event_id)}},
        ConsistentRead=True,
    )
    item = response.get("Item")
    return {k: _DESERIALIZE.deserialize(v) for k, v in item.items()} if item else None


def _items_by_correlation(resources: Resources, correlation_id: str) -> list[dict[str, Any]]:
    """Items of one request (a scan: the table has no index on the correlation id; bounded by a page
    count, which is what a proof of concept's table holds)."""
    items: list[dict[str, Any]] = []
    pages = (
        client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=resources.events_table,
            FilterExpression="correlation_id = :c",
            ExpressionAttributeValues={":c": {"S": correlation_id}},
            PaginationConfig={"MaxItems": 100_000},
        )
    )
    for page in pages:
        items.extend({k: _DESERIALIZE.deserialize(v) for k, v in item.items()} for item in page["Items"])
    return items


def _newest_objects(bucket: str, prefix: str) -> list[dict[str, Any]]:
    objects = [
        item
        for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    ]
    objects.sort(key=lambda item: item["LastModified"], reverse=True)
    return objects[:TRACE_MAX_OBJECTS]


def _rejected(resources: Resources, key: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]] | None:
    """(object key, the request's document, its entries naming the key) in the rejected zone."""
    s3 = client("s3")
    for item in _newest_objects(resources.rejected_bucket, f"{naming.ZONE_REJECTED}/"):
        body = s3.get_object(Bucket=resources.rejected_bucket, Key=item["Key"])["Body"].read()
        if key.encode() not in body:
            continue
        document = json.loads(body)
        whole_request = key in (document.get("correlation_id"), document.get("request_id"))
        entries = [e for e in document.get("events", []) if whole_request or e.get("event_id") == key]
        if entries:
            return item["Key"], document, entries
    return None


def _raw_line(resources: Resources, team: str, event_id: str, key: str | None) -> tuple[str, int, str] | None:
    """(raw object, line number from 1, the line) holding the event: the curated row's lineage when
    known, else the team's newest raw objects."""
    s3 = client("s3")
    candidates = (
        [key]
        if key
        else [o["Key"] for o in _newest_objects(resources.raw_bucket, f"{naming.ZONE_RAW}/team={team}/")]
    )
    needle = f'"event_id":"{event_id}"'.encode()
    for candidate in candidates:
        body = s3.get_object(Bucket=resources.raw_bucket, Key=candidate)["Body"].read()
        text = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        if event_id.encode() not in text:
            continue
        for number, line in enumerate(text.decode().splitlines(), start=1):
            if needle in line.replace(" ", "").encode() or event_id in line:
                return candidate, number, line
    return None


def _stream_record(resources: Resources, pk: str) -> dict[str, Any] | None:
    """The table's stream record of the item (read from the shards' start, as the fan-out did)."""
    table = client("dynamodb").describe_table(TableName=resources.events_table)["Table"]
    arn = table.get("LatestStreamArn")
    if not arn:
        return None
    streams = client("dynamodbstreams")
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        ).get("ShardIterator")
        empty = 0
        for _ in range(TRACE_MAX_STREAM_PAGES):
            if not iterator:
                break
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                keys = record["dynamodb"].get("Keys", {})
                if keys.get("pk", {}).get("S") == pk:
                    created = record["dynamodb"].get("ApproximateCreationDateTime")
                    return {
                        "shard": shard["ShardId"],
                        "sequence_number": record["dynamodb"].get("SequenceNumber"),
                        "event_name": record.get("eventName"),
                        "created": created.isoformat() if isinstance(created, datetime) else created,
                    }
            # DynamoDB Streams may answer empty pages before a shard's records: a few in a row end it.
            empty = 0 if page["Records"] else empty + 1
            if empty >= MAX_EMPTY_STREAM_PAGES:
                break
            iterator = page.get("NextShardIterator")
    return None


def _kafka_offsets(
    platform: Platform, topic: str, event_id: str, quiet_seconds: float = 0.5
) -> list[dict[str, Any]]:
    """Where the event sits in its topic: partition, offset, timestamp (read without a group)."""
    if platform.kafka is None:
        return []
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    from lambdas.console.kafka_lag import messages_until_quiet, throwaway_consumer

    found = []
    with throwaway_consumer(platform.kafka, "console-trace") as consumer:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return []
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        needle = event_id.encode()
        for message in messages_until_quiet(consumer, quiet_seconds):
            if needle in (message.value() or b"") or needle in (message.key() or b""):
                _, stamp = message.timestamp()
                found.append(
                    {
                        "topic": topic,
                        "partition": message.partition(),
                        "offset": message.offset(),
                        "timestamp": datetime.fromtimestamp(stamp / 1000, UTC).isoformat()
                        if stamp > 0
                        else None,
                    }
                )
    return found


def _dead_letters(platform: Platform, needle: str) -> list[dict[str, Any]]:
    """Messages naming the event in a DLQ or the fan-out's failure destination (peeked, not consumed)."""
    found = []
    sqs = client("sqs")
    for state in queues(platform):
        if state.kind == "queue" or not state.visible:
            continue
        url = sqs.get_queue_url(QueueName=state.name)["QueueUrl"]
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        ).get("Messages", [])
        for message in messages:
            if needle in message["Body"]:
                found.append(
                    {
                        "queue": platform.short(state.name),
                        "message_id": message["MessageId"],
                        "attributes": message.get("Attributes", {}),
                    }
                )
    return found


def function_logs(platform: Platform, needles: Iterable[str]) -> list[dict[str, Any]]:
    """Every function's log lines naming one of the needles (CloudWatch Logs, every log group of the
    environment), oldest first: what each service did with the event."""
    logs = client("logs")
    prefix = f"/aws/lambda/{platform.prefix}"
    groups = [
        g["logGroupName"]
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix)
        for g in page["logGroups"]
    ]
    lines: dict[tuple[str, int, str], dict[str, Any]] = {}
    for group in groups:
        for needle in {n for n in needles if n}:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, filterPattern=f'"{needle}"'
            )
            for page in pages:
                for event in page["events"]:
                    message = event["message"]
                    if message.startswith('{"_aws"'):
                        continue  # metrics, not what happened
                    lines[(group, event["timestamp"], message)] = _log_line(group.removeprefix(prefix), event)
    return sorted(lines.values(), key=lambda line: line["at"])


def _log_line(function: str, event: dict[str, Any]) -> dict[str, Any]:
    try:
        document = json.loads(event["message"])
    except ValueError:
        document = {"message": event["message"]}
    noise = {
        "location",
        "function_memory_size",
        "function_arn",
        "function_name",
        "xray_trace_id",
        "cold_start",
        "sampling_rate",
    }
    return {
        "function": function,
        "at": document.get("timestamp") or datetime.fromtimestamp(event["timestamp"] / 1000, UTC).isoformat(),
        "level": document.get("level", ""),
        "message": document.get("message", ""),
        "fields": {
            k: v for k, v in document.items() if k not in noise | {"timestamp", "level", "message", "service"}
        },
    }


def _curated_row(platform: Platform, team: str, event_id: str) -> dict[str, Any] | None:
    rows = run_query(
        platform,
        "SELECT * FROM events WHERE team = ? AND event_id = ?",
        [_literal(team), _literal(event_id)],
    )
    return rows[0] if rows else None


def trace(platform: Platform, key: str) -> Trace:
    """Every hop of an event (by event_id) or of a request (by correlation id)."""
    key = key.strip()
    resources = platform.resources
    result = Trace(key=key)
    items = [(t, item) for t in resources.config.teams if (item := _item(resources, t, key)) is not None]
    if not items:
        items = [(str(item["team"]), item) for item in _items_by_correlation(resources, key)]
    if items:
        team, item = items[0]
        result.team, result.event_id = team, str(item["event_id"])
        result.correlation_id = str(item.get("correlation_id") or "")
        result.verdict = "accepted"
        result.hops.append(
            Hop(
                "ingest: accepted (DynamoDB item)",
                True,
                str(item.get("received_at")),
                f"{resources.events_table} pk={item['pk']}",
                {k: v for k, v in item.items() if k != "envelope"},
            )
        )
        if len(items) > 1:
            result.hops.append(
                Hop(
                    "same request",
                    True,
                    None,
                    f"{len(items) - 1} more accepted events of this correlation id",
                    [str(i["event_id"]) for _, i in items[1:]],
                )
            )
        _accepted_hops(platform, result, str(item["pk"]), str(item["event_type"]))
    rejected = _rejected(resources, key)
    if rejected is not None:
        object_key, document, entries = rejected
        result.team = result.team or document.get("team")
        result.correlation_id = result.correlation_id or document.get("correlation_id")
        if not items:
            result.verdict = "rejected"
        reasons = [
            f"{r.get('path') or '(the event)'}: {r.get('message')}"
            for entry in entries
            for r in entry.get("reasons", [])
        ]
        result.hops.append(
            Hop(
                "ingest: rejected (rejected zone)",
                True,
                document.get("received_at"),
                f"s3://{resources.rejected_bucket}/{object_key}",
                {"reasons": reasons, "entries": entries},
            )
        )
    if result.verdict is None:
        return result
    needles = [key, result.event_id or "", result.correlation_id or ""]
    logs = function_logs(platform, needles)
    result.hops.append(
        Hop(
            "what the functions did (CloudWatch Logs)",
            bool(logs),
            logs[0]["at"] if logs else None,
            f"{len(logs)} log lines",
            logs,
        )
    )
    return result


def _accepted_hops(platform: Platform, result: Trace, pk: str, event_type: str) -> None:
    resources = platform.resources
    team, event_id = str(result.team), str(result.event_id)
    record = _stream_record(resources, pk)
    result.hops.append(
        Hop(
            "DynamoDB stream record",
            record is not None,
            record["created"] if record else None,
            f"sequence {record['sequence_number']}" if record else "not in the stream (trimmed after 24 h)",
            record,
        )
    )
    dead = _dead_letters(platform, event_id)
    result.hops.append(
        Hop("dead letters", bool(dead), None, f"{len(dead)} message(s) parked" if dead else "in no DLQ", dead)
    )
    if event_type in resources.config.kafka_event_types:
        topic = naming.topic_name(resources.env, event_type)
        offsets = _kafka_offsets(platform, topic, event_id)
        first = offsets[0] if offsets else None
        result.hops.append(
            Hop(
                "Kafka",
                first is not None,
                first["timestamp"] if first else None,
                f"{topic} partition {first['partition']} offset {first['offset']}"
                if first
                else f"not in {topic} yet (the outbox and the bridge publish it)",
                offsets,
            )
        )
    row = _curated_row(platform, team, event_id)
    raw = _raw_line(
        resources, team, event_id, str(row["raw_object"]) if row and row.get("raw_object") else None
    )
    result.hops.append(
        Hop(
            "raw zone",
            raw is not None,
            None,
            f"s3://{resources.raw_bucket}/{raw[0]} line {raw[1]}" if raw else "not written yet",
            json.loads(raw[2]) if raw else None,
        )
    )
    result.hops.append(
        Hop(
            "curated zone (lake)",
            row is not None,
            str(row.get("received_at")) if row else None,
            f"events, team={team}, event_date={row.get('event_date')}"
            if row
            else "not curated yet (next ETL run)",
            row,
        )
    )

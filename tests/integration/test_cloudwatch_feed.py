"""CloudWatch fed as on AWS: the functions' log lines in their log groups, their EMF metrics, 429s per team."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from local_platform.cloudwatch import CloudWatchShipper, api_namespace, log_group
from local_platform.kafka_broker import KafkaBroker
from local_platform.runtime import Component, LocalPlatform
from platform_core.aws import client
from tests.fixtures.aws import isolated_config
from tools.traffic import IngestClient, TrafficGenerator

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


def _sum(namespace: str, metric: str, dimensions: dict[str, str]) -> float:
    now = datetime.now(UTC)
    result = client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                    },
                    "Period": 3600,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=1),
    )
    return float(sum(result["MetricDataResults"][0]["Values"]))


def _eventually(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_the_ingest_logs_and_verdict_metrics_reach_cloudwatch(aws_endpoint_url: str, tmp_path: Path) -> None:
    shipper = CloudWatchShipper(interval=0.5)
    components = [cast(Component, KafkaBroker()), cast(Component, shipper)]
    with LocalPlatform(isolated_config(), components=components, state_path=tmp_path / "p.json") as platform:
        traffic = TrafficGenerator(seed=5, config=platform.config)
        [(team, event)] = list(traffic.events(1))[:1]
        producer = IngestClient(platform.gateway_url, platform.api_keys[team].value)
        try:
            bad, _ = traffic.invalidate(event, "missing_payload_field")
            first = producer.post([event, bad])
            assert first.status_code == 202
            assert producer.post([event]).status_code == 202  # the same event again: a duplicate
        finally:
            producer.close()
        namespace = platform.config.project
        dimensions = {"team": team, "event_type": event["event_type"], "service": "ingest"}
        assert _eventually(lambda: _sum(namespace, "duplicate", dimensions)) == 1
        # Each execution environment ships its own lines and metrics: the first request's may come later.
        assert _eventually(lambda: _sum(namespace, "accepted", dimensions)) == 1
        group = log_group(platform.resources.function_name("ingest"))
        correlation_id = first.headers["X-Correlation-Id"]

        def request_lines() -> list[dict[str, Any]]:
            lines = client("logs").filter_log_events(logGroupName=group, filterPattern=f'"{correlation_id}"')
            return [line for line in lines["events"] if "ingest request" in line["message"]]

        assert _eventually(request_lines)
        assert api_namespace(platform.config.project) == f"{namespace}/api"


def test_metric_queries_read_their_own_namespace_only(aws_endpoint_url: str) -> None:
    """Two platforms on one endpoint publish metrics of the same name and dimensions: each reads its own."""
    dimensions = {"team": "orders", "event_type": "orders.order_created", "service": "ingest"}
    mine, theirs = isolated_config().project, isolated_config().project
    for namespace, value in ((mine, 1.0), (theirs, 5.0)):
        client("cloudwatch").put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": "accepted",
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                    "Values": [value],
                    "Unit": "Count",
                }
            ],
        )
    assert _sum(mine, "accepted", dimensions) == 1
    assert _sum(theirs, "accepted", dimensions) == 5

"""CloudWatch as Lambda and API Gateway feed it, on the local AWS endpoint: logs, EMF metrics, 429s.

In AWS, a function's stdout lands in its log group `/aws/lambda/<function>`,
and CloudWatch extracts the metrics of every Embedded Metric Format line
(Powertools' metrics) into the namespace the line names. Locally the functions
write their stdout to `<logs_dir>/<function>.log` (local_platform/functions);
this component tails those files and does what CloudWatch does: each line
goes to the function's log group (stream `local`), each EMF line's metrics go
to `PutMetricData` with its dimension sets and timestamp. So a reader (the
console, `make status`) asks CloudWatch through boto3, here as on AWS.

API Gateway's own metrics count a stage's 4XX responses, not one usage plan's
429s; the platform publishes those per team as `ThrottledRequests` in the
namespace `<project>/api` (on AWS a metric filter on the access log, keyed
by the API key's owner, gives the same series).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platform_core.aws import client

if TYPE_CHECKING:
    from local_platform.runtime import LocalPlatform

log = logging.getLogger(__name__)

SHIP_INTERVAL_SECONDS = 1.0
LOG_STREAM = "local"
THROTTLED_METRIC = "ThrottledRequests"
# PutMetricData takes at most 1000 metrics a call; PutLogEvents 10,000 events.
METRICS_PER_CALL = 500
EVENTS_PER_CALL = 5000


def api_namespace(project: str) -> str:
    """Where the platform publishes its API's per-team counters."""
    return f"{project}/api"


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def emf_metric_data(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(namespace, MetricDatum) of each metric of one EMF document, for each of its dimension sets."""
    directive = document.get("_aws") or {}
    timestamp = datetime.fromtimestamp(int(directive.get("Timestamp", 0)) / 1000, UTC)
    for block in directive.get("CloudWatchMetrics") or []:
        for metric in block.get("Metrics") or []:
            name = metric["Name"]
            value = document.get(name)
            values = value if isinstance(value, list) else [value]
            numbers = [float(v) for v in values if isinstance(v, int | float)]
            if not numbers:
                continue
            for dimension_set in block.get("Dimensions") or [[]]:
                yield (
                    block["Namespace"],
                    {
                        "MetricName": name,
                        "Dimensions": [{"Name": d, "Value": str(document[d])} for d in dimension_set],
                        "Timestamp": timestamp,
                        "Values": numbers,
                        "Unit": metric.get("Unit", "None"),
                    },
                )


class CloudWatchShipper:
    """The `cloudwatch` component: the functions' logs and EMF metrics, and the API's 429s per team."""

    name = "cloudwatch"

    def __init__(self, interval: float = SHIP_INTERVAL_SECONDS):
        self._interval = interval
        self._platform: LocalPlatform | None = None
        self._offsets: dict[Path, int] = {}
        self._throttled: dict[str, int] = {}
        self._groups: set[str] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = {"log_events": 0, "metric_values": 0, "errors": 0}

    def start(self, platform: LocalPlatform) -> CloudWatchShipper:
        self._platform = platform
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="cloudwatch-shipper", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.ship()  # what the last invocations wrote

    def status(self) -> dict[str, Any]:
        return {"log_groups": len(self._groups), **self.stats}

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.ship()
            except Exception:  # CloudWatch failing must not stop the platform; retried next tick
                self.stats["errors"] += 1
                log.exception("shipping logs and metrics to CloudWatch failed")

    def ship(self) -> None:
        """Everything new since the last call: log lines, EMF metrics, 429 counts."""
        platform = self._platform
        if platform is None or platform.logs_dir is None:
            return
        metrics: list[tuple[str, dict[str, Any]]] = []
        for path in sorted(platform.logs_dir.glob("*.log")):
            lines = self._new_lines(path)
            if lines:
                self._put_logs(path.stem, lines)
                metrics.extend(_metrics_of(lines))
        metrics.extend(self._throttled_metrics(platform))
        self._put_metrics(metrics)

    def _new_lines(self, path: Path) -> list[tuple[int, str]]:
        """Complete lines appended since the last read, with the file's modification time in ms."""
        offset = self._offsets.get(path, 0)
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self._offsets[path] = offset + end + 1
        now = int(datetime.now(UTC).timestamp() * 1000)
        return [(now, line) for line in data[:end].decode("utf-8", "replace").splitlines() if line.strip()]

    def _put_logs(self, function_name: str, lines: list[tuple[int, str]]) -> None:
        logs = client("logs")
        group = log_group(function_name)
        if group not in self._groups:
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_group(logGroupName=group)
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_stream(logGroupName=group, logStreamName=LOG_STREAM)
            self._groups.add(group)
        for start in range(0, len(lines), EVENTS_PER_CALL):
            chunk = lines[start : start + EVENTS_PER_CALL]
            logs.put_log_events(
                logGroupName=group,
                logStreamName=LOG_STREAM,
                logEvents=[{"timestamp": at, "message": line} for at, line in chunk],
            )
        self.stats["log_events"] += len(lines)

    def _throttled_metrics(self, platform: LocalPlatform) -> list[tuple[str, dict[str, Any]]]:
        if platform.gateway is None:
            return []
        now = datetime.now(UTC)
        metrics: list[tuple[str, dict[str, Any]]] = []
        for team, counts in platform.gateway.stats().items():
            total = int(counts.get(429, 0))
            new = total - self._throttled.get(team, 0)
            self._throttled[team] = total
            if new > 0:
                datum = {
                    "MetricName": THROTTLED_METRIC,
                    "Dimensions": [{"Name": "team", "Value": team}],
                    "Timestamp": now,
                    "Values": [float(new)],
                    "Unit": "Count",
                }
                metrics.append((api_namespace(platform.config.project), datum))
        return metrics

    def _put_metrics(self, metrics: list[tuple[str, dict[str, Any]]]) -> None:
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for namespace, datum in metrics:
            by_namespace.setdefault(namespace, []).append(datum)
        cloudwatch = client("cloudwatch")
        for namespace, data in by_namespace.items():
            for start in range(0, len(data), METRICS_PER_CALL):
                cloudwatch.put_metric_data(
                    Namespace=namespace, MetricData=data[start : start + METRICS_PER_CALL]
                )
            self.stats["metric_values"] += sum(len(d["Values"]) for d in data)


def _metrics_of(lines: list[tuple[int, str]]) -> list[tuple[str, dict[str, Any]]]:
    metrics: list[tuple[str, dict[str, Any]]] = []
    for _, line in lines:
        if '"_aws"' not in line:
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict):
            metrics.extend(emf_metric_data(document))
    return metrics

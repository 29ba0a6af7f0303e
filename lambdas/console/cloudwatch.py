"""The functions' counters on AWS (lambdas/console/ports.py `LiveCounters`): what CloudWatch keeps of
each Lambda function (namespace AWS/Lambda, dimension FunctionName) over the last minutes. Lambda
publishes nothing for a function that was not invoked, so no datapoint is a count of 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

# (the counter the page shows, the Lambda metric, its statistic)
METRICS = (
    ("invocations", "Invocations", "Sum"),
    ("errors", "Errors", "Sum"),
    ("throttles", "Throttles", "Sum"),
    ("concurrency", "ConcurrentExecutions", "Maximum"),
)
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit


class LambdaMetrics:
    def __init__(self, cloudwatch: Any, functions: dict[str, str], minutes: int = 15):
        """functions: {the name the page shows: the Lambda function's name}."""
        self.cloudwatch = cloudwatch
        self.names = functions
        self.minutes = minutes

    @property
    def source(self) -> str:
        return f"CloudWatch's Lambda metrics, last {self.minutes} minutes"

    def functions(self) -> dict[str, dict[str, float]] | None:
        end = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        start = end - timedelta(minutes=self.minutes)
        queries = {
            f"q{i}_{j}": (shown, counter, metric, stat)
            for i, shown in enumerate(sorted(self.names))
            for j, (counter, metric, stat) in enumerate(METRICS)
        }
        requests = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/Lambda",
                        "MetricName": metric,
                        "Dimensions": [{"Name": "FunctionName", "Value": self.names[shown]}],
                    },
                    "Period": self.minutes * 60,
                    "Stat": stat,
                },
            }
            for query_id, (shown, _, metric, stat) in queries.items()
        ]
        counters: dict[str, dict[str, float]] = {
            shown: dict.fromkeys((c for c, _, _ in METRICS), 0.0) for shown in sorted(self.names)
        }
        for first in range(0, len(requests), MAX_QUERIES_PER_CALL):
            pages = self.cloudwatch.get_paginator("get_metric_data").paginate(
                MetricDataQueries=requests[first : first + MAX_QUERIES_PER_CALL], StartTime=start, EndTime=end
            )
            for page in pages:
                for result in page["MetricDataResults"]:
                    shown, counter, _, stat = queries[result["Id"]]
                    values = result["Values"]
                    if values:
                        counters[shown][counter] = max(values) if stat == "Maximum" else sum(values)
        return counters

"""The console's overview reads CloudWatch as the ingest writes it: every event type of a team summed per
minute, a rejected event of another team's type counted, coarser periods as per-minute rates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from lambdas.console import sources
from lambdas.console.sources import Platform
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.resources import Resources

NOW = datetime.now(UTC).replace(second=30, microsecond=0)


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[Platform]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        yield Platform(Resources(get_config(), "dev"))


def _emf(team: str, event_type: str, verdict: str, value: float, at: datetime) -> None:
    """What CloudWatch keeps of one ingest EMF line."""
    client("cloudwatch").put_metric_data(
        Namespace=get_config().project,
        MetricData=[
            {
                "MetricName": verdict,
                "Dimensions": [
                    {"Name": "team", "Value": team},
                    {"Name": "event_type", "Value": event_type},
                    {"Name": "service", "Value": "ingest"},
                ],
                "Timestamp": at,
                "Values": [value],
                "Unit": "Count",
            }
        ],
    )


def test_a_teams_verdicts_are_summed_over_its_event_types_per_minute(platform: Platform) -> None:
    _emf("orders", "orders.order_created", "accepted", 3, NOW)
    _emf("orders", "orders.order_cancelled", "accepted", 2, NOW)
    _emf("orders", "orders.order_created", "duplicate", 1, NOW)
    _emf("orders", "billing.invoice_issued", "rejected", 1, NOW)  # a type the team may not produce
    _emf("orders", "unknown", "rejected", 4, NOW - timedelta(minutes=2))
    _emf("billing", "billing.invoice_issued", "accepted", 7, NOW)  # another team
    start, end = sources.minute_window(15, NOW)
    rows = sources.verdicts_per_minute(platform, "orders", start, end)
    assert sources.totals(rows) == {"accepted": 5, "duplicate": 1, "rejected": 5}
    assert {row["minute"] for row in rows if row["series"] == "rejected"} == {
        (NOW - timedelta(minutes=2)).replace(second=0).isoformat(),
        NOW.replace(second=0).isoformat(),
    }


def test_longer_ranges_are_read_coarser_and_shown_as_per_minute_rates(platform: Platform) -> None:
    _emf("orders", "orders.order_created", "accepted", 600, NOW - timedelta(hours=3))
    start, end = sources.minute_window(360, NOW)
    [row] = sources.verdicts_per_minute(platform, "orders", start, end)
    assert sources.period_for(360) == 600
    assert (row["count"], row["per_minute"]) == (600, 60.0)


def test_429s_are_read_per_team(platform: Platform) -> None:
    client("cloudwatch").put_metric_data(
        Namespace=f"{get_config().project}/api",
        MetricData=[
            {
                "MetricName": sources.THROTTLED_METRIC,
                "Dimensions": [{"Name": "team", "Value": "orders"}],
                "Timestamp": NOW,
                "Values": [9.0],
                "Unit": "Count",
            }
        ],
    )
    start, end = sources.minute_window(15, NOW)
    assert sources.totals(sources.throttled_per_minute(platform, "orders", start, end)) == {
        sources.THROTTLED_METRIC: 9
    }
    assert sources.throttled_per_minute(platform, "billing", start, end) == []


def test_on_aws_429s_are_read_per_api_key_as_the_access_logs_metric_filter_counts_them(
    platform: Platform,
) -> None:
    client("cloudwatch").put_metric_data(
        Namespace=f"{get_config().project}/api",
        MetricData=[
            {
                "MetricName": sources.THROTTLED_METRIC,
                "Dimensions": [{"Name": "apiKeyId", "Value": "k-orders"}],
                "Timestamp": NOW,
                "Values": [1.0, 1.0, 1.0],
                "Unit": "Count",
            }
        ],
    )
    keys = {"orders": "k-orders"}
    on_aws = Platform(platform.resources, api_key_id=keys.get)
    start, end = sources.minute_window(15, NOW)
    assert sources.totals(sources.throttled_per_minute(on_aws, "orders", start, end)) == {
        sources.THROTTLED_METRIC: 3
    }
    assert sources.throttled_per_minute(on_aws, "billing", start, end) == []

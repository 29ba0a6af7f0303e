from datetime import UTC, datetime

import pytest

from platform_core import naming


def test_aws_names_follow_project_env_team_purpose() -> None:
    assert naming.resource_name("stockoss", "dev", "events", "orders") == "stockoss-dev-orders-events"
    assert naming.events_table("stockoss", "prod") == "stockoss-prod-events"
    assert naming.team_dlq("stockoss", "dev", "billing") == "stockoss-dev-billing-events-dlq"
    assert naming.bucket_name("stockoss", "dev", "raw", "123456789012") == "stockoss-dev-raw-123456789012"


def test_topic_names_are_env_domain_event() -> None:
    assert naming.topic_name("staging", "orders.order_created") == "staging.orders.order_created"
    with pytest.raises(ValueError):
        naming.topic_name("dev", "not-an-event-type")


def test_s3_keys_carry_hive_partitions_in_utc() -> None:
    at = datetime(2026, 3, 7, 9, 41, tzinfo=UTC)
    assert naming.raw_key("orders", at, "b1") == "raw/team=orders/dt=2026-03-07/hour=09/b1.jsonl.gz"
    assert naming.rejected_key("billing", at, "r1") == "rejected/team=billing/dt=2026-03-07/hour=09/r1.json"
    assert (
        naming.curated_prefix("events", "orders", "2026-03-07")
        == "curated/events/team=orders/event_date=2026-03-07/"
    )


def test_partitions_are_utc_whatever_the_offset() -> None:
    from datetime import timedelta, timezone

    at = datetime(2026, 3, 7, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert naming.raw_key("orders", at, "b").startswith("raw/team=orders/dt=2026-03-06/hour=23/")


def test_service_names() -> None:
    # The same examples as modules/naming/tests/naming.tftest.hcl service_names_and_environment.
    assert (
        naming.service_function("stockoss", "dev", "orders", "order-saga") == "stockoss-dev-orders-order-saga"
    )
    assert (
        naming.service_table("stockoss", "dev", "orders", "order-state") == "stockoss-dev-orders-order-state"
    )
    assert (
        naming.service_bucket("stockoss", "dev", "orders", "uploads", "123456789012")
        == "stockoss-dev-orders-uploads-123456789012"
    )
    assert naming.service_secret("stockoss", "dev", "orders", "erp") == "stockoss-dev-orders-erp"
    assert (
        naming.service_queue("stockoss", "dev", "orders", "orders-api")
        == "stockoss-dev-orders-orders-api-inbox"
    )
    assert (
        naming.service_dlq("stockoss", "dev", "orders", "orders-api")
        == "stockoss-dev-orders-orders-api-inbox-dlq"
    )
    assert (
        naming.service_consumer_group("stockoss", "dev", "orders", "order-saga")
        == "stockoss-dev-orders-consumer-order-saga"
    )
    assert naming.team_api_key_secret("stockoss", "dev", "orders") == "stockoss-dev-orders-api-key"
    assert naming.env_var_suffix("order-state") == "ORDER_STATE"

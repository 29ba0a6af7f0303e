"""The schema registry: every schema loads and compiles, and failures come with field paths."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from platform_core.config import get_config
from platform_core.registry import Reason, SchemaRegistry, get_registry
from tools.traffic import TrafficGenerator

REQUIRED_TYPES = {
    "orders.order_created",
    "orders.order_cancelled",
    "orders.stock_reserved",
    "billing.invoice_requested",
    "billing.invoice_issued",
    "documents.document_uploaded",
    "notifications.notification_requested",
}


def test_registry_holds_the_stockoss_event_types() -> None:
    registry = get_registry()
    assert set(registry.event_types) >= REQUIRED_TYPES
    for schema in registry:
        assert schema.business_key, f"{schema.event_type} has no x-business-key"
        assert schema.business_key in schema.document["properties"]


def test_every_configured_event_type_is_registered() -> None:
    assert set(get_config().event_types) <= set(get_registry().event_types)


@pytest.mark.parametrize("event_type", sorted(REQUIRED_TYPES))
def test_generated_payloads_are_valid(event_type: str) -> None:
    _, event = TrafficGenerator(seed=11).event_of_type(event_type)
    assert get_registry().validate_payload(event_type, "1", event["payload"]) == []


def test_invalid_payload_reports_every_problem_with_its_path() -> None:
    _, event = TrafficGenerator(seed=12).event_of_type("orders.order_created")
    payload = event["payload"]
    payload["lines"][0]["sku"] = "lowercase"
    payload["total"]["currency"] = "euro"
    del payload["customer_id"]
    reasons = get_registry().validate_payload("orders.order_created", "1", payload)
    assert {r.path for r in reasons} == {"payload", "payload.lines[0].sku", "payload.total.currency"}
    assert Reason("payload", '"customer_id" is a required property') in reasons


def test_unknown_type_and_version_are_reasons_not_errors() -> None:
    registry = get_registry()
    assert registry.validate_payload("orders.nope", "1", {}) == [
        Reason("event_type", "unknown event type 'orders.nope'")
    ]
    [reason] = registry.validate_payload("orders.order_created", "99", {})
    assert reason.path == "schema_version"


def test_formats_are_enforced() -> None:
    _, event = TrafficGenerator(seed=13).event_of_type("billing.invoice_issued")
    event["payload"]["due_date"] = "next tuesday"
    [reason] = get_registry().validate_payload("billing.invoice_issued", "1", event["payload"])
    assert reason.path == "payload.due_date"


def test_a_directory_without_schemas_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no schemas"):
        SchemaRegistry.load(tmp_path)


def test_an_invalid_schema_fails_at_load(tmp_path: Path) -> None:
    target = tmp_path / "orders" / "broken"
    target.mkdir(parents=True)
    (target / "1.json").write_text(json.dumps({"type": "no-such-type"}))
    with pytest.raises(jsonschema_rs.ValidationError, match="no-such-type"):
        SchemaRegistry.load(tmp_path)


def test_every_schema_file_is_valid_against_the_meta_schema() -> None:
    # Checked here rather than at every cold start.
    from jsonschema import Draft202012Validator

    from platform_core.registry import DEFAULT_SCHEMAS_DIR

    files = sorted(DEFAULT_SCHEMAS_DIR.glob("*/*/*.json"))
    assert len(files) >= len(REQUIRED_TYPES)
    for path in files:
        Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))

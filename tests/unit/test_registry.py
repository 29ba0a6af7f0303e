"""The schema registry: every schema loads and compiles, and failures come with field paths."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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


def test_an_invalid_schema_fails_at_its_first_payload_and_only_its_own(tmp_path: Path) -> None:
    for name, document in (("broken", {"type": "no-such-type"}), ("fine", {"type": "object"})):
        (tmp_path / "orders" / name).mkdir(parents=True)
        (tmp_path / "orders" / name / "1.json").write_text(json.dumps(document))
    registry = SchemaRegistry.load(tmp_path)
    assert registry.validate_payload("orders.fine", "1", {}) == []
    with pytest.raises(jsonschema_rs.ValidationError, match="no-such-type"):
        registry.validate_payload("orders.broken", "1", {})


def test_every_schema_file_is_valid_against_the_meta_schema() -> None:
    # Checked here rather than at every cold start.
    from jsonschema import Draft202012Validator

    from platform_core.registry import DEFAULT_SCHEMAS_DIR

    files = sorted(DEFAULT_SCHEMAS_DIR.glob("*/*/*.json"))
    assert len(files) >= len(REQUIRED_TYPES)
    for path in files:
        Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_every_registered_schema_compiles() -> None:
    # The registry compiles a schema when its first payload arrives: a schema that cannot compile
    # fails here, not on a request.
    for schema in get_registry():
        assert schema.validator.is_valid(None) is False, schema.event_type


# -- every value a payload can hold is bounded ---------------------------------------------------

BOUNDED_FORMATS = {"date", "date-time", "time", "uuid"}
# v1 as it was: bounding its values would refuse notification requests valid today. The
# notification service's version 2 bounds them (the test holds every later version to it).
UNBOUNDED_BY_VERSION_1 = {("notifications.notification_requested", "1", ".variables.*")}


def _unbounded_pattern(pattern: str) -> bool:
    bare = re.sub(r"\[[^\]]*\]", "c", re.sub(r"\\.", "", pattern))  # escapes and character classes
    return bool(re.search(r"[*+]|\{\d+,\}", bare))


def _distinct_choices(node: dict[str, Any]) -> bool:
    """An array of distinct values from an enum holds at most as many items as the enum has."""
    items = node.get("items")
    return bool(node.get("uniqueItems")) and isinstance(items, dict) and "enum" in items


def _grows(node: dict[str, Any]) -> bool:
    """Whether this value itself (not what it contains) has no upper bound."""
    types: list[Any] = node["type"] if isinstance(node.get("type"), list) else [node.get("type")]
    extra = node.get("additionalProperties")
    return (
        (
            "string" in types
            and not {"maxLength", "enum", "const"} & set(node)
            and node.get("format") not in BOUNDED_FORMATS
            and _unbounded_pattern(node.get("pattern", ".*"))
        )
        or ("array" in types and "maxItems" not in node and not _distinct_choices(node))
        or (
            "object" in types
            and extra is not False
            and "maxProperties" not in node
            and bool(extra or "properties" not in node)
        )
    )


def _unbounded(node: Any, path: str = "") -> list[str]:
    """JSON paths of the strings, arrays and maps a schema lets grow without limit."""
    if not isinstance(node, dict):
        return []
    found = [path] if _grows(node) else []
    children = [(f"{path}.{name}", child) for name, child in node.get("properties", {}).items()]
    children += [(f"{path}[]", node.get("items")), (f"{path}.*", node.get("additionalProperties"))]
    children += [(f"{path}#{name}", child) for name, child in node.get("$defs", {}).items()]
    for keyword in ("oneOf", "anyOf", "allOf"):
        children += [(f"{path}|{keyword}[{i}]", child) for i, child in enumerate(node.get(keyword, []))]
    for child_path, child in children:
        found += _unbounded(child, child_path)
    return found


def test_every_string_array_and_map_of_every_payload_schema_is_bounded() -> None:
    """The platform refuses an event over its size limit; the schemas say the limit of each field."""
    found = {
        (schema.event_type, schema.version, path)
        for schema in get_registry()
        for path in _unbounded(schema.document)
    }
    assert found == UNBOUNDED_BY_VERSION_1


def test_the_bounds_check_finds_what_grows() -> None:
    assert _unbounded({"type": "string", "pattern": "^s3://[a-z]{3,63}/.+$"}) == [""]
    assert _unbounded({"type": "string", "pattern": "^[A-Z]{3}$"}) == []
    assert _unbounded({"type": "string", "pattern": "^\\+[0-9]{6,14}$"}) == []
    assert _unbounded({"type": "array", "items": {"type": "string", "maxLength": 3}}) == [""]
    assert (
        _unbounded({"type": "array", "uniqueItems": True, "items": {"type": "string", "enum": ["a", "b"]}})
        == []
    )
    assert _unbounded({"type": "object", "additionalProperties": {"type": "integer"}}) == [""]
    assert _unbounded(
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    ) == [".a"]

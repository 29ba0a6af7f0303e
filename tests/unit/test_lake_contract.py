"""The table contracts (athena/tables/*.json), the DDL generated from them, the sample traffic and the report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from glue_jobs.contract import athena_ddl, load_tables, tables_dir
from platform_core.config import get_config
from platform_core.registry import SchemaRegistry
from tools.traffic import lake_events, raw_objects


def test_committed_ddl_is_generated_from_the_contracts() -> None:
    teams = list(get_config().teams)
    for contract in load_tables().values():
        committed = (Path(str(tables_dir())) / f"{contract.name}.sql").read_text()
        assert committed == athena_ddl(contract, teams), f"run python -m glue_jobs.contract ({contract.name})"


def test_contracts_are_complete() -> None:
    tables = load_tables()
    assert set(tables) == {"events", "rejected_events", "raw_events", "quarantined_events"}
    for contract in tables.values():
        assert contract.bucket in ("raw", "rejected", "curated")
        assert contract.location_prefix.endswith("/")
        assert set(contract.unique_key) <= set(contract.column_names + contract.partition_names)
        for key in contract.partition_keys:
            assert key.projection["type"] in ("enum", "date", "integer", "injected")
        document = json.loads((Path(str(tables_dir())) / f"{contract.name}.json").read_text())
        assert {"name", "description", "location_prefix", "format", "columns", "partition_keys"} <= set(
            document
        )
    # Curated tables say where every column comes from; the job refuses a contract it cannot fill.
    for name in ("events", "rejected_events"):
        assert all(c.sources for c in tables[name].columns), name
    assert tables["events"].spark_ddl().startswith("`event_id` STRING, `event_type` STRING")


def test_sample_traffic_is_valid_against_the_registered_schemas() -> None:
    registry = SchemaRegistry.load()
    events = lake_events(800, datetime(2026, 3, 1, tzinfo=UTC), timedelta(hours=2), seed=3)
    assert {e.event_type for e in events} >= {
        "orders.order_created",
        "orders.stock_reserved",
        "orders.order_cancelled",
        "billing.invoice_issued",
        "documents.document_uploaded",
    }
    for event in events:
        assert registry.validate_payload(event.event_type, event.schema_version, event.payload) == [], event
        assert event.event_type in get_config().teams[event.team].produces
    objects = raw_objects(events, batch_size=50)
    assert all(k.startswith("raw/team=") and k.endswith(".jsonl.gz") for k in objects)


def test_glue_worker_modules_are_pinned_as_in_the_lock() -> None:
    """What Glue installs (--additional-python-modules) is what the tests ran with."""
    import re

    from platform_core.config import ROOT

    locked = dict(
        re.findall(r"^([a-z0-9_.-]+)==([^ \\\n]+)", (ROOT / "requirements/dev.lock").read_text(), re.M)
    )
    lines = (ROOT / "glue_jobs/raw_to_curated/requirements.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert pins, "no modules listed"
    for pin in pins:
        name, _, version = pin.partition("==")
        assert locked.get(name.lower()) == version, f"{pin} differs from requirements/dev.lock"

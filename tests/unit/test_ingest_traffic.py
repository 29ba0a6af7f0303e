"""The StockOSS traffic generator: valid, consistent, reproducible business data; bad input on demand."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from platform_core.config import get_config
from platform_core.envelope import EventIn
from platform_core.registry import get_registry
from tools.traffic import Kind, TrafficGenerator, batches, lake_events


def test_every_event_is_valid_and_sent_by_its_producer() -> None:
    config, registry = get_config(), get_registry()
    seen: Counter[str] = Counter()
    for team, event in TrafficGenerator(1).events(60):
        envelope = EventIn.model_validate(event)
        assert config.producer_of(envelope.event_type) == team
        assert registry.validate_payload(envelope.event_type, envelope.schema_version, envelope.payload) == []
        seen[envelope.event_type] += 1
    assert set(seen) == set(config.event_types), "every StockOSS event type appears"


def test_documents_are_also_uploaded_outside_orders() -> None:
    uploads = [
        event["payload"]
        for _, event in TrafficGenerator(4).events(50)
        if event["event_type"] == "documents.document_uploaded" and "order_id" not in event["payload"]
    ]
    assert uploads and {u["document_type"] for u in uploads} - {"invoice"}


def test_a_stored_event_is_received_after_it_occurred_by_its_team() -> None:
    generator = TrafficGenerator(2)
    team, event = generator.event_of_type("billing.invoice_issued")
    stored = generator.stored(team, event)
    assert stored.team == "billing" and str(stored.event_id) == event["event_id"]
    assert stored.occurred_at < stored.received_at
    assert stored.payload == event["payload"] and stored.ingest_id and stored.correlation_id


def test_lake_history_spreads_lifecycles_over_the_span() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    events = lake_events(400, start, timedelta(hours=6), seed=9)
    assert len(events) == 400
    hours = {e.occurred_at.hour for e in events}
    assert len(hours) >= 5 and all(
        start <= e.occurred_at < start + timedelta(hours=6, minutes=5) for e in events
    )
    currencies = {e.payload["total"]["currency"] for e in events if e.event_type == "orders.order_created"}
    assert len(currencies) > 1, "revenue per currency has more than one currency to group"


def test_an_order_lifecycle_is_consistent() -> None:
    generator = TrafficGenerator(3)
    flows = [generator.order_flow() for _ in range(100)]
    cancelled = [flow for flow in flows if flow[-1][1]["event_type"] == "orders.order_cancelled"]
    assert cancelled and all(len(flow) == 3 for flow in cancelled), "some orders are cancelled once reserved"
    rejected = [flow for flow in flows if flow[-1][1]["event_type"] == "orders.order_rejected"]
    assert rejected and all(len(flow) == 2 for flow in rejected), "some orders are rejected, never reserved"
    for flow in flows:
        by_type = {event["event_type"]: event["payload"] for _, event in flow}
        created = by_type["orders.order_created"]
        assert {p["order_id"] for p in by_type.values()} == {created["order_id"]}
        if "orders.order_rejected" in by_type:
            continue
        ordered = {(line["sku"], line["quantity"]) for line in created["lines"]}
        assert {
            (line["sku"], line["quantity"]) for line in by_type["orders.stock_reserved"]["lines"]
        } == ordered
        total = sum(Decimal(line["unit_price"]["amount"]) * line["quantity"] for line in created["lines"])
        assert Decimal(created["total"]["amount"]) == total
        if "billing.invoice_issued" in by_type:
            invoice = by_type["billing.invoice_issued"]
            assert Decimal(invoice["net"]["amount"]) + Decimal(invoice["tax"]["amount"]) == total
            assert by_type["documents.document_uploaded"]["file_name"] == f"{invoice['invoice_number']}.pdf"
        occurred = [event["occurred_at"] for _, event in flow]
        assert occurred == sorted(occurred)


def test_same_seed_same_traffic_and_seeds_do_not_share_ids() -> None:
    start = TrafficGenerator(0)._clock
    first = [e for _, e in TrafficGenerator(5, start=start).events(10)]
    again = [e for _, e in TrafficGenerator(5, start=start).events(10)]
    other = [e for _, e in TrafficGenerator(6, start=start).events(10)]
    assert first == again
    assert not {e["event_id"] for e in first} & {e["event_id"] for e in other}
    for business_id in ("order_id", "document_id"):
        ours = {e["payload"][business_id] for e in first if business_id in e["payload"]}
        theirs = {e["payload"][business_id] for e in other if business_id in e["payload"]}
        assert ours and not ours & theirs, business_id


@pytest.mark.parametrize("mutation", TrafficGenerator.MUTATIONS)
def test_each_mutation_makes_an_event_invalid(mutation: str) -> None:
    from pydantic import ValidationError

    generator = TrafficGenerator(7)
    team, event = generator.event_of_type("orders.order_created")
    bad, applied = generator.invalidate(event, mutation)
    assert applied == mutation and bad["event_id"] != event["event_id"]
    config, registry = get_config(), get_registry()
    try:
        envelope = EventIn.model_validate(bad)
    except ValidationError:
        return
    produced_by_team = envelope.event_type in config.teams[team].produces
    payload_errors = registry.validate_payload(envelope.event_type, envelope.schema_version, envelope.payload)
    assert not produced_by_team or payload_errors


def test_mix_rates_and_batching_keep_duplicates_after_their_original() -> None:
    sent = TrafficGenerator(8).mix(100, duplicate_rate=0.1, invalid_rate=0.1)
    kinds = Counter(s.kind for s in sent)
    assert kinds[Kind.DUPLICATE] > 0 and kinds[Kind.INVALID] > 0 and kinds[Kind.VALID] > 400
    position: dict[str, bool] = {}
    for team, batch in batches(sent, 7):
        assert len(batch) <= 7 and {s.team for s in batch} == {team}
        for item in batch:
            if item.kind is Kind.VALID:
                position[item.event["event_id"]] = True
            elif item.kind is Kind.DUPLICATE:
                assert item.event["event_id"] in position, "a retry never precedes its original"


def test_occurred_at_never_runs_ahead_of_the_wall_clock() -> None:
    # Producers report what already happened: the KPI "occurred_at -> received_at" must be >= 0.
    events = [event for _, event in TrafficGenerator(3).events(2000)]
    latest = max(datetime.fromisoformat(e["occurred_at"]) for e in events)
    assert latest <= datetime.now(UTC)
    stamps = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert stamps == sorted(stamps)  # one business clock: a flow keeps its order


def test_traffic_for_live_services_leaves_the_invoice_request_to_the_order_saga() -> None:
    live = {event["event_type"] for _, event in TrafficGenerator(3, live_services=True).events(80)}
    assert live == set(get_config().event_types) - {"billing.invoice_requested"}

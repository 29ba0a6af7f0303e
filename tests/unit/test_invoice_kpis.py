"""The invoices view and billing's KPI queries, run by the local engine (Athena SQL on DuckDB) over
curated events holding issued invoices and credit notes, against answers computed in Python."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from glue_jobs.contract import load_tables
from local_platform.query.engine import ATHENA_DIR, LocalEngine
from tests.fixtures.curated import write_partition

TODAY = datetime.now(UTC).date()
RATES = {"S": [Decimal("20"), Decimal("5.5"), Decimal("10")], "K": [Decimal("0")], "G": [Decimal("0")]}


def issued_payload(rng: random.Random, number: int, credit: bool) -> dict[str, Any]:
    currency = rng.choice(["EUR", "EUR", "USD"])
    issue_date = TODAY - timedelta(days=rng.randint(0, 40))
    issued_at = datetime.combine(issue_date, datetime.min.time(), UTC) + timedelta(hours=rng.randint(8, 18))
    ordered_at = issued_at - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 20))
    code = rng.choice(["S", "S", "S", "K", "G"])
    breakdown: list[dict[str, Any]] = []
    for rate in rng.sample(RATES[code], k=min(len(RATES[code]), rng.randint(1, 2))):
        taxable = Decimal(rng.randint(100, 50_000)) / 100
        breakdown.append({"category_code": code, "rate": str(rate), "taxable": taxable,
                          "tax": (taxable * rate / 100).quantize(Decimal("0.01"))})  # fmt: skip
    net = sum((b["taxable"] for b in breakdown), Decimal(0))
    tax = sum((b["tax"] for b in breakdown), Decimal(0))

    def money(amount: Decimal) -> dict[str, str]:
        return {"amount": str(amount), "currency": currency}

    return {
        "invoice_number": f"{'A' if credit else 'F'}-{issue_date.year}-{number:06d}",
        "seller_entity": "stockoss-fr",
        "order_id": f"ORD-{number}",
        "customer_id": f"CUST-{number % 7}",
        "ordered_at": ordered_at.isoformat(),
        "issued_at": issued_at.isoformat(),
        "issue_date": issue_date.isoformat(),
        "currency": currency,
        "net": money(net),
        "tax": money(tax),
        "total": money(net + tax),
        "vat_breakdown": [{**b, "taxable": money(b["taxable"]), "tax": money(b["tax"])} for b in breakdown],
        "tax_regime": "domestic",
        "buyer_kind": "business",
        "buyer_country": "FR",
        "locale": "fr",
    }


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, dict[str, Any]]]]:
    rng = random.Random(7)
    documents: list[tuple[str, dict[str, Any]]] = []
    for number in range(1, 120):
        credit = number % 9 == 0
        documents.append(("billing.credit_note_issued" if credit else "billing.invoice_issued",
                          issued_payload(rng, number, credit)))  # fmt: skip
    # A v1 invoice (before numbering per entity) and an order event: neither is an invoice of the view.
    legacy = {"invoice_number": "INV-2026-000001", "total": {"amount": "10.00", "currency": "EUR"}}
    rows = [(t, "2", "billing", p) for t, p in documents]
    rows += [
        ("billing.invoice_issued", "1", "billing", legacy),
        ("orders.order_created", "2", "orders", {"x": 1}),
    ]
    contract = load_tables()["events"]
    root = tmp_path_factory.mktemp("lake")
    by_partition: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for i, (event_type, version, team, payload) in enumerate(rows):
        day = payload.get("issue_date", TODAY.isoformat())
        by_partition[(team, day)].append({
            "event_id": f"00000000-0000-4000-8000-{i:012d}", "event_type": event_type, "schema_version": version,
            "domain": event_type.split(".")[0], "occurred_at": datetime.now(UTC), "received_at": datetime.now(UTC),
            "order_id": payload.get("order_id"), "customer_id": payload.get("customer_id"),
            "payload_json": json.dumps(payload),
        })  # fmt: skip
    for (team, day), events in by_partition.items():
        columns = {c.name: [e.get(c.name) for e in events] for c in contract.columns}
        table = pa.table({n: pa.array(v, type=pa.timestamp("us", tz="UTC") if n.endswith("_at") else None)
                          if any(x is not None for x in v) else pa.array(v, type=pa.string())
                          for n, v in columns.items()})  # fmt: skip
        write_partition(root, contract.name, (team, day), table)
    return root, documents


def run(root: Path, name: str) -> list[dict[str, Any]]:
    engine = LocalEngine(root)
    try:
        return engine.run_file(ATHENA_DIR / "queries" / f"{name}.sql").to_pylist()
    finally:
        engine.close()


def recent(documents: list[tuple[str, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    cutoff = TODAY - timedelta(days=30)
    return [(-1 if t == "billing.credit_note_issued" else 1, p) for t, p in documents
            if date.fromisoformat(p["issue_date"]) >= cutoff]  # fmt: skip


def test_invoiced_revenue_by_day_nets_credit_notes(lake) -> None:
    root, documents = lake
    want: dict[tuple[date, str], list[Any]] = {}
    for sign, p in recent(documents):
        row = want.setdefault(
            (date.fromisoformat(p["issue_date"]), p["currency"]), [0, Decimal(0), Decimal(0), Decimal(0)]
        )
        row[0] += 1
        for i, key in enumerate(("net", "tax", "total"), start=1):
            row[i] += sign * Decimal(p[key]["amount"])
    expected = [{"issue_date": d, "currency": c, "documents": r[0], "net": r[1], "tax": r[2], "total": r[3]}
                for (d, c), r in sorted(want.items())]  # fmt: skip
    got = run(root, "invoiced_revenue_by_day")
    assert [{k: (v.normalize() if isinstance(v, Decimal) else v) for k, v in row.items()} for row in got] == [
        {k: (v.normalize() if isinstance(v, Decimal) else v) for k, v in row.items()} for row in expected
    ]


def test_vat_collected_by_rate_sums_each_breakdown_line(lake) -> None:
    root, documents = lake
    want: dict[tuple[str, str, Decimal], list[Decimal]] = {}
    for sign, p in recent(documents):
        for line in p["vat_breakdown"]:
            key = (p["currency"], line["category_code"], Decimal(line["rate"]))
            row = want.setdefault(key, [Decimal(0), Decimal(0)])
            row[0] += sign * Decimal(line["taxable"]["amount"])
            row[1] += sign * Decimal(line["tax"]["amount"])
    got = {(r["currency"], r["category_code"], Decimal(r["rate"]).normalize()): (r["taxable"].normalize(), r["tax"].normalize())
           for r in run(root, "vat_collected_by_rate")}  # fmt: skip
    assert got == {
        (c, k, r.normalize()): (v[0].normalize(), v[1].normalize()) for (c, k, r), v in want.items()
    }


def test_order_to_invoice_days_counts_whole_days_for_invoices_only(lake) -> None:
    root, documents = lake
    want: dict[date, list[int]] = defaultdict(list)
    for sign, p in recent(documents):
        if sign > 0:
            waited = datetime.fromisoformat(p["issued_at"]) - datetime.fromisoformat(p["ordered_at"])
            want[date.fromisoformat(p["issue_date"])].append(waited.days)
    got = run(root, "order_to_invoice_days")
    assert [(r["issue_date"], r["invoices"], round(r["mean_days"], 6), r["max_days"]) for r in got] == [
        (d, len(v), round(sum(v) / len(v), 6), max(v)) for d, v in sorted(want.items())
    ]

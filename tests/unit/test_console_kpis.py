"""The KPI charts the console and the static report share: one chart per measure, the unit on its axis,
time series for per-time results, bars only for like units, labels whole; rendered offline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from lambdas.console.kpis import query_charts, unit_of
from tools.report import write_report


def test_each_measure_gets_its_own_chart_with_its_unit() -> None:
    rows = [
        {"document_type": "invoice", "documents": 52, "size_bytes": 12_120_539},
        {"document_type": "delivery_note", "documents": 7, "size_bytes": 1_000_000},
    ]
    charts = query_charts("documents uploaded", rows)
    assert len(charts) == 2
    documents, size = charts
    assert ">count<" in documents and ">bytes<" not in documents
    assert ">bytes<" in size and ">count<" not in size


def test_a_result_over_time_is_a_line_per_series() -> None:
    rows = [
        {"hour": datetime(2026, 12, 4, h), "currency": c, "revenue": Decimal("10.5") * h}
        for h in range(10, 14)
        for c in ("EUR", "USD")
    ]
    [chart] = query_charts("revenue per hour", rows)
    assert "mark-line" in chart and "mark-rect" not in chart
    assert ">EUR<" in chart and ">USD<" in chart


def test_a_funnel_compares_its_counts_and_leaves_its_rate_out() -> None:
    [chart] = query_charts("order funnel", [{"created": 10, "reserved": 8, "reserved_rate": 0.8}])
    assert ">created<" in chart and ">reserved<" in chart and "reserved rate" not in chart


def test_long_labels_are_drawn_whole() -> None:
    label = "notifications / notifications.delivery_attempted"
    [chart] = query_charts(
        "latency", [{"team_event": label, "p95_ms": 120}, {"team_event": "b", "p95_ms": 3}]
    )
    assert f">{label}<" in chart and ">milliseconds<" in chart


def test_units_are_read_from_column_suffixes() -> None:
    assert [unit_of(c) for c in ("p95_ms", "error_rate", "size_bytes", "events", "revenue")] == [
        "milliseconds",
        "share (0 to 1)",
        "bytes",
        "count",
        "amount",
    ]


def test_the_static_report_needs_no_network(tmp_path: Path) -> None:
    report = write_report(tmp_path / "empty-lake", tmp_path / "report.html").read_text()
    assert "order funnel" in report and "<script" not in report
    assert "http" not in report.replace("http://www.w3.org/2000/svg", "").replace(
        "http://www.w3.org/1999/xlink", ""
    )

"""The lake's KPI queries (athena/queries/*.sql) as charts: the console's KPI page and the static
report (tools/report.py) draw exactly these.

One chart per measure: each numeric column of a query's result is its own chart,
titled with the column and its unit (read from the column's suffix: `_ms`,
`_seconds`, `_days`, `_rate`, `_bytes`, else a count or an amount). A result
with a time column (minute, hour, day, date) is a time series with one line per
value of its other label columns; otherwise bars, one per row. A one-row result
(a funnel) becomes bars of its columns that share a unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lambdas.console import charts
from lambdas.console.ports import NamedResult

MAX_BARS = 30
MAX_CHARTS_PER_QUERY = 4
TIME_COLUMNS = ("minute", "hour", "day", "date", "event_date", "week", "month")
UNITS = {
    "_ms": "milliseconds",
    "_seconds": "seconds",
    "_s": "seconds",
    "_days": "days",
    "_rate": "share (0 to 1)",
    "_share": "share (0 to 1)",
    "_bytes": "bytes",
    "_pct": "percent",
}


@dataclass
class KpiSection:
    name: str
    title: str
    summary: str
    rows: list[dict[str, Any]]
    charts: list[str] = field(default_factory=list)


def unit_of(column: str) -> str:
    for suffix, unit in UNITS.items():
        if column.endswith(suffix):
            return unit
    if any(word in column for word in ("amount", "revenue", "total", "vat")):
        return "amount"
    return "count"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_time(column: str, rows: list[dict[str, Any]]) -> bool:
    values = [r[column] for r in rows if r[column] is not None]
    return bool(values) and (
        all(isinstance(v, datetime | date) for v in values) or column.lower() in TIME_COLUMNS
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def query_charts(title: str, rows: list[dict[str, Any]]) -> list[str]:
    """The SVG charts of one query's result (see the module docstring)."""
    if not rows:
        return []
    columns = list(rows[0])
    numeric = [
        c
        for c in columns
        if any(_is_number(r[c]) for r in rows) and all(r[c] is None or _is_number(r[c]) for r in rows)
    ]
    labels = [c for c in columns if c not in numeric]
    if len(rows) == 1:
        return _one_row_charts(title, rows[0], numeric)
    time_column = next((c for c in labels if _is_time(c, rows)), None)
    out = []
    for measure in numeric[:MAX_CHARTS_PER_QUERY]:
        unit = unit_of(measure)
        chart_title = f"{title}: {measure.replace('_', ' ')}"
        if time_column is not None:
            others = [c for c in labels if c != time_column]
            data = [
                {
                    "at": _plain(r[time_column]),
                    "series": " / ".join(str(r[c]) for c in others) or measure,
                    "value": _plain(r[measure]),
                }
                for r in rows
                if r[measure] is not None
            ]
            chart = charts.time_series(
                data, x="at", y="value", series="series" if others else None, title=chart_title, y_title=unit
            )
        else:
            data = [
                {"label": " / ".join(str(r[c]) for c in labels) or str(i), "value": _plain(r[measure])}
                for i, r in enumerate(rows[:MAX_BARS])
                if r[measure] is not None
            ]
            chart = charts.bars(data, label="label", value="value", title=chart_title, value_title=unit)
        out.append(charts.svg(chart, chart_title))
    return [c for c in out if c]


def _one_row_charts(title: str, row: dict[str, Any], numeric: list[str]) -> list[str]:
    by_unit: dict[str, list[str]] = {}
    for column in numeric:
        if row[column] is not None:
            by_unit.setdefault(unit_of(column), []).append(column)
    out = []
    for unit, columns in by_unit.items():
        if len(columns) < 2:
            continue  # one number: the table says it better than one bar
        data = [{"label": c.replace("_", " "), "value": _plain(row[c])} for c in columns]
        chart = charts.bars(data, label="label", value="value", title=f"{title} ({unit})", value_title=unit)
        out.append(charts.svg(chart, f"{title} ({unit})"))
    return [c for c in out if c]


def summary_of(sql: str) -> str:
    """A query's leading comment: what it measures."""
    return " ".join(line.removeprefix("--").strip() for line in sql.splitlines() if line.startswith("--"))


def kpi_sections(results: list[NamedResult]) -> list[KpiSection]:
    """The KPI page's (and the static report's) sections: per query its summary, rows and charts."""
    sections = []
    for result in results:
        title = result.name.replace("_", " ")
        sections.append(
            KpiSection(
                name=result.name,
                title=title,
                summary=result.summary,
                rows=result.rows,
                charts=query_charts(title, result.rows),
            )
        )
    return sections

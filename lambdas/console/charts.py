"""The console's and the static report's charts: Vega-Lite through altair, rendered to SVG by vl-convert.

Rendered on the server, offline (vl-convert embeds the Vega runtime: no CDN, no
script in the page). One chart per measure: rates are time series (one line per
series, the unit on the y axis), bars only compare values of one unit, and
labels are never cut (the label column is as wide as its longest label).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import vl_convert

WIDTH = 560
HEIGHT = 180
BAR_STEP = 20


def time_series(
    rows: Sequence[dict[str, Any]],
    *,
    x: str,
    y: str,
    series: str | None,
    title: str,
    y_title: str,
) -> alt.Chart | None:
    """A line per series over time (per-minute rates, latencies)."""
    if not rows:
        return None
    encoding: dict[str, Any] = {
        "x": alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%H:%M", labelOverlap=True)),
        "y": alt.Y(
            f"{y}:Q", title=y_title, axis=alt.Axis(tickMinStep=1) if "count" in y_title else alt.Axis()
        ),
        "tooltip": [alt.Tooltip(f"{x}:T", format="%Y-%m-%d %H:%M"), alt.Tooltip(f"{y}:Q")],
    }
    if series:
        encoding["color"] = alt.Color(
            f"{series}:N", title=None, scale=alt.Scale(scheme="tableau10")
        )  # colour-blind safe
        encoding["tooltip"].append(alt.Tooltip(f"{series}:N"))
    chart = (
        alt.Chart(alt.Data(values=list(rows)), title=title, width=WIDTH, height=HEIGHT)
        .mark_line(point=True, strokeWidth=2)
        .encode(**encoding)
    )
    return chart


def bars(
    rows: Sequence[dict[str, Any]], *, label: str, value: str, title: str, value_title: str
) -> alt.Chart | None:
    """Horizontal bars of one measure (one unit) by label, largest first."""
    if not rows:
        return None
    longest = max(len(str(r[label])) for r in rows)
    return (
        alt.Chart(alt.Data(values=list(rows)), title=title, width=WIDTH - min(longest, 48) * 6)
        .mark_bar(color="#3b6ea5")
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=0)),
            x=alt.X(f"{value}:Q", title=value_title),
            tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q", format=",")],
        )
        .properties(height=alt.Step(BAR_STEP))
    )


def svg(chart: alt.Chart | None, description: str | None = None) -> str:
    """The chart as an inline SVG element (empty when there is nothing to draw), with an accessible name."""
    if chart is None:
        return ""
    spec = chart.to_dict()
    spec["config"] = {"font": "system-ui, sans-serif", "axis": {"labelFontSize": 11, "titleFontSize": 12}}
    text = vl_convert.vegalite_to_svg(spec)
    name = description or str(spec.get("title", "chart"))
    return text.replace("<svg ", f'<svg role="img" aria-label="{_attribute(name)}" ', 1)


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def warm_up() -> None:
    """Render one small chart: vl-convert's first call starts its JavaScript engine (a fraction of a
    second), which the first page should not pay."""
    svg(time_series([{"t": "2026-01-01T00:00:00Z", "v": 1}], x="t", y="v", series=None, title="", y_title=""))

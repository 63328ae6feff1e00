"""Server-side bar charts for /statistik: each bar is an SVG rect scaled to the largest count."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from .labels import value_label

# (facet, title, order): years read best in time order, everything else largest first.
CHARTS = (
    ("year", "Inovasi per tahun", "value"),
    ("programme", "Inovasi per program", "count"),
    ("province", "Inovasi per provinsi", "count"),
    ("sector", "Inovasi per sektor", "count"),
    ("agency_level", "Inovasi per jenis instansi", "count"),
)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    width: float  # percent of the widest bar
    href: str


@dataclass(frozen=True)
class Chart:
    facet: str
    title: str
    bars: list[Bar]


def bar_chart(facet: str, title: str, rows: list[dict], order: str) -> Chart:
    if order == "value":
        rows = sorted(rows, key=lambda r: r["value"])
    else:
        rows = sorted(rows, key=lambda r: (-r["count"], r["value"]))
    top = max((r["count"] for r in rows), default=0) or 1
    return Chart(facet, title, [Bar(value_label(facet, r["value"]), r["count"], round(100 * r["count"] / top, 2),
                                    "/?" + urlencode({facet: r["value"]})) for r in rows])


def charts(stats: dict) -> list[Chart]:
    return [bar_chart(facet, title, stats.get(facet, []), order) for facet, title, order in CHARTS]

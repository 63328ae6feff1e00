"""Server-side bar charts for /statistik: each bar is an SVG rect scaled to the largest count."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from search_api.facets import CHARTED

from .i18n import text, value_label


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


def bar_chart(facet: str, title: str, rows: list[dict], order: str, lang: str) -> Chart:
    if order == "value":
        rows = sorted(rows, key=lambda r: r["value"])
    else:
        rows = sorted(rows, key=lambda r: (-r["count"], r["value"]))
    top = max((r["count"] for r in rows), default=0) or 1
    return Chart(facet, title, [Bar(value_label(facet, r["value"], lang), r["count"],
                                    round(100 * r["count"] / top, 2), "/?" + urlencode({facet: r["value"]}))
                                for r in rows])


def charts(stats: dict, lang: str) -> list[Chart]:
    """One chart per charted facet, in declaration order (Facet.chart: bar order)."""
    return [bar_chart(f.name, text(lang, "chart_by", facet=f.label(lang).lower()), stats.get(f.name, []), f.chart, lang)
            for f in CHARTED]

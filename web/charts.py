"""/statistik: server-side bar charts and a cross-tabulation of one result set, each bar and
cell linking to the search for the innovations it counts, and each downloadable as CSV."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import StreamingResponse

from search_api import statistics
from search_api.facets import CHARTED, FACETS_BY_NAME
from search_api.query import SearchRequest

from .downloads import csv_lines, disposition, filename
from .i18n import text, value_label
from .links import SearchLinks


@dataclass(frozen=True)
class Bar:
    value: str
    label: str
    count: int
    width: float  # percent of the widest bar
    href: str


@dataclass(frozen=True)
class Chart:
    facet: str
    title: str
    bars: list[Bar]


@dataclass(frozen=True)
class Cell:
    count: int
    href: str


@dataclass(frozen=True)
class Table:
    rows: str
    columns: str
    title: str
    row_label: str
    column_labels: list[str]
    body: list[tuple[str, list[Cell], Cell]]  # row label, cells, row total
    column_totals: list[Cell]
    total: Cell


def charts(counted: dict, req: SearchRequest, links: SearchLinks, lang: str) -> list[Chart]:
    """One chart per charted facet, in declaration order (Facet.chart: bar order)."""
    table = statistics.facet_table(counted, req.filters)
    out = []
    for f in CHARTED:
        rows = table[f.name]
        top = max((n for _, n in rows), default=0) or 1
        bars = [Bar(v, value_label(f.name, v, lang), n, round(100 * n / top, 2), links.narrow(**{f.name: v}))
                for v, n in rows]
        out.append(Chart(f.name, text(lang, "chart_by", facet=f.label(lang).lower()), bars))
    return out


def cross_table(counted: dict, req: SearchRequest, links: SearchLinks, pair: tuple[str, str], lang: str) -> Table:
    rows, columns = pair
    tab = statistics.cross_tab(counted, req.filters, rows, columns)
    body = [(value_label(rows, r, lang),
             [Cell(n, links.narrow(**{rows: r, columns: c})) for c, n in zip(tab.column_values, cells)],
             Cell(total, links.narrow(**{rows: r})))
            for r, cells, total in zip(tab.row_values, tab.cells, tab.row_totals)]
    row_facet, column_facet = FACETS_BY_NAME[rows], FACETS_BY_NAME[columns]
    return Table(rows, columns, text(lang, "crosstab_title", rows=row_facet.label(lang), columns=column_facet.label(lang)),
                 row_facet.label(lang), [value_label(columns, c, lang) for c in tab.column_values], body,
                 [Cell(n, links.narrow(**{columns: c})) for c, n in zip(tab.column_values, tab.column_totals)],
                 Cell(tab.total, links.at("/")))


def csv_response(shown: Chart | Table, lang: str, req: SearchRequest) -> StreamingResponse:
    """A chart (label, count) or the table (with its totals) as CSV, labels in the page's language."""
    if isinstance(shown, Chart):
        header = [FACETS_BY_NAME[shown.facet].label(lang), text(lang, "count")]
        rows = [(b.label, b.count) for b in shown.bars]
        name = filename(req, f"statistik-{shown.facet}", "csv")
    else:
        header = [f"{shown.row_label} \\ {FACETS_BY_NAME[shown.columns].label(lang)}", *shown.column_labels,
                  text(lang, "total")]
        rows = [(label, *(c.count for c in cells), total.count) for label, cells, total in shown.body]
        rows.append((text(lang, "total"), *(c.count for c in shown.column_totals), shown.total.count))
        name = filename(req, f"statistik-{shown.rows}-{shown.columns}", "csv")
    return StreamingResponse(csv_lines(header, rows), media_type="text/csv; charset=utf-8",
                             headers=disposition(name))

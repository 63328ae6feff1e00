"""Statistics of one result set, shaped for charts, tables and CSV: every value of a facet in
its chart order, "tidak diketahui" (MISSING) last, and zero rows for the years in between that
no innovation has. The counts come from ``SearchService.stats``; nothing here decides which
innovations are in the set."""
from __future__ import annotations

from dataclasses import dataclass

from .facets import FACETS_BY_NAME, MISSING, Facet

_FACET_NAME = "|".join(FACETS_BY_NAME)
BY_PATTERN = f"^({_FACET_NAME}),({_FACET_NAME})$"  # what OpenAPI says `by` takes
from .query import Filters, QueryError


@dataclass(frozen=True)
class CrossTab:
    rows: str  # facet names
    columns: str
    row_values: list[str]
    column_values: list[str]
    cells: list[list[int]]  # cells[i][j]: innovations with row value i and column value j
    row_totals: list[int]  # innovations with row value i (an innovation may have several years…)
    column_totals: list[int]
    total: int  # innovations in the set


def ordered(facet: Facet, counts: list[tuple[str, int]], filters: Filters) -> list[tuple[str, int]]:
    """Every value with its count in the facet's chart order (by value, else most frequent
    first), MISSING last; for a facet declared ``every_value``, the values between the
    smallest and the largest (or the year range asked for) are listed with 0."""
    known = {v: n for v, n in counts if v != MISSING}
    if facet.every_value and (known or filters.year_from is not None or filters.year_to is not None):
        numbers = [int(v) for v in known]
        low = filters.year_from if facet.name == "year" and filters.year_from is not None else min(numbers, default=0)
        high = filters.year_to if facet.name == "year" and filters.year_to is not None else max(numbers, default=0)
        low, high = min(low, high), max(low, high)
        for year in range(low, high + 1):
            known.setdefault(str(year), 0)
    if facet.chart == "value" or facet.kind == "int":
        rows = sorted(known.items(), key=lambda vc: int(vc[0]) if vc[0].isdigit() else vc[0])
    else:
        rows = sorted(known.items(), key=lambda vc: (-vc[1], vc[0]))
    missing = dict(counts).get(MISSING, 0)
    return rows + [(MISSING, missing)] if missing else rows


def facet_table(stats: dict, filters: Filters) -> dict[str, list[tuple[str, int]]]:
    """Every facet's values over the set, ordered for a chart."""
    return {name: ordered(FACETS_BY_NAME[name], counts, filters) for name, counts in stats["facets"].items()}


def cross_tab(stats: dict, filters: Filters, rows: str, columns: str) -> CrossTab:
    """The cross-tabulation in ``stats`` as a table, both axes in chart order, with totals."""
    table = facet_table(stats, filters)
    row_values = [v for v, _ in table[rows]]
    column_values = [v for v, _ in table[columns]]
    counted = stats["crosstab"] or {}
    cells = [[counted.get(r, {}).get(c, 0) for c in column_values] for r in row_values]
    return CrossTab(rows, columns, row_values, column_values, cells, [n for _, n in table[rows]],
                    [n for _, n in table[columns]], stats["total"])


def parse_by(raw: str | None) -> tuple[str, str] | None:
    """``by=year,province``: the two facets to cross-tabulate (rows, columns); raises QueryError."""
    if raw is None or not raw.strip():
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in FACETS_BY_NAME]
    if unknown:
        raise QueryError("by", f"by: unknown facet {unknown[0]!r} (one of {', '.join(FACETS_BY_NAME)})",
                         code="not_choice", value=unknown[0])
    if len(names) != 2:
        raise QueryError("by", f"by names two facets, e.g. year,province; got {raw!r}",
                         code="two_facets", value=raw)
    return names[0], names[1]

"""The search page keeps its whole state in the URL; these build the links that change it."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote, urlencode

from search_api.facets import FACETS
from search_api.query import Filters, SearchRequest

DEFAULTS = SearchRequest()
BACK = "dari"  # a profile's parameter holding the search it was opened from (its breadcrumb returns there)


def query_params(req: SearchRequest) -> list[tuple[str, str]]:
    """The request as URL parameters, canonical values only, defaults left out."""
    out: list[tuple[str, str]] = []
    if req.q:
        out.append(("q", req.q))
    if req.mode != DEFAULTS.mode:
        out.append(("mode", req.mode))
    for facet in FACETS:
        out += [(facet.name, v) for v in req.filters.values.get(facet.name, ())]
    if req.filters.year_from is not None:
        out.append(("year_from", str(req.filters.year_from)))
    if req.filters.year_to is not None:
        out.append(("year_to", str(req.filters.year_to)))
    for name in ("sort", "size", "page"):
        if getattr(req, name) != getattr(DEFAULTS, name):
            out.append((name, str(getattr(req, name))))
    return out


def href(path: str, params: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


class SearchLinks:
    """Links from one search state to its neighbours (used by the templates)."""

    def __init__(self, req: SearchRequest, path: str = "/", keep: list[tuple[str, str]] | None = None):
        self.req, self.path = req, path
        self.keep = keep or []  # page parameters outside the search state (the language)

    def _to(self, **changes) -> str:
        changes.setdefault("page", 1)  # any change but paging starts over at page 1
        return href(self.path, query_params(replace(self.req, **changes)) + self.keep)

    def at(self, path: str) -> str:
        """The same search, first page, default page size, on another page (the embed's "see all")."""
        return href(path, query_params(replace(self.req, page=1, size=DEFAULTS.size)) + self.keep)

    def _with_values(self, values: dict[str, tuple[str, ...]], **years) -> str:
        f = self.req.filters
        filters = Filters({k: v for k, v in values.items() if v},
                          years.get("year_from", f.year_from), years.get("year_to", f.year_to))
        return self._to(filters=filters)

    def toggle(self, facet: str, value: str) -> str:
        values = dict(self.req.filters.values)
        current = values.get(facet, ())
        values[facet] = tuple(v for v in current if v != value) if value in current else tuple(sorted({*current, value}))
        return self._with_values(values)

    def without_years(self) -> str:
        return self._with_values(dict(self.req.filters.values), year_from=None, year_to=None)

    def clear(self) -> str:
        return self._to(filters=Filters())

    def query(self, q: str) -> str:
        return self._to(q=q)

    def sort(self, sort: str) -> str:
        return self._to(sort=sort)

    def page(self, page: int) -> str:
        return self._to(page=page)

    def export(self, fmt: str) -> str:
        return href("/api/v1/export", query_params(replace(self.req, page=1)) + self.keep + [("format", fmt)])

    def narrow(self, path: str = "/", **values: str) -> str:
        """The same search with each named facet set to exactly this value (a chart's bar, a
        table's cell: the innovations it counts), first page."""
        chosen = {**self.req.filters.values, **{name: (value,) for name, value in values.items()}}
        f = self.req.filters
        req = replace(self.req, filters=Filters(chosen, f.year_from, f.year_to), page=1, size=DEFAULTS.size)
        return href(path, query_params(req) + self.keep)

    def href_params(self) -> str:
        """This search state (with its page) as a query string, e.g. for a profile's way back."""
        return urlencode(query_params(self.req))

    def profile(self, innovation_id: str) -> str:
        """A result's profile, carrying the search it was found by (its breadcrumb returns there)."""
        back = self.href_params()
        params = ([(BACK, back)] if back else []) + self.keep
        return href(f"/inovasi/{quote(innovation_id, safe='')}", params)

    def hidden(self, *edited: str) -> list[tuple[str, str]]:
        """Parameters a form carries along unchanged: all but those it edits (and the page)."""
        return [(k, v) for k, v in query_params(replace(self.req, page=1)) + self.keep if k not in edited]


def facet_search(name: str, value: str, keep: list[tuple[str, str]]) -> str:
    """The search for every innovation with this facet value (a profile's agency, region…)."""
    return href("/", [(name, value)] + keep)


def pages_window(current: int, last: int, radius: int = 2) -> list[int | None]:
    """Page numbers to show: first, last and a window around the current one (None = gap)."""
    shown = sorted({1, last, *range(max(1, current - radius), min(last, current + radius) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out

"""The search request every engine answers, validated once for API, web and CLI."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Container, Iterable, Mapping, Sequence

from .facets import FACETS_BY_NAME, BadValue

MODES = ("hybrid", "keyword", "semantic")
SORTS = ("relevance", "newest", "oldest", "most_replicated")
MAX_SIZE = 100
MAX_PAGE = 100  # with MAX_SIZE, pages reach result 10,000 (OpenSearch's result window); the export gives all


def group_params(pairs: Iterable[tuple[str, str]], names: Container[str] | None = None) -> dict[str, list[str]]:
    """Repeated query-string parameters as lists (``province=A&province=B``), optionally
    only those in ``names``: the form ``SearchRequest.parse`` takes."""
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        if names is None or key in names:
            params.setdefault(key, []).append(value)
    return params


class QueryError(ValueError):
    """A bad request parameter: carries which parameter and why (→ HTTP 422), and for pages
    a ``code`` (not_number, out_of_range, not_choice, not_boolean, too_far…) and the value."""

    def __init__(self, param: str, message: str, code: str = "invalid", value: str | None = None):
        super().__init__(message)
        self.param = param
        self.message = message
        self.code = code
        self.value = value


@dataclass(frozen=True)
class Filters:
    """Selected facet values (OR within a facet, AND across) and a year range."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None

    def without(self, facet: str) -> "Filters":
        return Filters({k: v for k, v in self.values.items() if k != facet}, self.year_from, self.year_to)

    def __bool__(self) -> bool:
        return bool(self.values) or self.year_from is not None or self.year_to is not None

    def key(self) -> tuple:
        return (tuple(sorted(self.values.items())), self.year_from, self.year_to)


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    mode: str = "hybrid"
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    size: int = 10
    sort: str = "relevance"
    explain: bool = False
    facet_size: int = 30

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @classmethod
    def parse(cls, params: Mapping[str, Sequence[str]]) -> "SearchRequest":
        """Build from multi-valued parameters (query string or form); raises QueryError."""

        def one(name: str, default: str | None = None) -> str | None:
            values = [v for v in params.get(name, []) if v != ""]
            return values[-1] if values else default

        def integer(name: str, default: int | None, lo: int, hi: int) -> int | None:
            raw = one(name)
            if raw is None:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise QueryError(name, f"{name} must be a whole number, got {raw!r}", "not_number", raw) from None
            if not lo <= value <= hi:
                raise QueryError(name, f"{name} must be between {lo} and {hi}, got {value}", "out_of_range", raw)
            return value

        mode = one("mode", "hybrid")
        if mode not in MODES:
            raise QueryError("mode", f"mode must be one of {', '.join(MODES)}, got {mode!r}", "not_choice", mode)
        sort = one("sort", "relevance")
        if sort not in SORTS:
            raise QueryError("sort", f"sort must be one of {', '.join(SORTS)}, got {sort!r}", "not_choice", sort)
        selected: dict[str, tuple[str, ...]] = {}
        for name, facet in FACETS_BY_NAME.items():
            raw_values = [v for v in params.get(name, []) if v.strip()]
            if not raw_values:
                continue
            values = set()
            for raw in raw_values:
                try:
                    values.add(facet.parse(raw))
                except BadValue as exc:
                    raise QueryError(name, str(exc), exc.code, raw) from None
            selected[name] = tuple(sorted(values))
        year_from = integer("year_from", None, 1900, 2100)
        year_to = integer("year_to", None, 1900, 2100)
        if year_from is not None and year_to is not None and year_from > year_to:
            year_from, year_to = year_to, year_from  # "2022 to 2019" means the years between them
        page = integer("page", 1, 1, 10**9)
        if page > MAX_PAGE:
            raise QueryError("page", f"page must be at most {MAX_PAGE}: narrow the search, or use the export for "
                                     "every result", "too_far", str(page))
        size = integer("size", 10, 1, MAX_SIZE)
        explain = (one("explain", "false") or "false").lower()
        if explain not in {"true", "false", "1", "0"}:
            raise QueryError("explain", f"explain must be true or false, got {explain!r}", "not_boolean", explain)
        return cls(
            q=(one("q", "") or "").strip()[:2000],
            mode=mode,
            filters=Filters(selected, year_from, year_to),
            page=page,
            size=size,
            sort=sort,
            explain=explain in {"true", "1"},
            facet_size=integer("facet_size", 30, 1, 1000),
        )

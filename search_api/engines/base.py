"""The engine interface (modelled on Wagtail's search backends).

An engine stores search documents and answers a few primitive questions: a BM25 ranking,
a k-nearest-neighbour ranking, facet counts over a match set, a year-ordered listing.
Everything built from those (hybrid fusion, pagination, disjunctive facets, highlights)
lives once in ``search_api.search``, so every engine gives the same answers.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from ..documents import SearchDocument
from ..facets import FACETS_BY_NAME, MISSING
from ..query import Filters


class EngineUnavailable(RuntimeError):
    """The engine cannot be reached or is not ready (→ HTTP 503)."""


@dataclass(frozen=True)
class Near:
    """Documents whose cosine similarity to a query vector is at least ``min_similarity``
    (hashable, so a match can key the engines' per-request caches)."""

    vector_bytes: bytes
    min_similarity: float

    @classmethod
    def of(cls, vector: np.ndarray, min_similarity: float) -> "Near":
        return cls(np.asarray(vector, dtype=np.float32).tobytes(), float(min_similarity))

    @property
    def vector(self) -> np.ndarray:
        return np.frombuffer(self.vector_bytes, dtype=np.float32)


@dataclass(frozen=True)
class Match:
    """A result set before filters: documents containing any of ``terms`` plus those
    ``near`` the query vector; ``everything`` for an empty query."""

    terms: tuple[str, ...] = ()
    near: Near | None = None
    everything: bool = False
    # The documents ``near`` stands for, when the engine has listed them: later questions about
    # the same result set (a date-sorted page, an export, a cross-tab) then ask by id.
    near_ids: tuple[str, ...] | None = None


ALL = Match(everything=True)


@dataclass
class Ranked:
    ids: list[str]
    scores: list[float]
    total: int  # matches in the whole result set (keyword) or len(ids) (semantic)


@dataclass
class FacetCounts:
    values: list[tuple[str, int]]  # most frequent first, at most the requested size
    truncated: bool
    distinct: int = 0  # how many values the facet has over the match set, listed or not


@dataclass(frozen=True)
class FacetGroup:
    """Facets counted together, over the result set under these filters."""

    filters: Filters
    names: tuple[str, ...]


@dataclass(frozen=True)
class Retrieval:
    """Everything one search request needs from an engine (so a server engine can answer
    it in one round trip): the keyword and semantic legs under ``filters``, the size of
    their union, and facet counts per group, each group's result set computed under the
    group's own filters (disjunctive facets). The semantic leg holds at least every document
    passing the filters that is in the result set by meaning, so each of them can be ranked."""

    filters: Filters
    terms: tuple[str, ...] = ()
    keyword_depth: int | None = None  # None: no keyword leg
    vector: np.ndarray | None = None  # None: no semantic leg
    k: int = 100  # the semantic leg's depth, for ranking; deeper when more documents are near (below)
    min_similarity: float | None = None  # documents this similar are in the result set by meaning alone
    everything: bool = False  # empty query: every document passing the filters
    facet_groups: tuple[FacetGroup, ...] = ()
    facet_size: int = 30

    def match(self) -> "Match":
        if self.everything:
            return ALL
        terms = self.terms if self.keyword_depth is not None else ()
        near = None
        if self.vector is not None and self.min_similarity is not None:
            near = Near.of(self.vector, self.min_similarity)
        return Match(terms=terms, near=near)


@dataclass
class Retrieved:
    keyword: Ranked | None
    semantic: Ranked | None
    total: int
    facets: dict[str, "FacetCounts"]
    match: Match  # the result set, as the engine resolved it (``Retrieval.match()`` or with near_ids)


@dataclass
class IndexResult:
    indexed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (document id, reason)


class SearchEngine(ABC):
    name: str = "base"
    capabilities: frozenset[str] = frozenset({"keyword", "semantic", "hybrid", "facets"})

    @property
    @abstractmethod
    def key(self) -> str:
        """Identifies this index (engine + location), for the catalog's indexed-state."""

    # ---------------------------------------------------------------- write side
    @abstractmethod
    def index(self, docs: Iterable[SearchDocument]) -> IndexResult:
        """Insert or replace documents (they carry their vectors)."""

    @abstractmethod
    def delete(self, ids: Sequence[str]) -> None: ...

    @abstractmethod
    def rebuild(self, docs: Iterable[SearchDocument]) -> IndexResult:
        """Replace the whole index atomically: readers see the old or the new one, never a mix."""

    # ---------------------------------------------------------------- read primitives
    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def keyword(self, terms: Sequence[str], filters: Filters, limit: int) -> Ranked:
        """BM25 ranking of documents containing any term (best first), at most ``limit``."""

    @abstractmethod
    def semantic(self, vector: np.ndarray, filters: Filters, k: int, exclude: Sequence[str] = ()) -> Ranked:
        """The k nearest documents by cosine similarity, among those passing filters."""

    @abstractmethod
    def facet_counts(self, match: Match, filters: Filters, facets: Sequence[str], size: int) -> dict[str, FacetCounts]:
        """Value counts of each facet over ``match`` ∩ filters."""

    @abstractmethod
    def cross_counts(self, match: Match, filters: Filters, rows: str, columns: str) -> dict[str, dict[str, int]]:
        """A cross-tabulation over ``match`` ∩ filters: for each value of facet ``rows``, the
        documents having it per value of facet ``columns`` (missing values count as MISSING)."""

    @abstractmethod
    def ordered(self, match: Match, filters: Filters, newest_first: bool, offset: int, limit: int,
                by: str = "year") -> Ranked:
        """``match`` ∩ filters ordered by year (then id), or with ``by="replications"`` by the
        number of replication records, most first (then newest, then id); total is the size
        of that set."""

    @abstractmethod
    def fetch(self, ids: Sequence[str], with_vectors: bool = False) -> dict[str, SearchDocument]: ...

    @abstractmethod
    def retrieve(self, spec: Retrieval) -> Retrieved:
        """Answer a whole search request (both legs, the size of their union, the facet
        groups), in one round trip where the engine is a server."""

    @abstractmethod
    def vector_sample(self, limit: int) -> np.ndarray:
        """Up to ``limit`` document vectors, the same ones each time while the index is
        unchanged (every vector when there are fewer): the background a query's
        similarities are judged against."""

    @abstractmethod
    def word_frequencies(self) -> dict[str, int]:
        """Document frequency of every surface word in the index (the spelling dictionary)."""

    def health(self) -> dict:
        return {"status": "ok", "engine": self.name, "documents": self.count()}

    @abstractmethod
    def ids(self) -> set[str]:
        """Every document id in the index (``jippnas check`` compares them with the catalog)."""

    @abstractmethod
    def model(self) -> str | None:
        """The embedding model the index's vectors come from, as recorded by ``set_model``."""

    @abstractmethod
    def set_model(self, model_id: str) -> None: ...

    @abstractmethod
    def schema(self) -> tuple[int | None, int]:
        """(the live index's schema version, or None without an index; the version this code writes)."""

    def orphans(self) -> list[str]:
        """Indices of this deployment that nothing points to (what a killed rebuild leaves)."""
        return []

    def remove_orphans(self) -> list[str]:
        """Delete ``orphans()`` (the next rebuild does it too); returns what was removed."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


def top_values(name: str, values: list[tuple[str, int]], size: int) -> FacetCounts:
    """The ``size`` most frequent values, presented in the facet's display order."""
    facet = FACETS_BY_NAME[name]
    by_count = sorted(values, key=lambda vc: (-vc[1], vc[0]))
    kept = by_count[:size]
    if facet.sort == "value_desc":
        kept.sort(key=lambda vc: (vc[0] != MISSING, vc[0]), reverse=True)  # "tidak diketahui" last
    elif facet.sort == "value":
        kept.sort(key=lambda vc: (vc[0] == MISSING, int(vc[0]) if vc[0].isdigit() else 0, vc[0]))
    return FacetCounts(kept, truncated=len(values) > size, distinct=len(values))

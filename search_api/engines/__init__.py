"""Search engines: one interface (base.SearchEngine), several backends."""
from __future__ import annotations

from ..config import Settings
from .base import EngineUnavailable, FacetCounts, IndexResult, Match, Ranked, SearchEngine


def create_engine(settings: Settings) -> SearchEngine:
    if settings.engine == "opensearch":
        from .opensearch import OpenSearchEngine

        return OpenSearchEngine(settings.opensearch_url, settings.opensearch_index,
                                shards=settings.opensearch_shards, replicas=settings.opensearch_replicas)
    from .embedded import EmbeddedEngine

    return EmbeddedEngine(settings.index_path)


__all__ = ["EngineUnavailable", "FacetCounts", "IndexResult", "Match", "Ranked", "SearchEngine", "create_engine"]

"""Wiring: settings → engine, embedder, catalog, search service (one per process)."""
from __future__ import annotations

import threading
from functools import cached_property

from catalog.store import Catalog

from .config import Settings
from .embeddings import Embedder, VectorCache, load_embedder
from .engines import SearchEngine, create_engine
from .search import SearchService


class Runtime:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    def embedder(self) -> Embedder:
        """Loaded on first use (never at start-up: the first query or import pays for it)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.settings.embed_model)
            return self._embedder

    @cached_property
    def engine(self) -> SearchEngine:
        return create_engine(self.settings)

    @cached_property
    def service(self) -> SearchService:
        return SearchService(self.engine, self.embedder, self.catalog, self.settings.semantic_k, self.settings.fusion)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.settings.catalog_database_url)

    def vector_cache(self) -> VectorCache:
        return VectorCache(self.settings.cache_dir / "vectors.sqlite3")

    def close(self) -> None:
        """Close what was opened (the engine and catalog open on first use)."""
        for name in ("engine", "catalog"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()

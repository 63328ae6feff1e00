"""The embedded engine's in-memory search structures, loaded from its SQLite file.

Everything a query touches lives in contiguous numpy arrays, so a query costs a few
vectorised passes whatever the number of matches:
- postings (term → documents, term frequencies) in CSR form, scored with exactly the
  formula of SQLite FTS5's bm25() (and of the OpenSearch engine's scripted similarity);
- facet values as (document, value code) pairs, for filter masks and ``bincount`` counts;
- the float32 vector matrix; year orderings precomputed for listings.
A snapshot is immutable: the engine swaps in a new one when the file changes.
"""
from __future__ import annotations

import json
import math
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Sequence

import numpy as np

from ..facets import FACETS
from ..query import Filters

K1, B = 1.2, 0.75
CACHE_SIZE = 8


@dataclass(frozen=True)
class FacetColumn:
    values: list[str]
    codes: dict[str, int]
    pair_doc: np.ndarray  # int32: document position of each (document, value) pair
    pair_code: np.ndarray  # int32: value code of each pair


class Snapshot:
    def __init__(self, db: sqlite3.Connection, version: int):
        self.version = version
        rows = db.execute("SELECT rowid, id, sort_year, facets, terms, vec, words FROM docs ORDER BY rowid").fetchall()
        self.n = len(rows)
        self.ids: list[str] = [r[1] for r in rows]
        self.position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        self.vocab: dict[str, int] = dict(db.execute("SELECT term, id FROM vocab"))
        self._load_postings([r[4] for r in rows])
        self._load_facets([json.loads(r[3]) for r in rows])
        self.matrix = (np.frombuffer(b"".join(r[5] for r in rows), dtype=np.float32).reshape(self.n, -1)
                       if rows else np.zeros((0, 0), np.float32))
        years = np.array([r[2] if r[2] is not None else -1 for r in rows], dtype=np.int32)
        id_rank = np.empty(self.n, dtype=np.int64)
        id_rank[np.argsort(np.array(self.ids, dtype=object), kind="stable")] = np.arange(self.n)
        self.id_rank = id_rank
        missing = years < 0
        # Listings: year (missing years last in both directions), then id.
        self.newest = np.lexsort((id_rank, -years, missing))
        self.oldest = np.lexsort((id_rank, years, missing))
        self._word_ids = np.frombuffer(b"".join(r[6] for r in rows), dtype=np.int32)
        self._words: dict[str, int] | None = None
        self._scores: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = Lock()

    # ---------------------------------------------------------------- loading
    def _load_postings(self, blobs: list[bytes]) -> None:
        pairs = np.frombuffer(b"".join(blobs), dtype=np.int32).reshape(-1, 2)
        per_doc = np.array([len(b) // 8 for b in blobs], dtype=np.int64)
        docs = np.repeat(np.arange(self.n, dtype=np.int32), per_doc)
        tids, tfs = pairs[:, 0], pairs[:, 1]
        self.doc_len = np.bincount(docs, weights=tfs, minlength=self.n).astype(np.float64)
        self.avgdl = float(self.doc_len.mean()) if self.n else 0.0
        order = np.argsort(tids, kind="stable")
        self.post_doc = docs[order]
        self.post_tf = tfs[order].astype(np.float64)
        counts = np.bincount(tids, minlength=max(self.vocab.values(), default=-1) + 1)
        self.ptr = np.concatenate(([0], np.cumsum(counts)))

    def _load_facets(self, per_doc: list[dict[str, list[str]]]) -> None:
        self.facets: dict[str, FacetColumn] = {}
        for facet in FACETS:
            codes: dict[str, int] = {}
            pair_doc, pair_code = [], []
            for pos, values in enumerate(per_doc):
                for value in values.get(facet.name, ()):
                    pair_doc.append(pos)
                    pair_code.append(codes.setdefault(value, len(codes)))
            self.facets[facet.name] = FacetColumn(list(codes), codes, np.array(pair_doc, dtype=np.int32),
                                                  np.array(pair_code, dtype=np.int32))

    def word_frequencies(self, db: sqlite3.Connection) -> dict[str, int]:
        """Surface word → document frequency, built on first use (only typo correction needs it)."""
        with self._lock:
            if self._words is None:
                df = np.bincount(self._word_ids)
                self._words = {w: int(df[i]) for w, i in db.execute("SELECT word, id FROM words")
                               if i < len(df) and df[i] > 0}
            return self._words

    # ---------------------------------------------------------------- keyword
    def _cached(self, cache: OrderedDict, key, compute):
        """A small LRU per kind of result: one request asks for the same scores or filter
        mask several times (legs, total, facet groups)."""
        with self._lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        value = compute()
        with self._lock:
            cache[key] = value
            if len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        return value

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """FTS5 bm25 of every document for an OR of ``terms`` (0 where nothing matches)."""
        key = tuple(dict.fromkeys(terms))
        return self._cached(self._scores, key, lambda: self._bm25(key))

    def _bm25(self, terms: tuple[str, ...]) -> np.ndarray:
        scores = np.zeros(self.n, dtype=np.float64)
        norm = K1 * (1 - B + B * self.doc_len / self.avgdl) if self.n else self.doc_len
        for term in terms:
            tid = self.vocab.get(term)
            if tid is None or tid + 1 >= len(self.ptr):
                continue
            lo, hi = self.ptr[tid], self.ptr[tid + 1]
            docs, tf = self.post_doc[lo:hi], self.post_tf[lo:hi]
            n = hi - lo
            idf = math.log((self.n - n + 0.5) / (n + 0.5))
            idf = idf if idf > 0 else 1e-6  # FTS5's floor for terms in over half the rows
            scores[docs] += idf * tf * (K1 + 1) / (tf + norm[docs])
        return scores

    # ---------------------------------------------------------------- filters and match sets
    def filter_mask(self, filters: Filters) -> np.ndarray | None:
        """Documents passing the filters (None: no filter)."""
        if not filters:
            return None
        return self._cached(self._masks, filters.key(), lambda: self._mask(filters))

    def _mask(self, filters: Filters) -> np.ndarray:
        mask = np.ones(self.n, dtype=bool)
        for name, values in filters.values.items():
            column = self.facets[name]
            wanted = np.zeros(len(column.values) + 1, dtype=bool)
            wanted[[column.codes[v] for v in values if v in column.codes]] = True
            mask &= self._docs_with(column, wanted)
        if filters.year_from is not None or filters.year_to is not None:
            column = self.facets["year"]
            lo, hi = filters.year_from or 0, filters.year_to or 9999
            wanted = np.array([lo <= int(v) <= hi for v in column.values] + [False], dtype=bool)
            mask &= self._docs_with(column, wanted)
        return mask

    def _docs_with(self, column: FacetColumn, wanted_codes: np.ndarray) -> np.ndarray:
        hit = np.zeros(self.n, dtype=bool)
        hit[column.pair_doc[wanted_codes[column.pair_code]]] = True
        return hit

    def match_mask(self, terms: Sequence[str], ids: Sequence[str], everything: bool,
                   filters: Filters) -> np.ndarray:
        if everything:
            mask = np.ones(self.n, dtype=bool)
        else:
            mask = self.scores(terms) > 0 if terms else np.zeros(self.n, dtype=bool)
            positions = [self.position[i] for i in ids if i in self.position]
            mask[positions] = True
        allowed = self.filter_mask(filters)
        return mask if allowed is None else mask & allowed

    def facet_counts(self, mask: np.ndarray, name: str) -> list[tuple[str, int]]:
        column = self.facets[name]
        counts = np.bincount(column.pair_code[mask[column.pair_doc]], minlength=len(column.values))
        return [(column.values[c], int(counts[c])) for c in np.flatnonzero(counts)]

    # ---------------------------------------------------------------- ranking helpers
    def top(self, scores: np.ndarray, candidates: np.ndarray, limit: int) -> np.ndarray:
        """Candidate positions with the highest scores, ties broken by id, best first."""
        if limit < len(candidates):
            kth = np.partition(-scores[candidates], limit - 1)[limit - 1]
            candidates = candidates[-scores[candidates] <= kth]  # keep every tie at the cut
        order = np.lexsort((self.id_rank[candidates], -scores[candidates]))
        return candidates[order][:limit]

"""Embedded engine: no server, one SQLite file.

SQLite is the store (documents, per-document term frequencies, facet values, vectors);
queries run on an in-memory ``Snapshot`` of contiguous numpy arrays loaded from it
(BM25 over postings with FTS5's formula, facet masks and counts, brute-force cosine).
Why not FTS5's own bm25(): it scores every matching row and has no top-k pruning; at
100,000 documents a four-word query matching 90% of them took 136 ms in bm25() alone,
against a 50 ms budget for the whole request. The postings scan does it in a few ms.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from ..documents import SearchDocument
from .base import EngineUnavailable, IndexResult, Ranked, SearchEngine, top_values
from .snapshot import Snapshot

SCHEMA_VERSION = 4  # 4: documents are innovations (catalog ids), no members table
SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    sort_year INTEGER,
    body TEXT NOT NULL,    -- the SearchDocument as JSON
    facets TEXT NOT NULL,  -- facet name -> values, as JSON
    terms BLOB NOT NULL,   -- int32 pairs (term id, frequency) of the analysed keyword text
    words BLOB NOT NULL,   -- int32 ids of the distinct surface words (spelling dictionary)
    vec BLOB NOT NULL      -- float32 embedding
);
CREATE TABLE IF NOT EXISTS vocab (term TEXT PRIMARY KEY, id INTEGER UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS words (word TEXT PRIMARY KEY, id INTEGER UNIQUE NOT NULL);
-- bumped by every write, so every process and thread notices a change with one cheap read
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
"""


class EmbeddedEngine(SearchEngine):
    name = "embedded"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        # The vector scan is memory-bound: a second BLAS thread saves ~1 ms at 100k documents,
        # but OpenBLAS threads spin after each call and slowed the next query embedding 2.5x
        # (47 → 119 ms measured). One BLAS thread (process-wide) leaves the cores to the embedder.
        threadpool_limits(1, user_api="blas")
        self._prepare()

    @property
    def key(self) -> str:
        return f"embedded:{self.path.resolve()}"

    # ---------------------------------------------------------------- connections
    def _prepare(self) -> None:
        db = self._db()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return  # readers never need the write lock just to open the index
        if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0:
            # The index is derived data: a file in an older layout is discarded; the next
            # `jippnas index`/`demo` run sees an empty index and rebuilds it from the catalog.
            self.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            db = self._db()
        with db:
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _db(self) -> sqlite3.Connection:
        """This thread's connection."""
        try:
            db = getattr(self._local, "db", None)
            if db is None:
                db = sqlite3.connect(self.path, timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                self._local.db = db
            return db
        except (sqlite3.Error, OSError) as exc:
            raise EngineUnavailable(f"cannot open the embedded index {self.path}: {exc}") from exc

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _view(self) -> Snapshot:
        """The current snapshot, reloaded when the file changed (here or in another process)."""
        try:
            db = self._db()
            version = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
            with self._snapshot_lock:
                if self._snapshot is None or self._snapshot.version != version:
                    self._snapshot = Snapshot(db, version)
                return self._snapshot
        except sqlite3.Error as exc:
            raise EngineUnavailable(f"embedded index {self.path}: {exc}") from exc

    # ---------------------------------------------------------------- write side
    def index(self, docs: Iterable[SearchDocument]) -> IndexResult:
        db = self._db()
        with db:
            return self._insert(db, docs)

    def _insert(self, db: sqlite3.Connection, docs: Iterable[SearchDocument]) -> IndexResult:
        result = IndexResult()
        vocab: dict[str, int] = dict(db.execute("SELECT term, id FROM vocab"))
        words: dict[str, int] = dict(db.execute("SELECT word, id FROM words"))
        for doc in docs:
            if doc.vector is None or len(doc.vector) == 0:
                result.failures.append((doc.id, "document has no vector"))
                continue
            self._write(db, doc, vocab, words)
            result.indexed += 1
        self._bump(db)
        return result

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")

    def _write(self, db: sqlite3.Connection, doc: SearchDocument, vocab: dict[str, int],
               words: dict[str, int]) -> None:
        db.execute("DELETE FROM docs WHERE id = ?", (doc.id,))
        frequencies = Counter(doc.keyword_terms())
        for term in frequencies:
            if term not in vocab:
                vocab[term] = len(vocab)
                db.execute("INSERT INTO vocab VALUES (?, ?)", (term, vocab[term]))
        pairs = np.array([(vocab[t], n) for t, n in frequencies.items()], dtype=np.int32).reshape(-1, 2)
        for word in doc.surface_words():
            if word not in words:
                words[word] = len(words)
                db.execute("INSERT INTO words VALUES (?, ?)", (word, words[word]))
        word_ids = np.array([words[w] for w in doc.surface_words()], dtype=np.int32)
        db.execute(
            "INSERT INTO docs (id, sort_year, body, facets, terms, words, vec) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc.id, doc.sort_year, json.dumps(doc.to_json(), ensure_ascii=False),
             json.dumps(doc.facet_values(), ensure_ascii=False), pairs.tobytes(), word_ids.tobytes(),
             np.asarray(doc.vector, np.float32).tobytes()))

    def delete(self, ids: Sequence[str]) -> None:
        db = self._db()
        with db:
            db.executemany("DELETE FROM docs WHERE id = ?", [(doc_id,) for doc_id in ids])
            self._bump(db)

    def rebuild(self, docs: Iterable[SearchDocument]) -> IndexResult:
        """Replace everything in one write transaction: with WAL, readers keep the old
        version until the commit and then see the new one, never a mix. (Swapping files
        is not safe with WAL: a reader's -wal file would be applied to the new file.)"""
        db = self._db()
        with db:
            for table in ("docs", "vocab", "words"):
                db.execute(f"DELETE FROM {table}")
            return self._insert(db, docs)

    # ---------------------------------------------------------------- read primitives
    def count(self) -> int:
        return self._view().n

    def keyword(self, terms, filters, limit):
        view = self._view()
        if not terms or not view.n:
            return Ranked([], [], 0)
        scores = view.scores(terms)
        matched = scores > 0
        allowed = view.filter_mask(filters)
        candidates = np.flatnonzero(matched if allowed is None else matched & allowed)
        best = view.top(scores, candidates, limit) if limit > 0 else candidates[:0]
        return Ranked([view.ids[i] for i in best], scores[best].tolist(), len(candidates))

    def semantic(self, vector, filters, k, exclude=()):
        view = self._view()
        if not view.n:
            return Ranked([], [], 0)
        sims = view.matrix @ np.asarray(vector, dtype=np.float32)
        allowed = view.filter_mask(filters)
        keep = np.ones(view.n, dtype=bool) if allowed is None else allowed.copy()
        keep[[view.position[i] for i in exclude if i in view.position]] = False
        best = view.top(sims.astype(np.float64), np.flatnonzero(keep), k)
        return Ranked([view.ids[i] for i in best], sims[best].astype(float).tolist(), len(best))

    def facet_counts(self, match, filters, facets, size):
        view = self._view()
        mask = view.match_mask(match.terms, match.ids, match.everything, filters)
        return {name: top_values(name, view.facet_counts(mask, name), size) for name in facets}

    def ordered(self, match, filters, newest_first, offset, limit):
        view = self._view()
        mask = view.match_mask(match.terms, match.ids, match.everything, filters)
        order = view.newest if newest_first else view.oldest
        listed = order[mask[order]]
        page = listed[offset : offset + limit]
        return Ranked([view.ids[i] for i in page], [0.0] * len(page), len(listed))

    def fetch(self, ids, with_vectors=False):
        if not ids:
            return {}
        rows = self._db().execute(
            "SELECT id, body, vec FROM docs WHERE id IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))])
        out = {}
        for doc_id, body, vec in rows:
            doc = SearchDocument.from_json(json.loads(body))
            if with_vectors:
                doc.vector = np.frombuffer(vec, dtype=np.float32)
            out[doc_id] = doc
        return out

    def word_frequencies(self):
        return self._view().word_frequencies(self._db())

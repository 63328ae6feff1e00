"""Embedded engine: SQLite FTS5 for BM25, filters and facets; vectors in one contiguous
numpy float32 matrix for brute-force cosine similarity. No server: one SQLite file."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..documents import SearchDocument
from ..facets import FACETS_BY_NAME
from ..query import Filters
from .base import EngineUnavailable, IndexResult, Match, Ranked, SearchEngine, top_values

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    sort_year INTEGER,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (record_id TEXT PRIMARY KEY, doc INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS members_doc ON members(doc);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(terms, tokenize = "unicode61 remove_diacritics 0");
CREATE TABLE IF NOT EXISTS facet (
    name TEXT NOT NULL, value TEXT NOT NULL, doc INTEGER NOT NULL,
    PRIMARY KEY (name, value, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facet_doc ON facet(doc, name, value);
CREATE TABLE IF NOT EXISTS vectors (doc INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS docs_year ON docs(sort_year, id);
"""


class EmbeddedEngine(SearchEngine):
    name = "embedded"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._matrix_lock = threading.Lock()
        self._matrix: tuple[int, np.ndarray, np.ndarray] | None = None  # (data_version, rowids, matrix)
        with self._db() as db:
            db.executescript(SCHEMA)

    @property
    def key(self) -> str:
        return f"embedded:{self.path.resolve()}"

    # ---------------------------------------------------------------- connections
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30)
            except sqlite3.Error as exc:
                raise EngineUnavailable(f"cannot open {self.path}: {exc}") from exc
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # ---------------------------------------------------------------- write side
    def index(self, docs: Iterable[SearchDocument]) -> IndexResult:
        result = IndexResult()
        db = self._db()
        self._forget_matrix()
        with db:
            for doc in docs:
                if doc.vector is None or len(doc.vector) == 0:
                    result.failures.append((doc.id, "document has no vector"))
                    continue
                self._write(db, doc)
                result.indexed += 1
        return result

    def _write(self, db: sqlite3.Connection, doc: SearchDocument) -> None:
        member_ids = [e.id for e in doc.entries] or [doc.id]
        # Any document holding one of these records is replaced (a group may have changed lead).
        stale = {r[0] for r in db.execute(
            f"SELECT doc FROM members WHERE record_id IN ({','.join('?' * len(member_ids))})", member_ids)}
        stale.update(r[0] for r in db.execute("SELECT rowid FROM docs WHERE id = ?", (doc.id,)))
        for rowid in stale:
            self._remove(db, rowid)
        cur = db.execute("INSERT INTO docs (id, sort_year, body) VALUES (?, ?, ?)",
                         (doc.id, doc.sort_year, json.dumps(doc.to_json(), ensure_ascii=False)))
        rowid = cur.lastrowid
        db.executemany("INSERT INTO members VALUES (?, ?)", [(m, rowid) for m in member_ids])
        db.execute("INSERT INTO fts (rowid, terms) VALUES (?, ?)", (rowid, " ".join(doc.keyword_terms())))
        db.executemany("INSERT INTO facet VALUES (?, ?, ?)",
                       [(name, v, rowid) for name, values in doc.facet_values().items() for v in values])
        db.execute("INSERT INTO vectors VALUES (?, ?)", (rowid, np.asarray(doc.vector, np.float32).tobytes()))

    @staticmethod
    def _remove(db: sqlite3.Connection, rowid: int) -> None:
        for sql in ("DELETE FROM docs WHERE rowid = ?", "DELETE FROM members WHERE doc = ?",
                    "DELETE FROM fts WHERE rowid = ?", "DELETE FROM facet WHERE doc = ?",
                    "DELETE FROM vectors WHERE doc = ?"):
            db.execute(sql, (rowid,))

    def delete(self, ids: Sequence[str]) -> None:
        db = self._db()
        self._forget_matrix()
        with db:
            for doc_id in ids:
                for (rowid,) in db.execute("SELECT rowid FROM docs WHERE id = ?", (doc_id,)).fetchall():
                    self._remove(db, rowid)

    def rebuild(self, docs: Iterable[SearchDocument]) -> IndexResult:
        """Build a fresh file beside the live one, then swap it in with an atomic rename."""
        tmp = self.path.with_suffix(".rebuild.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        fresh = EmbeddedEngine(tmp)
        try:
            result = fresh.index(docs)
            fresh._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            fresh.close()
        self.close()
        os.replace(tmp, self.path)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        self._forget_matrix()
        return result

    def _forget_matrix(self) -> None:
        # data_version only notices other connections' commits; our own writes reset here.
        with self._matrix_lock:
            self._matrix = None

    # ---------------------------------------------------------------- SQL helpers
    @staticmethod
    def _filter_sql(filters: Filters, alias: str = "d.rowid") -> tuple[str, list]:
        clauses, params = [], []
        for name, values in filters.values.items():
            if name not in FACETS_BY_NAME:
                continue
            clauses.append(f"{alias} IN (SELECT doc FROM facet WHERE name = ? AND value IN ({','.join('?' * len(values))}))")
            params += [name, *values]
        if filters.year_from is not None or filters.year_to is not None:
            clauses.append(f"{alias} IN (SELECT doc FROM facet WHERE name = 'year' AND value BETWEEN ? AND ?)")
            params += [f"{filters.year_from or 0:04d}", f"{filters.year_to or 9999:04d}"]
        return (" AND ".join(clauses) or "1"), params

    @staticmethod
    def _fts_query(terms: Sequence[str]) -> str:
        return " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))

    def _match_cte(self, match: Match) -> tuple[str, list]:
        """A CTE ``m(doc)`` holding the match set."""
        if match.everything:
            return "m(doc) AS (SELECT rowid FROM docs)", []
        parts, params = [], []
        if match.terms:
            parts.append("SELECT rowid FROM fts WHERE fts MATCH ?")
            params.append(self._fts_query(match.terms))
        if match.ids:
            parts.append("SELECT rowid FROM docs WHERE id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(match.ids)))
        if not parts:
            return "m(doc) AS (SELECT NULL WHERE 0)", []
        return "m(doc) AS (" + " UNION ".join(parts) + ")", params

    def _run(self, sql: str, params: Sequence) -> list[tuple]:
        try:
            return self._db().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc) or "unable to open" in str(exc) or "locked" in str(exc):
                raise EngineUnavailable(f"embedded index {self.path}: {exc}") from exc
            raise

    # ---------------------------------------------------------------- read primitives
    def count(self) -> int:
        return self._run("SELECT count(*) FROM docs", [])[0][0]

    def keyword(self, terms, filters, limit):
        if not terms:
            return Ranked([], [], 0)
        where, params = self._filter_sql(filters, "fts.rowid")
        query = self._fts_query(terms)
        total = self._run(f"SELECT count(*) FROM fts WHERE fts MATCH ? AND {where}", [query, *params])[0][0]
        rows = self._run(
            f"SELECT d.id, -bm25(fts) AS s FROM fts JOIN docs d ON d.rowid = fts.rowid "
            f"WHERE fts MATCH ? AND {where} ORDER BY bm25(fts), d.id LIMIT ?",
            [query, *params, limit],
        )
        return Ranked([r[0] for r in rows], [float(r[1]) for r in rows], total)

    def _vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(rowids ascending, matrix) — reloaded when another connection changed the file."""
        version = self._run("PRAGMA data_version", [])[0][0], self.count(), self.path.stat().st_ino
        with self._matrix_lock:
            if self._matrix is None or self._matrix[0] != version:
                rows = self._run("SELECT doc, vec FROM vectors ORDER BY doc", [])
                rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                matrix = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
                          if rows else np.zeros((0, 0), np.float32))
                self._matrix = (version, rowids, matrix)
            return self._matrix[1], self._matrix[2]

    def semantic(self, vector, filters, k, exclude=()):
        rowids, matrix = self._vectors()
        if not len(rowids):
            return Ranked([], [], 0)
        if filters or exclude:
            where, params = self._filter_sql(filters)
            sql = f"SELECT d.rowid FROM docs d WHERE {where}"
            if exclude:
                sql += " AND d.id NOT IN (SELECT value FROM json_each(?))"
                params.append(json.dumps(list(exclude)))
            allowed = np.fromiter((r[0] for r in self._run(sql, params)), dtype=np.int64)
            positions = np.searchsorted(rowids, np.sort(allowed))
        else:
            positions = None
        candidates = matrix if positions is None else matrix[positions]
        if not len(candidates):
            return Ranked([], [], 0)
        scores = candidates @ np.asarray(vector, dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        cand_rowids = rowids if positions is None else rowids[positions]
        top_rowids = cand_rowids[top]
        ids = dict(self._run(
            "SELECT rowid, id FROM docs WHERE rowid IN (SELECT value FROM json_each(?))",
            [json.dumps(top_rowids.tolist())]))
        ranked = sorted(zip(scores[top].tolist(), top_rowids.tolist()), key=lambda p: (-p[0], ids[p[1]]))
        return Ranked([ids[r] for _, r in ranked], [s for s, _ in ranked], len(ranked))

    def facet_counts(self, match, filters, facets, size):
        if not facets:
            return {}
        cte, params = self._match_cte(match)
        where, fparams = self._filter_sql(filters, "f.doc")
        rows = self._run(
            f"WITH {cte} SELECT f.name, f.value, count(*) AS n FROM facet f "
            f"WHERE f.name IN ({','.join('?' * len(facets))}) AND f.doc IN m AND {where} "
            f"GROUP BY f.name, f.value",
            [*params, *facets, *fparams],
        )
        grouped: dict[str, list[tuple[str, int]]] = {name: [] for name in facets}
        for name, value, n in rows:
            grouped[name].append((value, n))
        return {name: top_values(name, values, size) for name, values in grouped.items()}

    def ordered(self, match, filters, newest_first, offset, limit):
        cte, params = self._match_cte(match)
        where, fparams = self._filter_sql(filters)
        base = f"WITH {cte} SELECT {{cols}} FROM docs d WHERE d.rowid IN m AND {where}"
        total = self._run(base.format(cols="count(*)"), [*params, *fparams])[0][0]
        direction = "DESC" if newest_first else "ASC"
        rows = self._run(
            base.format(cols="d.id") + f" ORDER BY d.sort_year IS NULL, d.sort_year {direction}, d.id LIMIT ? OFFSET ?",
            [*params, *fparams, limit, offset],
        )
        return Ranked([r[0] for r in rows], [0.0] * len(rows), total)

    def fetch(self, ids, with_vectors=False):
        if not ids:
            return {}
        rows = self._run(
            "SELECT d.id, d.body, v.vec FROM docs d LEFT JOIN vectors v ON v.doc = d.rowid "
            "WHERE d.id IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))])
        out = {}
        for doc_id, body, vec in rows:
            doc = SearchDocument.from_json(json.loads(body))
            if with_vectors and vec is not None:
                doc.vector = np.frombuffer(vec, dtype=np.float32).tolist()
            out[doc_id] = doc
        return out

    def find(self, record_id):
        rows = self._run("SELECT d.id FROM members m JOIN docs d ON d.rowid = m.doc WHERE m.record_id = ?",
                         [record_id])
        return rows[0][0] if rows else None


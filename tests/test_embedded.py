"""Embedded engine internals: BM25 equal to SQLite FTS5's bm25(), change detection, rebuild."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from search_api.engines.base import ALL
from search_api.engines.embedded import EmbeddedEngine
from search_api.query import Filters

QUERIES = ["bank sampah", "pelayanan kesehatan ibu hamil", "antrean ktp elektronik", "stunting balita desa"]


def test_bm25_equals_sqlite_fts5(sample):
    """The reference: the same analysed terms in a real FTS5 table, scored by bm25()."""
    engine = sample.engine
    docs = engine.fetch(engine.ordered(ALL, Filters(), True, 0, 1000).ids)
    fts = sqlite3.connect(":memory:")
    fts.execute('CREATE VIRTUAL TABLE t USING fts5(doc_id UNINDEXED, terms, tokenize="unicode61 remove_diacritics 0")')
    fts.executemany("INSERT INTO t VALUES (?, ?)", [(d.id, " ".join(d.keyword_terms())) for d in docs.values()])
    for q in QUERIES:
        terms = sample.service.query_terms(q)
        expected = dict(fts.execute("SELECT doc_id, -bm25(t) FROM t WHERE t MATCH ?",
                                    [" OR ".join(f'"{t}"' for t in terms)]).fetchall())
        ranked = engine.keyword(terms, Filters(), 1000)
        assert ranked.total == len(expected)
        got = dict(zip(ranked.ids, ranked.scores))
        assert got.keys() == expected.keys()
        for doc_id, score in expected.items():
            assert got[doc_id] == pytest.approx(score, rel=1e-9), (q, doc_id)


def test_another_process_write_is_seen(tmp_path, sample):
    path = tmp_path / "search.sqlite3"
    reader, writer = EmbeddedEngine(path), EmbeddedEngine(path)
    first, second = (sample.catalog.resolve(i) for i in ("kipp-inv-0003", "kipp-inv-0004"))
    docs = sample.engine.fetch([first, second], with_vectors=True)
    writer.index([docs[first]])
    assert reader.count() == 1
    writer.index([docs[second]])  # another connection commits: the reader reloads
    assert reader.count() == 2
    assert reader.keyword(["sampah"], Filters(), 10).total == 2
    writer.delete([first])
    assert reader.count() == 1


def test_rebuild_is_atomic_for_readers(tmp_path, sample):
    path = tmp_path / "search.sqlite3"
    engine = EmbeddedEngine(path)
    all_ids = sample.engine.ordered(ALL, Filters(), True, 0, 1000).ids
    docs = list(sample.engine.fetch(all_ids, with_vectors=True).values())
    engine.index(docs)
    seen, errors, stop = [], [], threading.Event()

    reader = EmbeddedEngine(path)
    first = threading.Event()

    def read():
        while not stop.is_set():
            try:
                seen.append(reader.keyword(["sampah"], Filters(), 5).total)
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
            first.set()
            time.sleep(0.005)

    thread = threading.Thread(target=read)
    thread.start()
    first.wait(10)
    try:
        for _ in range(3):
            engine.rebuild(docs)
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert errors == [] and len(seen) > 3 and set(seen) == {seen[0]} and seen[0] > 0


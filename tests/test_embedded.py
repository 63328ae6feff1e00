"""Embedded engine internals: standard BM25, incremental writes seen by other processes,
atomic batches and rebuilds, compaction, crash safety under kill -9."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import numpy as np
import pytest

from indexer.pipeline import Indexer
from jippnas.cli import sample_paths
from search_api.documents import SearchDocument
from search_api.engines.base import ALL, Match, Near
from search_api.engines.embedded import ROWS, EmbeddedEngine
from search_api.query import Filters
from search_api.runtime import Runtime
from tests.conftest import TEST_CACHE, make_settings

QUERIES = ["bank sampah", "pelayanan kesehatan ibu hamil", "antrean ktp elektronik", "stunting balita desa"]
K1, B = 1.2, 0.75


def all_ids(engine) -> list[str]:
    return engine.ordered(ALL, Filters(), True, 0, 10_000).ids


def sample_docs(sample, ids=None) -> list:
    ids = ids or all_ids(sample.engine)
    found = sample.engine.fetch(ids, with_vectors=True)
    return [found[i] for i in ids]


def norm_length(length: int) -> int:
    """A length as a one-byte norm keeps it: Lucene's SmallFloat.intToByte4 with 24 exact
    values (tantivy's FIELD_NORMS_TABLE is the same table)."""
    if length < 24:
        return length
    i = length - 24
    if i.bit_length() < 4:
        return length
    shift = i.bit_length() - 4
    return 24 + ((((i >> shift) & 0x07) | 0x08) << shift)


def test_bm25_is_the_standard_formula(sample):
    """A reference in plain Python: BM25 with k1 1.2, b 0.75, idf ln(1 + (N - n + 0.5) / (n + 0.5)),
    the (k1 + 1) factor, document lengths as the one-byte norm keeps them, exact average length."""
    docs = sample_docs(sample)
    terms_of = {d.id: Counter(d.keyword_terms()) for d in docs}
    n_docs = len(docs)
    avgdl = sum(sum(c.values()) for c in terms_of.values()) / n_docs
    df = Counter(t for c in terms_of.values() for t in c)
    for q in QUERIES:
        terms = sample.service.query_terms(q)
        ranked = sample.engine.keyword(terms, Filters(), 1000)
        expected = {}
        for doc_id, counts in terms_of.items():
            dl = norm_length(sum(counts.values()))
            score = sum(math.log(1 + (n_docs - df[t] + 0.5) / (df[t] + 0.5)) * (K1 + 1) * counts[t]
                        / (counts[t] + K1 * (1 - B + B * dl / avgdl)) for t in terms if counts[t])
            if score:
                expected[doc_id] = score
        assert ranked.total == len(expected)
        got = dict(zip(ranked.ids, ranked.scores))
        assert got.keys() == expected.keys()
        for doc_id, score in expected.items():
            assert got[doc_id] == pytest.approx(score, rel=1e-5), (q, doc_id)  # tantivy scores in float32


def test_writes_replace_and_delete_without_duplicates(tmp_path, sample):
    engine = EmbeddedEngine(tmp_path / "index")
    docs = sample_docs(sample)[:20]
    engine.index(docs)
    engine.index(docs[:5])  # the same documents again: replaced, not added
    assert engine.count() == 20 and sorted(all_ids(engine)) == sorted(d.id for d in docs)
    engine.delete([docs[0].id, "no-such-id"])
    assert engine.count() == 19 and docs[0].id not in all_ids(engine)
    # The replaced and deleted documents' rows stay behind, unreferenced, and are never found.
    assert engine.semantic(docs[1].vector, Filters(), 100).ids.count(docs[1].id) == 1
    assert docs[0].id not in engine.semantic(docs[0].vector, Filters(), 100).ids
    assert engine.fetch([docs[1].id], with_vectors=True)[docs[1].id].vector == pytest.approx(docs[1].vector)
    generation = engine._view_cache.directory
    assert len((generation / ROWS).read_text().splitlines()) == 25
    engine.rebuild(docs[1:])  # a new generation holds only the current rows
    assert engine.count() == 19 and not generation.exists()
    assert len((engine._view_cache.directory / ROWS).read_text().splitlines()) == 19


def test_only_current_rows_are_near_after_edits_and_after_a_rebuild(tmp_path, sample):
    """A replaced document's old vector and a deleted document's vector stay in the matrix;
    after edits the current rows are listed from tantivy, after a rebuild every row is current.
    Either way the nearest documents and those above a similarity are the current ones only."""
    engine = EmbeddedEngine(tmp_path / "index")
    docs = sample_docs(sample)[:30]
    engine.index(docs)
    old = docs[0].vector
    moved = [SearchDocument(id=d.id, record=d.record, entries=d.entries, vector=docs[20 + i].vector)
             for i, d in enumerate(docs[:5])]
    engine.index(moved)  # docs[0..4] now have other vectors: their old rows would match `old` at 1.0
    engine.delete([docs[5].id])
    current = {d.id: d.vector for d in [*moved, *docs[6:]]}

    sims = {i: float(np.dot(v, old)) for i, v in current.items()}
    threshold = (sorted(sims.values())[-8] + sorted(sims.values())[-9]) / 2
    near = {i for i, s in sims.items() if s >= threshold}
    for when in ("after edits", "after a rebuild"):
        state = engine._view()
        assert int(engine._live_rows(state).sum()) == len(current), when
        found = engine.semantic(old, Filters(), len(current) + 5)
        assert sorted(found.ids) == sorted(current), when  # each current document once, nothing else
        assert dict(zip(found.ids, found.scores)) == pytest.approx(sims, abs=1e-5), when
        match = Match(near=Near.of(old, threshold))
        assert engine._count(state, match, Filters()) == len(near), when
        assert set(engine.ordered(match, Filters(), True, 0, 100).ids) == near, when
        engine.rebuild([SearchDocument(id=d.id, record=d.record, entries=d.entries, vector=current[d.id])
                        for d in [*moved, *docs[6:]]])


@pytest.mark.parametrize("filters", [{}, {"programme": ("KIPP",)}, {"province": ("Jawa Timur", "Jawa Tengah")}])
def test_semantic_is_the_exact_nearest_under_filters(sample, filters):
    """Both ways of filtering the vector scan (checking the nearest rows, listing what passes;
    which one depends on k and on how many documents pass) give the exact k nearest."""
    docs = sample_docs(sample)
    excluded = docs[0].id
    passing = [d for d in docs if d.id != excluded
               and all(set(v) & set(d.facet_values()[name]) for name, v in filters.items())]
    for query in docs[:5]:
        for k in (1, 3, 50):
            expected = sorted(passing, key=lambda d: (-float(np.dot(d.vector, query.vector)), d.id))[:k]
            assert sample.engine.semantic(query.vector, Filters(filters), k, exclude=[excluded]).ids == \
                [d.id for d in expected]


@pytest.mark.parametrize("q", QUERIES)
def test_facet_counts_agree_by_aggregation_and_by_postings(sample, monkeypatch, q):
    from search_api.engines import embedded
    from search_api.engines.base import Match
    from search_api.facets import FACETS

    match = Match(terms=tuple(sample.service.query_terms(q)))
    names = [f.name for f in FACETS]
    counted = []
    # Every count from postings; every count aggregated; aggregations returning too few values.
    for below, terms in ((0, embedded.FACET_TERMS), (10**9, embedded.FACET_TERMS), (10**9, 1)):
        monkeypatch.setattr(embedded, "AGGREGATE_BELOW", below)
        monkeypatch.setattr(embedded, "FACET_TERMS", terms)
        counted.append(sample.engine.facet_counts(match, Filters({"is_digital": ("true",)}), names, 1000))
    assert counted[0] == counted[1] == counted[2] and len(counted[0]["province"].values) > 1


def test_spelling_dictionary_counts_current_documents(tmp_path, sample):
    engine = EmbeddedEngine(tmp_path / "index")
    docs = sample_docs(sample)
    engine.index(docs)
    assert engine.word_frequencies() == sample.engine.word_frequencies()
    only_in_first = [w for w in docs[0].surface_words() if engine.word_frequencies()[w] == 1]
    assert only_in_first
    engine.delete([docs[0].id])
    assert not set(only_in_first) & set(engine.word_frequencies())


WRITER = textwrap.dedent("""
    import json, sys
    import numpy as np
    from search_api.documents import SearchDocument
    from search_api.engines.embedded import EmbeddedEngine
    doc = SearchDocument.from_json(json.loads(sys.argv[2]))
    doc.vector = np.asarray(json.loads(sys.argv[3]), np.float32)
    EmbeddedEngine(sys.argv[1]).index([doc])
""")


def test_another_process_write_is_seen_at_once(tmp_path, sample):
    path = tmp_path / "index"
    reader = EmbeddedEngine(path)
    docs = sample_docs(sample)[:2]
    reader.index([docs[0]])
    assert reader.count() == 1
    doc = docs[1]
    subprocess.run([sys.executable, "-c", WRITER, str(path), json.dumps(doc.to_json()),
                    json.dumps(np.asarray(doc.vector).tolist())], check=True, timeout=120)
    assert reader.count() == 2  # the next read after the write returned sees it
    assert reader.keyword(sample.service.query_terms(doc.record.title), Filters(), 5).ids[0] == doc.id
    assert reader.semantic(doc.vector, Filters(), 1).ids == [doc.id]


def test_readers_never_see_half_a_batch(tmp_path, sample):
    path = tmp_path / "index"
    writer, reader = EmbeddedEngine(path), EmbeddedEngine(path)
    docs = sample_docs(sample)[:100]
    seen, errors, stop = [], [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                seen.append((reader.count(), len(reader.semantic(docs[0].vector, Filters(), 200).ids)))
            except Exception as exc:  # noqa: BLE001 - any failure is what we are looking for
                errors.append(repr(exc))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for start in range(0, 100, 10):
            writer.index(docs[start : start + 10])
    finally:
        stop.set()
        thread.join()
    assert errors == [] and seen
    assert all(count % 10 == 0 and semantic % 10 == 0 for count, semantic in seen), seen


def test_rebuild_is_atomic_for_readers(tmp_path, sample):
    path = tmp_path / "index"
    engine = EmbeddedEngine(path)
    docs = sample_docs(sample)
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
    assert len([p for p in path.iterdir() if p.is_dir()]) == 1  # old generations are removed


# ---------------------------------------------------------------------------- kill -9
KILLED = textwrap.dedent("""
    import os, signal, sys
    from indexer.pipeline import Indexer
    from jippnas.cli import sample_paths
    from search_api.config import Settings
    from search_api.engines import embedded
    from search_api.runtime import Runtime

    command, method, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
    real = getattr(embedded._Write, method)
    calls = []

    def dying(self, *args):
        calls.append(1)
        if len(calls) == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, *args)

    setattr(embedded._Write, method, dying)
    indexer = Indexer.for_runtime(Runtime(Settings()))
    indexer.import_files(sample_paths()) if command == "index" else indexer.reindex()
""")


def killed(data_dir, command: str, method: str, nth: int) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLED, command, method, str(nth)], capture_output=True, text=True,
                          env={**os.environ, "JIPPNAS_DATA_DIR": str(data_dir), "JIPPNAS_CACHE_DIR": str(TEST_CACHE)},
                          timeout=600)
    assert proc.returncode == -9, proc.stderr


def contents(engine) -> dict:
    """Every document with its vector, but for the catalog's timestamps (each import has its own)."""
    ids = all_ids(engine)
    assert len(ids) == len(set(ids)) == engine.count()

    def untimed(record: dict) -> dict:
        return {k: v for k, v in record.items() if not k.endswith("_at")}

    return {i: ([untimed(e) for e in [d.to_json()["record"], *d.to_json()["entries"]]], np.asarray(d.vector).tolist())
            for i, d in engine.fetch(ids, with_vectors=True).items()}


@pytest.fixture(scope="module")
def clean_import(tmp_path_factory, sample) -> dict:
    rt = Runtime(make_settings(tmp_path_factory.mktemp("clean")))
    Indexer.for_runtime(rt).import_files(sample_paths())
    yield contents(rt.engine)
    rt.close()


# Killed while adding documents, before a commit, and after one (before the catalog's cursor moved).
@pytest.mark.parametrize("method,nth", [("add", 100), ("commit", 2), ("close", 2)])
def test_kill_9_during_import_then_rerun(tmp_path, clean_import, method, nth):
    killed(tmp_path, "index", method, nth)
    rt = Runtime(make_settings(tmp_path))
    assert 0 < rt.engine.count() < 202
    Indexer.for_runtime(rt).import_files(sample_paths())
    assert contents(rt.engine) == clean_import
    rt.close()


def test_kill_9_during_reindex_keeps_the_old_index_then_rerun(tmp_path, clean_import):
    rt = Runtime(make_settings(tmp_path))
    Indexer.for_runtime(rt).import_files(sample_paths())
    killed(tmp_path, "reindex", "add", 150)
    assert contents(rt.engine) == clean_import  # the half-built generation was never published
    Indexer.for_runtime(rt).reindex()
    assert contents(rt.engine) == clean_import
    assert len([p for p in rt.engine.root.iterdir() if p.is_dir()]) == 1
    rt.close()


def matrix_rows(engine) -> int:
    """Rows in the live generation's vector file, dead ones included."""
    generation = engine._view_cache.directory
    dimension = json.loads((generation / "vectors.json").read_text())["dimension"]
    return (generation / "vectors.f32").stat().st_size // (4 * dimension)


def test_dead_vector_rows_are_compacted_once_they_outnumber_live_ones(tmp_path, sample):
    """Replacing or deleting documents leaves dead rows; once they outnumber the live ones the
    write that made it so copies the live documents into a new generation, which answers
    exactly as an index built from scratch (reindex) with the same documents."""
    engine = EmbeddedEngine(tmp_path / "index")
    docs = sample_docs(sample)[:30]
    engine.index(docs)
    rng = np.random.default_rng(1)

    def replaced(batch):
        out = []
        for d in batch:
            vector = np.asarray(d.vector, np.float32) + rng.normal(0, 0.02, len(d.vector)).astype(np.float32)
            out.append(SearchDocument(id=d.id, record=d.record, entries=d.entries, vector=vector / np.linalg.norm(vector)))
        return out

    latest = {d.id: d for d in docs}
    engine.count()
    first = engine._view_cache.directory
    for batch in (replaced(docs[:20]), replaced(docs[:10])):
        engine.index(batch)
        latest.update((d.id, d) for d in batch)
    engine.count()
    assert engine._view_cache.directory == first and matrix_rows(engine) == 60  # 30 dead, 30 live: kept
    batch = replaced(docs[20:21])
    engine.index(batch)  # 31 dead > 30 live
    latest.update((d.id, d) for d in batch)
    assert engine.count() == 30
    assert engine._view_cache.directory != first and not first.exists()
    assert matrix_rows(engine) == 30
    got = engine.fetch(list(latest), with_vectors=True)
    assert all(np.allclose(got[i].vector, latest[i].vector) for i in latest)

    fresh = EmbeddedEngine(tmp_path / "fresh")
    fresh.rebuild(list(latest.values()))
    assert fresh.count() == matrix_rows(fresh) == 30  # reindex holds only live rows
    matched = 0
    for q in QUERIES:
        terms = sample.service.query_terms(q)
        a, b = engine.keyword(terms, Filters(), 100), fresh.keyword(terms, Filters(), 100)
        assert (a.ids, a.scores) == (b.ids, b.scores)
        matched += len(a.ids)
        vector = sample.service._embed_query(q)
        a, b = engine.semantic(vector, Filters(), 10), fresh.semantic(vector, Filters(), 10)
        assert a.ids == b.ids and a.scores == pytest.approx(b.scores, abs=1e-6)  # float32 sums, other blocking
    assert matched > 5

    engine.delete([d.id for d in docs[:16]])  # 16 dead > 14 live
    assert engine.count() == matrix_rows(engine) == 14
    assert sorted(all_ids(engine)) == sorted(d.id for d in docs[16:])

"""OpenSearch-specific behaviour: strict mappings, zero-downtime reindex under load."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from indexer.pipeline import Indexer
from search_api.facets import FACETS
from search_api.query import Filters, SearchRequest
from tests.conftest import build_runtime, engine_settings

pytestmark = pytest.mark.opensearch


@pytest.fixture(scope="module")
def os_runtime(tmp_path_factory):
    rt = build_runtime(engine_settings("opensearch", tmp_path_factory.mktemp("os")))
    yield rt
    rt.engine.drop()


def test_mapping_is_strict_and_has_every_facet(os_runtime):
    client, alias = os_runtime.engine.client, os_runtime.engine.alias
    mapping = next(iter(client.indices.get_mapping(index=alias).values()))["mappings"]
    assert mapping["dynamic"] == "strict"
    props = mapping["properties"]
    assert all(props[f.name]["type"] == "keyword" for f in FACETS)
    assert props["embedding"]["method"]["engine"] == "lucene" and props["embedding"]["dimension"] == 384
    concrete = next(iter(client.indices.get_alias(name=alias)))
    assert concrete.startswith(f"{alias}-s5-")
    assert props["terms"]["similarity"] == "bm25"  # standard BM25, no scripted similarity
    with pytest.raises(Exception, match="strict_dynamic_mapping_exception|mapping set to strict"):
        client.index(index=alias, id="x", body={"unknown_field": 1})


def test_reindex_swaps_alias_while_readers_keep_answering(os_runtime):
    engine = os_runtime.engine
    before = set(engine.client.indices.get_alias(name=engine.alias))
    errors: list[str] = []
    answers: list[int] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                total = os_runtime.service.search(SearchRequest(q="sampah", mode="keyword"))["total"]
                answers.append(total)
                if total == 0:
                    errors.append("empty result during reindex")
            except Exception as exc:  # noqa: BLE001 - any failure is what we are looking for
                errors.append(repr(exc))
            time.sleep(0.02)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        Indexer(os_runtime.catalog, engine, os_runtime.embedder, os_runtime.vector_cache(),
                show_progress=False).reindex()
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    after = set(engine.client.indices.get_alias(name=engine.alias))
    assert errors == []
    assert len(answers) > 5 and len(set(answers)) == 1
    assert len(after) == 1 and after != before
    assert not any(engine.client.indices.exists(index=i) for i in before)  # old index deleted
    assert engine.count() == 202


def test_bulk_failures_are_reported_per_document(os_runtime):
    from search_api.documents import SearchDocument

    doc_id = os_runtime.catalog.resolve("kipp-inv-0003")
    doc = SearchDocument.from_json(os_runtime.engine.fetch([doc_id])[doc_id].to_json())
    doc.vector = np.full(10, 0.1, np.float32)  # wrong dimension: OpenSearch refuses this one document
    result = os_runtime.engine.index([doc])
    assert result.indexed == 0 and len(result.failures) == 1
    assert result.failures[0][0] == doc_id and "embedding" in result.failures[0][1]


def test_hybrid_search_with_facets_is_one_msearch(os_runtime, monkeypatch):
    client = os_runtime.engine.client
    calls: list[str] = []
    for name in ("msearch", "search", "count"):
        original = getattr(client, name)
        monkeypatch.setattr(client, name, lambda *a, _n=name, _o=original, **kw: (calls.append(_n), _o(*a, **kw))[1])
    os_runtime.service._embed_query("stunting pada balita")  # the query vector is cached, not part of this
    result = os_runtime.service.search(SearchRequest(q="stunting pada balita", mode="hybrid",
                                                     filters=Filters({"province": ("Jawa Timur",),
                                                                      "sector": ("Kesehatan",)})))
    assert result["total"] > 0
    assert calls == ["msearch"]

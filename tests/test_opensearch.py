"""OpenSearch-specific behaviour: strict mappings, zero-downtime reindex under load."""
from __future__ import annotations

from dataclasses import replace

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import search_api
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


def test_every_facet_is_mapped_once_from_its_declaration():
    """The mapping file names no facet; the loader adds a keyword field for each declared one
    (values are canonical strings, filtered with terms and counted with terms aggregations)."""
    from search_api.engines.opensearch import MAPPINGS_DIR, load_index_body

    (path,) = MAPPINGS_DIR.glob("opensearch-2-schema-5.json")
    assert path.is_relative_to(Path(search_api.__file__).parent)  # package data: non-editable installs have it
    listed = json.loads(path.read_text(encoding="utf-8"))["mappings"]["properties"]
    assert not {f.name for f in FACETS} & set(listed)
    body = load_index_body(512, shards=3, replicas=1)
    props = body["mappings"]["properties"]
    assert {f.name: props[f.name]["type"] for f in FACETS} == {f.name: "keyword" for f in FACETS}
    assert set(props) == set(listed) | {f.name for f in FACETS}
    assert props["embedding"]["dimension"] == 512
    assert (body["settings"]["index"]["number_of_shards"], body["settings"]["index"]["number_of_replicas"]) == (3, 1)


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


def test_a_search_is_one_msearch_and_its_groups_by_meaning_a_second(os_runtime, monkeypatch):
    """Keyword: legs and facet groups in one round trip. Hybrid: the legs and the nearest
    documents first, then the groups asking for the documents above the threshold by id."""
    os_runtime.service._corpus()  # the vector sample is taken once per index state, not per search
    client = os_runtime.engine.client
    calls: list[str] = []
    for name in ("msearch", "search", "count"):
        original = getattr(client, name)
        monkeypatch.setattr(client, name, lambda *a, _n=name, _o=original, **kw: (calls.append(_n), _o(*a, **kw))[1])
    os_runtime.service._embed_query("stunting pada balita")  # the query vector is cached, not part of this
    filters = Filters({"province": ("Jawa Timur",), "sector": ("Kesehatan",)})
    for mode, expected in (("keyword", ["msearch"]), ("hybrid", ["msearch", "msearch"])):
        calls.clear()
        result = os_runtime.service.search(SearchRequest(q="stunting pada balita", mode=mode, filters=filters))
        assert result["total"] > 0
        assert calls == expected, mode


def test_documents_listed_by_meaning_are_those_a_radial_search_finds(os_runtime):
    """The groups' by-id clause stands for exactly the documents above the threshold."""
    service, engine = os_runtime.service, os_runtime.engine
    for q in ("stunting pada balita", "antrean panjang di puskesmas", "sampah plastik menumpuk di sungai"):
        plan = service._plan(SearchRequest(q=q, mode="hybrid"), 10)
        assert plan.match.near_ids is not None
        radial = engine._search({"size": 500, "_source": False,
                                 "query": {"bool": {"should": [engine._near_clause(plan.match.near)]}}})
        assert set(plan.match.near_ids) == {h["_id"] for h in radial["hits"]["hits"]}, q
        unresolved = replace(plan.match, near_ids=None)
        assert engine.ordered(unresolved, Filters(), True, 0, 0).total == plan.total, q
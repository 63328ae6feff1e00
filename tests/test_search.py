"""Search semantics on the embedded engine, checked against expectations computed
independently from the catalog records."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from search_api.analysis import get_analyzer
from search_api.documents import FIELD_WEIGHTS
from search_api.query import Filters, QueryError, SearchRequest
from search_api.fusion import rrf
from search_api.search import SearchService


def records(rt):
    """Each innovation's record, by innovation id (the sample has one entry per innovation)."""
    groups = dict(rt.catalog.published())
    assert all(len(g) == 1 for g in groups.values())
    return {innovation_id: group[0] for innovation_id, group in groups.items()}


def keyword_matches(rt, q: str) -> set[str]:
    analyzer = get_analyzer()
    wanted = set(analyzer.terms(q))
    out = set()
    for rid, r in records(rt).items():
        terms = set()
        for name in FIELD_WEIGHTS:
            terms.update(analyzer.terms(getattr(r, name)))
        if terms & wanted:
            out.add(rid)
    return out


def search(rt, **params):
    return rt.service.search(SearchRequest.parse({k: v if isinstance(v, list) else [str(v)]
                                                  for k, v in params.items()}))


def test_keyword_total_matches_independent_count(engine_sample):
    expected = keyword_matches(engine_sample, "bank sampah")
    result = search(engine_sample, q="bank sampah", mode="keyword", size=100)
    assert result["total"] == len(expected) > 5
    assert {h["id"] for h in result["hits"]} == expected


def test_disjunctive_facets_match_hand_computed_counts(engine_sample):
    recs = records(engine_sample)
    base = keyword_matches(engine_sample, "pelayanan kesehatan")
    provinces = ["Jawa Timur", "Jawa Tengah"]
    result = search(engine_sample, q="pelayanan kesehatan", mode="keyword", province=provinces, agency_level="kabupaten",
                    size=100)
    in_prov = {i for i in base if recs[i].province in provinces}
    in_level = {i for i in base if recs[i].agency_level == "kabupaten"}
    assert result["total"] == len(in_prov & in_level)
    # The province facet ignores its own selection but honours agency_level ...
    expected_prov = Counter(recs[i].province for i in in_level if recs[i].province)
    got_prov = {v["value"]: v["count"] for v in result["facets"]["province"]["values"]}
    # A selected value stays listed (count 0) even when nothing in the set has it.
    assert got_prov == {**dict(expected_prov), **{p: expected_prov.get(p, 0) for p in provinces}}
    assert {v["value"] for v in result["facets"]["province"]["values"] if v["selected"]} == set(provinces)
    # ... and agency_level ignores its own but honours province.
    expected_level = Counter(recs[i].agency_level for i in in_prov)
    assert {v["value"]: v["count"] for v in result["facets"]["agency_level"]["values"]} == dict(expected_level)
    # Other facets count the actual result set.
    expected_sector = Counter(recs[i].sector for i in in_prov & in_level if recs[i].sector)
    assert {v["value"]: v["count"] for v in result["facets"]["sector"]["values"]} == dict(expected_sector)


def test_empty_query_lists_everything_newest_first(engine_sample):
    result = search(engine_sample, size=100, programme="IGA")
    assert result["total"] == 26
    years = [h["year"] for h in result["hits"] if h["year"] is not None]
    assert years == sorted(years, reverse=True)
    oldest = search(engine_sample, size=5, sort="oldest")
    assert oldest["hits"][0]["year"] == min(r.year for r in records(engine_sample).values() if r.year)


def test_year_range_and_bool_filters(engine_sample):
    recs = records(engine_sample)
    result = search(engine_sample, year_from=2019, year_to=2021, is_digital="true", size=100)
    expected = {i for i, r in recs.items() if r.year and 2019 <= r.year <= 2021 and r.is_digital}
    assert {h["id"] for h in result["hits"]} == expected


def test_filters_apply_before_ranking_in_every_mode(engine_sample):
    for mode in ("keyword", "semantic", "hybrid"):
        result = search(engine_sample, q="stunting pada balita", mode=mode, province="Jawa Timur", size=100)
        assert result["hits"], mode
        assert all(h["province"] == "Jawa Timur" for h in result["hits"]), mode


def by_hand_zscores(ids: list[str], scores: list[float]) -> tuple[dict[str, float], float]:
    values = np.array(scores)
    z = (values - values.mean()) / values.std()
    return dict(zip(ids, z)), z[-1] - 1


FUSED_QUERY = "antrean panjang mengurus akta kelahiran"


def legs(rt, q):
    """Each leg straight from the engine, the threshold for being a result by meaning alone,
    and the result set: keyword matches plus the neighbours at least that similar."""
    service = rt.service
    vector = service._embed_query(q)
    keyword = rt.engine.keyword(service._keyword_terms(q, None), Filters(), 1000)
    semantic = rt.engine.semantic(vector, Filters(), 100)
    threshold = service.min_similarity(vector, q)[0]
    members = set(keyword.ids) | {d for d, s in zip(semantic.ids, semantic.scores) if s >= threshold}
    return keyword, semantic, members


def test_hybrid_fuses_standardised_leg_scores(engine_sample):
    """fused = 0.55·z(BM25) + 0.45·z(cosine), z over each leg's top 100, a leg's k-th z - 1
    for documents it did not return, listing only the result set (computed here by hand from
    the engine's two legs)."""
    kw, sem, members = legs(engine_sample, FUSED_QUERY)
    assert kw.total < 100  # the keyword leg is complete, so both sides see the same documents
    hyb = search(engine_sample, q=FUSED_QUERY, mode="hybrid", size=10, explain="true")
    assert hyb["total"] == len(members) < len(set(kw.ids) | set(sem.ids))
    (kz, k_missing), (sz, s_missing) = by_hand_zscores(kw.ids, kw.scores), by_hand_zscores(sem.ids, sem.scores)
    fused = {d: 0.55 * kz.get(d, k_missing) + 0.45 * sz.get(d, s_missing) for d in members}
    assert [h["id"] for h in hyb["hits"]] == sorted(fused, key=lambda d: (-fused[d], d))[:10]
    top = hyb["hits"][0]["explain"]
    assert top["fused_score"] == pytest.approx(fused[hyb["hits"][0]["id"]], abs=1e-3)
    assert top["keyword_z"] == pytest.approx(kz[hyb["hits"][0]["id"]], abs=1e-3) and top["semantic_rank"]


def test_rrf_fusion_is_kept_as_a_setting(engine_sample):
    kw, sem, members = legs(engine_sample, FUSED_QUERY)
    service = SearchService(engine_sample.engine, engine_sample.embedder, engine_sample.catalog, fusion="rrf")
    hyb = service.search(SearchRequest(q=FUSED_QUERY, mode="hybrid", size=10))
    fused = rrf([kw.ids, sem.ids])
    assert [h["id"] for h in hyb["hits"]] == sorted((d for d in fused if d in members), key=lambda d: (-fused[d], d))[:10]


def test_semantic_mode_ranks_the_result_set_by_meaning(engine_sample):
    kw, sem, members = legs(engine_sample, FUSED_QUERY)
    got = search(engine_sample, q=FUSED_QUERY, mode="semantic", size=100)
    assert got["total"] == len(members)
    by_meaning = [d for d in sem.ids if d in members]
    assert [h["id"] for h in got["hits"]][: len(by_meaning)] == by_meaning



def test_pagination_is_consistent(engine_sample):
    page1 = search(engine_sample, q="sampah", size=5, page=1)
    page2 = search(engine_sample, q="sampah", size=5, page=2)
    both = search(engine_sample, q="sampah", size=10, page=1)
    assert [h["id"] for h in page1["hits"] + page2["hits"]] == [h["id"] for h in both["hits"]]


def test_semantic_finds_paraphrase_without_shared_words(engine_sample):
    # "kencing manis" never appears; the sample has diabetes innovations.
    result = search(engine_sample, q="penderita kencing manis", mode="semantic", size=5)
    text = " ".join((h["title"] + " " + " ".join(sum(h["highlights"].values(), []))).lower()
                    for h in result["hits"])
    recs = records(engine_sample)
    assert any("diabet" in (recs[h["id"]].problem + recs[h["id"]].solution + recs[h["id"]].title).lower()
               or "gula darah" in (recs[h["id"]].problem + recs[h["id"]].solution).lower()
               for h in result["hits"]), text


def test_highlights_mark_original_words(engine_sample):
    result = search(engine_sample, q="perekaman ktp", mode="keyword", size=3)
    snippets = " ".join(s for h in result["hits"] for v in h["highlights"].values() for s in v)
    assert "<mark>" in snippets
    assert "<mark>KTP" in snippets or "<mark>perekaman" in snippets.lower()


def test_similar_never_returns_itself(engine_sample):
    for rid in ("kipp-inv-0003", "iga-inv-0037", "inolan-inv-0078"):
        items = engine_sample.service.similar(rid, 10)
        assert len(items) == 10
        assert rid not in [i["id"] for i in items]
        # Ranked by RRF of embedding neighbours and BM25 on the problem's words, not similarity alone.
        assert all(-1.0 <= i["why"]["semantic_similarity"] <= 1.0 for i in items)


def test_bad_parameters_raise_query_errors():
    for params, param in [({"mode": ["fuzzy"]}, "mode"), ({"size": ["500"]}, "size"), ({"year": ["abc"]}, "year"),
                          ({"sdg": ["18"]}, "sdg"), ({"is_digital": ["maybe"]}, "is_digital"),
                          ({"page": ["101"]}, "page")]:
        with pytest.raises(QueryError) as err:
            SearchRequest.parse(params)
        assert err.value.param == param


def test_a_reversed_year_range_means_the_years_between():
    """Issue 13: "2022 to 2020" was a full-page 400 in English; it names the same years as 2020-2022."""
    filters = SearchRequest.parse({"year_from": ["2022"], "year_to": ["2020"]}).filters
    assert (filters.year_from, filters.year_to) == (2020, 2022)


def test_filters_without_drops_only_that_facet():
    f = Filters({"province": ("Bali",), "sector": ("Kesehatan",)}, 2019, None)
    assert f.without("province").values == {"sector": ("Kesehatan",)} and f.without("province").year_from == 2019


def test_typo_tolerance_suggests_and_matches(engine_sample):
    result = search(engine_sample, q="stuntng balita", mode="keyword", size=20)
    assert result["suggestion"] == "stunting balita"
    corrected = search(engine_sample, q="stunting balita", mode="keyword", size=20)
    assert {h["id"] for h in corrected["hits"]} <= {h["id"] for h in result["hits"]}  # both spellings match
    assert search(engine_sample, q="pantau tumbuh kembang balita", mode="keyword")["suggestion"] is None


def test_shared_terms_leave_out_words_found_everywhere(engine_sample):
    frequencies, n = engine_sample.engine.word_frequencies(), engine_sample.engine.count()
    items = engine_sample.service.similar("iga-inv-0069", 10)
    shown = [w for i in items for w in i["why"]["shared_terms"]]
    assert shown and all(frequencies[w.lower()] <= 0.10 * n for w in shown)
    analyzer = get_analyzer()
    for item in items:  # one word per concept: not "Ibu", "IBU" and "ibu", nor "hamil" and "kehamilan"
        stems = [analyzer.terms(w)[0] for w in item["why"]["shared_terms"]]
        assert len(stems) == len(set(stems)), item["why"]["shared_terms"]


def test_similarity_is_told_as_a_percentile_and_a_band(engine_sample):
    """e5's cosines all lie within 0.75-0.9 ("Kemiripan 88%" for nearly everything, 79% for
    gibberish): the percentile against the corpus spreads them, and the band says whether
    the document would be a result by meaning alone."""
    items = engine_sample.service.similar("kipp-inv-0003", 10)
    by_cosine = sorted(items, key=lambda i: (-i["why"]["semantic_similarity"], -i["why"]["similarity_percentile"]))
    percentiles = [i["why"]["similarity_percentile"] for i in by_cosine]
    assert percentiles == sorted(percentiles, reverse=True) and 90 <= percentiles[0] <= 100
    order = ["distant", "related", "close", "very_close"]
    bands = [order.index(i["why"]["similarity_band"]) for i in by_cosine]
    assert bands == sorted(bands, reverse=True) and bands[0] >= order.index("close")
    problem = engine_sample.service.similar_problems("xyzzyqwerty", Filters(), 10)
    assert problem["total"] == 0 and problem["hits"] == []


def test_a_burst_of_new_queries_gets_busy_not_a_stall(sample, monkeypatch):
    """Regression (issue 9.4): four clients posting unique long problems pushed an ordinary
    search from 18 ms to 5 s. New query embeddings wait at most EMBED_WAIT_SECONDS for a slot."""
    import time

    from search_api import search as search_module

    monkeypatch.setattr(search_module, "EMBED_WAIT_SECONDS", 0.2)
    service = SearchService(sample.engine, sample.embedder, sample.catalog)
    for _ in range(search_module.EMBED_SLOTS):  # every slot taken by embeddings in progress
        service._embed_slots.acquire()
    started = time.perf_counter()
    with pytest.raises(search_module.SearchBusy):
        service.search(SearchRequest(q="sesuatu yang belum pernah dicari 7d1e", mode="hybrid"))
    assert time.perf_counter() - started < 1.0
    assert service.search(SearchRequest(q="sampah", mode="keyword"))["total"] > 0  # keyword needs no embedding
    service._embed_slots.release()
    assert service.search(SearchRequest(q="sesuatu yang belum pernah dicari 7d1e"))["hits"] is not None


def test_the_service_leaves_the_cores_to_the_query_embedder(sample):
    """OpenBLAS threads spin after each call and slowed query embedding by half (see SearchService)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    with threadpool_limits(2, user_api="blas"):
        assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {2}
        SearchService(sample.engine, sample.embedder, sample.catalog)
        assert {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"} == {1}

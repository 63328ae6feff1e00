"""The search service: hybrid fusion, pagination, disjunctive facets, highlights,
similar innovations and statistics, built once on top of any engine's primitives."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterator

import numpy as np
from threadpoolctl import threadpool_limits

from catalog.store import Catalog

from .analysis import fold, get_analyzer, tokenize
from .documents import DISPLAY_FIELDS, SearchDocument
from .embeddings import Embedder
from .engines.base import EngineUnavailable, FacetGroup, Match, Ranked, Retrieval, SearchEngine
from .facets import FACETS
from .fusion import Fused, fuse
from .highlight import shared_words, snippet
from .query import Filters, SearchRequest
from .spelling import Speller, place_words


@dataclass
class Plan:
    """What a request matches and how it is ranked, before fetching documents."""

    match: Match
    ranked: list[str] | None  # relevance order (None: order by year in the engine)
    total: int
    keyword: Ranked | None = None
    semantic: Ranked | None = None
    fused: Fused | None = None
    facets: dict | None = None
    suggestion: str | None = None  # the query with misspelt words corrected
    vector: np.ndarray | None = None  # the query embedding, when there is a semantic leg
    background: tuple[float, float, float] | None = None  # (threshold, mean, sd) of similarity


STATS_VALUES = 100_000  # statistics count every value of a facet
FACET_NAMES = tuple(f.name for f in FACETS)


class SearchBusy(EngineUnavailable):
    """Too many new queries are waiting to be embedded (→ 503, try again shortly)."""


# Embedding a new query costs 20-300 ms of one core: at most this many run at once and a
# query waits this long for its turn, so a burst of long unique texts (a denial of service on
# /masalah) answers 503 instead of stalling every search behind it. Repeated queries hit the cache.
EMBED_SLOTS = 2
EMBED_WAIT_SECONDS = 2.0

# A document is in the result set when it matches a keyword term, or by meaning alone when its
# similarity stands out from the background: z = (similarity - mean) / sd over a sample of the
# corpus's vectors for this very query (e5's cosines are all 0.75-0.9, so no fixed cut works).
# The best of n unrelated documents reaches about z = sqrt(2 ln n) (the noise ceiling), and
# gibberish did (z 3.6-4.0 on the 202-record sample, whose ceiling is 3.3): a query with no word
# the corpus knows must clear the ceiling by a margin. A query with such words may admit a few
# documents below it; tying both to the ceiling keeps the number admitted by meaning alone small
# as the corpus grows. Measured and chosen in the README's relevance section.
BACKGROUND_SAMPLE = 2000
UNKNOWN_WORDS_MARGIN = 1.0  # above the ceiling
KNOWN_WORDS_ALLOWANCE = 1.75  # below the ceiling


def noise_ceiling(n: int) -> float:
    """About the highest z that the best of n unrelated documents reaches."""
    return math.sqrt(2 * math.log(max(n, 2)))


class SearchService:
    def __init__(self, engine: SearchEngine, embedder: Callable[[], Embedder], catalog: Catalog,
                 semantic_k: int = 100, fusion: str = "zscore"):
        self.engine = engine
        # Numpy's matrix work here (and the embedded engine's vector scan) is small or
        # memory-bound, but OpenBLAS's threads spin after each call and take the cores from the
        # query embedder's threads: one BLAS thread for the process. Measured at 100k, embedding
        # p50 / p95 14.7 / 46 ms with it, 21.6 / 85 ms without (OpenSearch engine); a second
        # thread would save the embedded engine's scan ~1 ms.
        threadpool_limits(1, user_api="blas")
        self._embed_slots = threading.BoundedSemaphore(EMBED_SLOTS)
        self.fusion = fusion  # fusion.METHODS
        self.catalog = catalog  # resolves entry ids and merged ids to innovation ids
        self._embedder = embedder
        self.semantic_k = semantic_k
        self.analyzer = get_analyzer()
        self._embed_query = lru_cache(maxsize=512)(self._embed_query_uncached)
        self._speller: Speller | None = None
        self._background: tuple[dict, int, np.ndarray] | None = None  # see _corpus

    # ---------------------------------------------------------------- helpers
    def _embed_query_uncached(self, text: str) -> np.ndarray:
        # Acronyms and short forms are spelled out for the embedder (the analyser's lexicon
        # already joins them for BM25): "ATS" → "ATS (anak tidak sekolah)".
        if not self._embed_slots.acquire(timeout=EMBED_WAIT_SECONDS):
            raise SearchBusy("too many new searches at once; try again in a few seconds")
        try:
            return self._embedder().embed_query(self.analyzer.spell_out(text))
        finally:
            self._embed_slots.release()

    def query_terms(self, q: str) -> list[str]:
        return list(dict.fromkeys(self.analyzer.terms(q)))

    def suggestion(self, q: str) -> str | None:
        """The query with misspelt words corrected ("maksud Anda"), or None."""
        frequencies = self.engine.word_frequencies()
        if self._speller is None or self._speller.frequencies is not frequencies:
            self._speller = Speller(frequencies, self.analyzer, self._corpus()[0], place_words())
        return self._speller.correct(q)

    def _reasons(self, text: str, terms: set[str], max_share: float = 0.10) -> list[str]:
        """Shared words worth showing as a reason, one per concept ("Ibu", "IBU" and "ibu" are
        one; "kehamilan" and "hamil" too), and none in more than 10% of innovations ("lebih",
        "layanan" match everything and explain nothing)."""
        frequencies, n = self.engine.word_frequencies(), max(self._corpus()[0], 1)
        out: dict[str, str] = {}
        for word in shared_words(text, terms, limit=50):
            if frequencies.get(fold(word), 0) > max_share * n:
                continue
            stems = tuple(self.analyzer.terms(word)) or (fold(word),)
            shown = word if word.isupper() and len(word) <= 6 else word.lower()  # keep acronyms
            out.setdefault(stems[0], shown)
        return list(out.values())[:8]

    def _similarity(self, vector, query_vector: np.ndarray, sims: np.ndarray) -> dict:
        """The cosine, and what it means against the corpus (``sims``: the query's
        ``_background_sims``): the share of innovations less similar to this query (a
        percentile that spreads e5's 0.75-0.9 range) and a band."""
        sim = float(np.dot(np.asarray(vector, np.float32), query_vector))
        if len(sims) < 2:
            return {"semantic_similarity": round(sim, 4), "similarity_percentile": None, "similarity_band": None}
        z = (sim - float(sims.mean())) / (float(sims.std()) or 1e-6)
        ceiling = noise_ceiling(self._corpus()[0])
        band = next(name for name, low in (("very_close", ceiling), ("close", ceiling - KNOWN_WORDS_ALLOWANCE),
                                           ("related", 1.0), ("distant", -math.inf)) if z >= low)
        return {"semantic_similarity": round(sim, 4),
                "similarity_percentile": round(100 * float((sims < sim).mean()), 1), "similarity_band": band}

    def _keyword_terms(self, q: str, suggestion: str | None) -> tuple[str, ...]:
        """The keyword leg's terms: the query's, those of its typo correction (both spellings
        match), and the official terms for its everyday words (everyday.txt), at full weight:
        weighing them 0.5 lost 0.01 nDCG@10 on the everyday set (README's relevance section)."""
        terms = self.query_terms(q)
        if suggestion:
            terms += [t for t in self.query_terms(suggestion) if t not in terms]
        terms += [t for t in self.analyzer.expansion_terms(suggestion or q) if t not in terms]
        return tuple(terms)

    def _corpus(self) -> tuple[int, np.ndarray]:
        """(document count, vector sample), taken again whenever the engine renews its word
        frequencies (after each commit on the embedded engine, every few minutes on
        OpenSearch), so that a search costs no extra round trip."""
        frequencies = self.engine.word_frequencies()
        if self._background is None or self._background[0] is not frequencies:
            self._background = (frequencies, self.engine.count(), self.engine.vector_sample(BACKGROUND_SAMPLE))
        return self._background[1], self._background[2]

    def _background_sims(self, vector: np.ndarray) -> np.ndarray:
        """The query's similarity to a fixed sample of the corpus."""
        sample = self._corpus()[1]
        return sample @ np.asarray(vector, np.float32) if len(sample) else np.zeros(0, np.float32)

    def _knows_words(self, text: str) -> bool:
        """Whether the query has a word the innovations use (not a stopword), or an everyday
        phrase the lexicon translates."""
        frequencies, stopwords = self.engine.word_frequencies(), self.analyzer.stopwords
        return any(w in frequencies and w not in stopwords for w in tokenize(text)) or \
            bool(self.analyzer.expansion_terms(text))

    def min_similarity(self, vector: np.ndarray, text: str) -> tuple[float, float, float]:
        """(threshold, background mean, background sd): how similar a document must be to be
        in the result set by meaning alone."""
        sims = self._background_sims(vector)
        if len(sims) < 2:
            return 1.0, 0.0, 1.0  # too few documents to tell a signal from noise: words only
        mean, sd = float(sims.mean()), float(sims.std()) or 1e-6
        ceiling = noise_ceiling(self._corpus()[0])
        z = ceiling - KNOWN_WORDS_ALLOWANCE if self._knows_words(text) else ceiling + UNKNOWN_WORDS_MARGIN
        return mean + z * sd, mean, sd

    def _plan(self, req: SearchRequest, depth: int, facet_groups: tuple[FacetGroup, ...] = ()) -> Plan:
        """One request to the engine: both legs, the total and the facet counts. A misspelt
        query is searched with its correction too, so every view of it (page, export,
        similar problems) sees the same result set. The keyword leg runs in every mode with a
        query, since its matches are in the result set whatever ranks them."""
        suggestion = self.suggestion(req.q) if req.q else None
        semantic_leg = req.q and req.mode != "keyword"
        vector = self._embed_query(suggestion or req.q) if semantic_leg else None
        threshold = self.min_similarity(vector, suggestion or req.q) if vector is not None else None
        spec = Retrieval(
            filters=req.filters,
            terms=self._keyword_terms(req.q, suggestion) if req.q else (),
            keyword_depth=depth if req.q else None,
            vector=vector,
            k=self.semantic_k,
            min_similarity=threshold[0] if threshold else None,
            everything=not req.q,
            facet_groups=facet_groups,
            facet_size=req.facet_size,
        )
        got = self.engine.retrieve(spec)
        plan = Plan(got.match, None, got.total, got.keyword, got.semantic, facets=got.facets,
                    suggestion=suggestion, vector=vector, background=threshold)
        if not req.q:
            return plan
        matched = set(got.keyword.ids)
        if got.semantic is None:
            plan.ranked = got.keyword.ids
            return plan
        # Nearest documents below the threshold that match no term are not in the result set.
        near = [(d, s) for d, s in zip(got.semantic.ids, got.semantic.scores) if s >= spec.min_similarity or d in matched]
        if req.mode == "semantic":
            listed = {d: None for d, _ in near}
            plan.ranked = [*listed, *(d for d in got.keyword.ids if d not in listed)]
            return plan
        plan.fused = fuse((got.keyword.ids, got.keyword.scores), (got.semantic.ids, got.semantic.scores), self.fusion)
        members = matched | {d for d, _ in near}
        plan.ranked = [d for d in plan.fused.ranked() if d in members]
        return plan

    @staticmethod
    def facet_groups(filters: Filters) -> tuple[FacetGroup, ...]:
        """Disjunctive facets: a facet with a selection is counted over the result set
        computed without its own selection; all the others over the actual result set."""
        plain = tuple(f.name for f in FACETS if f.name not in filters.values)
        selected = [f.name for f in FACETS if f.name in filters.values]
        return (FacetGroup(filters, plain), *(FacetGroup(filters.without(n), (n,)) for n in selected))

    # ---------------------------------------------------------------- search
    def search(self, req: SearchRequest) -> dict:
        return self._search(req)[0]

    def _search(self, req: SearchRequest) -> tuple[dict, Plan, dict[str, SearchDocument]]:
        """The response, with the plan and page documents behind it (for similar_problems)."""
        started = time.perf_counter()
        depth = req.offset + req.size + (self.semantic_k if req.mode == "hybrid" else 0)
        plan = self._plan(req, depth, self.facet_groups(req.filters))
        if plan.ranked is None or req.sort != "relevance":
            ordered = self.engine.ordered(plan.match, req.filters, req.sort != "oldest", req.offset, req.size,
                                          by=_order_by(req.sort))
            page_ids, total = ordered.ids, ordered.total
        else:
            page_ids, total = plan.ranked[req.offset : req.offset + req.size], plan.total
        docs = self.engine.fetch(page_ids, with_vectors=req.explain and plan.semantic is not None)
        terms = set(plan.match.terms)
        hits = [self._hit(docs[i], terms, plan, req) for i in page_ids if i in docs]
        result = {
            "query": req.q,
            "mode": req.mode,
            "total": total,
            "page": req.page,
            "size": req.size,
            "sort": req.sort,
            "suggestion": plan.suggestion,
            "took_ms": round((time.perf_counter() - started) * 1000, 1),
            "hits": hits,
            "facets": self._facets(req, plan.facets),
        }
        return result, plan, docs

    def _hit(self, doc: SearchDocument, terms: set[str], plan: Plan, req: SearchRequest) -> dict:
        hit = doc.summary()
        hit["score"] = _score(plan, doc.id)
        hit["highlights"] = {f: [s] for f in DISPLAY_FIELDS
                             if (s := snippet(f, getattr(doc.record, f), terms)) is not None}
        if req.explain:
            hit["explain"] = _explain(plan, doc.id)
        return hit

    @staticmethod
    def _facets(req: SearchRequest, counts: dict) -> dict:
        out = {}
        for facet in FACETS:
            chosen = set(req.filters.values.get(facet.name, ()))
            fc = counts[facet.name]
            values = [{"value": v, "count": n, "selected": v in chosen} for v, n in fc.values]
            present = {v for v, _ in fc.values}
            values += [{"value": v, "count": 0, "selected": True} for v in sorted(chosen - present)]
            out[facet.name] = {"label": facet.label("id"), "values": values, "truncated": fc.truncated,
                               "distinct": fc.distinct}
        return out

    # ---------------------------------------------------------------- documents
    def get(self, some_id: str) -> SearchDocument | None:
        """The searchable innovation behind an innovation, merged or entry id (None when
        unknown or not published)."""
        doc_id = self.catalog.resolve(some_id)
        return self.engine.fetch([doc_id]).get(doc_id) if doc_id else None

    def similar(self, some_id: str, size: int = 10) -> list[dict] | None:
        """Innovations solving a similar problem, never itself: the nearest by embedding fused
        with the BM25 ranking for the words of this innovation's problem statement."""
        doc_id = self.catalog.resolve(some_id)
        doc = self.engine.fetch([doc_id], with_vectors=True).get(doc_id) if doc_id else None
        if doc is None:
            return None
        vector = np.asarray(doc.vector, np.float32)
        semantic = self.engine.semantic(vector, Filters(), self.semantic_k, exclude=[doc.id])
        keyword = self.engine.keyword(tuple(self.query_terms(doc.record.problem)), Filters(),
                                      self.semantic_k + 2 * size)
        others = [(d, score) for d, score in zip(keyword.ids, keyword.scores) if d != doc.id]
        ids = fuse(([d for d, _ in others], [score for _, score in others]), (semantic.ids, semantic.scores),
                   self.fusion).ranked()[:size]
        found = self.engine.fetch(ids, with_vectors=True)
        own_terms = set(self.analyzer.terms(doc.record.problem))
        background = self._background_sims(vector)
        out = []
        for doc_sim in ids:
            other = found[doc_sim]
            item = other.summary()
            item["why"] = {**self._similarity(other.vector, vector, background),
                           "shared_terms": self._reasons(other.record.problem, own_terms)}
            out.append(item)
        return out

    def similar_problems(self, problem: str, filters: Filters, size: int, page: int = 1) -> dict:
        """Rank innovations by how well they solved a described problem, saying why."""
        req = SearchRequest(q=problem, mode="hybrid", filters=filters, size=size, page=page, explain=True)
        result, plan, docs = self._search(req)  # explain: the page documents carry their vectors
        qvec, terms = plan.vector, set(plan.match.terms)
        background = self._background_sims(qvec) if qvec is not None else None
        for hit in result["hits"]:
            doc = docs[hit["id"]]
            text = " ".join(filter(None, (doc.record.title, doc.record.problem, doc.record.solution)))
            hit["why"] = {
                "shared_terms": self._reasons(text, terms),
                **self._similarity(doc.vector, qvec, background),
                "keyword_rank": hit["explain"]["keyword_rank"],
                "semantic_rank": hit["explain"]["semantic_rank"],
            }
            hit.pop("explain")
            hit["replicated_in"] = doc.record.replicated_in
        return result

    def stats(self, req: SearchRequest, by: tuple[str, str] | None = None) -> dict:
        """Counts of every facet over the result set of ``req`` (the set its search page
        shows: the same plan, total and facet counts), and optionally a cross-tabulation of
        two facets over that set."""
        plan = self._plan(replace(req, facet_size=STATS_VALUES), 0, (FacetGroup(req.filters, FACET_NAMES),))
        return {"total": plan.total,
                "facets": {name: plan.facets[name].values for name in FACET_NAMES},
                "crosstab": self.engine.cross_counts(plan.match, req.filters, *by) if by else None}

    def export(self, req: SearchRequest, chunk: int = 200) -> Iterator[SearchDocument]:
        """Every document of the result set, in the order the search shows them."""
        if req.sort != "relevance" or not req.q:
            plan = self._plan(req, 0)
            total, source = plan.total, None
        else:
            probe = self._plan(req, 0)
            depth = probe.keyword.total if probe.keyword else 0
            plan = self._plan(req, depth + self.semantic_k)
            total, source = plan.total, plan.ranked
        for offset in range(0, total, chunk):
            if source is None:
                ids = self.engine.ordered(plan.match, req.filters, req.sort != "oldest", offset, chunk,
                                          by=_order_by(req.sort)).ids
            else:
                ids = source[offset : offset + chunk]
            docs = self.engine.fetch(ids)
            yield from (docs[i] for i in ids if i in docs)


def _order_by(sort: str) -> str:
    """The engine's ordering key for a sort: replication count (then newest) or year."""
    return "replications" if sort == "most_replicated" else "year"


def _score(plan: Plan, doc_id: str) -> float | None:
    """The fused score, else the leg's; None for a document in the result set but beyond
    the depth the legs were read to (a date-sorted page can reach those)."""
    if plan.fused and doc_id in plan.fused.scores:
        return round(plan.fused.scores[doc_id], 6)
    for leg in (plan.keyword, plan.semantic):
        if leg and doc_id in leg.ids:
            return round(leg.scores[leg.ids.index(doc_id)], 6)
    return None


def _explain(plan: Plan, doc_id: str) -> dict:
    fused = plan.fused

    def rounded(values: dict[str, float] | None) -> float | None:
        return round(values[doc_id], 4) if values and doc_id in values else None

    out = {"keyword_rank": None, "keyword_score": None, "keyword_z": rounded(fused and fused.keyword_z),
           "semantic_rank": None, "semantic_similarity": None, "semantic_z": rounded(fused and fused.semantic_z),
           "fused_score": rounded(fused and fused.scores)}
    if plan.keyword and doc_id in plan.keyword.ids:
        i = plan.keyword.ids.index(doc_id)
        out["keyword_rank"], out["keyword_score"] = i + 1, round(plan.keyword.scores[i], 4)
    if plan.semantic and doc_id in plan.semantic.ids:
        i = plan.semantic.ids.index(doc_id)
        out["semantic_rank"], out["semantic_similarity"] = i + 1, round(plan.semantic.scores[i], 4)
    return out

"""OpenSearch engine: the same documents and semantics on a real OpenSearch node.

- Index settings and mappings come from ``mappings/`` (versioned by engine major and
  schema); concrete indices are named ``<alias>-s<schema>-<timestamp>`` behind an alias,
  so ``rebuild`` swaps a fully built index in atomically.
- Keyword: a ``bool.should`` of ``term`` queries on the pre-analysed ``terms`` field,
  scored by OpenSearch's BM25 (k1 1.2, b 0.75), as the embedded engine's tantivy index.
- Semantic: a ``knn`` query (Lucene HNSW, cosine) with the filters inside ``knn.filter``
  (efficient filtering), so k hits come back whatever the filters.
"""
from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, NotFoundError, TransportError

from ..documents import SearchDocument
from ..facets import FACETS
from ..query import Filters
from .base import (EngineUnavailable, FacetGroup, IndexResult, Match, Ranked, Retrieval, Retrieved,
                   SearchEngine, top_values)

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"
ENGINE_MAJOR = 2
SCHEMA_VERSION = 5  # 5: missing facet values indexed, agency facet (4: standard BM25, no padding)
FACET_AGG_SIZE = 10_000
WORDS_CACHE_SECONDS = 300


def load_index_body(dimension: int) -> dict:
    path = MAPPINGS_DIR / f"opensearch-{ENGINE_MAJOR}-schema-{SCHEMA_VERSION}.json"
    body = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    body["mappings"]["properties"]["embedding"]["dimension"] = dimension
    return body


class OpenSearchEngine(SearchEngine):
    name = "opensearch"

    def __init__(self, url: str, alias: str, timeout: float = 5.0):
        self.url = url
        self.alias = alias
        # No retries: an unreachable node must turn into a quick 503, not a long wait.
        self.client = OpenSearch(hosts=[url], timeout=timeout, max_retries=0, retry_on_timeout=False)
        self._words: tuple[float, dict[str, int]] | None = None

    @property
    def key(self) -> str:
        return f"opensearch:{self.url}/{self.alias}"

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (OSConnectionError, ConnectionTimeout) as exc:
            raise EngineUnavailable(f"OpenSearch at {self.url} is unreachable: {exc.__class__.__name__}") from exc
        except NotFoundError as exc:
            if "index_not_found" in str(exc):
                raise EngineUnavailable(f"index {self.alias!r} does not exist yet: run `jippnas index`") from exc
            raise
        except TransportError as exc:
            if exc.status_code in (429, 502, 503, 504):
                raise EngineUnavailable(f"OpenSearch answered {exc.status_code}: {exc.error}") from exc
            raise

    # ---------------------------------------------------------------- index lifecycle
    def _concrete_indices(self) -> list[str]:
        try:
            return sorted(self._call(self.client.indices.get_alias, name=self.alias))
        except NotFoundError:
            return []

    def _create_index(self, dimension: int, bulk_loading: bool) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dt%H%M%S%f")
        name = f"{self.alias}-s{SCHEMA_VERSION}-{stamp}"
        body = load_index_body(dimension)
        if bulk_loading:
            body["settings"]["index"]["refresh_interval"] = "-1"
        self._call(self.client.indices.create, index=name, body=body)
        return name

    def _ensure_alias(self, dimension: int) -> None:
        current = self._concrete_indices()
        if not current:
            name = self._create_index(dimension, bulk_loading=False)
            self._call(self.client.indices.update_aliases,
                       body={"actions": [{"add": {"index": name, "alias": self.alias}}]})
        elif not all(i.startswith(f"{self.alias}-s{SCHEMA_VERSION}-") for i in current):
            raise EngineUnavailable(f"index {current[0]!r} has an older schema than {SCHEMA_VERSION}: "
                                    "run `jippnas reindex` to rebuild it")

    def drop(self) -> None:
        """Delete the alias and every index behind it (tests, teardown)."""
        for name in self._concrete_indices():
            self._call(self.client.indices.delete, index=name)

    # ---------------------------------------------------------------- write side
    @staticmethod
    def _source(doc: SearchDocument) -> dict:
        facets = doc.facet_values()
        return {
            "doc_id": doc.id,
            "record_ids": [e.id for e in doc.entries] or [doc.id],
            "terms": " ".join(doc.keyword_terms()),
            "words": doc.surface_words(),
            "sort_year": doc.sort_year,
            "years": doc.years,
            **{f.name: facets[f.name] for f in FACETS},
            "body": doc.to_json(),
            "embedding": np.asarray(doc.vector, dtype=np.float32).tolist(),
        }

    def _bulk(self, index: str, docs: Iterable[SearchDocument], refresh: bool) -> IndexResult:
        """Stream documents to the bulk API (only a bulk chunk is ever held as JSON)."""
        result = IndexResult()

        def actions():
            for doc in docs:
                if doc.vector is None or len(doc.vector) == 0:
                    result.failures.append((doc.id, "document has no vector"))
                    continue
                yield {"_op_type": "index", "_index": index, "_id": doc.id, "_source": self._source(doc)}

        try:
            for ok, item in helpers.streaming_bulk(self.client, actions(), chunk_size=200, max_retries=3,
                                                   raise_on_error=False, raise_on_exception=False,
                                                   request_timeout=120):
                info = next(iter(item.values()))
                if ok:
                    result.indexed += 1
                else:
                    error = info.get("error")
                    reason = error.get("reason", error) if isinstance(error, dict) else error
                    result.failures.append((info.get("_id"), f"OpenSearch {info.get('status')}: {reason}"))
        except (OSConnectionError, ConnectionTimeout) as exc:
            raise EngineUnavailable(f"OpenSearch at {self.url} is unreachable during bulk indexing") from exc
        if refresh:
            self._call(self.client.indices.refresh, index=index)
        return result

    def index(self, docs: Iterable[SearchDocument]) -> IndexResult:
        docs = list(docs)
        if not docs:
            return IndexResult()
        self._ensure_alias(_dimension(docs[0]))
        return self._bulk(self.alias, docs, refresh=True)

    def delete(self, ids: Sequence[str]) -> None:
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids)
        helpers.bulk(self.client, actions, raise_on_error=False, refresh=True)

    def rebuild(self, docs: Iterable[SearchDocument]) -> IndexResult:
        stream = iter(docs)
        first = next(stream, None)
        new = self._create_index(_dimension(first), bulk_loading=True)
        result = self._bulk(new, itertools.chain([first] if first else [], stream), refresh=False)
        if result.failures:
            self._call(self.client.indices.delete, index=new)
            return result
        self._call(self.client.indices.put_settings, index=new, body={"index": {"refresh_interval": "1s"}})
        self._call(self.client.indices.refresh, index=new)
        old = self._concrete_indices()
        actions = [{"remove": {"index": i, "alias": self.alias}} for i in old]
        actions.append({"add": {"index": new, "alias": self.alias}})
        self._call(self.client.indices.update_aliases, body={"actions": actions})  # one atomic change
        for i in old:
            self._call(self.client.indices.delete, index=i)
        return result

    # ---------------------------------------------------------------- query helpers
    @staticmethod
    def _filter_clauses(filters: Filters) -> list[dict]:
        clauses: list[dict] = [{"terms": {name: list(values)}} for name, values in filters.values.items()]
        if filters.year_from is not None or filters.year_to is not None:
            bounds = {}
            if filters.year_from is not None:
                bounds["gte"] = filters.year_from
            if filters.year_to is not None:
                bounds["lte"] = filters.year_to
            clauses.append({"range": {"years": bounds}})
        return clauses

    @staticmethod
    def _terms_should(terms: Sequence[str]) -> list[dict]:
        return [{"term": {"terms": t}} for t in dict.fromkeys(terms)]

    def _match_query(self, match: Match, filters: Filters) -> dict:
        query: dict = {"bool": {"filter": self._filter_clauses(filters)}}
        if not match.everything:
            should = self._terms_should(match.terms)
            if match.ids:
                should.append({"ids": {"values": list(match.ids)}})
            if not should:
                should = [{"match_none": {}}]
            query["bool"].update(should=should, minimum_should_match=1)
        return query

    def _search(self, body: dict) -> dict:
        return self._call(self.client.search, index=self.alias, body=body)

    # ---------------------------------------------------------------- read primitives
    def count(self) -> int:
        try:
            return self._call(self.client.count, index=self.alias)["count"]
        except EngineUnavailable as exc:
            if "does not exist" in str(exc):
                return 0
            raise

    def keyword(self, terms, filters, limit):
        if not terms:
            return Ranked([], [], 0)
        return self._keyword_ranked(self._search(self._keyword_body(terms, filters, limit)))

    def _knn_query(self, vector, filters: Filters, k: int, exclude: Sequence[str] = ()) -> dict:
        knn: dict = {"vector": np.asarray(vector, dtype=np.float32).tolist(), "k": k}
        clauses = self._filter_clauses(filters)
        if clauses or exclude:  # Lucene efficient filtering: k hits whatever the filters
            knn["filter"] = {"bool": {"filter": clauses, "must_not": [{"ids": {"values": list(exclude)}}]}}
        return {"knn": {"embedding": knn}}

    def _keyword_body(self, terms, filters: Filters, limit: int) -> dict:
        return {
            "size": limit, "_source": False, "track_total_hits": True,
            "query": {"bool": {"should": self._terms_should(terms), "minimum_should_match": 1,
                               "filter": self._filter_clauses(filters)}},
            "sort": [{"_score": "desc"}, {"doc_id": "asc"}],
        }

    @staticmethod
    def _keyword_ranked(resp: dict) -> Ranked:
        hits = resp["hits"]["hits"]
        return Ranked([h["_id"] for h in hits], [float(h["_score"]) for h in hits], resp["hits"]["total"]["value"])

    @staticmethod
    def _semantic_ranked(resp: dict) -> Ranked:
        # Lucene's cosinesimil score is (1 + cos) / 2; report the cosine itself.
        scored = sorted(((2.0 * float(h["_score"]) - 1.0, h["_id"]) for h in resp["hits"]["hits"]),
                        key=lambda p: (-p[0], p[1]))
        return Ranked([i for _, i in scored], [s for s, _ in scored], len(scored))

    def semantic(self, vector, filters, k, exclude=()):
        resp = self._search({"size": k, "_source": False, "query": self._knn_query(vector, filters, k, exclude)})
        return self._semantic_ranked(resp)

    def retrieve(self, spec: Retrieval) -> Retrieved:
        """The whole request in one ``_msearch``: the BM25 leg, the knn leg, and per facet
        group a size-0 body whose query is the group's result set (the terms OR the same
        knn clause under the group's filters) with its aggregations; the body for the
        request's own filters also counts the total."""
        bodies: list[tuple[str, dict]] = []
        if spec.keyword_depth is not None and spec.terms:
            bodies.append(("keyword", self._keyword_body(spec.terms, spec.filters, spec.keyword_depth)))
        if spec.vector is not None:
            bodies.append(("semantic", {"size": spec.k, "_source": False,
                                        "query": self._knn_query(spec.vector, spec.filters, spec.k)}))
        groups = list(spec.facet_groups)
        if not any(g.filters == spec.filters for g in groups):
            groups.insert(0, FacetGroup(spec.filters, ()))
        for group in groups:
            body = {"size": 0, "track_total_hits": group.filters == spec.filters,
                    "query": self._group_query(spec, group.filters),
                    "aggs": self._facet_aggs(group.names)}
            bodies.append(("group", body))
        lines: list[dict] = []
        for _, body in bodies:
            lines += [{"index": self.alias}, body]
        responses = self._call(self.client.msearch, body=lines)["responses"]
        keyword = Ranked([], [], 0) if spec.keyword_depth is not None else None
        semantic, total, facets = None, 0, {}
        group_iter = iter(groups)
        for (kind, _), resp in zip(bodies, responses):
            if "error" in resp:
                raise TransportError(resp.get("status", 500), resp["error"].get("type", "error"), resp["error"])
            if kind == "keyword":
                keyword = self._keyword_ranked(resp)
            elif kind == "semantic":
                semantic = self._semantic_ranked(resp)
            else:
                group = next(group_iter)
                if group.filters == spec.filters:
                    total = resp["hits"]["total"]["value"]
                facets.update(self._facet_values(resp, group.names, spec.facet_size))
        return Retrieved(keyword, semantic, total, facets)

    def _group_query(self, spec: Retrieval, filters: Filters) -> dict:
        if spec.everything:
            return {"bool": {"filter": self._filter_clauses(filters)}}
        should = list(self._terms_should(spec.terms)) if spec.keyword_depth is not None else []
        if spec.vector is not None:
            should.append(self._knn_query(spec.vector, filters, spec.k))
        return {"bool": {"filter": self._filter_clauses(filters), "should": should or [{"match_none": {}}],
                         "minimum_should_match": 1}}

    @staticmethod
    def _facet_aggs(names) -> dict:
        return {n: {"terms": {"field": n, "size": FACET_AGG_SIZE}} for n in names}

    @staticmethod
    def _facet_values(resp: dict, names, size: int) -> dict:
        aggs = resp.get("aggregations", {})
        return {n: top_values(n, [(b["key"], b["doc_count"]) for b in aggs[n]["buckets"]], size) for n in names}

    def facet_counts(self, match, filters, facets, size):
        if not facets:
            return {}
        body = {"size": 0, "track_total_hits": False, "query": self._match_query(match, filters),
                "aggs": self._facet_aggs(facets)}
        return self._facet_values(self._search(body), facets, size)

    def cross_counts(self, match, filters, rows, columns):
        body = {"size": 0, "track_total_hits": False, "query": self._match_query(match, filters),
                "aggs": {"rows": {"terms": {"field": rows, "size": FACET_AGG_SIZE},
                                  "aggs": {"columns": {"terms": {"field": columns, "size": FACET_AGG_SIZE}}}}}}
        buckets = self._search(body)["aggregations"]["rows"]["buckets"]
        return {b["key"]: {c["key"]: c["doc_count"] for c in b["columns"]["buckets"]} for b in buckets}

    def ordered(self, match, filters, newest_first, offset, limit):
        order = "desc" if newest_first else "asc"
        body = {"from": offset, "size": limit, "_source": False, "track_total_hits": True,
                "query": self._match_query(match, filters),
                "sort": [{"sort_year": {"order": order, "missing": "_last"}}, {"doc_id": "asc"}]}
        resp = self._search(body)
        hits = resp["hits"]["hits"]
        return Ranked([h["_id"] for h in hits], [0.0] * len(hits), resp["hits"]["total"]["value"])

    def fetch(self, ids, with_vectors=False):
        if not ids:
            return {}
        includes = ["body", "embedding"] if with_vectors else ["body"]
        resp = self._call(self.client.mget, index=self.alias, body={"ids": list(ids)}, _source_includes=includes)
        out = {}
        for d in resp["docs"]:
            if d.get("found"):
                doc = SearchDocument.from_json(d["_source"]["body"])
                if with_vectors:
                    doc.vector = d["_source"].get("embedding")
                out[d["_id"]] = doc
        return out

    def word_frequencies(self):
        """Pages through a composite aggregation over ``words``; cached for a few minutes,
        since only suggestions depend on it."""
        cached = self._words
        if cached and time.monotonic() - cached[0] < WORDS_CACHE_SECONDS:
            return cached[1]
        words: dict[str, int] = {}
        after = None
        while True:
            composite: dict = {"size": 10_000, "sources": [{"w": {"terms": {"field": "words"}}}]}
            if after:
                composite["after"] = after
            resp = self._search({"size": 0, "aggs": {"words": {"composite": composite}}})
            agg = resp["aggregations"]["words"]
            words.update((b["key"]["w"], b["doc_count"]) for b in agg["buckets"])
            after = agg.get("after_key")
            if not agg["buckets"] or not after:
                break
        self._words = (time.monotonic(), words)
        return words

    def health(self) -> dict:
        started = time.perf_counter()
        cluster = self._call(self.client.cluster.health, request_timeout=2)
        return {"status": "ok" if cluster["status"] in ("green", "yellow") else cluster["status"],
                "engine": self.name, "documents": self.count(), "cluster": cluster["status"],
                "took_ms": round((time.perf_counter() - started) * 1000, 1)}

    def close(self) -> None:
        self.client.close()


def _dimension(doc: SearchDocument | None) -> int:
    """The vector size an index is created for (384, e5-small's, before any document)."""
    return len(doc.vector) if doc is not None and doc.vector is not None else 384

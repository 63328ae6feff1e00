"""OpenSearch engine: the same documents and semantics on a real OpenSearch node.

- Index settings and mappings come from ``search_api/mappings/`` (versioned by engine major
  and schema) plus a keyword field per declared facet; shard and replica counts are settings.
  Concrete indices are named ``<alias>-s<schema>-<timestamp>`` behind an alias, so
  ``rebuild`` swaps a fully built index in atomically.
- Several shards answer like one: BM25-ranked searches run as ``dfs_query_then_fetch``
  (scores from the index's global term statistics), and facet counts over a semantic result
  set count the global k nearest, not k per shard (see ``retrieve``).
- Keyword: a ``bool.should`` of ``term`` queries on the pre-analysed ``terms`` field,
  scored by OpenSearch's BM25 (k1 1.2, b 0.75), as the embedded engine's tantivy index.
- Semantic: a ``knn`` query (Lucene HNSW, cosine) with the filters inside ``knn.filter``
  (efficient filtering), so k hits come back whatever the filters.
"""
from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import replace
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
from .base import (EngineUnavailable, FacetGroup, IndexResult, Match, Near, Ranked, Retrieval, Retrieved,
                   SearchEngine, top_values)

MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "mappings"
ENGINE_MAJOR = 2
SCHEMA_VERSION = 5  # 5: activity, agency and replication facets, missing values indexed as '-', the replication sort (4: standard BM25, no padding; 3: scripted FTS5 similarity)
FACET_AGG_SIZE = 10_000
MERGE_SECONDS = 3600  # a rebuild waits this long for its force merge
NEAR_DEPTH = 1000  # nearest documents listed to find those above the similarity threshold (see retrieve)
UNAVAILABLE_STATUSES = (429, 502, 503, 504)  # overloaded, or shards not started yet
NOT_READY_ERRORS = ("index_closed_exception", "cluster_block_exception", "no_shard_available_action_exception")
WORDS_CACHE_SECONDS = 300
# For BM25-ranked searches: term statistics from every shard before scoring, so scores (and
# rankings) do not depend on how documents fall into shards. knn scores (cosine), counts and
# year orders need no statistics. With one shard OpenSearch skips the extra phase.
BM25_SEARCH_TYPE = "dfs_query_then_fetch"


def load_index_body(dimension: int, shards: int = 1, replicas: int = 0) -> dict:
    path = MAPPINGS_DIR / f"opensearch-{ENGINE_MAJOR}-schema-{SCHEMA_VERSION}.json"
    body = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    body["settings"]["index"].update(number_of_shards=shards, number_of_replicas=replicas)
    properties = body["mappings"]["properties"]
    properties["embedding"]["dimension"] = dimension
    # Facet values are stored in their canonical string form (Facet.parse), filtered with
    # terms queries and counted with terms aggregations: a keyword field each.
    properties.update({f.name: {"type": "keyword"} for f in FACETS})
    return body


class OpenSearchEngine(SearchEngine):
    name = "opensearch"

    def __init__(self, url: str, alias: str, timeout: float = 5.0, shards: int = 1, replicas: int = 0):
        self.url = url
        self.alias = alias
        self.shards = shards  # of the indices this engine creates
        self.replicas = replicas
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
        except TransportError as exc:
            unavailable = self._unavailable(exc.status_code, exc.error)
            if unavailable is None:
                raise
            raise unavailable from exc

    def _unavailable(self, status, error_type) -> EngineUnavailable | None:
        """An error that means "not ready" (shards starting, overloaded, the index missing or
        closed): a 503 for the caller, who may retry; None for a real error."""
        if "index_not_found" in str(error_type):
            return EngineUnavailable(f"index {self.alias!r} does not exist yet: run `jippnas index`")
        if status in UNAVAILABLE_STATUSES or error_type in NOT_READY_ERRORS:
            return EngineUnavailable(f"OpenSearch answered {status}: {error_type}")
        return None

    def _raise_item_error(self, status, error: dict) -> None:
        """An error inside an _msearch or _mget answer (which itself is a 200)."""
        error_type = error.get("type", "error")
        raise self._unavailable(status, error_type) or TransportError(status or 500, error_type, error)

    # ---------------------------------------------------------------- index lifecycle
    def _concrete_indices(self) -> list[str]:
        try:
            return sorted(self._call(self.client.indices.get_alias, name=self.alias))
        except NotFoundError:
            return []

    def _create_index(self, dimension: int, bulk_loading: bool) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dt%H%M%S%f")
        name = f"{self.alias}-s{SCHEMA_VERSION}-{stamp}"
        body = load_index_body(dimension, self.shards, self.replicas)
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

    def ids(self) -> set[str]:
        hits = helpers.scan(self.client, index=self.alias, query={"_source": False}, size=5000)
        return {h["_id"] for h in self._call(list, hits)}

    def model(self) -> str | None:
        try:
            mappings = self._call(self.client.indices.get_mapping, index=self.alias)
        except EngineUnavailable as exc:
            if "does not exist" in str(exc):
                return None
            raise
        return next(iter(mappings.values()))["mappings"].get("_meta", {}).get("model")

    def set_model(self, model_id: str) -> None:
        self._call(self.client.indices.put_mapping, index=self.alias, body={"_meta": {"model": model_id}})

    def schema(self) -> tuple[int | None, int]:
        live = [int(m.group(1)) for i in self._concrete_indices() if (m := re.search(r"-s(\d+)-", i[len(self.alias):]))]
        return (min(live) if live else None), SCHEMA_VERSION

    def orphans(self) -> list[str]:
        ours = re.compile(rf"{re.escape(self.alias)}-s\d+-\d{{8}}t\d+")
        found = self._call(self.client.indices.get_alias, index=f"{self.alias}-s*", expand_wildcards="all")
        return sorted(name for name, info in found.items()
                      if ours.fullmatch(name) and self.alias not in info.get("aliases", {}))

    def remove_orphans(self) -> list[str]:
        """Not while another reindex runs: its new index is not behind the alias yet."""
        removed = self.orphans()
        for name in removed:
            self._call(self.client.indices.delete, index=name, ignore_unavailable=True)
        return removed

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
            "replication_count": len(doc.replications),
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
        self._call(helpers.bulk, self.client, actions, raise_on_error=False, refresh=True)

    def rebuild(self, docs: Iterable[SearchDocument]) -> IndexResult:
        self.remove_orphans()  # a killed rebuild's index
        stream = iter(docs)
        first = next(stream, None)
        new = self._create_index(_dimension(first), bulk_loading=True)
        result = self._bulk(new, itertools.chain([first] if first else [], stream), refresh=False)
        if result.failures:
            self._call(self.client.indices.delete, index=new)
            return result
        self._call(self.client.indices.put_settings, index=new, body={"index": {"refresh_interval": "1s"}})
        self._call(self.client.indices.refresh, index=new)
        # One segment per shard: a k-NN search walks one HNSW graph per segment, and the bulk
        # load leaves several. At 100k documents merging took 2.6 min and brought keyword+facets
        # p95 from 30 to 22 ms and the semantic leg's p50 from 55 to 37 ms (bench/README.md).
        self._call(self.client.indices.forcemerge, index=new, max_num_segments=1, request_timeout=MERGE_SECONDS)
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
            if match.near_ids is not None:
                should.append({"ids": {"values": list(match.near_ids)}})
            elif match.near is not None:
                should.append(self._near_clause(match.near))
            if not should:
                should = [{"match_none": {}}]
            query["bool"].update(should=should, minimum_should_match=1)
        return query

    def _search(self, body: dict, search_type: str = "query_then_fetch") -> dict:
        return self._call(self.client.search, index=self.alias, body=body, search_type=search_type)

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
        return self._keyword_ranked(self._search(self._keyword_body(terms, filters, limit), BM25_SEARCH_TYPE))

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
        return _by_similarity((_cosine(h), h["_id"]) for h in resp["hits"]["hits"])

    def semantic(self, vector, filters, k, exclude=()):
        resp = self._search({"size": k, "_source": False, "query": self._knn_query(vector, filters, k, exclude)})
        return self._semantic_ranked(resp)

    def retrieve(self, spec: Retrieval) -> Retrieved:
        """The BM25 leg, the knn leg and per facet group a size-0 body whose query is the
        group's result set under the group's filters, with its aggregations (the body for the
        request's own filters also counts the total), in one ``_msearch``. The knn leg finds k
        documents per shard and keeps the best k, which is the index's k nearest.

        When documents belong to the result set by meaning, the first ``_msearch`` holds the
        BM25 leg and a listing of the NEAR_DEPTH nearest of all (with the filtered fields' doc
        values); the groups follow in a second one, asking for those above the threshold by
        id: at 100k documents that k-NN listing took 25-30 ms where a radial search for the same
        documents took 95 in every group body. The semantic leg is read off the listing (the
        nearest that pass the filters, every one near enough among them), unless fewer than k
        listed documents pass: then a filtered knn leg joins the second ``_msearch`` (and every
        near document that passes is among its k). Only when even the NEAR_DEPTH-th nearest is
        above the threshold do the groups use the radial clause."""
        legs: list[tuple[str, dict]] = []
        if spec.keyword_depth is not None and spec.terms:
            legs.append(("keyword", self._keyword_body(spec.terms, spec.filters, spec.keyword_depth)))
        match = spec.match()
        if match.near is not None:
            legs.append(("near", self._near_body(match.near, spec.filters)))
        elif spec.vector is not None:
            legs.append(("semantic", self._semantic_body(spec.vector, spec.filters, spec.k)))
        groups = list(spec.facet_groups)
        if not any(g.filters == spec.filters for g in groups):
            groups.insert(0, FacetGroup(spec.filters, ()))
        responses = self._msearch(legs if match.near is not None else legs + self._group_bodies(match, groups, spec))
        keyword = Ranked([], [], 0) if spec.keyword_depth is not None else None
        semantic, total, facets = None, 0, {}
        for (kind, _), resp in zip(legs, responses):
            if kind == "keyword":
                keyword = self._keyword_ranked(resp)
            elif kind == "semantic":
                semantic = self._semantic_ranked(resp)
            else:
                match, semantic = self._read_listing(resp["hits"]["hits"], match, spec)
        if match.near is not None:
            more = [("semantic", self._semantic_body(spec.vector, spec.filters, spec.k))] if semantic is None else []
            found = self._msearch(more + self._group_bodies(match, groups, spec))
            if more:
                semantic = self._semantic_ranked(found[0])
            responses += found[len(more):]
        for group, resp in zip(groups, responses[len(legs):]):
            if group.filters == spec.filters:
                total = resp["hits"]["total"]["value"]
            facets.update(self._facet_values(resp, group.names, spec.facet_size))
        return Retrieved(keyword, semantic, total, facets, match)

    @staticmethod
    def _read_listing(listed: list[dict], match: Match, spec: Retrieval) -> tuple[Match, Ranked | None]:
        """From the listing of the nearest: the match with the ids above the threshold (when the
        listing reached below it), and the semantic leg (None when fewer than k listed
        documents pass the filters and more might)."""
        nearest = [(_cosine(h), h["fields"]["doc_id"][0]) for h in listed]
        if len(listed) < NEAR_DEPTH or nearest[-1][0] < match.near.min_similarity:
            match = replace(match, near_ids=tuple(i for sim, i in nearest if sim >= match.near.min_similarity))
        passing = [pair for pair, h in zip(nearest, listed) if _passes(h, spec.filters)]
        if len(passing) < spec.k and len(listed) >= NEAR_DEPTH:
            return match, None
        return match, _by_similarity(passing, max(spec.k, len(match.near_ids or ())))

    def _near_body(self, near: Near, filters: Filters) -> dict:
        """The NEAR_DEPTH nearest documents of all: ids and the filtered fields from doc values
        (no stored fields read)."""
        years = ["years"] if filters.year_from is not None or filters.year_to is not None else []
        return {"size": NEAR_DEPTH, "_source": False, "stored_fields": "_none_",
                "docvalue_fields": ["doc_id", *filters.values, *years],
                "query": self._knn_query(near.vector, Filters(), NEAR_DEPTH)}

    def _msearch(self, bodies: list[tuple[str, dict]]) -> list[dict]:
        lines: list[dict] = []
        for kind, body in bodies:
            header = {"index": self.alias}
            if kind == "keyword":
                header["search_type"] = BM25_SEARCH_TYPE
            lines += [header, body]
        responses = self._call(self.client.msearch, body=lines)["responses"]
        for resp in responses:
            if "error" in resp:
                self._raise_item_error(resp.get("status"), resp["error"])
        return responses

    def _semantic_body(self, vector, filters: Filters, k: int) -> dict:
        return {"size": k, "_source": False, "query": self._knn_query(vector, filters, k)}

    def _group_bodies(self, match: Match, groups: list[FacetGroup], spec: Retrieval) -> list[tuple[str, dict]]:
        """Size-0 bodies with each group's aggregations; the one under the request's filters counts the total."""
        return [("group", {"size": 0, "track_total_hits": g.filters == spec.filters,
                           "query": self._match_query(match, g.filters),
                           "aggs": self._facet_aggs(g.names)}) for g in groups]

    @staticmethod
    def _near_clause(near: Near) -> dict:
        """Radial search: every document at least this similar (Lucene's cosinesimil score is
        (1 + cos) / 2), however many."""
        return {"knn": {"embedding": {"vector": near.vector.tolist(), "min_score": (1 + near.min_similarity) / 2}}}

    def vector_sample(self, limit):
        # Sorted by id, every document when there are fewer than ``limit``; a seeded random
        # sample beyond (both are the same set each time while the index is unchanged).
        body: dict = {"size": min(limit, 10_000), "_source": ["embedding"], "sort": [{"doc_id": "asc"}]}
        if self.count() > limit:
            body = {"size": min(limit, 10_000), "_source": ["embedding"],
                    "query": {"function_score": {"random_score": {"seed": 1, "field": "_seq_no"}}}}
        hits = self._search(body)["hits"]["hits"]
        vectors = [h["_source"]["embedding"] for h in hits if h.get("_source", {}).get("embedding")]
        return np.asarray(vectors, dtype=np.float32) if vectors else np.zeros((0, 0), np.float32)

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

    def ordered(self, match, filters, newest_first, offset, limit, by="year"):
        order = "desc" if newest_first else "asc"
        keys = [{"sort_year": {"order": order, "missing": "_last"}}, {"doc_id": "asc"}]
        if by == "replications":
            keys.insert(0, {"replication_count": {"order": "desc"}})
        body = {"from": offset, "size": limit, "_source": False, "track_total_hits": True,
                "query": self._match_query(match, filters), "sort": keys}
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
            if "error" in d:  # e.g. a closed index: per document, not for the whole request
                self._raise_item_error(None, d["error"])
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


def _passes(hit: dict, filters: Filters) -> bool:
    """Whether a listed document (its doc values) passes the filters, as the filter clauses
    decide: any selected value of each facet, any year in the range."""
    fields = hit.get("fields", {})
    if any(not set(fields.get(name, ())) & set(values) for name, values in filters.values.items()):
        return False
    if filters.year_from is None and filters.year_to is None:
        return True
    low = filters.year_from if filters.year_from is not None else -1
    high = filters.year_to if filters.year_to is not None else 10_000
    return any(low <= int(y) <= high for y in fields.get("years", ()))


def _cosine(hit: dict) -> float:
    """Lucene's cosinesimil score is (1 + cos) / 2: the cosine itself."""
    return 2.0 * float(hit["_score"]) - 1.0


def _by_similarity(pairs: Iterable[tuple[float, str]], depth: int | None = None) -> Ranked:
    """(cosine, id) pairs as a ranking, most similar first (ties by id), at most ``depth``."""
    best = sorted(pairs, key=lambda p: (-p[0], p[1]))[:depth]
    return Ranked([i for _, i in best], [s for s, _ in best], len(best))

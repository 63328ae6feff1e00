#!/usr/bin/env python3
"""Smoke-check the OpenSearch features JIPPNas Search relies on (stdlib only).

Run against a node started by scripts/opensearch.sh:

    python3 scripts/opensearch_smoke.py            # http://127.0.0.1:${OPENSEARCH_PORT:-9200}
    .venv/bin/python scripts/opensearch_smoke.py   # also compares tantivy's BM25
    OPENSEARCH_URL=http://127.0.0.1:9201 python3 scripts/opensearch_smoke.py

Checks (exit status 1 if any fails):
  a) plugin opensearch-knn, modules analysis-common + lang-painless are loaded;
  b) knn_vector (lucene/hnsw/cosinesimil) + strict mapping + keyword + whitespace text;
     knn query with Lucene efficient `filter`; `_msearch` with a BM25 leg and a knn leg;
  c) standard BM25 (k1 1.2, b 0.75) on a whitespace-analysed field, as the engines use it:
     scores equal a Python BM25 over Lucene's one-byte document length and, when tantivy is
     importable (the project's venv), tantivy's scores for the same documents; on a 3-shard
     index `dfs_query_then_fetch` gives the 1-shard scores (without it, per-shard statistics
     change them); `_explain` shows the BM25 parameters;
  d) atomic alias swap (v1 -> v2) while queries to the alias keep running;
  e) prints the java process RSS and uptime.
"""
from __future__ import annotations

import json
import math
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request

BASE = os.environ.get("OPENSEARCH_URL") or f"http://127.0.0.1:{os.environ.get('OPENSEARCH_PORT', '9200')}"
PREFIX = "jippnas_smoke_"
K1, B = 1.2, 0.75

passed = 0
failed: list[str] = []


def check(name: str, ok: bool, detail: str = "") -> bool:
    global passed
    if ok:
        passed += 1
        print(f"  ok    {name}" + (f"  [{detail}]" if detail else ""))
    else:
        failed.append(name)
        print(f"  FAIL  {name}" + (f"  [{detail}]" if detail else ""))
    return ok


def info(msg: str) -> None:
    print(f"  info  {msg}")


def req(method: str, path: str, body=None, ndjson=None, timeout=60):
    data, headers = None, {}
    if ndjson is not None:
        data = ("\n".join(json.dumps(x) for x in ndjson) + "\n").encode()
        headers["Content-Type"] = "application/x-ndjson"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    r = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw.strip() else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


def ok_req(method: str, path: str, body=None, ndjson=None):
    st, r = req(method, path, body, ndjson)
    if st >= 300:
        raise RuntimeError(f"{method} {path} -> {st}: {json.dumps(r)[:1500]}")
    return r


def wait_for_node(deadline_s: float = 60) -> None:
    end = time.monotonic() + deadline_s
    while True:
        try:
            st, r = req("GET", "/_cluster/health?wait_for_status=yellow&timeout=2s", timeout=5)
            if st == 200 and r.get("status") in ("green", "yellow"):
                return
        except OSError:
            pass
        if time.monotonic() > end:
            sys.exit(f"no healthy OpenSearch at {BASE}")
        time.sleep(1)


def cleanup() -> None:
    req("DELETE", f"/{PREFIX}*?expand_wildcards=all")


# --------------------------------------------------------------------------- a)
def check_plugins() -> None:
    print("a) plugins and modules")
    rows = ok_req("GET", "/_cat/plugins?format=json")
    names = {r["component"]: r["version"] for r in rows}
    check("_cat/plugins lists opensearch-knn", "opensearch-knn" in names, str(names))
    nodes = ok_req("GET", "/_nodes/_local/plugins")["nodes"]
    node = next(iter(nodes.values()))
    mods = sorted(m["name"] for m in node["modules"])
    check("modules include analysis-common and lang-painless",
          {"analysis-common", "lang-painless"} <= set(mods), ", ".join(mods))
    info(f"OpenSearch {node['version']}, JVM {ok_req('GET', '/_nodes/_local/jvm')['nodes'].popitem()[1]['jvm']['version']}")
    # analysis-common is functional (the indonesian analyzer lives there)
    r = ok_req("POST", "/_analyze", {"analyzer": "indonesian", "text": "Buku-buku pelajaran yang menarik"})
    toks = [t["token"] for t in r["tokens"]]
    check("analysis-common works (_analyze indonesian)", bool(toks) and "yang" not in toks, str(toks))


# --------------------------------------------------------------------------- b)
KNN_DOCS = {
    "1": {"title": "Sepatu Lari-Pria merah", "cat": "olahraga", "tag": "x", "vec": [1.0, 0.0, 0.0, 0.0]},
    "2": {"title": "sepatu pantofel hitam", "cat": "fashion", "tag": "x", "vec": [0.9, 0.1, 0.0, 0.0]},
    "3": {"title": "bola sepak", "cat": "olahraga", "tag": "y", "vec": [0.7, 0.7, 0.0, 0.0]},
    "4": {"title": "raket tenis", "cat": "olahraga", "tag": "y", "vec": [0.0, 1.0, 0.0, 0.0]},
    "5": {"title": "kemeja batik", "cat": "fashion", "tag": "y", "vec": [0.0, 0.0, 1.0, 0.0]},
    "6": {"title": "celana lari", "cat": "olahraga", "tag": "z", "vec": [0.0, 0.0, 0.0, 1.0]},
}


def cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def check_knn() -> None:
    print("b) knn_vector + strict mapping + efficient filtering + msearch")
    idx = PREFIX + "knn"
    st, r = req("PUT", f"/{idx}", {
        "settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0, "knn": True}},
        "mappings": {"dynamic": "strict", "properties": {
            "title": {"type": "text", "analyzer": "whitespace"},
            "cat": {"type": "keyword"},
            "tag": {"type": "keyword"},
            "vec": {"type": "knn_vector", "dimension": 4,
                    "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil",
                               "parameters": {"m": 16, "ef_construction": 100}}},
        }},
    })
    if not check("create index with lucene knn_vector + dynamic strict", st == 200, "" if st == 200 else json.dumps(r)[:500]):
        return
    bulk = []
    for i, d in KNN_DOCS.items():
        bulk += [{"index": {"_index": idx, "_id": i}}, d]
    r = ok_req("POST", "/_bulk?refresh=true", ndjson=bulk)
    check("bulk index", not r["errors"])
    st, r = req("PUT", f"/{idx}/_doc/99", {"title": "x", "unknown_field": 1})
    check("dynamic: strict rejects unknown field", st == 400 and "strict_dynamic_mapping_exception" in json.dumps(r), str(st))
    r = ok_req("POST", f"/{idx}/_analyze", {"field": "title", "text": "Sepatu Lari-Pria"})
    check("whitespace analyzer on text field", [t["token"] for t in r["tokens"]] == ["Sepatu", "Lari-Pria"],
          str([t["token"] for t in r["tokens"]]))

    qv = [1.0, 0.2, 0.0, 0.0]
    r = ok_req("POST", f"/{idx}/_search", {"size": 10, "_source": False, "query": {
        "knn": {"vec": {"vector": qv, "k": 10, "filter": {"bool": {"filter": [{"term": {"cat": "olahraga"}}]}}}}}})
    got = [(h["_id"], h["_score"]) for h in r["hits"]["hits"]]
    exp_ids = sorted((i for i, d in KNN_DOCS.items() if d["cat"] == "olahraga"), key=lambda i: -cos(qv, KNN_DOCS[i]["vec"]))
    check("knn + filter returns only filtered docs, cosine order", [i for i, _ in got] == exp_ids,
          f"got {[i for i, _ in got]} expected {exp_ids}")
    maxd = max(abs(s - (1 + cos(qv, KNN_DOCS[i]["vec"])) / 2) for i, s in got) if got else 1
    check("cosinesimil score == (1 + cos) / 2", maxd < 1e-5, f"max abs diff {maxd:.2e}")
    r = ok_req("POST", f"/{idx}/_search", {"size": 2, "_source": False, "query": {
        "knn": {"vec": {"vector": qv, "k": 2, "filter": {"bool": {"filter": [
            {"term": {"cat": "olahraga"}}, {"terms": {"tag": ["y", "z"]}}]}}}}}})
    ids = [h["_id"] for h in r["hits"]["hits"]]
    check("knn filter still returns k hits under a selective filter", ids == ["3", "4"], str(ids))

    body = [
        {"index": idx}, {"size": 10, "_source": False, "query": {"bool": {
            "should": [{"term": {"title": "sepatu"}}, {"term": {"title": "lari"}}],
            "minimum_should_match": 1, "filter": [{"term": {"cat": "olahraga"}}]}}},
        {"index": idx}, {"size": 3, "_source": False, "query": {
            "knn": {"vec": {"vector": qv, "k": 3, "filter": {"term": {"cat": "olahraga"}}}}}},
    ]
    r = ok_req("POST", "/_msearch", ndjson=body)
    resp = r["responses"]
    errs = [x.get("error") for x in resp if "error" in x]
    check("_msearch bm25 leg + knn leg without errors", len(resp) == 2 and not errs, json.dumps(errs)[:300])
    if not errs:
        bm = [h["_id"] for h in resp[0]["hits"]["hits"]]
        kn = [h["_id"] for h in resp[1]["hits"]["hits"]]
        check("_msearch legs return expected docs", set(bm) == {"6"} and kn == exp_ids[:3], f"bm25 {bm} knn {kn}")


# --------------------------------------------------------------------------- c)
def lucene_norm_length(n: int) -> int:
    """The document length BM25 sees for a field of n tokens: Lucene stores it in one byte,
    SmallFloat.byte4ToInt(SmallFloat.intToByte4(n)), exact up to 40 tokens (tantivy's
    FIELD_NORMS_TABLE is the same table)."""
    free = 24  # NUM_FREE_VALUES = 255 - longToInt4(Integer.MAX_VALUE)
    if n < free:
        return n
    i = n - free
    nbits = i.bit_length()
    if nbits < 4:
        enc = i
    else:
        shift = nbits - 4
        enc = ((i >> shift) & 0x07) | ((shift + 1) << 3)
    bits, shift = enc & 0x07, (enc >> 3) - 1
    return free + (bits if shift == -1 else (bits | 0x08) << shift)


def bm25_py(docs: dict, query: list[str]) -> dict:
    """OpenSearch 2.x's BM25 (Lucene's, keeping the (k1 + 1) factor), in Python: idf
    ln(1 + (N - n + 0.5) / (n + 0.5)), the encoded document length, avgdl from the exact
    token counts; a term repeated in the query counts twice."""
    N = len(docs)
    avgdl = sum(len(t) for t in docs.values()) / N
    out = {}
    for k, toks in docs.items():
        s, hit = 0.0, False
        for term in query:
            n = sum(1 for t in docs.values() if term in t)
            f = toks.count(term)
            if f:
                hit = True
                idf = math.log(1 + (N - n + 0.5) / (n + 0.5))
                dl = lucene_norm_length(len(toks))
                s += idf * (f * (K1 + 1)) / (f + K1 * (1 - B + B * dl / avgdl))
        if hit:
            out[k] = s
    return out


def tantivy_bm25(docs: dict, query: list[str]) -> dict | None:
    """The embedded engine's library on the same documents, when it is importable."""
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("body", tokenizer_name="whitespace")
    index = tantivy.Index(builder.build())
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for k, toks in docs.items():
        writer.add_document(tantivy.Document(id=k, body=" ".join(toks)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    q = tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.term_query(index.schema, "body", t))
                                     for t in query])
    hits = searcher.search(q, limit=len(docs)).hits
    return {searcher.doc(addr)["id"][0]: score for score, addr in hits}


def check_bm25() -> None:
    print("c) standard BM25 (k1 1.2, b 0.75), on one shard and on three")
    settings = {"similarity": {"bm25": {"type": "BM25", "k1": K1, "b": B}}}
    mappings = {"dynamic": "strict", "properties": {
        "body": {"type": "text", "analyzer": "whitespace", "similarity": "bm25"}}}
    one, three = PREFIX + "bm25_1", PREFIX + "bm25_3"
    for idx, shards in ((one, 1), (three, 3)):
        st, r = req("PUT", f"/{idx}", {"settings": {"number_of_shards": shards, "number_of_replicas": 0, **settings},
                                       "mappings": mappings})
        if not check(f"create a {shards}-shard index with BM25 k1 {K1}, b {B}", st == 200,
                     "" if st == 200 else json.dumps(r)[:800]):
            return

    rnd = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    lengths = [7, 37, 123, 300] + list(range(1, 30)) + [40, 41, 48, 50, 64, 65, 100, 127, 128, 129, 255, 256, 1000, 5000]
    docs = {f"d{i}": [vocab[min(int(rnd.paretovariate(1.0)) - 1, 39)] for _ in range(n)] for i, n in enumerate(lengths)}
    bulk = []
    for idx in (one, three):
        for k, toks in docs.items():
            bulk += [{"index": {"_index": idx, "_id": k}}, {"body": " ".join(toks)}]
    check("bulk index", not ok_req("POST", "/_bulk?refresh=true", ndjson=bulk)["errors"])

    queries = [["w0"], ["w1", "w5"], ["w3", "w10", "w39"], ["w0", "w1", "w2", "w7"], ["w20"],
               ["w7", "w7"], ["w2", "nosuch"], ["w12", "w30", "w31", "w8"], ["w25", "w1"]]

    def search(idx, q, search_type):
        body = {"size": 1000, "_source": False, "query": {"bool": {"should": [{"term": {"body": t}} for t in q]}}}
        r = ok_req("POST", f"/{idx}/_search?search_type={search_type}", body)
        return {h["_id"]: h["_score"] for h in r["hits"]["hits"]}

    def max_rel(a: dict, b: dict) -> float:
        return max((abs(a[k] - b.get(k, 0.0)) / max(abs(a[k]), 1e-30) for k in a), default=0.0)

    worst = {"python": 0.0, "tantivy": 0.0, "three_dfs": 0.0, "three_plain": 0.0}
    same_sets, have_tantivy = True, True
    for q in queries:
        ref = bm25_py(docs, q)
        single = search(one, q, "query_then_fetch")
        dfs = search(three, q, "dfs_query_then_fetch")
        plain = search(three, q, "query_then_fetch")
        tv = tantivy_bm25(docs, q)
        have_tantivy &= tv is not None
        same_sets &= set(ref) == set(single) == set(dfs) and (tv is None or set(tv) == set(ref))
        worst["python"] = max(worst["python"], max_rel(ref, single))
        worst["three_dfs"] = max(worst["three_dfs"], max_rel(single, dfs))
        worst["three_plain"] = max(worst["three_plain"], max_rel(single, plain))
        if tv is not None:
            worst["tantivy"] = max(worst["tantivy"], max_rel(single, tv))
    check("same matching documents everywhere", same_sets)
    check("OpenSearch BM25 == the Python formula with the one-byte length", worst["python"] < 1e-5,
          f"max rel diff {worst['python']:.2e}")
    if have_tantivy:
        check("tantivy (the embedded engine) scores the same BM25", worst["tantivy"] < 1e-5,
              f"max rel diff {worst['tantivy']:.2e}")
    else:
        info("tantivy is not importable here: run with the project's venv to compare the embedded engine too")
    check("3 shards + dfs_query_then_fetch == 1 shard", worst["three_dfs"] < 1e-6, f"max rel diff {worst['three_dfs']:.2e}")
    info(f"3 shards without dfs (per-shard statistics): max rel diff {worst['three_plain']:.2e} from 1 shard")

    r = ok_req("POST", f"/{one}/_explain/d2", {"query": {"bool": {"should": [{"term": {"body": "w5"}}]}}})
    ex = json.dumps(r["explanation"])
    check("_explain shows BM25 with k1 1.2 and b 0.75", r.get("matched") and "k1, term saturation parameter" in ex
          and '"value": 1.2' in ex and '"value": 0.75' in ex, f"score {r['explanation']['value']}")


# --------------------------------------------------------------------------- d)
def check_alias_swap() -> None:
    print("d) atomic alias swap")
    alias, v1, v2 = PREFIX + "alias", PREFIX + "alias_v1", PREFIX + "alias_v2"
    mapping = {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
               "mappings": {"dynamic": "strict", "properties": {"gen": {"type": "keyword"}}}}
    ok_req("PUT", f"/{v1}", mapping)
    ok_req("PUT", f"/{v1}/_doc/1?refresh=true", {"gen": "v1"})
    ok_req("POST", "/_aliases", {"actions": [{"add": {"index": v1, "alias": alias}}]})
    stop = threading.Event()
    results: list = []

    def hammer():
        while not stop.is_set():
            try:
                st, r = req("POST", f"/{alias}/_search", {"query": {"match_all": {}}}, timeout=10)
                gens = [h["_source"]["gen"] for h in r["hits"]["hits"]] if st == 200 else None
                results.append((st, gens))
            except Exception as e:  # noqa: BLE001
                results.append(("exc", str(e)))
            time.sleep(0.005)

    th = threading.Thread(target=hammer, daemon=True)
    th.start()
    time.sleep(0.3)
    ok_req("PUT", f"/{v2}", mapping)
    ok_req("PUT", f"/{v2}/_doc/1?refresh=true", {"gen": "v2"})
    r = ok_req("POST", "/_aliases", {"actions": [
        {"remove": {"index": v1, "alias": alias}}, {"add": {"index": v2, "alias": alias}}]})
    check("_aliases remove+add acknowledged", r.get("acknowledged") is True)
    time.sleep(0.3)
    ok_req("DELETE", f"/{v1}")
    time.sleep(0.3)
    stop.set()
    th.join(5)
    bad = [x for x in results if x[0] != 200 or x[1] not in (["v1"], ["v2"])]
    seen = [x[1][0] for x in results if x[0] == 200 and x[1]]
    switches = sum(1 for a, b in zip(seen, seen[1:]) if a != b)
    check("queries to the alias never failed during swap + delete", not bad and len(results) > 10,
          f"{len(results)} queries, {len(bad)} bad {bad[:3]}")
    check("alias switched exactly once v1 -> v2", bool(seen) and seen[0] == "v1" and seen[-1] == "v2" and switches == 1,
          f"switches={switches}")
    r = ok_req("GET", f"/_alias/{alias}")
    check("alias now points to v2 only", list(r) == [v2], str(list(r)))


# --------------------------------------------------------------------------- e)
def report_process() -> None:
    print("e) process")
    n = next(iter(ok_req("GET", "/_nodes/_local/process,jvm")["nodes"].values()))
    pid = n["process"]["id"]
    uptime = time.time() - n["jvm"]["start_time_in_millis"] / 1000
    rss = None
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
    except OSError:
        pass
    heap = n["jvm"]["mem"]["heap_max_in_bytes"] // 2**20
    info(f"java pid {pid}, RSS {rss} MiB, heap max {heap} MiB, uptime {uptime:.0f}s")


def main() -> int:
    print(f"OpenSearch smoke checks against {BASE}")
    wait_for_node()
    cleanup()
    try:
        for fn in (check_plugins, check_knn, check_bm25, check_alias_swap, report_process):
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                check(f"{fn.__name__} raised", False, f"{type(e).__name__}: {e}"[:1500])
    finally:
        cleanup()
    print(f"smoke: {passed} passed, {len(failed)} failed")
    if failed:
        print("failed: " + "; ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Smoke-check the OpenSearch features JIPPNas Search relies on (stdlib only).

Run against a node started by scripts/opensearch.sh:

    python3 scripts/opensearch_smoke.py            # http://127.0.0.1:${OPENSEARCH_PORT:-9200}
    OPENSEARCH_URL=http://127.0.0.1:9201 python3 scripts/opensearch_smoke.py

Checks (exit status 1 if any fails):
  a) plugin opensearch-knn, modules analysis-common + lang-painless are loaded;
  b) knn_vector (lucene/hnsw/cosinesimil) + strict mapping + keyword + whitespace text;
     knn query with Lucene efficient `filter`; `_msearch` with a BM25 leg and a knn leg;
  c) scripted similarity reproducing SQLite FTS5 bm25():
       - approach A: `index.similarity.<name>: {type: scripted}` alone. Exact only for
         docs of <= 40 tokens: `doc.length` is Lucene's 1-byte norm (SmallFloat.intToByte4),
         e.g. 123 -> 120, 300 -> 280.
       - approach B: exact. A `tf` scripted similarity (score = term freq) wrapped per query
         term in `script_score`, with the exact token count from an integer field and
         idf/avgdl computed client-side from one `_termvectors` call (artificial doc).
     compared numerically against sqlite3 FTS5 bm25() (and a pure-Python reference);
     `_explain` shows the scripted score;
  d) atomic alias swap (v1 -> v2) while queries to the alias keep running;
  e) prints the java process RSS and uptime.
"""
from __future__ import annotations

import json
import math
import os
import random
import sqlite3
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
    """What ScriptedSimilarity's doc.length returns for a field of n tokens:
    Lucene SmallFloat.byte4ToInt(SmallFloat.intToByte4(n)) (exact for n <= 40)."""
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


def fts5_bm25_py(docs: dict, query: list[str], length_fn=len) -> dict:
    """Pure-Python copy of SQLite's fts5Bm25Function (positive scores)."""
    N = len(docs)
    avgdl = sum(len(t) for t in docs.values()) / N
    out = {}
    for k, toks in docs.items():
        s, hit = 0.0, False
        for term in query:
            n = sum(1 for t in docs.values() if term in t)
            idf = math.log((N - n + 0.5) / (n + 0.5))
            if idf <= 0:
                idf = 1e-6
            f = toks.count(term)
            if f:
                hit = True
                dl = length_fn(toks)
                s += idf * (f * (K1 + 1)) / (f + K1 * (1 - B + B * dl / avgdl))
        if hit:
            out[k] = s
    return out


SIM_WEIGHT = """
double N = field.docCount; double n = term.docFreq;
double idf = Math.log((N - n + 0.5) / (n + 0.5));
if (idf <= 0) { idf = 1e-6; }
return query.boost * idf;
"""
SIM_SCORE = """
double k1 = 1.2; double b = 0.75;
double avgdl = field.sumTotalTermFreq / (double) field.docCount;
double f = doc.freq;
return weight * f * (k1 + 1) / (f + k1 * (1 - b + b * doc.length / avgdl));
"""
EXACT_SCORE = """
double f = _score; double dl = doc['body_len'].value;
return params.idf * f * (params.k1 + 1) / (f + params.k1 * (1 - params.b + params.b * dl / params.avgdl));
"""


def fts5_approach_b_query(idx: str, query: list[str]) -> dict:
    """Exact FTS5 bm25: one _termvectors call for N / n / avgdl, then per-term script_score."""
    tv = ok_req("POST", f"/{idx}/_termvectors", {
        "doc": {"body_tf": " ".join(query)}, "term_statistics": True, "field_statistics": True,
        "positions": False, "offsets": False, "payloads": False})
    tvf = tv["term_vectors"]["body_tf"]
    N = tvf["field_statistics"]["doc_count"]
    avgdl = tvf["field_statistics"]["sum_ttf"] / N
    should = []
    for t in query:  # duplicates are kept: Lucene merges them into one clause with boost 2, like FTS5 counting twice
        n = tvf["terms"].get(t, {}).get("doc_freq", 0)
        if n == 0:
            continue
        idf = math.log((N - n + 0.5) / (n + 0.5))
        idf = idf if idf > 0 else 1e-6
        should.append({"script_score": {"query": {"term": {"body_tf": t}}, "script": {
            "source": EXACT_SCORE, "params": {"idf": idf, "avgdl": avgdl, "k1": K1, "b": B}}}})
    return {"bool": {"should": should}} if should else {"match_none": {}}


def check_scripted_similarity() -> None:
    print("c) scripted similarity vs SQLite FTS5 bm25()")
    idx = PREFIX + "fts5"
    st, r = req("PUT", f"/{idx}", {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0, "similarity": {
            "fts5_bm25": {"type": "scripted", "weight_script": {"source": SIM_WEIGHT}, "script": {"source": SIM_SCORE}},
            "tf": {"type": "scripted", "weight_script": {"source": "return query.boost;"},
                   "script": {"source": "return weight * doc.freq;"}},
            # scripts must not increase with the norm -> read doc.length as 1e6 - score
            "dlen": {"type": "scripted", "script": {"source": "return 1.0e6 - doc.length;"}},
        }},
        "mappings": {"dynamic": "strict", "properties": {
            "body": {"type": "text", "analyzer": "whitespace", "similarity": "fts5_bm25"},
            "body_tf": {"type": "text", "analyzer": "whitespace", "similarity": "tf"},
            "body_dlen": {"type": "text", "analyzer": "whitespace", "similarity": "dlen"},
            "body_len": {"type": "integer"},
        }},
    })
    if not check("create index with scripted similarities (painless)", st == 200, "" if st == 200 else json.dumps(r)[:800]):
        return

    rnd = random.Random(7)
    vocab = [f"w{i}" for i in range(40)]
    lengths = [7, 37, 123, 300] + list(range(1, 30)) + [40, 41, 48, 50, 64, 65, 100, 127, 128, 129, 255, 256, 1000, 5000]
    docs = {f"d{i}": [vocab[min(int(rnd.paretovariate(1.0)) - 1, 39)] for _ in range(n)] for i, n in enumerate(lengths)}
    bulk = []
    for k, toks in docs.items():
        text = " ".join(toks)
        bulk += [{"index": {"_index": idx, "_id": k}}, {"body": text, "body_tf": text, "body_dlen": text, "body_len": len(toks)}]
    check("bulk index", not ok_req("POST", "/_bulk?refresh=true", ndjson=bulk)["errors"])

    # doc.length: exact token count or the lossy norm?
    lens = {}
    for k, toks in docs.items():
        r = ok_req("POST", f"/{idx}/_search", {"size": 1, "query": {"bool": {
            "filter": [{"ids": {"values": [k]}}], "must": [{"term": {"body_dlen": toks[0]}}]}}})
        lens[len(toks)] = round(1e6 - r["hits"]["hits"][0]["_score"])
    sample = {n: lens[n] for n in (7, 37, 40, 41, 123, 300, 1000, 5000)}
    check("doc.length == Lucene 1-byte norm decode (lossy above 40 tokens)",
          all(v == lucene_norm_length(n) for n, v in lens.items()), f"tokens->doc.length {sample}")

    # reference scores
    db = None
    try:
        db = sqlite3.connect(":memory:")
        db.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
    except sqlite3.OperationalError as e:
        info(f"sqlite3 has no FTS5 ({e}); comparing against the pure-Python FTS5 formula only")
        db = None
    ids = list(docs)
    if db is not None:
        db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", [(i + 1, " ".join(docs[k])) for i, k in enumerate(ids)])

    def fts5(query):
        if db is None:
            return fts5_bm25_py(docs, query)
        m = " OR ".join('"' + t + '"' for t in query)
        return {ids[r - 1]: -s for r, s in db.execute("SELECT rowid, bm25(t) FROM t WHERE t MATCH ?", (m,))}

    queries = [["w0"], ["w1", "w5"], ["w3", "w10", "w39"], ["w0", "w1", "w2", "w7"], ["w20"],
               ["w7", "w7"], ["w2", "nosuch"], ["w12", "w30", "w31", "w8"], ["w25", "w1"]]

    def search(q):
        r = ok_req("POST", f"/{idx}/_search", {"size": 1000, "_source": False, "query": q})
        return {h["_id"]: h["_score"] for h in r["hits"]["hits"]}

    def rel(a, b):
        return abs(a - b) / max(abs(a), 1e-30)

    stats = {"py_vs_sqlite": 0.0, "A_vs_fts5": 0.0, "A_vs_fts5_short": 0.0, "A_vs_lossyref": 0.0, "B_vs_fts5": 0.0}
    same_set, rank_a, rank_b, worst_a = True, True, True, None
    for q in queries:
        ref = fts5(q)
        py = fts5_bm25_py(docs, q)
        lossy = fts5_bm25_py(docs, q, length_fn=lambda toks: lucene_norm_length(len(toks)))
        a = search({"bool": {"should": [{"term": {"body": t}} for t in q]}})
        b = search(fts5_approach_b_query(idx, q))
        same_set &= set(ref) == set(py) == set(a) == set(b)
        order = lambda s: sorted(s, key=lambda k: (-s[k], k))
        rank_a &= order(ref) == order(a)
        rank_b &= order(ref) == order(b)
        for k in ref:
            stats["py_vs_sqlite"] = max(stats["py_vs_sqlite"], rel(ref[k], py.get(k, 0)))
            d = rel(ref[k], a.get(k, 0))
            if d > stats["A_vs_fts5"]:
                stats["A_vs_fts5"], worst_a = d, (q, len(docs[k]), round(ref[k], 6), a.get(k))
            if len(docs[k]) <= 40:
                stats["A_vs_fts5_short"] = max(stats["A_vs_fts5_short"], d)
            stats["A_vs_lossyref"] = max(stats["A_vs_lossyref"], rel(lossy[k], a.get(k, 0)))
            stats["B_vs_fts5"] = max(stats["B_vs_fts5"], rel(ref[k], b.get(k, 0)))
    info("reference = " + ("sqlite3 FTS5 bm25() (negated), SQLite " + sqlite3.sqlite_version if db else "pure-Python FTS5 formula"))
    check("same matching doc sets (FTS5, A, B)", same_set)
    if db is not None:
        check("pure-Python FTS5 formula == sqlite FTS5 bm25()", stats["py_vs_sqlite"] < 1e-12, f"{stats['py_vs_sqlite']:.1e}")
    check("A (scripted similarity) == FTS5 formula evaluated with the lossy doc.length",
          stats["A_vs_lossyref"] < 1e-5, f"max rel diff {stats['A_vs_lossyref']:.2e}")
    check("A (scripted similarity) exact vs FTS5 for docs <= 40 tokens",
          stats["A_vs_fts5_short"] < 1e-5, f"max rel diff {stats['A_vs_fts5_short']:.2e}")
    info(f"A vs FTS5 over all docs (up to 5000 tokens): max rel diff {stats['A_vs_fts5']:.2e}, "
         f"same ranking: {rank_a}; worst (query, tokens, fts5, opensearch) = {worst_a}")
    check("B (tf similarity + script_score + exact length) == FTS5 bm25",
          stats["B_vs_fts5"] < 1e-5 and rank_b, f"max rel diff {stats['B_vs_fts5']:.2e}, same ranking: {rank_b}")

    r = ok_req("POST", f"/{idx}/_explain/d2", {"query": {"bool": {"should": [{"term": {"body": "w5"}}]}}})
    ex = json.dumps(r["explanation"])
    check("_explain shows the scripted score and its inputs",
          r.get("matched") and "ScriptedSimilarity" in ex and all(
              s in ex for s in ("field.docCount", "field.sumTotalTermFreq", "term.docFreq", "doc.freq", "doc.length")),
          f"score {r['explanation']['value']}")


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
        for fn in (check_plugins, check_knn, check_scripted_similarity, check_alias_swap, report_process):
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

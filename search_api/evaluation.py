"""Relevance evaluation: nDCG@10, MRR@10 and Recall@20 over graded judgments."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .query import Filters, SearchRequest
from .search import SearchService


def load_judgments(path: Path, split: str | None = None) -> list[dict]:
    """Graded judgments (``{"query", "relevant": {id: grade}, "kind"?, "split"?}`` per line);
    with ``split``, only the queries of that split ("dev" or "holdout")."""
    judgments = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not item["query"] or not isinstance(item["relevant"], dict):
                raise ValueError("needs a query and a relevant object")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: line {lineno}: {exc}") from None
        if split is None or item.get("split", "dev") == split:
            judgments.append(item)
    return judgments


def dcg(gains: list[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def metrics_for(ranked: list[str], relevant: dict[str, int]) -> dict[str, float]:
    gains = [float(relevant.get(d, 0)) for d in ranked[:10]]
    ideal = dcg(sorted(map(float, relevant.values()), reverse=True)[:10])
    first = next((i for i, d in enumerate(ranked[:10], 1) if relevant.get(d, 0) > 0), None)
    found = sum(1 for d in ranked[:20] if relevant.get(d, 0) > 0)
    positives = sum(1 for g in relevant.values() if g > 0)
    return {
        "ndcg@10": dcg(gains) / ideal if ideal else 0.0,
        "mrr@10": 1.0 / first if first else 0.0,
        "recall@20": found / positives if positives else 0.0,
    }


METRICS = ("ndcg@10", "mrr@10", "recall@20")


def _means(rows: list[dict]) -> dict:
    n = len(rows)
    return {**{m: round(sum(r[m] for r in rows) / n, 4) if n else 0.0 for m in METRICS}, "queries": n}


def evaluate(service: SearchService, judgments: list[dict], modes: list[str]) -> dict[str, dict]:
    """Per mode: the means, the means per query kind, and every query's metrics (kept so two
    runs can be compared query by query). Queries with no relevant record are left out of
    the means (no ranking can score on them) and counted as ``unjudged``."""
    judged = [item for item in judgments if any(int(g) > 0 for g in item["relevant"].values())]
    results: dict[str, dict] = {}
    for mode in modes:
        rows = []
        for item in judged:
            # Judgments name entry ids (kipp-inv-0007) or innovation ids: each counts for its innovation.
            relevant: dict[str, int] = {}
            for record_id, grade in item["relevant"].items():
                doc_id = service.catalog.resolve(record_id) or record_id
                relevant[doc_id] = max(relevant.get(doc_id, 0), int(grade))
            req = SearchRequest(q=item["query"], mode=mode, filters=Filters(), size=20)
            ranked = [h["id"] for h in service.search(req)["hits"]]
            rows.append({"query": item["query"], "kind": item.get("kind", "all"), **metrics_for(ranked, relevant)})
        kinds = sorted({r["kind"] for r in rows})
        results[mode] = {**_means(rows), "unjudged": len(judgments) - len(judged),
                         "by_kind": {k: _means([r for r in rows if r["kind"] == k]) for k in kinds},
                         "per_query": rows}
    return results


def paired_randomisation(a: list[float], b: list[float], rounds: int = 10_000, seed: int = 0) -> float:
    """Two-sided p-value of the mean difference b - a under random sign flips of the paired
    per-query differences (Fisher's randomisation test, as IR evaluation uses it)."""
    diffs = np.asarray(b, float) - np.asarray(a, float)
    if not diffs.size or not diffs.any():
        return 1.0
    observed = abs(diffs.mean())
    signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(rounds, diffs.size))
    extreme = np.count_nonzero(np.abs((signs * diffs).mean(axis=1)) >= observed - 1e-12)
    return (extreme + 1) / (rounds + 1)


def compare(before: dict, after: dict, metric: str = "ndcg@10") -> list[dict]:
    """Per mode and query kind (and all queries): both means, the difference and its p-value.
    Queries are paired by their text; both runs must cover the same queries."""
    out = []
    for mode in sorted(set(before) & set(after)):
        a = {r["query"]: r for r in before[mode]["per_query"]}
        b = {r["query"]: r for r in after[mode]["per_query"]}
        if set(a) != set(b):
            raise ValueError(f"{mode}: the two runs judged different queries ({len(set(a) ^ set(b))} differ)")
        for kind in ["all", *sorted({r["kind"] for r in a.values()})]:
            queries = [q for q in a if kind == "all" or a[q]["kind"] == kind]
            x, y = [a[q][metric] for q in queries], [b[q][metric] for q in queries]
            out.append({"mode": mode, "kind": kind, "queries": len(queries), "before": round(float(np.mean(x)), 4),
                        "after": round(float(np.mean(y)), 4), "diff": round(float(np.mean(y) - np.mean(x)), 4),
                        "p": round(paired_randomisation(x, y), 4)})
    return out

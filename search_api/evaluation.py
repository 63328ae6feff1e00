"""Relevance evaluation: nDCG@10, MRR@10 and Recall@20 over graded judgments."""
from __future__ import annotations

import json
import math
from pathlib import Path

from .query import Filters, SearchRequest
from .search import SearchService


def load_judgments(path: Path) -> list[dict]:
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


def evaluate(service: SearchService, judgments: list[dict], modes: list[str]) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for mode in modes:
        totals = {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@20": 0.0}
        for item in judgments:
            # Judgments name entry ids (kipp-inv-0007) or innovation ids: each counts for its innovation.
            relevant: dict[str, int] = {}
            for record_id, grade in item["relevant"].items():
                doc_id = service.catalog.resolve(record_id) or record_id
                relevant[doc_id] = max(relevant.get(doc_id, 0), int(grade))
            req = SearchRequest(q=item["query"], mode=mode, filters=Filters(), size=20)
            ranked = [h["id"] for h in service.search(req)["hits"]]
            for key, value in metrics_for(ranked, relevant).items():
                totals[key] += value
        n = len(judgments)
        results[mode] = {**{k: round(v / n, 4) if n else 0.0 for k, v in totals.items()}, "queries": n}
    return results

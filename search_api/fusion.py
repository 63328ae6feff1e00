"""Fusing the keyword and semantic legs into one ranking.

``zscore`` (the default): each leg's scores are standardised with the mean and standard
deviation of that leg's first ``k`` scores (a fixed depth, so page 1 does not change with the
page asked for), and fused as ``w·z_keyword + (1 - w)·z_semantic``. A document a leg did not
return gets that leg's k-th z minus 1. Unlike ranks, z-scores keep how far apart the scores
are: a leg whose similarities are flat (the e5 leg on long everyday complaints, where every
record lies within 0.05 cosine) moves the fused list little, a leg with a clear winner a lot.

``rrf``: reciprocal rank fusion, 1 / (60 + rank) summed over the legs, kept for comparison.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

RRF_K = 60
KEYWORD_WEIGHT = 0.55
STATS_DEPTH = 100  # scores per leg the mean and deviation are taken from
METHODS = ("zscore", "rrf")


@dataclass(frozen=True)
class Fused:
    scores: dict[str, float]  # document → fused score
    keyword_z: dict[str, float]  # the normalised leg scores (zscore only), for explain=true
    semantic_z: dict[str, float]

    def ranked(self) -> list[str]:
        return sorted(self.scores, key=lambda d: (-self.scores[d], d))


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion: sum over rankings of 1 / (k + rank)."""
    scores: dict[str, float] = {}
    for ids in rankings:
        for rank, doc_id in enumerate(ids, 1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (k + rank)
    return scores


def _standardised(ids: Sequence[str], scores: Sequence[float], depth: int) -> tuple[dict[str, float], float]:
    """z of every returned document, and the z given to documents this leg did not return."""
    if not ids:
        return {}, -1.0
    values = np.asarray(scores, dtype=np.float64)
    head = values[:depth]
    spread = float(head.std()) or 1.0
    z = (values - float(head.mean())) / spread
    return dict(zip(ids, z.tolist())), float(z[min(depth, len(z)) - 1]) - 1.0


def fuse(keyword: tuple[Sequence[str], Sequence[float]], semantic: tuple[Sequence[str], Sequence[float]],
         method: str = "zscore", keyword_weight: float = KEYWORD_WEIGHT, depth: int = STATS_DEPTH) -> Fused:
    """Fuse (ids, scores) of the keyword leg with those of the semantic leg."""
    if method == "rrf":
        return Fused(rrf([keyword[0], semantic[0]]), {}, {})
    kz, k_missing = _standardised(*keyword, depth)
    sz, s_missing = _standardised(*semantic, depth)
    scores = {d: keyword_weight * kz.get(d, k_missing) + (1 - keyword_weight) * sz.get(d, s_missing)
              for d in (*kz, *sz)}
    return Fused(scores, kz, sz)

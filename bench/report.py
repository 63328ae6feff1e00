"""Markdown tables from bench/results/*.json (what the READMEs show)."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
KINDS = ("keyword+facets", "semantic", "hybrid", "similar")


def main() -> None:
    runs = sorted((json.loads(p.read_text()) for p in RESULTS.glob("*.json") if not p.name.startswith("reindex-")),
                  key=lambda r: (r["docs"], r["engine"]))
    print("| engine | docs | index docs/s | reindex docs/s | raw encode docs/s | import / encode | peak RSS serve |")
    print("|---|---|---|---|---|---|---|")
    for r in runs:
        b = r["build"]
        rss = f"{r['serve']['serve_peak_rss_mib']:.0f} MiB" + (" (client; JVM not incl.)" if r["engine"] == "opensearch" else "")
        print(f"| {r['engine']} | {r['docs']:,} | {b['index']['docs_per_s']:.0f} | {b['reindex']['docs_per_s']:.0f} "
              f"| {r['encode']['docs_per_s']:.1f} | {r['import_projection']['ratio']:.3f} | {rss} |")
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
    print("| engine | docs | floor p50 / p95 ms (embed + scan) | hybrid / floor p50 / p95 |")
    print("|---|---|---|---|")
    for r in runs:
        f, h = r["serve"]["floor"], r["serve"]["hybrid_over_floor"]
        print(f"| {r['engine']} | {r['docs']:,} | {f['p50_ms']:.1f} / {f['p95_ms']:.1f} | {h['p50']:.2f} / {h['p95']:.2f} |")


if __name__ == "__main__":
    main()

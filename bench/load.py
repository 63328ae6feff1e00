"""Load test: N concurrent clients against a running JIPPNas server, mixing keyword and hybrid
searches and exports (the HTTP path a portal sees, unlike bench/run.py, which calls the
engines in-process).

    .venv/bin/jippnas serve --workers 2 &          # the server under test (another shell)
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --clients 50 --seconds 60 --pid $(pgrep -f 'jippnas serve')

Each client is a thread with its own keep-alive connection sending requests back to back.
Queries are the judged queries of tests/relevance/dev_judgments.jsonl in a random order per
client (repeats are realistic: a portal's popular queries repeat, and the server embeds a
repeated query once). Prints, per kind and overall: requests, throughput, p50/p95/p99
latency, errors (anything but 2xx and 429, or a failed connection) and 429s; and the server's
resident memory (the process given by --pid and its children: uvicorn's workers), sampled
every second. ``--save FILE`` writes the figures as JSON.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
JUDGMENTS = ROOT / "tests" / "relevance" / "dev_judgments.jsonl"


def queries() -> list[str]:
    with open(JUDGMENTS, encoding="utf-8") as fh:
        return [json.loads(line)["query"] for line in fh if line.strip()]


def request_path(kind: str, query: str) -> str:
    if kind == "keyword":
        return "/api/v1/search?" + urlencode({"q": query, "mode": "keyword"})
    if kind == "hybrid":
        return "/api/v1/search?" + urlencode({"q": query})
    return "/api/v1/export?" + urlencode({"q": query, "mode": "keyword", "format": "csv"})


def parse_mix(text: str) -> list[str]:
    """"keyword=6,hybrid=3,export=1" → a list to draw kinds from, in those proportions."""
    kinds = []
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name not in ("keyword", "hybrid", "export"):
            raise SystemExit(f"--mix: unknown kind {name!r} (keyword, hybrid, export)")
        kinds += [name] * int(weight or 1)
    return kinds


def rss_mib(pid: int) -> float | None:
    """Resident memory of ``pid`` and its children (uvicorn's workers), from /proc."""
    total, seen = 0, set()
    pending = [pid]
    while pending:
        p = pending.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{p}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024 if total else None


def client(base, kinds, texts, deadline, results, seed) -> None:
    rng = random.Random(seed)
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
    while time.monotonic() < deadline:
        kind = rng.choice(kinds)
        path = request_path(kind, rng.choice(texts))
        started = time.perf_counter()
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = None
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
        results.append((kind, status, time.perf_counter() - started))
        if status is None:
            time.sleep(0.1)  # a refused connection is counted once, not in a tight loop
    conn.close()


def wait_until_up(base: str, seconds: float = 120) -> None:
    parts = urlsplit(base)
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"no server answers at {base}")
            time.sleep(0.5)


def summarise(rows, seconds: float) -> dict:
    by_kind = defaultdict(list)
    for kind, status, took in rows:
        by_kind[kind].append((status, took))
        by_kind["all"].append((status, took))
    out = {}
    for kind, items in by_kind.items():
        ok = np.array([t for s, t in items if s is not None and 200 <= s < 300]) * 1000
        out[kind] = {"requests": len(items), "ok": int(len(ok)), "per_s": round(len(items) / seconds, 1),
                     "errors": sum(1 for s, _ in items if s is None or (s >= 300 and s != 429)),
                     "rate_limited": sum(1 for s, _ in items if s == 429),
                     "statuses": dict(Counter(str(s) for s, _ in items)),
                     **({f"p{q}_ms": round(float(np.percentile(ok, q)), 1) for q in (50, 95, 99)} if len(ok) else {})}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--mix", default="keyword=6,hybrid=3,export=1")
    parser.add_argument("--pid", type=int, help="the server's process id, for its memory (and its workers')")
    parser.add_argument("--save", metavar="FILE.json")
    args = parser.parse_args()

    texts, kinds = queries(), parse_mix(args.mix)
    wait_until_up(args.url)
    results: list = []  # list.append is atomic under the GIL
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=client, args=(args.url, kinds, texts, deadline, results, i), daemon=True)
               for i in range(args.clients)]
    rss = []
    started = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if args.pid and (now := rss_mib(args.pid)) is not None:
            rss.append(now)
        time.sleep(1)
    elapsed = time.monotonic() - started
    figures = {"url": args.url, "clients": args.clients, "seconds": round(elapsed, 1), "mix": args.mix,
               "kinds": summarise(results, elapsed)}
    if rss:
        figures["server_rss_mib"] = {"start": round(rss[0]), "max": round(max(rss)), "end": round(rss[-1])}

    print(f"{args.clients} clients, {elapsed:.0f} s, mix {args.mix}, {args.url}")
    print(f"{'kind':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'429':>6}")
    for kind in ("keyword", "hybrid", "export", "all"):
        k = figures["kinds"].get(kind)
        if k:
            print(f"{kind:<8} {k['requests']:>8} {k['per_s']:>7} {k.get('p50_ms', '-'):>8} {k.get('p95_ms', '-'):>8} "
                  f"{k.get('p99_ms', '-'):>8} {k['errors']:>7} {k['rate_limited']:>6}")
    print("statuses:", figures["kinds"]["all"]["statuses"])
    if rss:
        r = figures["server_rss_mib"]
        print(f"server RSS (with workers): start {r['start']} MiB, max {r['max']} MiB, end {r['end']} MiB")
    if args.save:
        Path(args.save).write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

"""`jippnas serve --workers N` for real (uvicorn's supervisor, worker processes sharing one
socket and one embedded index), and bench/load.py against it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from jippnas.cli import sample_paths
from tests.conftest import build_runtime, loopback_socket, make_settings

ROOT = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, json.loads(response.read())


def test_serve_with_workers_shares_the_index_and_the_load_script_measures_it(tmp_path):
    settings = make_settings(tmp_path / "data")
    build_runtime(settings, [p for p in sample_paths() if p.name == "kipp.json"]).close()
    sock = loopback_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "JIPPNAS_DATA_DIR": str(settings.data_dir),
           "JIPPNAS_CACHE_DIR": str(settings.cache_dir), "JIPPNAS_RATE_LIMIT_API": "", "JIPPNAS_RATE_LIMIT_SEARCH": "",
           "JIPPNAS_RATE_LIMIT_EXPORT": ""}
    server = subprocess.Popen([sys.executable, "-m", "jippnas.cli", "serve", "--workers", "2", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, ready = _get(f"{base}/readyz")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        assert status == 200 and ready["index"] == 109
        workers = [c for c in _children(server.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
        assert len(workers) == 2

        # a reindex by another process: every worker reloads the new generation
        done = subprocess.run([sys.executable, "-m", "jippnas.cli", "reindex", "--quiet"], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        answers = {_get(f"{base}/healthz")[1]["documents"] for _ in range(20)}
        assert answers == {109}

        load = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--url", base, "--clients", "4",
                               "--seconds", "3", "--pid", str(server.pid), "--save", str(tmp_path / "load.json")],
                              capture_output=True, text=True, timeout=120)
        assert load.returncode == 0, load.stderr
        figures = json.loads((tmp_path / "load.json").read_text())
        overall = figures["kinds"]["all"]
        assert overall["ok"] > 0 and overall["p95_ms"] > 0, load.stdout
        # 503 `busy` is allowed: each worker loads its embedder on its first hybrid query, and
        # hybrid queries arriving meanwhile wait at most 2 s for an embedding slot
        assert set(overall["statuses"]) <= {"200", "503"}, load.stdout
        assert set(figures["kinds"]) >= {"keyword", "hybrid"}
        assert figures["server_rss_mib"]["max"] > 50  # the parent and both workers
        assert "p95 ms" in load.stdout
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)

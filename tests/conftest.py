"""Shared fixtures. The sample is embedded once per machine (vectors are cached in
JIPPNAS_TEST_CACHE, default ~/.cache/jippnas-test) and indexed once per session."""
from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.pipeline import Indexer
from jippnas.cli import sample_paths
from search_api.config import Settings
from search_api.runtime import Runtime

TEST_CACHE = Path(os.environ.get("JIPPNAS_TEST_CACHE", Path.home() / ".cache" / "jippnas-test"))
OPENSEARCH_URL = os.environ.get("JIPPNAS_OPENSEARCH_URL", "http://127.0.0.1:9200")
IN_CI = os.environ.get("CI", "").lower() == "true"
# An admin URL of a PostgreSQL server; each catalog test gets a database of its own there.
POSTGRES_URL = os.environ.get("JIPPNAS_TEST_POSTGRES_URL", "")


def make_settings(data_dir: Path, **overrides) -> Settings:
    # "testserver" is the Host header of Starlette's TestClient. Rate limits are off: one test
    # client sends hundreds of requests (tests/test_throttle.py sets its own).
    return Settings(**{"data_dir": data_dir, "cache_dir": TEST_CACHE,
                       "allowed_hosts": "localhost,127.0.0.1,testserver",
                       "rate_limit_api": "", "rate_limit_search": "", "rate_limit_export": "", **overrides})


def opensearch_reachable() -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(OPENSEARCH_URL, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def require_opensearch() -> None:
    if opensearch_reachable():
        return
    if IN_CI:
        pytest.fail(f"CI=true but no OpenSearch node answers at {OPENSEARCH_URL}: the suite must not skip it")
    pytest.skip(f"no OpenSearch node at {OPENSEARCH_URL} (run `make opensearch`)")


def require_postgres() -> str:
    import sqlalchemy as sa

    reason = "JIPPNAS_TEST_POSTGRES_URL is not set (run `make postgres`)"
    if POSTGRES_URL:
        try:
            with sa.create_engine(POSTGRES_URL).connect():
                return POSTGRES_URL
        except sa.exc.OperationalError as exc:
            reason = f"no PostgreSQL server answers at {POSTGRES_URL}: {exc.orig}"
    if IN_CI:
        pytest.fail(f"CI=true but {reason}: the PostgreSQL suite must not skip")
    pytest.skip(reason)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path):
    """A fresh, empty catalog database on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
        return
    import sqlalchemy as sa

    admin_url = require_postgres()
    name = f"jippnas_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Engine variants tests can ask for: the OpenSearch engine on an index of 1 or 3 shards
# (the conformance suite runs on both: answers must not depend on the shard count).
OPENSEARCH_SHARDS = {"opensearch": 1, "opensearch-3-shards": 3}


def engine_settings(engine: str, data_dir: Path) -> Settings:
    if engine in OPENSEARCH_SHARDS:
        require_opensearch()
        return make_settings(data_dir, engine="opensearch", opensearch_url=OPENSEARCH_URL,
                             opensearch_index=f"jippnas-test-{uuid.uuid4().hex[:8]}",
                             opensearch_shards=OPENSEARCH_SHARDS[engine])
    return make_settings(data_dir)


def build_runtime(settings: Settings, paths=None) -> Runtime:
    rt = Runtime(settings)
    Indexer.for_runtime(rt).import_files(
        paths or sample_paths())
    return rt


@pytest.fixture(scope="session", params=["embedded", "opensearch"])
def engine_name(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def sample_runtimes(tmp_path_factory):
    """Lazily built, one per engine, shared by the whole session."""
    built: dict[str, Runtime] = {}

    def get(engine: str) -> Runtime:
        if engine not in built:
            built[engine] = build_runtime(engine_settings(engine, tmp_path_factory.mktemp(f"sample-{engine}")))
        return built[engine]

    yield get
    for rt in built.values():
        if rt.settings.engine == "opensearch":
            rt.engine.drop()
        rt.close()


@pytest.fixture(scope="session")
def sample(sample_runtimes) -> Runtime:
    """The bundled sample on the embedded engine."""
    return sample_runtimes("embedded")


@pytest.fixture
def engine_sample(sample_runtimes, engine_name) -> Runtime:
    """The bundled sample on each engine in turn (conformance tests)."""
    return sample_runtimes(engine_name)


@pytest.fixture
def tmp_runtime(tmp_path):
    """An empty embedded runtime for tests that import their own files."""
    rt = Runtime(make_settings(tmp_path / "data"))
    yield rt
    rt.close()


@pytest.fixture
def api_client(sample):
    from fastapi.testclient import TestClient

    from web.app import create_app

    with TestClient(create_app(sample.settings)) as client:
        yield client


@pytest.fixture
def sample_dir(tmp_path) -> Path:
    target = tmp_path / "sample"
    target.mkdir()
    for p in sample_paths():
        shutil.copy(p, target / p.name)
    return target


def loopback_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve_app(settings, **app_options):
    """The app under uvicorn in a thread, on a free loopback port; yields its base URL."""
    import uvicorn

    from web.app import create_app, server_config

    app = create_app(settings, **app_options)
    sock = loopback_socket()
    server = uvicorn.Server(server_config(app, settings, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            threading.Event().wait(0.05)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        app.state.runtime.close()

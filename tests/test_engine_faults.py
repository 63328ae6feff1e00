"""Engine faults an operator meets: OpenSearch not ready (a closed index, shards that cannot
start, an unreachable node) answers a clean 503 with Retry-After; a deleted or corrupted
embedded index is reported truthfully and rebuilt by `jippnas reindex` from the catalog;
a killed OpenSearch reindex leaves no orphan index behind for good."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.pipeline import Indexer
from jippnas.cli import sample_paths
from search_api.engines.opensearch import load_index_body
from tests.conftest import build_runtime, engine_settings, loopback_socket, make_settings
from web.app import create_app

ROOT_DIR = Path(__file__).resolve().parents[1]
KIPP = [p for p in sample_paths() if p.name == "kipp.json"]
SEARCHES = ({"q": "stunting", "mode": "keyword"}, {"q": "stunting"}, {"q": ""})


def assert_clean_503(response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "engine_unavailable"
    assert int(response.headers["retry-after"]) > 0


@pytest.fixture(scope="module")
def os_runtime(tmp_path_factory):
    rt = build_runtime(engine_settings("opensearch", tmp_path_factory.mktemp("os-faults")), KIPP)
    yield rt
    rt.engine.drop()
    rt.close()


@pytest.fixture
def os_client(os_runtime):
    with TestClient(create_app(os_runtime.settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.opensearch
def test_closed_index_answers_503_not_500(os_runtime, os_client):
    client, index = os_runtime.engine.client, os_runtime.engine._concrete_indices()[0]
    client.indices.close(index=index)
    try:
        for params in SEARCHES:
            assert_clean_503(os_client.get("/api/v1/search", params=params))
        # _mget reports a closed index per document: not "no such innovation"
        assert_clean_503(os_client.get("/api/v1/innovations/kipp-inv-0007"))
        assert os_client.get("/healthz").status_code == 503
    finally:
        client.indices.open(index=index, wait_for_active_shards=1)
    assert os_client.get("/api/v1/search", params={"q": "stunting"}).status_code == 200


@pytest.mark.opensearch
def test_shards_that_cannot_start_answer_503(os_runtime, os_client):
    """TransportError(503) from _msearch items (search_phase_execution_exception: no shard
    active), as while a node starts: the alias points at an index whose shards may go to no
    node, so none ever starts."""
    engine = os_runtime.engine
    client, live = engine.client, engine._concrete_indices()[0]
    body = load_index_body(384)
    body["settings"]["index"]["routing.allocation.require._name"] = "no-such-node"
    red = f"{engine.alias}-unstarted"
    client.indices.create(index=red, body=body, wait_for_active_shards=0)

    def point_alias(old, new):
        client.indices.update_aliases(body={"actions": [{"remove": {"index": old, "alias": engine.alias}},
                                                        {"add": {"index": new, "alias": engine.alias}}]})

    point_alias(live, red)
    try:
        for params in SEARCHES:
            assert_clean_503(os_client.get("/api/v1/search", params=params))
        assert_clean_503(os_client.post("/api/v1/similar-problems", json={"problem": "balita kurang gizi"}))
        assert os_client.get("/readyz").status_code == 503  # it tries a real search
    finally:
        point_alias(red, live)
        client.indices.delete(index=red)
    assert os_client.get("/api/v1/search", params={"q": "stunting"}).status_code == 200


@pytest.mark.opensearch
def test_unreachable_node_answers_503_quickly(tmp_path):
    sock = loopback_socket()  # bound, never listening: connections are refused
    settings = make_settings(tmp_path, engine="opensearch", opensearch_url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for params in SEARCHES:
                assert_clean_503(client.get("/api/v1/search", params=params))
            assert client.get("/healthz").status_code == 503
    finally:
        sock.close()


@pytest.mark.opensearch
def test_killed_reindex_leaves_no_orphan_index(os_runtime):
    """A reindex killed after creating its new index: the next reindex removes it."""
    engine = os_runtime.engine
    left = engine._create_index(384, bulk_loading=True)  # what a killed rebuild leaves
    try:
        assert engine.orphans() == [left]
        Indexer.for_runtime(os_runtime).reindex()
        indices = engine.client.indices.get(index=f"{engine.alias}-*")
        assert left not in indices and engine.orphans() == []
        assert list(engine.client.indices.get_alias(name=engine.alias)) == list(indices)
    finally:
        engine.client.indices.delete(index=left, ignore_unavailable=True)


@pytest.mark.opensearch
def test_orphans_of_another_deployment_are_not_ours(os_runtime):
    """An alias whose name extends ours (jippnas-x-…) is another deployment's."""
    engine = os_runtime.engine
    other = f"{engine.alias}x-s4-20260101t000000000000"
    engine.client.indices.create(index=other)
    try:
        assert other not in engine.orphans()
    finally:
        engine.client.indices.delete(index=other)


# ---------------------------------------------------------------- embedded index faults
def _cli(settings, *args) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT_DIR), "JIPPNAS_DATA_DIR": str(settings.data_dir),
           "JIPPNAS_CACHE_DIR": str(settings.cache_dir)}
    return subprocess.run([sys.executable, "-m", "jippnas.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture
def embedded(tmp_path):
    rt = build_runtime(make_settings(tmp_path / "data"), KIPP)
    yield rt
    rt.close()


def _corrupt_meta(index_dir: Path) -> None:
    generation = (index_dir / "CURRENT").read_text().strip()
    (index_dir / generation / "text" / "meta.json").write_text("garbage")


def _delete_segments(index_dir: Path) -> None:
    generation = (index_dir / "CURRENT").read_text().strip()
    for path in (index_dir / generation / "text").glob("*.idx"):
        path.unlink()


@pytest.mark.parametrize("damage", [shutil.rmtree, _corrupt_meta, _delete_segments],
                         ids=["deleted", "corrupted-meta", "segments-gone"])
def test_damaged_embedded_index_is_told_and_rebuilt(embedded, damage):
    settings = embedded.settings
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/healthz").json()["documents"] == 109
        damage(settings.index_path)
        if damage is not _delete_segments:  # deleted segments stay readable through open files until a restart
            assert client.get("/healthz").status_code == 503
            assert_clean_503(client.get("/api/v1/search", params={"q": "stunting"}))
        with TestClient(create_app(settings), raise_server_exceptions=False) as restarted:
            assert restarted.get("/healthz").status_code == 503 or restarted.get("/healthz").json()["documents"] == 0
            assert restarted.get("/readyz").status_code == 503
        done = _cli(settings, "reindex", "--quiet")
        assert done.returncode == 0, done.stderr
        assert "reindexed 109 documents" in done.stdout
        # the running server picks the rebuilt index up without a restart
        assert client.get("/healthz").json() == {"status": "ok", "engine": "embedded", "documents": 109}
        assert client.get("/readyz").status_code == 200
        assert client.get("/api/v1/search", params={"q": "stunting", "mode": "keyword"}).json()["total"] > 0


def test_deleted_data_dir_is_not_healthy(embedded):
    settings = embedded.settings
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/readyz").json()["status"] == "ready"
        shutil.rmtree(settings.data_dir)
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["documents"] is None
        assert client.get("/readyz").status_code == 503

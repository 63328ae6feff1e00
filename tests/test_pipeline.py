"""Import pipeline and `jippnas` command: idempotency, crash recovery, rejects, duplicates."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from catalog.schema import entries, revisions
from indexer.pipeline import Indexer
from search_api.engines.base import ALL
from search_api.query import Filters, SearchRequest
from tests.conftest import TEST_CACHE

KIPP_ROW = {"id_inovasi": "t-1", "judul_inovasi": "Posyandu Keliling (Poling)", "singkatan": "Poling",
            "instansi": "Dinas Kesehatan Kabupaten Contoh", "kategori_instansi": "Pemerintah Kabupaten",
            "provinsi": "Jatim", "kabupaten_kota": "Kab. Malang", "tahun": "2020", "predikat": "Top 99 2020",
            "kelompok": "Kesehatan", "permasalahan": "Balita di dusun terpencil jarang ditimbang.",
            "solusi": "Kader posyandu berkeliling menimbang balita.", "hasil": "", "digital": "Tidak",
            "replikasi": "", "tautan": []}


def indexer_for(rt):
    return Indexer.for_runtime(rt)


def entry_state(rt) -> list:
    with rt.catalog.db.connect() as conn:
        return sorted(conn.execute(sa.select(entries.c.id, entries.c.updated_at, entries.c.content_hash)).all())


def revision_count(rt) -> int:
    with rt.catalog.db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(revisions)).scalar_one()


def test_reimport_changes_nothing(tmp_runtime, sample_dir):
    paths = sorted(sample_dir.iterdir())
    first = indexer_for(tmp_runtime).import_files(paths)
    assert (first.read, first.indexed, first.rejected, first.new) == (202, 202, 0, 202)
    before, revisions = entry_state(tmp_runtime), revision_count(tmp_runtime)
    second = indexer_for(tmp_runtime).import_files(paths)
    assert (second.read, second.indexed, second.unchanged, second.new, second.changed) == (202, 202, 202, 0, 0)
    assert second.embedded == 0
    assert entry_state(tmp_runtime) == before and revision_count(tmp_runtime) == revisions == 202
    assert tmp_runtime.engine.count() == 202


def test_changed_record_is_updated_not_duplicated(tmp_runtime, tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([KIPP_ROW]))
    indexer_for(tmp_runtime).import_files([path])
    fresh_title = f"Posyandu Keliling Baru {uuid.uuid4().hex[:6]}"  # never seen by the vector cache
    path.write_text(json.dumps([{**KIPP_ROW, "judul_inovasi": fresh_title}]))
    report = indexer_for(tmp_runtime).import_files([path])
    assert report.changed == 1 and report.embedded == 1
    assert tmp_runtime.engine.count() == 1
    hits = tmp_runtime.service.search(SearchRequest(q="keliling", mode="keyword"))["hits"]
    assert [h["title"] for h in hits] == [fresh_title]


def test_crash_mid_index_resumes_without_duplicates(tmp_runtime, sample_dir, monkeypatch):
    engine = tmp_runtime.engine
    real_index = engine.index
    calls = {"n": 0}

    def crashing(docs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated crash")
        return real_index(docs)

    monkeypatch.setattr(engine, "index", crashing)
    with pytest.raises(KeyboardInterrupt):
        indexer_for(tmp_runtime).import_files(sorted(sample_dir.iterdir()))
    partial = engine.count()
    assert 0 < partial < 202
    monkeypatch.setattr(engine, "index", real_index)
    report = indexer_for(tmp_runtime).import_files(sorted(sample_dir.iterdir()))
    assert report.rejected == 0 and engine.count() == 202
    ids = engine.ordered(ALL, Filters(), True, 0, 1000).ids
    assert len(ids) == len(set(ids)) == 202


def test_lost_index_is_rebuilt_from_catalog(tmp_runtime, tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([KIPP_ROW, {**KIPP_ROW, "id_inovasi": "t-2", "judul_inovasi": "Lain"}]))
    indexer_for(tmp_runtime).import_files([path])
    tmp_runtime.engine.delete([tmp_runtime.catalog.resolve("kipp-t-1")])
    assert tmp_runtime.engine.count() == 1
    embedded, failures = indexer_for(tmp_runtime).sync()
    assert failures == [] and embedded == 0 and tmp_runtime.engine.count() == 2


def test_duplicates_across_programmes_become_one_result(tmp_runtime, tmp_path):
    kipp = tmp_path / "kipp.json"
    kipp.write_text(json.dumps([KIPP_ROW]))
    iga = tmp_path / "iga.csv"
    header = "ID;Nama Inovasi;Pemda;Jenis Pemda;Provinsi;Tahun;Urusan;Jenis Inovasi;Tahapan;Permasalahan;Solusi;Manfaat;Penghargaan;Replikasi;Tautan"
    iga.write_text(header + "\nX9;POLING (Posyandu Keliling);Pemerintah Kabupaten Malang;Kabupaten;Jawa Timur;2021;"
                   "Kesehatan;Non Digital;;Balita jarang ditimbang;Posyandu keliling;;Top 45 IGA 2021;;\n",
                   encoding="utf-8")
    report = indexer_for(tmp_runtime).import_files([kipp, iga])
    assert report.indexed == 2
    assert tmp_runtime.catalog.count() == 2  # both records kept
    result = tmp_runtime.service.search(SearchRequest(q="posyandu keliling", mode="keyword"))
    assert result["total"] == 1
    hit = result["hits"][0]
    assert {e["programme"] for e in hit["entries"]} == {"KIPP", "IGA"}
    assert {v["value"] for v in result["facets"]["programme"]["values"]} == {"KIPP", "IGA"}
    assert tmp_runtime.service.get("iga-x9").id == hit["id"] == tmp_runtime.catalog.resolve("kipp-t-1")
    assert hit["id"].startswith("jip-")


def run_cli(args, data_dir, **env):
    return subprocess.run([sys.executable, "-m", "jippnas.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "JIPPNAS_DATA_DIR": str(data_dir), "JIPPNAS_CACHE_DIR": str(TEST_CACHE),
                               **env}, timeout=600)


def test_cli_index_reports_rejects_and_exit_code(tmp_path):
    bad = tmp_path / "lab.jsonl"
    good = {"ref": "a1", "name": "Inovasi A", "agency": "Dinas A", "locus": {"pemda": "Kab. Merauke",
            "province": "Papua Selatan", "level": "kabupaten"}, "cohort": 2022, "diagnosis": "Guru kurang",
            "design": "Tutor mahasiswa", "digital": False, "replications": [], "links": []}
    bad.write_text(json.dumps(good) + "\nnot json\n" + json.dumps({**good, "ref": "a2", "locus": {"province": "Mars"}}))
    proc = run_cli(["index", "--quiet", str(bad)], tmp_path / "data")
    assert proc.returncode == 1, proc.stderr
    assert "read 3, indexed 1, rejected 2" in proc.stdout
    report = list(csv.DictReader((tmp_path / "data" / "rejects.csv").open(encoding="utf-8")))
    assert [(r["position"], r["field"]) for r in report] == [("line 2", "row"), ("line 3", "province")]
    assert all(r["file"] == str(bad) for r in report)
    assert "Mars" in report[1]["reason"]


def test_cli_index_exit_2_when_nothing_readable(tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text("{ this is not json")
    proc = run_cli(["index", "--quiet", str(path)], tmp_path / "data")
    assert proc.returncode == 2
    assert "not valid JSON" in proc.stderr


def test_cli_progress_bar_shows_rate_and_eta(tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([KIPP_ROW]))
    proc = run_cli(["index", str(path)], tmp_path / "data")
    assert proc.returncode == 0, proc.stderr
    assert "doc/s" in proc.stderr and "ETA" in proc.stderr and "1/1" in proc.stderr
    reindex = run_cli(["reindex", "--quiet"], tmp_path / "data")
    assert reindex.returncode == 0 and "reindexed 1 documents" in reindex.stdout


def test_cli_link_unlink_and_withdraw_change_catalog_and_index(tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([KIPP_ROW, {**KIPP_ROW, "id_inovasi": "t-2", "judul_inovasi": "Bank Sampah Desa",
                                           "singkatan": "Basada"}]))
    data = tmp_path / "data"
    assert run_cli(["index", "--quiet", str(path)], data).returncode == 0
    linked = run_cli(["link", "kipp-t-1", "kipp-t-2", "--by", "steward", "--comment", "one programme"], data)
    assert linked.returncode == 0, linked.stderr
    innovation_id = linked.stdout.split()[-1]
    unlinked = run_cli(["unlink", "kipp-t-2", "--by", "steward"], data)
    assert unlinked.returncode == 0 and unlinked.stdout.split()[-1] != innovation_id
    withdrawn = run_cli(["withdraw", "kipp-t-2", "--reason", "bukan inovasi"], data)
    assert withdrawn.returncode == 0 and "kipp-t-2" in withdrawn.stdout
    refused = run_cli(["unlink", "kipp-t-1"], data)
    assert refused.returncode == 2 and "only entry" in refused.stderr
    from search_api.runtime import Runtime
    from tests.conftest import make_settings

    rt = Runtime(make_settings(data))
    assert rt.engine.count() == 1 and rt.catalog.entry_status("kipp-t-2") == "withdrawn"
    by = [r.by for r in rt.catalog.history("kipp-t-2")]
    assert by[1:3] == ["user:steward (cli)", "user:steward (cli)"] and by[0].endswith("(cli)")
    rt.close()

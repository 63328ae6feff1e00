"""Sources as data: crosswalk files (built in or in JIPPNAS_CROSSWALKS_DIR), their validation,
detection, readers (CSV, JSON, JSON Lines, Excel), encodings, and per-file rejects."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from catalog.schema import entries
from indexer import readers
from indexer.pipeline import Indexer
from indexer.sources import CrosswalkError, SourceError, registry
from search_api.config import Settings
from search_api.runtime import Runtime
from tests.conftest import TEST_CACHE

SLEMAN = {
    "name": "sleman",
    "programme": "other",
    "description": "Kabupaten Sleman innovation list: comma-separated CSV",
    "reader": "csv",
    "options": {"delimiter": ","},
    "detect": {"extensions": [".csv"], "keys": ["kode", "nama_inovasi", "opd"]},
    "id": "kode",
    "constants": {"agency_level": "kabupaten", "province": "DIY", "regency_city": "Kabupaten Sleman"},
    "fields": {
        "title": "nama_inovasi",
        "agency": "opd",
        "year": {"from": "tahun", "transform": "int"},
        "is_digital": {"from": "digital", "transform": "bool"},
        "problem": "masalah",
        "solution": "solusi",
    },
}
SLEMAN_HEADER = "kode,nama_inovasi,opd,tahun,digital,masalah,solusi"
IGA_HEADER = ("ID;Nama Inovasi;Pemda;Jenis Pemda;Provinsi;Tahun;Urusan;Jenis Inovasi;Tahapan;Permasalahan;Solusi;"
              "Manfaat;Penghargaan;Replikasi;Tautan")


def crosswalk_dir(tmp_path: Path, *walks: dict) -> Path:
    folder = tmp_path / "crosswalks"
    folder.mkdir(exist_ok=True)
    for walk in walks:
        (folder / f"{walk['name']}.json").write_text(json.dumps(walk), encoding="utf-8")
    return folder


def sleman_csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([SLEMAN_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def read_all(reading):
    """Every record a reading maps, and every problem as (position, field, reason)."""
    records, rejects = [], []
    for row in reading.rows:
        if row.error:
            rejects.append((row.position, "row", row.error))
            continue
        record, problems = reading.to_record(row)
        if record:
            records.append(record)
        rejects += [(r.position, r.field, r.reason) for r in problems]
    return records, rejects


def run_cli(args, data_dir: Path, **env):
    return subprocess.run([sys.executable, "-m", "jippnas.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "JIPPNAS_DATA_DIR": str(data_dir), "JIPPNAS_CACHE_DIR": str(TEST_CACHE),
                               **env}, timeout=600)


def entry_ids(data_dir: Path) -> list[str]:
    rt = Runtime(Settings(data_dir=data_dir, cache_dir=TEST_CACHE))
    try:
        with rt.catalog.db.connect() as conn:
            return sorted(conn.execute(sa.select(entries.c.id)).scalars())
    finally:
        rt.close()


# ---------------------------------------------------------------- a new source is a file

def test_new_source_is_imported_by_the_cli_with_no_code_change(tmp_path):
    folder = crosswalk_dir(tmp_path, SLEMAN)
    named = sleman_csv(tmp_path / "named.csv", "S-1,Lapor Sleman,Dinas Kominfo Kabupaten Sleman,2022,Ya,"
                       "Aduan warga lambat ditangani,Kanal aduan daring",
                       "S-2,Sleman Sehat,Dinas Kesehatan Kabupaten Sleman,2021,Tidak,Antrean puskesmas panjang,"
                       "Antrean daring")
    detected = sleman_csv(tmp_path / "detected.csv", "S-3,Pasar Sleman,Dinas Perdagangan Kabupaten Sleman,2020,,"
                          "Harga pasar tidak terpantau,Papan harga harian")
    data = tmp_path / "data"
    refused = run_cli(["index", "--quiet", "--format", "sleman", str(named)], data)
    assert refused.returncode == 2 and "unknown source 'sleman'" in refused.stderr

    env = {"JIPPNAS_CROSSWALKS_DIR": str(folder)}
    proc = run_cli(["index", "--quiet", "--format", "sleman", str(named)], data, **env)
    assert proc.returncode == 0, proc.stderr
    assert "read 2, indexed 2, rejected 0" in proc.stdout
    proc = run_cli(["index", "--quiet", str(detected)], data, **env)  # --format auto finds it too
    assert proc.returncode == 0, proc.stderr
    assert "read 1, indexed 1, rejected 0" in proc.stdout
    assert entry_ids(data) == ["sleman-s-1", "sleman-s-2", "sleman-s-3"]


def test_registry_reads_extra_crosswalks_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("JIPPNAS_CROSSWALKS_DIR", str(crosswalk_dir(tmp_path, SLEMAN)))
    sources = registry()
    assert sources.names() == ["canonical", "iga", "inolan", "kipp", "sleman"]
    assert sources.programmes() == ["KIPP", "IGA", "InoLAN", "other"]
    assert sources.get("sleman").file == tmp_path / "crosswalks" / "sleman.json"
    with pytest.raises(SourceError, match=r"unknown source 'selman' \(known: canonical, iga, inolan, kipp, sleman\)"):
        sources.get("selman")
    monkeypatch.delenv("JIPPNAS_CROSSWALKS_DIR")
    assert "sleman" not in registry().names()


def test_programme_comes_from_the_crosswalk(tmp_path):
    walk = {**SLEMAN, "programme": "IGA"}
    path = sleman_csv(tmp_path / "s.csv", "S-1,Lapor,Dinas Kominfo Kabupaten Sleman,2022,Ya,Masalah,Solusi")
    records, rejects = read_all(registry(crosswalk_dir(tmp_path, walk)).open(path))
    assert rejects == [] and records[0].programme == "IGA" and records[0].regency_city == "Kabupaten Sleman"


def test_detection_parses_the_file_once(tmp_path, monkeypatch):
    """Two .csv sources (';' and ',' delimited): the file is read and decoded once, and the
    rows detection parsed are the rows imported."""
    sources = registry(crosswalk_dir(tmp_path, SLEMAN))
    path = sleman_csv(tmp_path / "s.csv", "S-1,Lapor,Dinas Kominfo Kabupaten Sleman,2022,Ya,Masalah,Solusi",
                      "S-2,Sehat,Dinas Kesehatan Kabupaten Sleman,2021,Ya,Masalah,Solusi")
    calls = {"read": 0, "decode": 0}
    real_read, real_decode = Path.read_bytes, readers.decode

    def counting_read(self):
        calls["read"] += 1
        return real_read(self)

    def counting_decode(*args, **kwargs):
        calls["decode"] += 1
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", counting_read)
    monkeypatch.setattr(readers, "decode", counting_decode)
    reading = sources.detect(path)
    assert reading.source.name == "sleman"
    assert [r.position for r in reading.rows] == ["line 2", "line 3"]
    assert calls == {"read": 1, "decode": 1}


def test_the_most_specific_signature_wins_and_a_tie_is_an_error(tmp_path):
    """A new source whose files also hold a built-in's detect keys is still told apart."""
    wider = {**SLEMAN, "name": "sleman_iga", "options": {"delimiter": ";"},
             "detect": {"extensions": [".csv"], "keys": ["ID", "Nama Inovasi", "Pemda", "Kecamatan"]}, "id": "ID",
             "fields": {"title": "Nama Inovasi", "agency": "Pemda", "problem": "Permasalahan", "solution": "Solusi"}}
    path = tmp_path / "x.csv"
    path.write_text(IGA_HEADER + ";Kecamatan\n" + "k1;Judul;Pemkab Sleman;Kabupaten;DIY;2021;Kesehatan;;;Masalah;"
                    "Solusi;;;;;Depok\n", encoding="utf-8")
    assert registry(crosswalk_dir(tmp_path, wider)).detect(path).source.name == "sleman_iga"
    tie = {**wider, "name": "sleman_tie", "detect": {"extensions": [".csv"], "keys": ["ID", "Nama Inovasi", "Pemda"]}}
    other = tmp_path / "tie"
    other.mkdir()
    (other / "tie.json").write_text(json.dumps(tie))
    with pytest.raises(SourceError, match=r"fits several sources \(iga, sleman_tie\)"):
        registry(other).detect(tmp_path / "x.csv")


# ---------------------------------------------------------------- crosswalk files are checked

def test_a_name_collision_is_an_error_naming_both_files(tmp_path):
    folder = crosswalk_dir(tmp_path, {**SLEMAN, "name": "iga"})
    with pytest.raises(CrosswalkError) as err:
        registry(folder)
    message = str(err.value)
    assert "'iga'" in message and str(folder / "iga.json") in message
    assert str(Path("indexer") / "crosswalks" / "iga.json") in message

    (folder / "iga.json").unlink()
    (folder / "one.json").write_text(json.dumps(SLEMAN))
    (folder / "two.json").write_text(json.dumps(SLEMAN))
    with pytest.raises(CrosswalkError, match=r"one\.json and .*two\.json"):
        registry(folder)


@pytest.mark.parametrize("change,expected", [
    ({"format": "sleman"}, "unknown key 'format' (keys: name, programme"),
    ({"reader": "xls"}, "reader: unknown reader 'xls' (readers: csv, json, jsonl, xlsx)"),
    ({"encoding": "klingon"}, "encoding: unknown encoding 'klingon'"),
    ({"programme": "Sleman"}, "programme: unknown programme 'Sleman'"),
    ({"options": {"sheet": "Data"}}, "unknown key 'options.sheet' (the csv reader's options: delimiter)"),
    ({"reader": "xlsx", "encoding": "cp1252"}, 'the xlsx reader reads no text, so "encoding" does not apply'),
    ({"fields": {**SLEMAN["fields"], "year": {"from": "tahun", "transform": "integer"}}},
     "fields.year.transform: unknown transform 'integer' (transforms: int, bool, list, urls, int_list)"),
    ({"fields": {**SLEMAN["fields"], "agency_level": {"from": "jenis", "map": "levels"}}},
     "fields.agency_level.map: unknown vocabulary 'levels' (catalog/vocab has: agency_levels, programmes, sectors)"),
    ({"fields": {**SLEMAN["fields"], "year": {"form": "tahun"}}}, "unknown key 'fields.year.form'"),
    ({"fields": {**SLEMAN["fields"], "titel": "nama_inovasi"}}, "fields: 'titel' is not a record field"),
    ({"fields": {**SLEMAN["fields"], "id": "kode"}}, "fields: 'id' cannot be set"),
    ({"constants": {"programme": "IGA"}}, "constants: 'programme' cannot be set here"),
    ({"fields": {"title": "nama_inovasi"}}, "fields: the record needs agency, problem, solution"),
    ({"detect": {"extensions": [".csv"], "key": ["kode"]}}, "unknown key 'detect.key'"),
])
def test_invalid_crosswalk_names_the_file_and_the_key(tmp_path, change, expected):
    folder = crosswalk_dir(tmp_path, {**SLEMAN, **change})
    with pytest.raises(CrosswalkError) as err:
        registry(folder)
    assert str(err.value).startswith(f"{folder / 'sleman.json'}: ")
    assert expected in str(err.value)


def test_cli_reports_a_bad_crosswalk_instead_of_crashing(tmp_path):
    folder = crosswalk_dir(tmp_path, {**SLEMAN, "reader": "xls"})
    proc = run_cli(["index", "--quiet", str(tmp_path / "x.csv")], tmp_path / "data", JIPPNAS_CROSSWALKS_DIR=str(folder))
    assert proc.returncode == 2 and "unknown reader 'xls'" in proc.stderr and "Traceback" not in proc.stderr


# ---------------------------------------------------------------- encodings

def iga_line(ident: str, title: str) -> str:
    return f"{ident};{title};Pemkab Sleman;Kabupaten;DIY;2021;Kesehatan;;;Masalah;Solusi;;;;"


def test_windows_1252_csv_imports_with_its_characters(tmp_path):
    path = tmp_path / "iga.csv"
    text = "\r\n".join([IGA_HEADER, iga_line("w-1", "Pelayanan Terpadu – café"), iga_line("w-2", "“Sehat” Ñusa")])
    path.write_bytes(text.encode("cp1252"))
    reading = registry().detect(path)
    records, rejects = read_all(reading)
    assert rejects == []
    assert [r.title for r in records] == ["Pelayanan Terpadu – café", "“Sehat” Ñusa"]
    assert reading.notes == ["read as cp1252 (not valid UTF-8 at line 2, column 23)"]


def test_invalid_byte_in_a_utf8_declared_file_rejects_only_its_row(tmp_path):
    folder = crosswalk_dir(tmp_path, {**SLEMAN, "encoding": "utf-8"})
    path = tmp_path / "s.csv"
    path.write_bytes("\n".join([
        SLEMAN_HEADER,
        "S-1,Lapor – Sleman,Dinas Kominfo Kabupaten Sleman,2022,Ya,Masalah,Solusi",
        "S-2,Caf\xe9,Dinas Kesehatan Kabupaten Sleman,2021,Ya,Masalah,Solusi".replace("\xe9", "\udce9"),
        "S-3,Pasar,Dinas Perdagangan Kabupaten Sleman,2020,Ya,Masalah,Solusi",
    ]).encode("utf-8", "surrogateescape"))
    reading = registry(folder).open(path, "sleman")
    records, rejects = read_all(reading)
    assert [r.id for r in records] == ["sleman-s-1", "sleman-s-3"] and records[0].title == "Lapor – Sleman"
    assert rejects == [("line 3", "row", "byte 0xe9 at line 3, column 8 is not valid utf-8")]
    assert reading.notes == []


def test_a_stray_byte_in_a_utf8_file_rejects_only_its_row_when_detected(tmp_path):
    """Auto: a file that is UTF-8 but for one byte is not taken for cp1252 (which would garble the rest)."""
    path = tmp_path / "lab.jsonl"
    good = {"ref": "a1", "name": "Inovasi – A", "agency": "Dinas A", "locus": {"pemda": "Kab. Merauke",
            "province": "Papua Selatan", "level": "kabupaten"}, "cohort": 2022, "diagnosis": "Masalah",
            "design": "Solusi"}
    lines = [json.dumps(good, ensure_ascii=False).encode(), json.dumps({**good, "ref": "a2"}).encode().replace(
        b"Dinas A", b"Dinas \xe9"), json.dumps({**good, "ref": "a3"}, ensure_ascii=False).encode()]
    path.write_bytes(b"\n".join(lines))
    reading = registry().detect(path)
    records, rejects = read_all(reading)
    assert [r.title for r in records] == ["Inovasi – A", "Inovasi – A"]
    assert [(p, f) for p, f, _ in rejects] == [("line 2", "row")] and "0xe9 at line 2" in rejects[0][2]
    assert "utf-8" in reading.notes[0] and "line 2" in reading.notes[0]


def test_invalid_byte_in_a_json_array_rejects_only_its_record(tmp_path):
    rows = [{"id_inovasi": f"k{i}", "judul_inovasi": "Judul – A", "instansi": "Dinas X", "permasalahan": "M",
             "solusi": "S"} for i in (1, 2, 3)]
    text = json.dumps(rows, indent=1, ensure_ascii=False).replace('"k2"', '"k2\udce9"')
    path = tmp_path / "kipp.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    records, rejects = read_all(registry().detect(path))
    assert [r.id for r in records] == ["kipp-k1", "kipp-k3"]
    assert [(p, f) for p, f, _ in rejects] == [("record 2", "row")]
    assert "0xe9 at line 10, column 20" in rejects[0][2]


# ---------------------------------------------------------------- workbooks

def test_xlsx_source_imports_the_named_sheet(tmp_path, tmp_runtime, monkeypatch):
    openpyxl = pytest.importorskip("openpyxl")
    walk = {**SLEMAN, "name": "sleman_xlsx", "reader": "xlsx", "options": {"sheet": "Data", "header_row": 2},
            "detect": {"extensions": [".xlsx"], "keys": ["kode", "nama_inovasi"]}}
    monkeypatch.setenv("JIPPNAS_CROSSWALKS_DIR", str(crosswalk_dir(tmp_path, walk)))
    book = openpyxl.Workbook()
    book.active.title = "Catatan"
    book.active["A1"] = "Daftar inovasi Kabupaten Sleman"
    sheet = book.create_sheet("Data")
    sheet.append(["Rekap 2022"])
    sheet.append(SLEMAN_HEADER.split(","))
    sheet.append([7, "Lapor Sleman", "Dinas Kominfo Kabupaten Sleman", 2022.0, "Ya", "Aduan lambat", "Kanal daring"])
    sheet.append([])
    sheet.append([8, "Sleman Sehat", "Dinas Kesehatan Kabupaten Sleman", 2021, "Tidak", "Antrean", "Antrean daring"])
    sheet.append([9, "", "Dinas Pasar Kabupaten Sleman", 2020, "", "Harga", "Papan"])
    path = tmp_path / "sleman.xlsx"
    book.save(path)

    records, rejects = read_all(registry().detect(path))
    assert [(r.id, r.year) for r in records] == [("sleman_xlsx-7", 2022), ("sleman_xlsx-8", 2021)]
    assert rejects == [("sheet Data row 6", "title", "required ('nama_inovasi' is empty)")]
    report = Indexer.for_runtime(tmp_runtime).import_files([path])
    assert (report.read, report.indexed, report.rejected) == (3, 2, 1)
    with pytest.raises(SourceError, match="workbook"):
        list(registry().get("iga").read(path).rows)


# ---------------------------------------------------------------- whole-file errors, duplicates, counts

def test_deep_nested_json_is_a_clean_whole_file_reject(tmp_path, tmp_runtime):
    deep = tmp_path / "kipp.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    lab = tmp_path / "lab.jsonl"
    good = {"ref": "a1", "name": "Inovasi A", "agency": "Dinas A", "locus": {"pemda": "Kab. Merauke",
            "province": "Papua Selatan", "level": "kabupaten"}, "cohort": 2022, "diagnosis": "M", "design": "S"}
    lab.write_text(json.dumps(good) + "\n" + '{"ref": ' * 100_000 + "\n")
    report = Indexer.for_runtime(tmp_runtime).import_files([deep, lab])
    assert report.unreadable == [str(deep)]
    reasons = {(r.file, r.position): r.reason for r in report.rejects}
    assert "nested more deeply" in reasons[(str(deep), "whole file")]
    assert "nested more deeply" in reasons[(str(lab), "line 2")]
    assert report.indexed == 1


def test_duplicate_ids_in_a_file_keep_the_first(tmp_path):
    row = {"id_inovasi": "K-1", "judul_inovasi": "Pertama", "instansi": "Dinas X", "permasalahan": "M", "solusi": "S"}
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([row, {**row, "id_inovasi": "k-2"}, {**row, "id_inovasi": "k-1", "judul_inovasi": "Lagi"}],
                               indent=1))
    records, rejects = read_all(registry().detect(path))
    assert [(r.id, r.title) for r in records] == [("kipp-k-1", "Pertama"), ("kipp-k-2", "Pertama")]
    assert rejects == [("record 3", "id", "duplicate id 'k-1': the row at line 2 (record 1) has it too and is the "
                                          "one kept")]

    csv_path = sleman_csv(tmp_path / "s.csv", "S-1,A,Dinas Kabupaten Sleman,2022,,M,S",
                          "S-1,B,Dinas Kabupaten Sleman,2022,,M,S")
    _, rejects = read_all(registry(crosswalk_dir(tmp_path, SLEMAN)).detect(csv_path))
    assert rejects == [("line 3", "id", "duplicate id 'S-1': the row at line 2 has it too and is the one kept")]


def test_per_file_and_total_reject_counts_agree(tmp_path, tmp_runtime):
    path = tmp_path / "iga.csv"
    path.write_text("\n".join([
        IGA_HEADER,
        iga_line("c-1", "Baik"),
        "c-2;;Pemkab Sleman;Kabupaten;Atlantis;2021;Kesehatan;;;Masalah;Solusi;;;;",  # two problems in one row
        "c-3;Pendek",
        iga_line("c-1", "Lagi"),
    ]) + "\n", encoding="utf-8")
    broken = tmp_path / "kipp.json"
    broken.write_text("{ not json")
    report = Indexer.for_runtime(tmp_runtime).import_files([path, broken])
    assert sum(stats["rejected"] for stats in report.per_file.values()) == report.rejected == 5
    assert report.per_file[str(path)] == {"read": 4, "accepted": 1, "rejected": 4}
    assert report.per_file[str(broken)]["rejected"] == 1
    assert sorted(r.field for r in report.rejects) == ["-", "id", "province", "row", "title"]

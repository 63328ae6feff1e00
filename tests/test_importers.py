"""Importers: every format, messy values normalised, bad rows reported, good rows kept."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.regions import normalize_province, province_names, resolve_regency
from indexer.sources import SourceError, registry
from jippnas.cli import sample_paths
from tests.test_sources import read_all

IGA_HEADER = "ID;Nama Inovasi;Pemda;Jenis Pemda;Provinsi;Tahun;Urusan;Jenis Inovasi;Tahapan;Permasalahan;Solusi;Manfaat;Penghargaan;Replikasi;Tautan"


def map_file(path: Path, fmt: str = "auto"):
    return read_all(registry().open(path, fmt))


@pytest.mark.parametrize("name,fmt,count", [("kipp.json", "kipp", 109), ("iga.csv", "iga", 26),
                                             ("inolan.jsonl", "inolan", 8), ("canonical.jsonl", "canonical", 59)])
def test_sample_files_detected_and_fully_accepted(name, fmt, count):
    path = next(p for p in sample_paths() if p.name == name)
    assert registry().detect(path).source.name == fmt
    records, rejects = map_file(path)
    assert rejects == []
    assert len(records) == count
    assert all(r.id.startswith(fmt + "-") for r in records)


def test_kipp_values_are_normalised():
    records = {r.id: r for r in map_file(next(p for p in sample_paths() if p.name == "kipp.json"))[0]}
    provinces = {r.province for r in records.values() if r.province}
    assert provinces <= set(province_names())  # "Jatim", "JAWA TIMUR", "DIY"... all canonical now
    r = records["kipp-inv-0004"]
    assert r.regency_city == "Kabupaten Banyumas"  # was "KABUPATEN BANYUMAS"
    assert r.year == 2022 and r.agency_level == "kabupaten" and r.programme == "KIPP"
    assert r.is_digital is False
    assert records["kipp-inv-0003"].is_digital is True and records["kipp-inv-0003"].year == 2021  # "2021" string


@pytest.mark.parametrize("raw,expected", [
    ("Jatim", "Jawa Timur"), ("JAWA TIMUR", "Jawa Timur"), ("Prov. Jawa Timur", "Jawa Timur"),
    ("Provinsi Jawa Tengah", "Jawa Tengah"), ("DIY", "DI Yogyakarta"), ("D.I. Yogyakarta", "DI Yogyakarta"),
    ("Daerah Khusus Ibukota Jakarta", "DKI Jakarta"), ("  ntb ", "Nusa Tenggara Barat"), ("Sulsel", "Sulawesi Selatan"),
])
def test_province_aliases(raw, expected):
    assert normalize_province(raw) == expected


def test_unknown_province_is_an_error():
    with pytest.raises(ValueError, match="unknown province 'Atlantis'"):
        normalize_province("Atlantis")


@pytest.mark.parametrize("raw,expected", [
    ("Kab. Malang", "Kabupaten Malang"), ("KABUPATEN LOMBOK UTARA", "Kabupaten Lombok Utara"),
    ("kota surabaya", "Kota Surabaya"), ("Kab.Pangkajene dan Kepulauan", "Kabupaten Pangkajene dan Kepulauan"),
])
def test_regency_normalisation(raw, expected):
    assert resolve_regency(raw).name == expected


def test_iga_csv_with_broken_rows(tmp_path):
    """Bad year, unknown province, missing title, broken quoting: each reported at its
    line, and every good row (including the ones after the broken quote) kept."""
    lines = [
        IGA_HEADER,
        'g-1;Good One;Pemkab A;Kabupaten;Jatim;2021;Kesehatan;Digital;;"Masalah satu;\nbaris dua";Solusi satu;;;;',
        "g-2;Bad Year;Pemkab B;Kabupaten;Jawa Timur;dua ribu;Kesehatan;;;Masalah;Solusi;;;;",
        "g-3;Bad Province;Pemkab C;Kabupaten;Atlantis;2020;Kesehatan;;;Masalah;Solusi;;;;",
        "g-4;;Pemkab D;Kabupaten;Bali;2020;Kesehatan;;;Masalah;Solusi;;;;",
        'g-5;Broken "quote;Pemkab E;Kabupaten;Bali;2020;Kesehatan;;;"Masalah tanpa tutup;Solusi;;;;',
        "g-6;Good Two;Pemkot F;Kota;Bali;2019;Pendidikan;Non Digital;;Masalah;Solusi;Manfaat;;\"A; B\";",
        "g-7;Good Three;Pemkot G;Kota;Bali;2018;Pendidikan;;;Masalah;Solusi;;;;https://example.org/x",
    ]
    path = tmp_path / "iga.csv"
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    records, rejects = map_file(path, "iga")
    assert sorted(r.id for r in records) == ["iga-g-1", "iga-g-6", "iga-g-7"]
    good = {r.id: r for r in records}
    assert good["iga-g-1"].problem == "Masalah satu;\nbaris dua" and good["iga-g-1"].province == "Jawa Timur"
    assert good["iga-g-6"].replicated_in == ["A", "B"] and good["iga-g-6"].is_digital is False
    by_line = {pos: (field, reason) for pos, field, reason in rejects}
    assert by_line["line 4"][0] == "year" and "whole number" in by_line["line 4"][1]
    assert by_line["line 5"][0] == "province" and "Atlantis" in by_line["line 5"][1]
    assert by_line["line 6"][0] == "title" and "required" in by_line["line 6"][1]
    assert by_line["line 7"][0] == "row" and "fields" in by_line["line 7"][1]
    assert len(rejects) == 4


def test_open_quote_that_swallows_a_whole_row_is_reported_and_the_row_kept(tmp_path):
    """Regression (issue 9.2): a quote opened in the last field swallowed the next row into it
    and the field count still came out right, so the import said 'rejected 0' and lost a row."""
    lines = [
        IGA_HEADER,
        'g-1;One;Pemkab A;Kabupaten;Bali;2021;Kesehatan;;;Masalah;Solusi;;;;"https://example.org/a',
        'g-2;Two;Pemkab B;Kabupaten;Bali;2020;Kesehatan;;;Masalah;Solusi;;;;https://example.org/b"',
        "g-3;Three;Pemkab C;Kabupaten;Bali;2020;Kesehatan;;;Masalah;Solusi;;;;",
    ]
    path = tmp_path / "iga.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, rejects = map_file(path, "iga")
    assert sorted(r.id for r in records) == ["iga-g-2", "iga-g-3"]
    assert len(rejects) == 1
    position, field, reason = rejects[0]
    assert (position, field) == ("line 2", "row") and "line 3" in reason and "quote" in reason


def test_csv_row_with_too_few_fields_is_reported(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(IGA_HEADER + "\nonly;three;fields\n", encoding="utf-8")
    rows = list(registry().get("iga").read(path).rows)
    assert rows[0].error and "expected 15 fields" in rows[0].error and rows[0].position == "line 2"


def test_jsonl_invalid_line_is_reported_and_others_kept(tmp_path):
    good = {"ref": "a1", "name": "Inovasi A", "agency": "Dinas A", "locus": {"pemda": "Kab. Merauke",
            "province": "Papua Selatan", "level": "kabupaten"}, "cohort": 2022, "diagnosis": "Masalah",
            "design": "Solusi", "digital": False, "replications": [], "links": []}
    lines = [json.dumps(good), '{"ref": "a2", "name": broken json', json.dumps({**good, "ref": "a3", "cohort": "20x2"}),
             json.dumps({**good, "ref": "a4"})]
    path = tmp_path / "lab.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    records, rejects = map_file(path)
    assert [r.id for r in records] == ["inolan-a1", "inolan-a4"]
    assert records[0].regency_city == "Kabupaten Merauke" and records[0].programme == "InoLAN"
    assert [(p, f) for p, f, _ in rejects] == [("line 2", "row"), ("line 3", "year")]
    assert "invalid JSON" in rejects[0][2]


def test_kipp_missing_fields_all_reported(tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([{"id_inovasi": "k1", "judul_inovasi": "", "instansi": "X", "provinsi": "Narnia",
                                 "tahun": "2019", "permasalahan": "", "solusi": "S", "digital": "mungkin"}]))
    records, rejects = map_file(path, "kipp")
    assert records == []
    fields = {f for _, f, _ in rejects}
    assert fields == {"is_digital"}  # value transforms are checked first ...
    path.write_text(json.dumps([{"id_inovasi": "k1", "judul_inovasi": "", "instansi": "X", "provinsi": "Narnia",
                                 "tahun": "2019", "permasalahan": "", "solusi": "S", "digital": "Ya"}]))
    _, rejects = map_file(path, "kipp")
    assert {f for _, f, _ in rejects} == {"title", "province", "problem"}  # ... then every model error at once


def test_unreadable_json_array_is_a_file_error(tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text('[{"id_inovasi": "x",')
    with pytest.raises(SourceError, match="not valid JSON"):
        list(registry().get("kipp").read(path).rows)


def test_new_source_is_just_a_crosswalk_file():
    sources = registry()
    for walk in map(sources.get, sources.names()):
        assert walk.reader in {"json", "jsonl", "csv", "xlsx"}
        assert {"title", "agency", "problem", "solution"} <= set(walk.fields)


def test_a_huge_field_is_rejected_with_its_size_and_the_other_rows_kept(tmp_path):
    """Regression (issue 9.4): a 5 MB field ran for 15 minutes and indexed nothing."""
    lines = [IGA_HEADER,
             "g-1;Big;Pemkab A;Kabupaten;Bali;2021;Kesehatan;;;" + "masalah " * 700_000 + ";Solusi;;;;",
             "g-2;Small;Pemkab B;Kabupaten;Bali;2020;Kesehatan;;;Masalah;Solusi;;;;"]
    path = tmp_path / "iga.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, rejects = map_file(path, "iga")
    assert [r.id for r in records] == ["iga-g-2"]
    ((position, field, reason),) = rejects
    assert (position, field) == ("line 2", "problem") and "5,599,999 characters" in reason and "20,000" in reason

"""The shipped province and kabupaten/kota list, and names resolved against it."""
from __future__ import annotations

import re
from collections import Counter

import pytest
from pydantic import ValidationError

from catalog.regions import (
    RegionError, _read, normalize_province, province_names, province_of, provinces, regencies, resolve_regency,
)
from catalog.record import Innovation


def test_list_sizes_follow_the_data():
    assert len(provinces()) == 38 == len(set(province_names()))
    assert len(regencies()) == 514 == len({r.name for r in regencies()})
    assert Counter(r.kind for r in regencies()) == {"Kabupaten": 416, "Kota": 98}
    assert len(regencies("Jatim")) == 38 and len(regencies("DKI Jakarta")) == 6


def test_codes_are_well_formed():
    codes = {p.code for p in provinces()}
    assert len(codes) == 38 and all(re.fullmatch(r"\d\d", c) for c in codes)
    assert len({r.code for r in regencies()}) == 514
    for r in regencies():
        assert r.province_code in codes
        assert re.fullmatch(rf"{r.province_code}\.\d\d", r.code), r
        assert r.name.startswith(r.kind + " ")
    assert {r.province_code for r in regencies()} == codes  # every province has its kab/kota


def test_display_spelling():
    assert {"DI Yogyakarta", "DKI Jakarta", "Kepulauan Bangka Belitung", "Papua Barat Daya"} <= set(province_names())
    names = {r.name for r in regencies()}
    assert {"Kabupaten Pangkajene dan Kepulauan", "Kota Yogyakarta", "Kabupaten Sleman"} <= names


def test_bare_name_unambiguous_in_its_province():
    regency = resolve_regency("Sleman", "DI Yogyakarta")
    assert (regency.name, regency.code, regency.province_code, regency.kind) == ("Kabupaten Sleman", "34.04", "34",
                                                                                   "Kabupaten")
    assert resolve_regency("Banjar", "Jawa Barat").name == "Kota Banjar"  # Kabupaten Banjar is in Kalimantan Selatan
    assert resolve_regency("Sleman").name == "Kabupaten Sleman"  # unique nationally too


def test_ambiguous_bare_name_lists_both():
    with pytest.raises(RegionError, match="ambiguous kabupaten/kota 'Bandung' in Jawa Barat") as exc:
        resolve_regency("Bandung", "Jawa Barat")
    assert exc.value.candidates == ["Kabupaten Bandung", "Kota Bandung"]
    with pytest.raises(RegionError) as exc:
        resolve_regency("Banjar")
    assert sorted(exc.value.candidates) == ["Kabupaten Banjar", "Kota Banjar"]


def test_typo_gives_nearest_in_the_province():
    with pytest.raises(RegionError) as exc:
        resolve_regency("Kabupaten Slemen", "DI Yogyakarta")
    assert str(exc.value) == "unknown kabupaten/kota 'Kabupaten Slemen' in DI Yogyakarta; nearest: Kabupaten Sleman"
    assert exc.value.candidates == ["Kabupaten Sleman"]
    with pytest.raises(RegionError) as exc:
        resolve_regency("Kota Sleman", "DIY")  # right name, wrong kind
    assert exc.value.candidates == ["Kabupaten Sleman"]
    with pytest.raises(RegionError) as exc:
        resolve_regency("Sidoardjo", "Jawa Timur")
    assert exc.value.candidates == ["Kabupaten Sidoarjo"]


def test_unknown_name_without_anything_near():
    with pytest.raises(RegionError, match="^unknown kabupaten/kota 'Atlantis'$") as exc:
        resolve_regency("Atlantis")
    assert exc.value.candidates == []


def test_wrong_province_names_the_right_one():
    with pytest.raises(RegionError, match="is not in Jawa Timur: Kabupaten Sleman is in DI Yogyakarta"):
        resolve_regency("Kabupaten Sleman", "Jawa Timur")
    with pytest.raises(RegionError, match="Kota Bandung is in Jawa Barat") as exc:
        resolve_regency("Bandung", "Bali")
    assert exc.value.candidates == ["Kabupaten Bandung", "Kota Bandung"]


@pytest.mark.parametrize("raw,expected", [
    ("Kab. banyumas", "Kabupaten Banyumas"), ("KAB BANYUMAS", "Kabupaten Banyumas"),
    ("KABUPATEN BANYUMAS", "Kabupaten Banyumas"),
    ("Kab.Pangkajene dan Kepulauan", "Kabupaten Pangkajene dan Kepulauan"),
    ("Kot. Malang", "Kota Malang"), ("kota malang", "Kota Malang"),
    # spacing and hyphens fold away: the list's spelling wins
    ("Kabupaten Gunung Kidul", "Kabupaten Gunungkidul"), ("Kabupaten Fak Fak", "Kabupaten Fakfak"),
    ("Kota Bau Bau", "Kota Baubau"), ("Kabupaten Tolitoli", "Kabupaten Toli-Toli"),
])
def test_prefixes_case_and_spacing(raw, expected):
    assert resolve_regency(raw).name == expected


@pytest.mark.parametrize("raw", ["", "Kab.", "Kota "])
def test_empty_names_are_errors(raw):
    with pytest.raises(RegionError):
        resolve_regency(raw)


def test_alias_table_resolves_to_listed_names():
    aliases = _read("regency_aliases.csv")
    assert aliases
    for row in aliases:
        assert resolve_regency(row["alias"]).name == row["name"]
    assert resolve_regency("Jakarta Pusat", "DKI").name == "Kota Administrasi Jakarta Pusat"
    assert resolve_regency("Toba Samosir", "Sumut").name == "Kabupaten Toba"


@pytest.mark.parametrize("raw,expected", [
    ("Jatim", "Jawa Timur"), ("Prov. Jawa Timur", "Jawa Timur"), ("Provinsi Jawa Tengah", "Jawa Tengah"),
    ("DIY", "DI Yogyakarta"), ("D.I. Yogyakarta", "DI Yogyakarta"), ("Daerah Khusus Ibukota Jakarta", "DKI Jakarta"),
    ("babel", "Kepulauan Bangka Belitung"), ("KALIMANTAN UTARA", "Kalimantan Utara"), ("pbd", "Papua Barat Daya"),
])
def test_province_aliases(raw, expected):
    assert normalize_province(raw) == expected


def test_unknown_province():
    with pytest.raises(ValueError, match="unknown province 'Atlantis'"):
        normalize_province("Atlantis")
    with pytest.raises(ValueError, match="unknown province"):
        resolve_regency("Sleman", "Atlantis")


def test_province_of():
    assert province_of("Kabupaten Sleman") == "DI Yogyakarta"
    assert province_of("Kota Administrasi Jakarta Selatan") == "DKI Jakarta"


RECORD = {"id": "kipp-t-1", "title": "Posyandu Keliling", "agency": "Dinas Kesehatan", "agency_level": "kabupaten",
          "problem": "Balita jarang ditimbang.", "solution": "Kader berkeliling."}


def test_record_with_bare_name_imports():
    record = Innovation(**RECORD, province="DIY", regency_city="Sleman")
    assert (record.province, record.regency_city) == ("DI Yogyakarta", "Kabupaten Sleman")
    assert Innovation(**RECORD, province="Jawa Barat", regency_city="Banjar").regency_city == "Kota Banjar"


def test_record_with_unresolvable_name_is_rejected_at_its_field():
    with pytest.raises(ValidationError) as exc:
        Innovation(**RECORD, province="Jawa Barat", regency_city="Bandung")
    (error,) = exc.value.errors()
    assert error["loc"] == ("regency_city",) and "Kabupaten Bandung or Kota Bandung" in error["msg"]


def test_record_takes_its_regency_from_the_agency():
    record = Innovation(**{**RECORD, "agency": "Pemerintah Kab. Sleman"}, province="DI Yogyakarta")
    assert record.regency_city == "Kabupaten Sleman"
    with pytest.raises(ValidationError, match="from agency 'Pemerintah Kabupaten Sleman'.*not in Jawa Timur"):
        Innovation(**{**RECORD, "agency": "Pemerintah Kabupaten Sleman"}, province="Jawa Timur")

"""Replication records (issue 12): parsing the programmes' replication text, importing the
sample into records with hand-computed expectations, who may add records, adapted-from links,
and search over them (facet, count facet, sort) on both engines."""
from __future__ import annotations

import pytest

from catalog.replications import Replications, parse
from catalog.services import CatalogService, Identity, PermissionDenied
from catalog.store import Catalog
from catalog.workflow import InvalidEntry
from indexer.pipeline import Indexer
from jippnas.cli import sample_paths
from search_api.query import SearchRequest

from tests.conftest import make_settings

ADMIN = Identity("admin", frozenset({"admin"}), via="test")


# ---------------------------------------------------------------- parsing
@pytest.mark.parametrize("text, expected", [
    ("Kabupaten Banjar (sebagai Jempol Pelanduk)",
     dict(province_code="63", regency_code="63.03", adopter="Pemerintah Kabupaten Banjar", year=None, status="done",
          adapted="sebagai Jempol Pelanduk", local_name="Jempol Pelanduk")),
    ("Kabupaten/kota di Sumatera Barat (komitmen replikasi bersama 19 pemda, 2021)",
     dict(province_code="13", regency_code=None, adopter=None, year=2021, status="planned",
          adapted="komitmen replikasi bersama 19 pemda")),
    ("Kabupaten Banyumas (mereplikasi model Labinov LAN, 2024)",
     dict(province_code="33", regency_code="33.02", adopter="Pemerintah Kabupaten Banyumas", year=2024,
          status="done", adapted="mereplikasi model Labinov LAN")),
    # a bare name in two kab/kota (Kabupaten and Kota Bandung) resolves to nothing
    ("Sejumlah puskesmas di Bandung", dict(province_code=None, regency_code=None, adopter=None)),
    ("Sejumlah puskesmas di Banjarmasin", dict(province_code="63", regency_code="63.71", adopter=None)),
    ("30 pemerintah daerah yang menandatangani komitmen replikasi yang difasilitasi KemenPANRB (Agustus 2024)",
     dict(province_code=None, adopter=None, year=2024, status="planned", adapted=None)),
    ("16 pemerintah provinsi", dict(province_code=None, adopter=None, year=None, status="done")),
    ("Dinas Kesehatan Kabupaten Magelang", dict(regency_code="33.08", adopter="Dinas Kesehatan Kabupaten Magelang")),
    ("Jatim", dict(province_code="35", regency_code=None, adopter="Pemerintah Provinsi Jawa Timur")),
    ("Puskesmas X (uji coba 2023, dihentikan 2024)", dict(status="stopped", year=2024)),
])
def test_parse_reads_adopter_region_year_status(text, expected):
    parsed = parse(text)
    assert parsed.text == text
    for name, value in expected.items():
        assert getattr(parsed, name) == value, name


# ---------------------------------------------------------------- the sample, imported
@pytest.fixture(scope="module")
def sample_catalog(tmp_path_factory):
    """The sample imported into the catalog (no search engine sync needed for these checks)."""
    rt_dir = tmp_path_factory.mktemp("replications")
    from search_api.runtime import Runtime

    rt = Runtime(make_settings(rt_dir))
    report = Indexer.for_runtime(rt).import_files(sample_paths())
    yield rt, report
    rt.close()


def test_sample_replication_text_becomes_records(sample_catalog):
    """Hand-counted from the sample: 6 KIPP records and 1 IGA record fill the replication field,
    with 9 items in all (inv-0184 and IGA inv-0134 list two each). Two name a whole kab/kota
    (Kabupaten Banjar, Kabupaten Banyumas): resolved to its pemda; three name only a region
    (Sumatera Barat twice, Kota Banjarmasin); four stay text ("Sejumlah puskesmas di Bandung":
    Bandung is a Kabupaten and a Kota; "30 pemerintah daerah…"; "16 pemerintah provinsi";
    "8 pemerintah kabupaten/kota")."""
    rt, report = sample_catalog
    assert len(report.replications) == 9
    assert report.replication_counts() == {"agency": 2, "region": 3, "text": 4}
    assert report.replication_summary() == ("replications: 9 records (2 resolved to an agency, "
                                            "3 to a region only, 4 kept as text)")
    by_entry = {}
    for r in report.replications:
        by_entry.setdefault(r.entry_id, []).append(r)
    assert sorted(by_entry) == ["iga-inv-0134", "kipp-inv-0028", "kipp-inv-0061", "kipp-inv-0065",
                                "kipp-inv-0077", "kipp-inv-0184", "kipp-inv-0196"]
    [banjar] = by_entry["kipp-inv-0061"]
    assert (banjar.adopter, banjar.regency_city, banjar.province, banjar.status) == (
        "Pemerintah Kabupaten Banjar", "Kabupaten Banjar", "Kalimantan Selatan", "done")
    # the adopter is the agency Jempol Pelanduk's own KIPP entry came from (one agency row, not two)
    agencies = [a for a in rt.catalog.agency_rows() if a["name"] == "Pemerintah Kabupaten Banjar"]
    assert len(agencies) == 1 and banjar.adopter_agency_id == agencies[0]["id"]
    assert [r.text for r in by_entry["kipp-inv-0184"]] == ["Sejumlah puskesmas di Bandung",
                                                           "Sejumlah puskesmas di Banjarmasin"]
    assert [r.resolved for r in by_entry["kipp-inv-0184"]] == ["text", "region"]
    [poltabes] = by_entry["kipp-inv-0028"]
    assert (poltabes.province, poltabes.year, poltabes.status) == ("Sumatera Barat", 2021, "planned")


def test_adapted_from_link_and_chain(sample_catalog):
    """Jempol Pelanduk (KIPP inv-0129, Kabupaten Banjar) is Sipelandukilat (inv-0061) replicated:
    the record "Kabupaten Banjar (sebagai Jempol Pelanduk)" links to it."""
    rt, _ = sample_catalog
    original, adopter = rt.catalog.resolve("kipp-inv-0061"), rt.catalog.resolve("kipp-inv-0129")
    reps = Replications(rt.catalog)
    [record] = reps.of([original])[original]
    assert record.adapted_innovation_id == adopter
    assert [r.innovation_id for r in reps.adapted_from(adopter)] == [original]
    assert reps.adapted_from(original) == []


def test_reimport_changes_nothing(sample_catalog):
    rt, _ = sample_catalog
    again = Indexer.for_runtime(rt).import_files(sample_paths())
    assert again.new == again.changed == 0 and len(again.replications) == 9
    assert len(Replications(rt.catalog).search()) == 9  # not doubled


def test_an_edited_replication_field_replaces_the_imported_records(tmp_path):
    from catalog.record import Innovation

    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    svc, importer = CatalogService(catalog), Identity("i", frozenset({"importer"}))

    def load(replicated_in):
        record = Innovation(id="kipp-x2", title="BREXIT", agency="Puskesmas Janti, Pemerintah Kota Malang",
                            problem="p", solution="s", replicated_in=replicated_in)
        return svc.import_entry(importer, record, source="kipp", submitted=None, origin="test")

    load(["Sejumlah puskesmas di Bandung"])
    innovation = catalog.resolve("kipp-x2")
    load(["Kota Bandung", "Kabupaten Bandung (2022)"])
    assert [r.where for r in Replications(catalog).of([innovation])[innovation]] == [
        "Pemerintah Kabupaten Bandung, Jawa Barat", "Pemerintah Kota Bandung, Jawa Barat"]  # dated first
    load([])
    assert Replications(catalog).of([innovation])[innovation] == []
    catalog.close()


# ---------------------------------------------------------------- writes through the policy
@pytest.fixture
def people(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    svc = CatalogService(catalog)
    from catalog.record import Innovation

    record = Innovation(id="kipp-x1", title="Mobil Pelanduk", agency="Dinas Dukcapil Kabupaten Sleman",
                        agency_level="kabupaten", province="DI Yogyakarta", problem="p", solution="s")
    svc.import_entry(Identity("i", frozenset({"importer"})), record, source="kipp", submitted=None, origin="test")
    innovator = catalog.agency_rows()[0]["id"]
    adopter, _ = svc.add_agency(ADMIN, "Dinas Dukcapil Kabupaten Magelang", "kabupaten", "Jawa Tengah", "Kabupaten Magelang")
    other, _ = svc.add_agency(ADMIN, "Dinas Pendidikan Kota Bogor", "kota", "Jawa Barat", "Kota Bogor")
    yield catalog, svc, catalog.resolve("kipp-x1"), innovator, adopter, other
    catalog.close()


def _editor(agency_id):
    return Identity(f"editor{agency_id}", frozenset({"editor"}), "web", agency_id)


def test_innovator_or_adopter_may_add_others_may_not(people):
    catalog, svc, innovation, innovator, adopter, other = people
    by_innovator = svc.add_replication(_editor(innovator), innovation, {"adopter_agency_id": adopter, "year": 2024,
                                                                        "status": "running"})
    assert (by_innovator.regency_city, by_innovator.province, by_innovator.state) == (
        "Kabupaten Magelang", "Jawa Tengah", "submitted")  # editors' records wait for a curator
    by_adopter = svc.add_replication(_editor(adopter), innovation, {"adapted": "mobil keliling"})
    assert by_adopter.adopter_agency_id == adopter  # the adopter's own agency by default
    with pytest.raises(PermissionDenied, match="neither the innovator's agency nor the adopter"):
        svc.add_replication(_editor(other), innovation, {"adopter_agency_id": adopter})
    assert len(Replications(catalog).search()) == 0  # nothing published yet
    curator = Identity("k", frozenset({"curator"}), "web", programme="KIPP")
    with pytest.raises(PermissionDenied):
        svc.verify_replication(_editor(innovator), by_innovator.id)
    assert svc.verify_replication(curator, by_innovator.id).state == "published"
    assert [r.id for r in Replications(catalog).search()] == [by_innovator.id]


def test_bad_values_are_named_and_nothing_is_written(people):
    catalog, svc, innovation, innovator, *_ = people
    with pytest.raises(InvalidEntry) as caught:
        svc.add_replication(ADMIN, innovation, {"status": "finished", "year": 1800, "province": "Atlantis",
                                                "adapted_innovation_id": innovation, "colour": "red"})
    assert set(caught.value.errors) == {"status", "year", "province", "adapted_innovation_id", "colour"}
    with pytest.raises(InvalidEntry) as caught:
        svc.add_replication(ADMIN, innovation, {"regency_city": "Bandung"})
    assert "ambiguous" in caught.value.errors["regency_city"]
    assert (caught.value.codes["regency_city"], caught.value.hints["regency_city"]) == (
        "regency_ambiguous", ["Kabupaten Bandung", "Kota Bandung"])
    with pytest.raises(InvalidEntry) as caught:
        svc.add_replication(ADMIN, innovation, {"province": "Bali", "regency_city": "Sleman"})
    assert (caught.value.codes["regency_city"], caught.value.hints["regency_city"]) == (
        "regency_elsewhere", ["Kabupaten Sleman (DI Yogyakarta)"])
    with pytest.raises(InvalidEntry) as caught:
        svc.add_replication(_editor(innovator), innovation, {"year": 2024})  # the innovator names no place
    assert caught.value.codes == {"adopter_agency_id": "no_place"}
    assert Replications(catalog).search(resolved=None) == []


# ---------------------------------------------------------------- search
def _ids(result):
    return [h["id"] for h in result["hits"]]


def test_replicated_facet_counts_records_and_sort(engine_sample):
    service = engine_sample.service
    everything = service.search(SearchRequest(size=100, facet_size=100))
    facets = everything["facets"]
    # 7 innovations have records (9 records; inv-0184 and inv-0134 two each)
    assert {v["value"]: v["count"] for v in facets["replicated"]["values"]}["true"] == 7
    counts = {v["value"]: v["count"] for v in facets["replications"]["values"]}
    assert counts["1"] == 5 and counts["2"] == 2 and counts["0"] == everything["total"] - 7
    replicated = service.search(SearchRequest.parse({"replicated": ["true"], "size": ["100"]}))
    assert replicated["total"] == 7 and all(h["replications"] >= 1 for h in replicated["hits"])
    ranked = service.search(SearchRequest.parse({"sort": ["most_replicated"], "size": ["10"]}))
    assert [h["replications"] for h in ranked["hits"][:8]] == [2, 2, 1, 1, 1, 1, 1, 0]
    # ties: newest first, then id (both engines agree; the conformance suite compares them)
    two = ranked["hits"][:2]
    assert (two[0]["year"] or 0) >= (two[1]["year"] or 0)
    combined = service.search(SearchRequest.parse({"q": ["stunting"], "replicated": ["true"], "mode": ["keyword"]}))
    assert combined["total"] >= 1 and all(h["replications"] >= 1 for h in combined["hits"])
    assert any(h["title"].startswith("Ayo Cegah Stunting") for h in combined["hits"])


# ---------------------------------------------------------------- the JSON API
@pytest.fixture(scope="module")
def api(sample_catalog):
    from fastapi.testclient import TestClient

    from web.app import create_app

    rt, _ = sample_catalog
    Indexer.for_runtime(rt).sync()
    with TestClient(create_app(rt.settings)) as client:
        yield client, rt


def test_innovation_json_carries_replications_and_adapted_from(api):
    client, _ = api
    original = client.get("/api/v1/innovations/kipp-inv-0061").json()
    [record] = original["replications"]
    assert (record["adopter"], record["regency_code"], record["resolved"], record["status"]) == (
        "Pemerintah Kabupaten Banjar", "63.03", "agency", "done")
    adopter = client.get("/api/v1/innovations/kipp-inv-0129").json()
    assert adopter["replications"] == [] and [r["innovation_id"] for r in adopter["adapted_from"]] == [original["id"]]
    assert adopter["adapted_from"][0]["adapted_innovation_id"] == adopter["id"]


def test_replications_endpoint_filters_and_exports(api):
    client, _ = api
    everything = client.get("/api/v1/replications").json()
    assert everything["total"] == len(everything["replications"]) == 9
    text_only = client.get("/api/v1/replications", params={"resolved": "text"}).json()
    assert {r["text"] for r in text_only["replications"]} >= {"16 pemerintah provinsi", "8 pemerintah kabupaten/kota",
                                                             "Sejumlah puskesmas di Bandung"}
    into = client.get("/api/v1/replications", params={"to_province": "Kalsel"}).json()
    assert sorted(r["regency_city"] for r in into["replications"]) == ["Kabupaten Banjar", "Kota Banjarmasin"]
    out = client.get("/api/v1/replications", params={"from_province": "Jawa Barat"}).json()
    assert [r["text"] for r in out["replications"]] == ["16 pemerintah provinsi", "8 pemerintah kabupaten/kota"]
    planned = client.get("/api/v1/replications", params=[("status", "planned"), ("year_from", "2022")]).json()
    assert [r["year"] for r in planned["replications"]] == [2024]
    bad = client.get("/api/v1/replications", params={"to_province": "Atlantis"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["parameter"] == "to_province"
    assert client.get("/api/v1/replications", params={"status": "finished"}).status_code == 422
    assert client.get("/api/v1/replications", params={"innovation": "nope"}).status_code == 404
    csv_text = client.get("/api/v1/replications", params={"format": "csv", "to_province": "Kalimantan Selatan"}).text
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,innovation_id,original_title,from_province,adopter") and len(lines) == 3
    assert any(line.split(",")[3] == "Kalimantan Utara" for line in lines[1:])
    by_year = client.get("/api/v1/replications/stats", params={"by": "year"}).json()["rows"]
    assert {r["year"]: r["count"] for r in by_year} == {2021: 2, 2024: 2, None: 5}
    flows = client.get("/api/v1/replications/stats", params={"by": "province", "format": "csv"}).text
    assert "Kalimantan Utara,Kalimantan Selatan,1" in flows
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/replications", "/api/v1/replications/stats", "/api/v1/replications/{replication_id}/verify"} <= set(paths)


def test_adding_through_the_api_checks_the_policy(api):
    client, rt = api
    svc = CatalogService(rt.catalog)
    innovator = next(a["id"] for a in rt.catalog.agency_rows() if a["name"] == "Pemerintah Kota Padang")
    outsider, _ = svc.add_agency(ADMIN, "Dinas Kesehatan Kota Bogor", "kota", "Jawa Barat", "Kota Bogor")
    _, token = svc.create_token(ADMIN, innovator)
    _, outsider_token = svc.create_token(ADMIN, outsider)
    body = {"innovation_id": "kipp-inv-0065", "regency_city": "Kota Bukittinggi", "year": 2023, "status": "running",
            "adapted": "posyandu remaja"}
    refused = client.post("/api/v1/replications", json=body, headers={"Authorization": f"Bearer {outsider_token}"})
    assert refused.status_code == 403
    bad = client.post("/api/v1/replications", json={**body, "regency_city": "Bukit"},
                      headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["parameter"] == "regency_city"
    made = client.post("/api/v1/replications", json=body, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text
    assert (made.json()["state"], made.json()["province"]) == ("submitted", "Sumatera Barat")
    assert client.post("/api/v1/replications", json=body).status_code == 401

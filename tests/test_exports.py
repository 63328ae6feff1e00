"""Each programme gets its own format back: ``/api/v1/export?format=kipp|iga|inolan`` writes the
shapes the importers read, derived from the crosswalks; exported, then imported into an empty
catalog, a programme's entries come back as identical canonical records; an innovation entered
here keeps every field but its contact details."""
from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from catalog.record import PRIVATE_FIELDS, Innovation
from catalog.services import CatalogService
from catalog.store import Catalog
from indexer.exports import programme_exports
from indexer.pipeline import IMPORTER
from indexer.sources import registry
from tests.test_entries import COMPLETE
from web.app import create_app

SHAPES = programme_exports()


@pytest.fixture(scope="module")
def client(sample):
    with TestClient(create_app(sample.settings, programme_exports=SHAPES)) as c:
        yield c


def import_file(path, fmt: str, catalog_url: str) -> list[Innovation]:
    """Read the file as the importer does and write it into an empty catalog; its records back."""
    catalog = Catalog(catalog_url)
    try:
        svc = CatalogService(catalog)
        reading = registry().open(path, fmt)
        for row in reading.rows:
            record, rejects = reading.to_record(row)
            assert record is not None, rejects
            assert svc.import_entry(IMPORTER, record, source=fmt, submitted=row.raw, origin="file:roundtrip") == "new"
        return [r for _, group in catalog.published() for r in group]
    finally:
        catalog.close()


def programme_entries(sample, programme: str) -> dict[str, Innovation]:
    return {r.id: r for _, group in sample.catalog.published() for r in group if r.programme == programme}


@pytest.mark.parametrize("fmt,programme,suffix", [("kipp", "KIPP", "json"), ("iga", "IGA", "csv"),
                                                  ("inolan", "InoLAN", "jsonl")])
def test_a_programme_round_trips_into_identical_canonical_records(client, sample, tmp_path, fmt, programme, suffix):
    r = client.get(f"/api/v1/export?format={fmt}&programme={programme}")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="jippnas-{fmt}.{suffix}"'
    path = tmp_path / f"export.{suffix}"
    path.write_bytes(r.content)
    assert registry().detect(path).source.name == fmt  # --format auto recognises it as that programme's file
    originals = programme_entries(sample, programme)
    back = {x.id: x for x in import_file(path, fmt, f"sqlite:///{tmp_path / 'empty.sqlite3'}")}
    assert len(originals) >= 5 and set(back) == set(originals)
    assert all(back[i].content() == originals[i].content() for i in originals)


def test_the_shapes_are_the_importers_own(client):
    kipp = client.get("/api/v1/export?format=kipp&programme=KIPP&size=1")
    assert kipp.headers["content-type"].startswith("application/json")
    first = json.loads(kipp.text)[0]
    assert set(first) <= {"id_inovasi", *(rule.source for rule in registry().get("kipp").fields.values())}
    iga = client.get("/api/v1/export?format=iga&programme=IGA").text
    assert iga.startswith("\ufeffID;Nama Inovasi;Pemda;")  # semicolons and a BOM, as Indonesian Excel saves
    inolan = client.get("/api/v1/export?format=inolan&programme=InoLAN").text.splitlines()
    assert "locus" in json.loads(inolan[0]) and isinstance(json.loads(inolan[0])["locus"], dict)
    assert client.get("/api/v1/export?format=sleman").status_code == 422
    unwired = create_app(client.app.state.runtime.settings)
    with TestClient(unwired) as plain:
        assert plain.get("/api/v1/export?format=kipp").status_code == 501  # not wired: says so
    unwired.state.runtime.close()
    spec = client.get("/openapi.json").json()
    fmt = next(p for p in spec["paths"]["/api/v1/export"]["get"]["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["csv", "jsonl", "kipp", "iga", "inolan"]


def test_an_agencys_innovations_in_another_programmes_shape(client, sample):
    agency = next(a for a in sample.catalog.agency_rows() if len(sample.catalog.published_ids(a["id"])) >= 2)
    r = client.get(f"/api/v1/export?format=iga&agency_id={agency['id']}")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
    wanted = sample.catalog.published_ids(agency["id"])
    assert len(rows) == len(wanted)
    names = {sample.service.get(i).record.title for i in wanted}
    assert {row["Nama Inovasi"] for row in rows} <= names | {
        e.title for i in wanted for e in sample.service.get(i).entries}


def test_what_a_shape_cannot_carry_is_left_out_and_contacts_never_leave(tmp_path):
    entered = Innovation(**{**COMPLETE, "id": "input-abc.kipp", "agency": "Dinas Kesehatan Kabupaten Sleman",
                            "agency_level": "kabupaten", "province": "DI Yogyakarta", "regency_city": "Sleman",
                            "programme": "KIPP", "title": "=HYPERLINK(\"http://evil\")"})
    for name, shape in SHAPES.items():
        path = tmp_path / f"{name}.{shape.filename.rsplit('.', 1)[1]}"
        path.write_text("".join(shape.lines([entered])), encoding="utf-8")
        text = path.read_text(encoding="utf-8")
        assert COMPLETE["contact_email"] not in text and COMPLETE["contact_name"] not in text
        (back,) = import_file(path, name, f"sqlite:///{tmp_path / (name + '.sqlite3')}")
        assert back.id == f"{name}-input-abc.kipp" and back.programme == shape.programme
        lost = {f for f in Innovation.model_fields if f not in ("id", "programme", "updated_at")
                and getattr(back, f) != getattr(entered, f)}
        # Whatever the crosswalk maps comes back: the crosswalks map every field the form has, except
        # the contact details (never exported); IGA has no kab/kota column but takes it from the
        # agency's name; and an IGA title that looks like a formula keeps its apostrophe (below).
        assert not lost & set(shape.carried) - {"title"}
        assert lost == set(PRIVATE_FIELDS) | ({"title"} if name == "iga" else set())
        assert (back.budget, back.regulation, back.sdgs) == (COMPLETE["budget"], COMPLETE["regulation"], [2, 3])
        if name == "iga":  # CSV: the formula is neutralised, so the title comes back with its apostrophe
            assert back.title == "'" + entered.title
        else:  # JSON carries text as it is
            assert back.title == entered.title

"""The catalog suite, on SQLite and on PostgreSQL: identity, revisions, status, links,
agencies, the outbox, and migrations that match the declared schema."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from catalog.record import Innovation
from catalog.schema import metadata
from catalog.store import Catalog, CatalogError

BASE = dict(title="Posyandu Keliling (Poling)", acronym="Poling", agency="Dinas Kesehatan Kabupaten Malang",
            agency_level="kabupaten", province="Jawa Timur", regency_city="Kabupaten Malang", year=2020,
            programme="KIPP", problem="Balita di dusun terpencil jarang ditimbang.",
            solution="Kader posyandu berkeliling menimbang balita.")


def entry(entry_id: str, **changes) -> Innovation:
    return Innovation(id=entry_id, **{**BASE, **changes})


@pytest.fixture
def catalog(catalog_url):
    cat = Catalog(catalog_url)
    yield cat
    cat.close()


def put(cat: Catalog, record: Innovation, by: str = "file:test.json record 1") -> str:
    return cat.import_entry(record, source=record.id.split("-", 1)[0], submitted={"raw": True}, by=by)


def test_migrations_create_exactly_the_declared_schema(catalog):
    with catalog.db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_reopening_a_migrated_catalog_keeps_its_data(catalog_url):
    first = Catalog(catalog_url)
    put(first, entry("kipp-a"))
    first.close()
    again = Catalog(catalog_url)
    assert again.count() == 1 and again.resolve("kipp-a")
    again.close()


def test_innovation_ids_are_ours_stable_and_resolve_from_entries(catalog, catalog_url, tmp_path):
    put(catalog, entry("kipp-a"))
    innovation_id = catalog.resolve("kipp-a")
    assert innovation_id.startswith("jip-") and innovation_id != "kipp-a"
    assert catalog.resolve(innovation_id) == innovation_id
    assert catalog.resolve("kipp-unknown") is None
    other = Catalog(f"sqlite:///{tmp_path / 'again.sqlite3'}")  # same files into an empty catalog: same id
    put(other, entry("kipp-a"))
    assert other.resolve("kipp-a") == innovation_id
    other.close()


def test_an_entry_edited_three_times_has_four_revisions_newest_first(catalog):
    assert put(catalog, entry("kipp-a"), by="file:kipp.json record 1") == "new"
    assert put(catalog, entry("kipp-a"), by="file:kipp.json record 1") == "unchanged"
    assert put(catalog, entry("kipp-a", year=2021), by="file:kipp-2021.json record 1") == "changed"
    assert put(catalog, entry("kipp-a", year=2021, impact="Cakupan penimbangan naik."),
               by="file:kipp-2022.json record 4") == "changed"
    assert put(catalog, entry("kipp-a", title="Poling Plus", year=2022), by="file:kipp-2023.json record 2") == "changed"
    history = catalog.history("kipp-a")
    assert [r.number for r in history] == [4, 3, 2, 1]
    assert history[0].changes == {"title": {"from": BASE["title"], "to": "Poling Plus"},
                                  "year": {"from": 2021, "to": 2022},
                                  "impact": {"from": "Cakupan penimbangan naik.", "to": ""}}
    assert history[1].changes == {"impact": {"from": "", "to": "Cakupan penimbangan naik."}}
    assert history[2].changes == {"year": {"from": 2020, "to": 2021}} and history[2].by == "file:kipp-2021.json record 1"
    assert history[3].changes["title"] == {"from": None, "to": BASE["title"]}  # creation lists every field
    assert all(r.status == "published" for r in history)
    assert catalog.history(catalog.resolve("kipp-a")) == history  # by innovation id too
    assert [r.title for r in catalog.records(catalog.resolve("kipp-a"))] == ["Poling Plus"]


def test_duplicates_across_sources_are_linked_once_and_links_survive_reimport(catalog):
    put(catalog, entry("kipp-a"))
    put(catalog, entry("iga-x", programme="IGA", title="POLING (Posyandu Keliling)"))
    put(catalog, entry("kipp-b", title="Poling", problem="Lain."))  # same key, same source as kipp-a: not linked
    innovation_id = catalog.resolve("kipp-a")
    assert catalog.resolve("iga-x") == innovation_id and catalog.resolve("kipp-b") != innovation_id
    assert sorted(r.id for r in catalog.records(innovation_id)) == ["iga-x", "kipp-a"]
    # A steward separates them; re-importing (changed or not) never links them again.
    separate = catalog.unlink("iga-x", by="user:steward", comment="different innovations")
    put(catalog, entry("iga-x", programme="IGA", title="POLING (Posyandu Keliling)"))
    put(catalog, entry("iga-x", programme="IGA", title="POLING (Posyandu Keliling)", year=2022))
    assert catalog.resolve("iga-x") == separate != innovation_id
    # ... and links them back by hand: the older innovation keeps its id, the other becomes an alias.
    kept = catalog.link(["kipp-a", separate], by="user:steward")
    assert kept == innovation_id and catalog.resolve(separate) == innovation_id
    put(catalog, entry("kipp-a", year=2023))
    assert sorted(r.id for r in catalog.records(innovation_id)) == ["iga-x", "kipp-a"]
    moves = [r for r in catalog.history("iga-x") if "innovation_id" in r.changes]
    assert [(r.by, r.changes["innovation_id"]["to"]) for r in moves] == [("user:steward", innovation_id),
                                                                        ("user:steward", separate)]


def test_link_and_unlink_refuse_what_makes_no_sense(catalog):
    put(catalog, entry("kipp-a"))
    with pytest.raises(CatalogError, match="already name one innovation"):
        catalog.link(["kipp-a", catalog.resolve("kipp-a")], by="user:s")
    with pytest.raises(CatalogError, match="no innovation or entry"):
        catalog.link(["kipp-a", "kipp-nope"], by="user:s")
    with pytest.raises(CatalogError, match="only entry"):
        catalog.unlink("kipp-a", by="user:s")


def test_withdrawn_entries_leave_the_published_set_and_keep_their_history(catalog):
    put(catalog, entry("kipp-a"))
    put(catalog, entry("kipp-b", acronym="Lain", title="Lain"))
    assert catalog.count_published() == 2
    assert catalog.withdraw("kipp-a", reason="duplicate of another entry", by="user:curator") == ["kipp-a"]
    assert catalog.entry_status("kipp-a") == "withdrawn" and catalog.count_published() == 1
    assert [i for i, _ in catalog.published()] == [catalog.resolve("kipp-b")]
    put(catalog, entry("kipp-a", year=2024))  # a later import updates it but does not publish it again
    assert catalog.entry_status("kipp-a") == "withdrawn"
    latest, withdrawal = catalog.history("kipp-a")[:2]
    assert latest.changes == {"year": {"from": 2020, "to": 2024}} and latest.status == "withdrawn"
    assert withdrawal.comment == "duplicate of another entry" and withdrawal.by == "user:curator"
    with pytest.raises(CatalogError, match="reason"):
        catalog.withdraw("kipp-b", reason=" ", by="user:curator")


def test_outbox_lists_each_changed_innovation_once_after_its_last_change(catalog):
    put(catalog, entry("kipp-a"))
    put(catalog, entry("kipp-b", acronym="Lain", title="Lain"))
    put(catalog, entry("kipp-a", year=2021))
    a, b = catalog.resolve("kipp-a"), catalog.resolve("kipp-b")
    pending = catalog.pending("engine-1")
    assert [i for i, _ in pending] == [b, a]
    catalog.mark_synced("engine-1", pending[0][1])
    assert [i for i, _ in catalog.pending("engine-1")] == [a]
    assert [i for i, _ in catalog.pending("engine-2")] == [b, a]  # each engine has its own cursor
    catalog.mark_synced("engine-1", catalog.outbox_position())
    assert catalog.pending("engine-1") == []
    catalog.reset_sync("engine-1")
    assert len(catalog.pending("engine-1")) == 2


def test_agencies_are_recorded_with_their_region_and_spellings(catalog):
    put(catalog, entry("kipp-a"))
    put(catalog, entry("iga-x", programme="IGA", agency="DINAS KESEHATAN KABUPATEN MALANG", acronym="Lain"))
    (agency,) = catalog.agency_rows()
    assert agency["name"] == BASE["agency"] and agency["regency_city"] == "Kabupaten Malang"
    assert agency["province"] == "Jawa Timur" and agency["level"] == "kabupaten"
    assert agency["aliases"] == [BASE["agency"], "DINAS KESEHATAN KABUPATEN MALANG"]


def test_the_whole_pipeline_runs_on_this_catalog(catalog_url, tmp_path):
    """Import, search and withdraw with the catalog on each backend (embedded engine)."""
    import json

    from indexer.pipeline import Indexer
    from search_api.query import SearchRequest
    from search_api.runtime import Runtime
    from tests.conftest import make_settings
    from tests.test_pipeline import KIPP_ROW

    rt = Runtime(make_settings(tmp_path / "data", catalog_url=catalog_url))
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([KIPP_ROW, {**KIPP_ROW, "id_inovasi": "t-2", "judul_inovasi": "Bank Sampah Desa",
                                           "singkatan": "Basada"}]))
    report = Indexer.for_runtime(rt).import_files([path])
    assert (report.indexed, report.rejected) == (2, 0)
    assert rt.service.search(SearchRequest(q="sampah", mode="keyword"))["total"] == 1
    rt.catalog.withdraw("kipp-t-2", reason="test", by="user:test")
    Indexer.for_runtime(rt).sync()
    assert rt.service.search(SearchRequest(q="sampah", mode="keyword"))["total"] == 0
    assert rt.engine.count() == 1
    rt.close()


def test_a_withdrawn_entry_disappears_from_each_engine(engine_name, tmp_path):
    import json

    from indexer.pipeline import Indexer
    from search_api.query import SearchRequest
    from search_api.runtime import Runtime
    from tests.conftest import engine_settings
    from tests.test_pipeline import KIPP_ROW

    rt = Runtime(engine_settings(engine_name, tmp_path / "data"))
    try:
        path = tmp_path / "kipp.json"
        path.write_text(json.dumps([KIPP_ROW, {**KIPP_ROW, "id_inovasi": "t-2", "judul_inovasi": "Bank Sampah Desa",
                                               "singkatan": "Basada"}]))
        Indexer.for_runtime(rt).import_files([path])
        hits = rt.service.search(SearchRequest(q="bank sampah", mode="keyword"))["hits"]
        assert [h["entries"][0]["id"] for h in hits] == ["kipp-t-2"]
        rt.catalog.withdraw("kipp-t-2", reason="not an innovation", by="user:curator")
        embedded, failures = Indexer.for_runtime(rt).sync()
        assert failures == [] and embedded == 0
        assert rt.service.search(SearchRequest(q="bank sampah", mode="keyword"))["total"] == 0
        assert rt.service.get("kipp-t-2") is None and rt.engine.count() == 1
    finally:
        if engine_name == "opensearch":
            rt.engine.drop()
        rt.close()


def test_every_write_is_checked_against_the_policy_and_a_refusal_changes_nothing(catalog):
    from catalog.services import CatalogService, Identity, PermissionDenied

    service = CatalogService(catalog)
    importer = Identity("loader", frozenset({"importer"}))
    curator = Identity("kurator", frozenset({"curator"}))
    service.import_entry(importer, entry("kipp-a"), source="kipp", submitted=None, origin="file:a.json record 1")
    service.import_entry(importer, entry("iga-x", programme="IGA", acronym="Lain"), source="iga", submitted=None,
                         origin="file:b.csv line 2")
    before = (catalog.outbox_position(), [r.number for r in catalog.history("kipp-a")])
    with pytest.raises(PermissionDenied, match="kurator may not link"):
        service.link(curator, ["kipp-a", "iga-x"])
    with pytest.raises(PermissionDenied, match="loader may not withdraw"):
        service.withdraw(importer, "kipp-a", reason="no")
    with pytest.raises(PermissionDenied):
        service.import_entry(curator, entry("kipp-b"), source="kipp", submitted=None, origin="file:c.json record 1")
    assert (catalog.outbox_position(), [r.number for r in catalog.history("kipp-a")]) == before
    assert catalog.resolve("kipp-b") is None and catalog.resolve("kipp-a") != catalog.resolve("iga-x")
    assert service.withdraw(curator, "kipp-a", reason="duplicate") == ["kipp-a"]
    assert catalog.history("kipp-a")[0].by == "user:kurator"


def test_source_summary_counts_published_entries_per_source(catalog):
    put(catalog, entry("kipp-a"))
    put(catalog, entry("kipp-b", title="Bank Sampah Desa", acronym=None, regency_city="Kabupaten Blitar"))
    put(catalog, entry("iga-a"))  # the same innovation as kipp-a: linked, one innovation, two sources
    catalog.withdraw("kipp-b", reason="test", by="user:test")
    rows = {r["source"]: r for r in catalog.source_summary()}
    assert set(rows) == {"kipp", "iga"}
    assert rows["kipp"]["entries"] == rows["kipp"]["innovations"] == 1  # the withdrawn one is not counted
    assert rows["iga"]["programme"] == "KIPP" and rows["iga"]["entries"] == 1
    assert rows["kipp"]["newest"] is not None

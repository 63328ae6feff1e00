"""Entering innovations (issue "One input for three programmes"): accounts and tokens, the
policy (agencies, programmes), the workflow with revisions and optimistic locking on SQLite
and PostgreSQL, the JSON API with a token, the pages (CSRF, login limits, escaping), the CLI,
and publication reaching search on both engines."""
from __future__ import annotations

import re
import subprocess
import sys
from html import unescape

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from catalog.completeness import FORM_FIELDS, programmes
from catalog.record import Innovation
from catalog.schema import api_tokens, users
from catalog.services import CatalogService, Identity, PermissionDenied
from catalog.store import Catalog
from catalog.workflow import Incomplete, StaleEntry, WrongState
from indexer.pipeline import Indexer
from search_api.query import SearchRequest
from search_api.runtime import Runtime
from tests.conftest import engine_settings, make_settings
from tests.test_pipeline import run_cli
from web.app import create_app
from web.forms import FIELDS

ADMIN = Identity("root", frozenset({"admin"}), "cli")
PASSWORD = "kata-sandi-rahasia"
# Every field filled so that KIPP, IGA and InoLAN all accept it.
COMPLETE = {
    "title": "Timbang Keliling Dusun (Tilang Dusun)", "acronym": "Tilang Dusun", "year": 2023,
    "problem": "Balita di dusun-dusun terpencil lereng Merapi jarang ditimbang karena posyandu jauh dan jalan "
               "rusak saat musim hujan, sehingga gizi buruk terlambat diketahui.",
    "target_group": "Balita dan ibu hamil di dusun terpencil",
    "solution": "Kader posyandu berkeliling dengan sepeda motor membawa timbangan digital dan buku KIA ke setiap "
                "dusun terpencil, mencatat hasil penimbangan langsung di aplikasi puskesmas.",
    "novelty": "Posyandu yang mendatangi warga, bukan sebaliknya.", "is_digital": True, "sector": "Kesehatan",
    "impact": "Cakupan penimbangan naik dari 61% menjadi 94% dalam setahun; kasus gizi kurang ditemukan lebih awal.",
    "evidence": "Laporan bulanan puskesmas 2022-2023.", "sources": ["https://dinkes.example.go.id/tilang"],
    "resources": "12 kader, 4 sepeda motor, timbangan digital", "budget": 150_000_000, "budget_source": "APBD",
    "stakeholders": "Puskesmas, kader, pemerintah desa", "sustainability": "Masuk RPJMD dan anggaran rutin",
    "regulation": "Peraturan Bupati Sleman Nomor 12 Tahun 2023", "replication": "Cukup kader dan timbangan portabel",
    "replicated_in": ["Kabupaten Magelang"], "sdgs": [2, 3], "stage": "penerapan", "contact_name": "Ani Lestari",
    "contact_email": "ani@dinkes.example.go.id", "contact_phone": "+62 274 123456",
}
XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def people(svc: CatalogService) -> dict:
    sleman, _ = svc.add_agency(ADMIN, "Dinas Kesehatan Kabupaten Sleman", "kabupaten", "DI Yogyakarta", "Sleman")
    malang, _ = svc.add_agency(ADMIN, "Dinas Kesehatan Kota Malang", "kota", "Jawa Timur", "Kota Malang")
    found = {"sleman": sleman, "malang": malang}
    for email, role, agency, programme in (("editor@sleman.go.id", "editor", sleman, None),
                                           ("editor@malang.go.id", "editor", malang, None),
                                           ("kurator@kipp.go.id", "curator", None, "KIPP"),
                                           ("kurator@iga.go.id", "curator", None, "IGA"),
                                           ("admin@jippnas.go.id", "admin", None, None)):
        found[email] = Identity.of_user(svc.accounts.user(svc.add_user(ADMIN, email, PASSWORD, role, agency, programme)),
                                        "test")
    return found


@pytest.fixture
def catalog(catalog_url):
    cat = Catalog(catalog_url)
    yield cat
    cat.close()


# ---------------------------------------------------------------- catalog: data and accounts
def test_programme_requirements_are_data_naming_form_fields():
    assert list(programmes()) == ["KIPP", "IGA", "InoLAN"]
    for p in programmes().values():
        assert set(p.required) <= set(FORM_FIELDS) and p.organiser
        assert p.problems(COMPLETE) == []
    assert set(FIELDS) == set(FORM_FIELDS)
    assert [x.field for x in programmes()["IGA"].problems({**COMPLETE, "budget": None, "problem": "Pendek."})] == [
        "problem", "budget"]


def test_the_new_record_fields_are_optional_and_leave_old_content_hashes_alone():
    record = Innovation(id="kipp-a", title="A", agency="Dinas A", problem="p", solution="s")
    assert set(record.content()) == {"id", "title", "acronym", "agency", "agency_level", "province", "regency_city",
                                     "year", "programme", "award", "sector", "sdgs", "stage", "is_digital", "problem",
                                     "solution", "impact", "replicated_in", "sources"}
    with pytest.raises(ValueError, match="e-mail"):
        Innovation(id="kipp-a", title="A", agency="Dinas A", problem="p", solution="s", contact_email="nope")


def test_passwords_are_argon2_and_tokens_are_stored_hashed(catalog):
    svc = CatalogService(catalog)
    who = people(svc)
    token_id, token = svc.create_token(ADMIN, who["sleman"], "sistem inovasi daerah")
    with catalog.db.connect() as conn:
        hashes = conn.execute(sa.select(users.c.password_hash)).scalars().all()
        stored = conn.execute(sa.select(api_tokens)).one()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert token.startswith("jip_") and token not in (stored.token_hash, stored.prefix) and len(token) > 40
    assert svc.accounts.token(token).agency_id == who["sleman"] and svc.accounts.token(token + "x") is None
    assert svc.accounts.authenticate("EDITOR@sleman.go.id", PASSWORD).role == "editor"
    assert svc.accounts.authenticate("editor@sleman.go.id", "salah-sekali") is None
    assert svc.accounts.authenticate("nobody@sleman.go.id", PASSWORD) is None
    with pytest.raises(PermissionDenied):
        svc.add_user(who["editor@sleman.go.id"], "x@y.go.id", PASSWORD, "admin")
    with pytest.raises(PermissionDenied):
        svc.create_token(who["editor@sleman.go.id"], who["malang"])  # another agency's token


# ---------------------------------------------------------------- catalog: the workflow
def test_one_input_submitted_to_two_programmes_returned_fixed_verified_and_published(catalog):
    svc = CatalogService(catalog)
    who = people(svc)
    editor, kipp, iga = who["editor@sleman.go.id"], who["kurator@kipp.go.id"], who["kurator@iga.go.id"]
    entry = svc.create_entry(editor, {"title": "Tilang Dusun"})  # a draft needs nothing else
    assert (entry.status, entry.revision, entry.content["agency"]) == ("draft", 1, "Dinas Kesehatan Kabupaten Sleman")
    assert entry.content["regency_city"] == "Kabupaten Sleman" and entry.missing()["KIPP"]
    with pytest.raises(Incomplete) as missing:
        svc.submit_entry(editor, entry.id, ["KIPP", "IGA"])
    assert {"problem", "novelty"} <= {p.field for p in missing.value.problems["KIPP"]}
    assert {"budget", "regulation"} <= {p.field for p in missing.value.problems["IGA"]}
    assert svc.entries.get(entry.id).revision == 1  # a refused submission changes nothing

    entry = svc.update_entry(editor, entry.id, {**COMPLETE, "impact": "Naik."}, 1)
    with pytest.raises(Incomplete, match="KIPP: missing or too short: impact"):
        svc.submit_entry(editor, entry.id, ["KIPP", "IGA"])
    entry = svc.submit_entry(editor, entry.id, ["IGA"], entry.revision)
    entry = svc.update_entry(editor, entry.id, COMPLETE, entry.revision)
    entry = svc.submit_entry(editor, entry.id, ["KIPP", "IGA"], entry.revision)
    assert entry.status == "submitted" and {c: s.status for c, s in entry.submissions.items()} == {
        "KIPP": "submitted", "IGA": "submitted"}
    assert catalog.count_published() == 0 and svc.visible_entries(kipp)[0].id == entry.id

    with pytest.raises(PermissionDenied, match="not submitted to your programme"):
        svc.verify_entry(Identity("lan", frozenset({"curator"}), programme="InoLAN"), entry.id, "KIPP")
    with pytest.raises(PermissionDenied):
        svc.return_entry(kipp, entry.id, "IGA", "bukan urusan KIPP")
    with pytest.raises(PermissionDenied):
        svc.update_entry(kipp, entry.id, COMPLETE, entry.revision)  # curators review, they do not edit
    entry = svc.return_entry(kipp, entry.id, "KIPP", "Jelaskan cara mengukur cakupan penimbangan.")
    assert entry.submissions["KIPP"].status == "returned" and entry.submissions["IGA"].status == "submitted"
    with pytest.raises(WrongState):
        svc.verify_entry(kipp, entry.id, "KIPP")

    fixed = {**COMPLETE, "evidence": "Register penimbangan posyandu, dihitung ulang oleh puskesmas tiap bulan."}
    entry = svc.update_entry(editor, entry.id, fixed, entry.revision)
    entry = svc.submit_entry(editor, entry.id, ["KIPP"], entry.revision)
    entry = svc.verify_entry(kipp, entry.id, "KIPP", "Lengkap.", entry.revision)
    assert entry.submissions["KIPP"].status == "published"
    assert entry.submissions["KIPP"].published_entry_id == f"{entry.id}.kipp"
    [(innovation_id, [published])] = list(catalog.published())
    assert innovation_id == entry.innovation_id and published.programme == "KIPP"
    assert published.evidence == fixed["evidence"] and published.agency == "Dinas Kesehatan Kabupaten Sleman"

    entry = svc.verify_entry(iga, entry.id, "IGA")
    assert sorted(r.programme for _, rs in catalog.published() for r in rs) == ["IGA", "KIPP"]
    assert entry.status == "published" and catalog.count_published() == 1

    # every step is a revision: who, when, what changed, the comment
    steps = [(r.number, r.status, sorted(r.changes)) for r in reversed(svc.entries.history(entry.id))]
    assert [s[0] for s in steps] == list(range(1, entry.revision + 1))
    returned = next(r for r in svc.entries.history(entry.id) if r.comment and "Jelaskan" in r.comment)
    assert returned.by == "user:kurator@kipp.go.id (test)"
    assert returned.changes["programmes.KIPP"] == {"from": "submitted", "to": "returned"}
    # the public history shows the programmes' entries, not the drafts
    public = catalog.history(entry.innovation_id)
    assert {r.entry_id for r in public} == {f"{entry.id}.kipp", f"{entry.id}.iga"}
    assert all(r.by.startswith(f"input:{entry.id} revision") for r in public)


def test_an_edit_after_publication_waits_for_the_next_verification(catalog):
    svc = CatalogService(catalog)
    who = people(svc)
    editor, kipp = who["editor@sleman.go.id"], who["kurator@kipp.go.id"]
    entry = svc.create_entry(editor, COMPLETE)
    entry = svc.submit_entry(editor, entry.id, ["KIPP"])
    entry = svc.verify_entry(kipp, entry.id, "KIPP")
    entry = svc.update_entry(editor, entry.id, {**COMPLETE, "title": "Tilang Dusun Plus"}, entry.revision)
    assert [r.title for _, rs in catalog.published() for r in rs] == [COMPLETE["title"]]
    entry = svc.submit_entry(editor, entry.id, ["KIPP"])
    svc.verify_entry(kipp, entry.id, "KIPP")
    assert [r.title for _, rs in catalog.published() for r in rs] == ["Tilang Dusun Plus"]
    assert [r.number for r in catalog.history(f"{entry.id}.kipp")] == [2, 1]


def test_another_agencys_editor_is_refused_and_nothing_changes(catalog):
    svc = CatalogService(catalog)
    who = people(svc)
    mine, theirs = who["editor@sleman.go.id"], who["editor@malang.go.id"]
    entry = svc.create_entry(mine, COMPLETE)
    before = (catalog.outbox_position(), svc.entries.get(entry.id))
    for attempt in (lambda: svc.update_entry(theirs, entry.id, {"title": "diambil alih"}, entry.revision),
                    lambda: svc.submit_entry(theirs, entry.id, ["KIPP"]),
                    lambda: svc.entry(theirs, entry.id),
                    lambda: svc.create_entry(theirs, COMPLETE, agency_id=who["sleman"])):
        with pytest.raises(PermissionDenied, match="another agency"):
            attempt()
    assert (catalog.outbox_position(), svc.entries.get(entry.id)) == before
    assert svc.visible_entries(theirs) == [] and [e.id for e in svc.visible_entries(mine)] == [entry.id]
    assert [e.id for e in svc.visible_entries(who["admin@jippnas.go.id"])] == [entry.id]


def test_a_stale_save_is_refused_with_the_saved_version(catalog):
    svc = CatalogService(catalog)
    who = people(svc)
    editor = who["editor@sleman.go.id"]
    entry = svc.create_entry(editor, {"title": "Versi pertama"})
    svc.update_entry(editor, entry.id, {"title": "Versi rekan kerja"}, 1)
    with pytest.raises(StaleEntry) as stale:
        svc.update_entry(editor, entry.id, {"title": "Versi saya"}, 1)
    assert stale.value.current.revision == 2 and stale.value.current.content["title"] == "Versi rekan kerja"
    assert svc.entries.get(entry.id).content["title"] == "Versi rekan kerja"
    assert [r.number for r in svc.entries.history(entry.id)] == [2, 1]


def test_concurrent_saves_on_one_revision_never_both_apply(catalog):
    from concurrent.futures import ThreadPoolExecutor

    svc = CatalogService(catalog)
    editor = people(svc)["editor@sleman.go.id"]
    entry = svc.create_entry(editor, {"title": "Awal"})

    def save(n):
        try:
            svc.update_entry(editor, entry.id, {"title": f"Versi {n}"}, 1)
            return "saved"
        except StaleEntry:
            return "stale"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(save, range(4)))
    assert outcomes.count("saved") == 1 and outcomes.count("stale") == 3
    assert svc.entries.get(entry.id).revision == 2


def test_drafts_are_neither_searchable_nor_public(catalog):
    svc = CatalogService(catalog)
    entry = svc.create_entry(people(svc)["editor@sleman.go.id"], COMPLETE)
    assert catalog.count_published() == 0 and list(catalog.published()) == []
    assert catalog.history(entry.innovation_id) is None and catalog.history(entry.id) is None


# ---------------------------------------------------------------- the web: API and pages
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app (embedded engine, empty catalog) with its people; publication syncs search."""
    settings = make_settings(tmp_path_factory.mktemp("entries") / "data")
    app = create_app(settings, after_publish=lambda runtime: Indexer.for_runtime(runtime).sync())
    with TestClient(app) as client:
        svc = CatalogService(app.state.runtime.catalog)
        who = people(svc)
        _, token = svc.create_token(ADMIN, who["sleman"])
        _, other_token = svc.create_token(ADMIN, who["malang"])
        yield {"client": client, "app": app, "svc": svc, "who": who, "token": token, "other_token": other_token}
    app.state.runtime.close()


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrftoken" value="([^"]+)"', html).group(1)


def sign_in(site, email: str) -> TestClient:
    client = TestClient(site["app"])
    page = client.get("/masuk")
    r = client.post("/masuk", data={"email": email, "password": PASSWORD, "csrftoken": csrf_of(page.text),
                                    "next": "/kelola"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/kelola", r.text
    return client


def session_headers(client: TestClient) -> dict:
    return {"X-CSRFToken": client.cookies["csrftoken"]}


def test_api_flow_with_a_token(site):
    c, token = site["client"], site["token"]
    r = c.post("/api/v1/entries", json={"title": "Tilang Dusun"}, headers=bearer(token))
    assert r.status_code == 201 and r.headers["etag"] == '"1"'
    body = r.json()
    entry_id = body["id"]
    assert r.headers["location"] == f"/api/v1/entries/{entry_id}" and body["status"] == "draft"
    assert body["agency"]["name"] == "Dinas Kesehatan Kabupaten Sleman"
    assert {m["field"] for m in body["missing"]["KIPP"]} >= {"problem", "solution", "novelty"}

    assert c.put(f"/api/v1/entries/{entry_id}", json=COMPLETE, headers=bearer(token)).status_code == 428
    r = c.put(f"/api/v1/entries/{entry_id}", json=COMPLETE, headers=bearer(token, **{"If-Match": '"1"'}))
    assert r.status_code == 200 and r.headers["etag"] == '"2"' and r.json()["missing"] == {
        "KIPP": [], "IGA": [], "InoLAN": []}
    stale = c.put(f"/api/v1/entries/{entry_id}", json={**COMPLETE, "title": "Lama"},
                  headers=bearer(token, **{"If-Match": '"1"'}))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale"
    assert stale.json()["error"]["details"]["current"]["fields"]["title"] == COMPLETE["title"]
    assert c.get(f"/api/v1/entries/{entry_id}", headers=bearer(token)).json()["revision"] == 2

    bad = c.put(f"/api/v1/entries/{entry_id}", json={"year": "tahun lalu", "contact_email": "bukan"},
                headers=bearer(token, **{"If-Match": '"2"'}))
    assert bad.status_code == 422 and bad.json()["error"]["details"]["parameter"] == "year"

    r = c.post(f"/api/v1/entries/{entry_id}/submit", json={"programmes": ["KIPP", "IGA"]}, headers=bearer(token))
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    assert {k: v["status"] for k, v in r.json()["programmes"].items()} == {"KIPP": "submitted", "IGA": "submitted"}
    listed = c.get("/api/v1/entries", params={"status": "submitted"}, headers=bearer(token)).json()["entries"]
    assert [e["id"] for e in listed] == [entry_id]
    # a token acts as an editor: it cannot review
    assert c.post(f"/api/v1/entries/{entry_id}/verify", json={"programme": "KIPP"},
                  headers=bearer(token)).status_code == 403

    curator = sign_in(site, "kurator@kipp.go.id")
    queue = curator.get("/api/v1/entries", params={"programme": "KIPP", "status": "submitted"}).json()["entries"]
    assert entry_id in [e["id"] for e in queue]
    # the session needs the CSRF header on the API
    assert curator.post(f"/api/v1/entries/{entry_id}/return", json={"comment": "x"}).status_code == 403
    r = curator.post(f"/api/v1/entries/{entry_id}/return", json={"comment": "Tambahkan data 2022."},
                     headers=session_headers(curator))
    assert r.status_code == 200 and r.json()["programmes"]["KIPP"]["comment"] == "Tambahkan data 2022."
    revision = r.json()["revision"]
    r = c.put(f"/api/v1/entries/{entry_id}", json={**COMPLETE, "evidence": "Data 2022 dan 2023."},
              headers=bearer(token, **{"If-Match": f'"{revision}"'}))
    r = c.post(f"/api/v1/entries/{entry_id}/submit", json={"programmes": ["KIPP"]},
               headers=bearer(token, **{"If-Match": r.headers["etag"]}))
    r = curator.post(f"/api/v1/entries/{entry_id}/verify", json={"comment": "Lengkap."},
                     headers=session_headers(curator))
    assert r.status_code == 200 and r.json()["programmes"]["KIPP"]["status"] == "published"
    hits = c.get("/api/v1/search", params={"q": "timbang keliling dusun", "mode": "keyword"}).json()["hits"]
    assert [h["entries"] for h in hits] == [[{"id": f"{entry_id}.kipp", "programme": "KIPP", "year": 2023,
                                             "award": None}]]
    assert c.get(f"/api/v1/innovations/{entry_id}.kipp").json()["id"] == hits[0]["id"]
    assert c.get(f"/api/v1/innovations/{hits[0]['id']}/history").status_code == 200


def test_api_refuses_other_agencies_and_strangers(site):
    c = site["client"]
    entry_id = c.post("/api/v1/entries", json={"title": "Milik Sleman"}, headers=bearer(site["token"])).json()["id"]
    other = bearer(site["other_token"])
    assert c.get(f"/api/v1/entries/{entry_id}", headers=other).status_code == 403
    assert c.put(f"/api/v1/entries/{entry_id}", json={"title": "Milik Malang"},
                 headers={**other, "If-Match": '"1"'}).status_code == 403
    assert c.post(f"/api/v1/entries/{entry_id}/submit", json={"programmes": ["IGA"]}, headers=other).status_code == 403
    assert entry_id not in [e["id"] for e in c.get("/api/v1/entries", headers=other).json()["entries"]]
    assert c.post("/api/v1/entries", json={"title": "x"}, headers=bearer("jip_bogus")).status_code == 401
    assert c.get("/api/v1/entries").status_code == 401
    assert c.post("/api/v1/entries", json={"title": "x", "agency_id": site["who"]["sleman"]},
                  headers=other).status_code == 403
    saved = c.get(f"/api/v1/entries/{entry_id}", headers=bearer(site["token"])).json()
    assert (saved["revision"], saved["fields"]["title"]) == (1, "Milik Sleman")


def test_entry_endpoints_are_documented_in_openapi(site):
    spec = site["client"].get("/openapi.json").json()
    for path in ("/api/v1/entries", "/api/v1/entries/{entry_id}", "/api/v1/entries/{entry_id}/submit",
                 "/api/v1/entries/{entry_id}/return", "/api/v1/entries/{entry_id}/verify"):
        assert path in spec["paths"]
    put = spec["paths"]["/api/v1/entries/{entry_id}"]["put"]
    assert {"409", "428", "403"} <= set(put["responses"])
    assert "EntryFields" in spec["components"]["schemas"] and "HTTPBearer" in spec["components"]["securitySchemes"]


def test_forms_need_their_csrf_token(site):
    editor = sign_in(site, "editor@sleman.go.id")
    page = editor.get("/kelola/baru")
    assert page.status_code == 200 and 'name="csrftoken"' in page.text
    refused = editor.post("/kelola/baru", data={"title": "Tanpa token", "action": "save"})
    assert refused.status_code == 403 and "kedaluwarsa" in refused.text
    forged = editor.post("/kelola/baru", data={"title": "Token palsu", "action": "save", "csrftoken": "abc"})
    assert forged.status_code == 403
    assert not [e for e in site["svc"].entries.list() if e.content["title"] in ("Tanpa token", "Token palsu")]
    # login itself is protected (no cookie yet: still refused without the token)
    stranger = TestClient(site["app"])
    assert stranger.post("/masuk", data={"email": "editor@sleman.go.id", "password": PASSWORD}).status_code == 403
    assert editor.post("/keluar").status_code == 403  # logout too
    ok = editor.post("/kelola/baru", data={"title": "Dengan token", "action": "save", "csrftoken": csrf_of(page.text)},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith("/kelola/input-")


def test_login_failures_are_rate_limited(site):
    email = "dikunci@malang.go.id"
    site["svc"].add_user(ADMIN, email, PASSWORD, "editor", site["who"]["malang"])
    client = TestClient(site["app"])
    token = csrf_of(client.get("/masuk").text)
    for _ in range(5):
        r = client.post("/masuk", data={"email": email, "password": "salah-salah", "csrftoken": token})
        assert r.status_code == 400 and "salah" in r.text
    r = client.post("/masuk", data={"email": email, "password": PASSWORD, "csrftoken": token})
    assert r.status_code == 429 and "Terlalu banyak" in r.text and int(r.headers["retry-after"]) > 0
    # other accounts are not locked by it
    assert sign_in(site, "editor@sleman.go.id").get("/kelola").status_code == 200


def test_pages_need_a_session_and_keep_agencies_apart(site):
    anonymous = TestClient(site["app"])
    r = anonymous.get("/kelola", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/masuk?next=%2Fkelola"
    entry_id = site["client"].post("/api/v1/entries", json={"title": "Punya Sleman"},
                                   headers=bearer(site["token"])).json()["id"]
    other = sign_in(site, "editor@malang.go.id")
    page = other.get(f"/kelola/{entry_id}")
    assert page.status_code == 403 and "instansi lain" in page.text
    token = csrf_of(other.get("/kelola").text)
    r = other.post(f"/kelola/{entry_id}", data={"title": "Diambil", "revision": "1", "csrftoken": token,
                                                "action": "save"})
    assert r.status_code == 403
    assert site["svc"].entries.get(entry_id).content["title"] == "Punya Sleman"
    assert "Punya Sleman" not in other.get("/kelola").text


def test_the_form_saves_drafts_and_shows_what_each_programme_still_needs(site):
    editor = sign_in(site, "editor@sleman.go.id")
    page = editor.get("/kelola/baru").text
    for group in ("Masalah", "Solusi", "Hasil dan bukti", "Sumber daya dan biaya", "Pemangku kepentingan",
                  "Keberlanjutan", "Kesiapan replikasi", "SDGs", "Tahapan", "Kontak"):
        assert f"<legend>{group}" in page
    assert len(re.findall(r'<label for="in-', page)) + page.count("<legend>") >= len(FIELDS)
    r = editor.post("/kelola/baru", data={"title": "Draf setengah", "year": "duaribu", "csrftoken": csrf_of(page),
                                          "action": "save"})
    assert r.status_code == 422 and "Isi dengan angka bulat." in r.text and 'aria-invalid="true"' in r.text
    assert 'value="duaribu"' in r.text  # what was typed is kept
    r = editor.post("/kelola/baru", data={"title": "Draf setengah", "problem": "Antrean panjang.",
                                          "csrftoken": csrf_of(page), "action": "submit", "programmes": ["KIPP"]})
    assert r.status_code == 422 and "Wajib diisi untuk KIPP" in r.text
    assert "Terlalu singkat untuk KIPP: minimal 80 karakter (sekarang 16)" in r.text
    saved = [e for e in site["svc"].entries.list() if e.content["title"] == "Draf setengah"]
    assert len(saved) == 1 and saved[0].status == "draft"  # the draft was saved, the submission refused
    assert 'id="programme-KIPP"' in r.text and "Masih kurang:" in r.text


def test_a_stale_page_save_shows_both_versions(site):
    editor = sign_in(site, "editor@sleman.go.id")
    entry_id = site["client"].post("/api/v1/entries", json={"title": "Versi awal"},
                                   headers=bearer(site["token"])).json()["id"]
    page = editor.get(f"/kelola/{entry_id}").text
    assert 'name="revision" value="1"' in page
    site["client"].put(f"/api/v1/entries/{entry_id}", json={"title": "Versi rekan"},
                       headers=bearer(site["token"], **{"If-Match": '"1"'}))
    r = editor.post(f"/kelola/{entry_id}", data={"title": "Versi saya", "revision": "1", "csrftoken": csrf_of(page),
                                                 "action": "save"})
    assert r.status_code == 409 and "sudah diubah orang lain" in r.text
    assert '<td class="yours">Versi saya</td><td class="saved">Versi rekan</td>' in r.text
    assert 'name="revision" value="2"' in r.text and 'value="Versi saya"' in r.text
    assert site["svc"].entries.get(entry_id).content["title"] == "Versi rekan"


def test_every_text_field_is_escaped(site):
    texts = {name: XSS if name == "acronym" else f"{name} {XSS}" for name, spec in FIELDS.items()
             if spec.widget in ("text", "textarea", "tel") and name not in ("contact_phone",)}
    entry = site["client"].post("/api/v1/entries", json={**COMPLETE, **texts, "replicated_in": [XSS]},
                                headers=bearer(site["token"]))
    assert entry.status_code == 201, entry.text
    entry_id = entry.json()["id"]
    site["client"].post(f"/api/v1/entries/{entry_id}/submit", json={"programmes": ["KIPP"]},
                        headers=bearer(site["token"]))
    curator = sign_in(site, "kurator@kipp.go.id")
    return_page = curator.get(f"/kelola/{entry_id}").text
    curator.post(f"/kelola/{entry_id}/tinjau", data={"programme": "KIPP", "decision": "return", "comment": XSS,
                                                     "csrftoken": csrf_of(return_page)})
    editor = sign_in(site, "editor@sleman.go.id")
    pages = [editor.get(f"/kelola/{entry_id}").text, editor.get("/kelola").text, curator.get("/kelola").text]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    form = pages[0]
    for name, value in texts.items():
        assert unescape(value) in unescape(form), name
    assert form.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= len(texts) + 1  # fields + the curator's comment


def test_cli_adds_agencies_users_and_tokens(tmp_path):
    data = tmp_path / "data"
    agency = run_cli(["agency", "add", "Dinas Kesehatan Kabupaten Sleman", "--level", "kabupaten", "--province", "DIY",
                      "--regency", "Sleman"], data)
    assert agency.returncode == 0, agency.stderr
    agency_id = agency.stdout.strip()
    again = run_cli(["agency", "add", "Dinas Kesehatan Kabupaten Sleman", "--level", "kabupaten"], data)
    assert again.stdout.strip() == agency_id and "exists already" in again.stderr
    user = subprocess.run([sys.executable, "-m", "jippnas.cli", "user", "add", "Ani@Sleman.go.id", "--agency",
                           agency_id, "--role", "editor"], input=PASSWORD + "\n", capture_output=True, text=True,
                          env={**__import__("os").environ, "JIPPNAS_DATA_DIR": str(data)}, timeout=120)
    assert user.returncode == 0 and "ani@sleman.go.id (editor)" in user.stdout, user.stderr
    assert PASSWORD not in user.stdout + user.stderr
    curator = run_cli(["user", "add", "k@kipp.go.id", "--role", "curator"], data)
    assert curator.returncode == 2 and "needs a programme" in curator.stderr
    token = run_cli(["token", "create", "--agency", agency_id], data)
    assert token.returncode == 0 and re.fullmatch(r"jip_[\w-]{40,}", token.stdout.strip())
    assert "shown only now" in token.stderr
    bad = run_cli(["agency", "add", "Dinas X", "--level", "kabupaten", "--province", "Jawa Timur", "--regency",
                   "Atlantis"], data)
    assert bad.returncode == 2 and "error:" in bad.stderr
    cat = Catalog(f"sqlite:///{data / 'catalog.sqlite3'}")
    assert CatalogService(cat).accounts.token(token.stdout.strip()).agency_id == int(agency_id)
    cat.close()


def test_a_publication_is_searchable_at_once_on_each_engine(engine_name, tmp_path):
    rt = Runtime(engine_settings(engine_name, tmp_path / "data"))
    app = create_app(rt.settings, after_publish=lambda runtime: Indexer.for_runtime(runtime).sync())
    try:
        with TestClient(app) as client:
            svc = CatalogService(app.state.runtime.catalog)
            who = people(svc)
            _, token = svc.create_token(ADMIN, who["sleman"])
            entry_id = client.post("/api/v1/entries", json=COMPLETE, headers=bearer(token)).json()["id"]
            client.post(f"/api/v1/entries/{entry_id}/submit", json={"programmes": ["IGA"]}, headers=bearer(token))
            curator = TestClient(app)
            page = curator.get("/masuk")
            curator.post("/masuk", data={"email": "kurator@iga.go.id", "password": PASSWORD,
                                         "csrftoken": csrf_of(page.text)})
            r = curator.post(f"/api/v1/entries/{entry_id}/verify", json={},
                             headers={"X-CSRFToken": curator.cookies["csrftoken"]})
            assert r.status_code == 200, r.text
            hits = app.state.runtime.service.search(SearchRequest(q="timbang dusun", mode="keyword"))["hits"]
            assert [h["title"] for h in hits] == [COMPLETE["title"]]
            assert [e["programme"] for e in hits[0]["entries"]] == ["IGA"]
            assert client.get(f"/inovasi/{hits[0]['id']}").status_code == 200
    finally:
        if engine_name == "opensearch":
            app.state.runtime.engine.drop()
        app.state.runtime.close()
        rt.close()


def test_admins_name_the_agency_and_can_verify_then_publish_later(site):
    admin = sign_in(site, "admin@jippnas.go.id")
    headers = session_headers(admin)
    assert admin.post("/api/v1/entries", json={"title": "Tanpa instansi"}, headers=headers).status_code == 422
    r = admin.post("/api/v1/entries", json={**COMPLETE, "title": "Inovasi Malang", "agency_id": site["who"]["malang"]},
                   headers=headers)
    assert r.status_code == 201 and r.json()["agency"]["name"] == "Dinas Kesehatan Kota Malang"
    entry_id = r.json()["id"]
    admin.post(f"/api/v1/entries/{entry_id}/submit", json={"programmes": ["InoLAN"]}, headers=headers)
    assert admin.post(f"/api/v1/entries/{entry_id}/verify", json={}, headers=headers).status_code == 422  # which one?
    r = admin.post(f"/api/v1/entries/{entry_id}/verify", json={"programme": "InoLAN", "publish": False},
                   headers=headers)
    assert r.json()["status"] == "verified" and r.json()["programmes"]["InoLAN"]["status"] == "verified"
    r = admin.post(f"/api/v1/entries/{entry_id}/publish", json={"programme": "InoLAN"}, headers=headers)
    assert r.status_code == 200 and r.json()["programmes"]["InoLAN"]["published_entry_id"] == f"{entry_id}.inolan"
    assert admin.post(f"/api/v1/entries/{entry_id}/publish", json={"programme": "InoLAN"},
                      headers=headers).status_code == 409  # nothing verified is waiting


def test_the_pages_speak_english_too(site):
    assert "Sign in to enter innovations" in TestClient(site["app"]).get("/masuk?lang=en").text
    editor = sign_in(site, "editor@sleman.go.id")
    listing = editor.get("/kelola?lang=en")
    assert listing.status_code == 200 and "Manage innovations" in listing.text
    entry_id = site["client"].post("/api/v1/entries", json={"title": "In English"},
                                   headers=bearer(site["token"])).json()["id"]
    page = editor.get(f"/kelola/{entry_id}?lang=en")
    assert page.status_code == 200 and "Status per programme" in page.text and "Save draft" in page.text
    assert 'action="/kelola/' in page.text and "lang=en" in page.text
    curator = sign_in(site, "kurator@kipp.go.id")
    assert curator.get("/kelola?lang=en").status_code == 200

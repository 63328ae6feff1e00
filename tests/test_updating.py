"""Keeping data current (pemutakhiran): confirmations (berlanjut / vakum with a reason), updating
campaigns, the states and figures per agency checked against hand-computed expectations on
SQLite and PostgreSQL, the policy, the API and the /pemutakhiran page, the CSV for follow-up,
the continuing/stopped facet on both engines, and the Riwayat page."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from catalog.record import Innovation, public_author
from catalog.services import CatalogService, Identity, PermissionDenied
from catalog.store import Catalog, CatalogError, Revision
from catalog.updating import tally
from catalog.workflow import InvalidEntry
from indexer.pipeline import IMPORTER, Indexer
from search_api.facets import MISSING
from search_api.query import SearchRequest
from tests.conftest import build_runtime, engine_settings, make_settings
from tests.test_entries import ADMIN, COMPLETE, PASSWORD, bearer, csrf_of
from web.app import create_app

STEWARD = Identity("steward", frozenset({"steward"}), "cli")
NEXT_YEAR = date.today() + timedelta(days=365)
AGENCY = {"a": "Dinas Kesehatan Kabupaten Sleman", "b": "Dinas Pendidikan Kota Malang",
          "c": "Dinas Sosial Kabupaten Bantul"}
PLACE = {"a": ("DI Yogyakarta", "Sleman", "kabupaten"), "b": ("Jawa Timur", "Kota Malang", "kota"),
         "c": ("DI Yogyakarta", "Bantul", "kabupaten")}
# Six innovations: a1 a2 a3 of agency A, b1 b2 of B, c1 of C. c1 describes every aspect of the
# knowledge standard; the others only a problem, a solution and a result.
NAMES = {"a1": "=HYPERLINK(\"http://x\")", "a2": "Posyandu Keliling", "a3": "Antar Obat Lansia",
         "b1": "Sekolah Malam", "b2": "Beasiswa Anak Ojol", "c1": "Lumbung Sosial"}


def record(key: str) -> Innovation:
    province, regency, level = PLACE[key[0]]
    extra = {k: v for k, v in COMPLETE.items() if k not in ("title", "acronym", "year")} if key == "c1" else {}
    return Innovation(**{"id": f"kipp-{key}", "title": NAMES[key], "agency": AGENCY[key[0]], "agency_level": level,
                         "province": province, "regency_city": regency, "programme": "KIPP", "year": 2022,
                         "problem": f"Masalah {key}", "solution": f"Solusi {key}", "impact": f"Hasil {key}",
                         **extra})


def load(svc: CatalogService) -> dict[str, str]:
    for key in NAMES:
        svc.import_entry(IMPORTER, record(key), source="kipp", submitted=None, origin=f"file:test {key}")
    return {key: svc.catalog.resolve(f"kipp-{key}") for key in NAMES}


def editor(svc: CatalogService, key: str) -> Identity:
    agency_id = next(a["id"] for a in svc.catalog.agency_rows() if a["name"] == AGENCY[key])
    user_id = svc.add_user(ADMIN, f"editor-{key}@example.go.id", PASSWORD, "editor", agency_id)
    return Identity.of_user(svc.accounts.user(user_id), "test")


def counts(states) -> dict:
    return {s: sorted(x.innovation_id for x in states if x.state == s) for s in ("current", "stale", "stopped")}


@pytest.fixture
def svc(catalog_url):
    catalog = Catalog(catalog_url)
    yield CatalogService(catalog)
    catalog.close()


def scenario(svc: CatalogService) -> tuple[dict[str, str], object]:
    """a1 confirmed before the campaign; a2, c1 continuing and b1 stopped after it opened."""
    ids = load(svc)
    ed = {k: editor(svc, k) for k in "abc"}
    svc.confirm(ed["a"], ids["a1"], "berlanjut")
    campaign = svc.open_campaign(ADMIN, "Pemutakhiran 2026", NEXT_YEAR)
    svc.confirm(ed["a"], ids["a2"], "berlanjut")
    svc.confirm(ed["b"], "kipp-b1", "vakum", "Anggaran dihentikan sejak 2025")  # an entry id names its innovation
    svc.confirm(ed["c"], ids["c1"], "berlanjut")
    return ids, campaign


def test_states_and_figures_match_hand_computed_expectations(svc):
    ids, campaign = scenario(svc)
    assert campaign.size == 6
    states = svc.updating.states(campaign)
    i = {v: k for k, v in ids.items()}
    named = {s: sorted(i[x] for x in found) for s, found in counts(states).items()}
    # a1 was confirmed before the campaign opened: outstanding again.
    assert named == {"current": ["a2", "c1"], "stale": ["a1", "a3", "b2"], "stopped": ["b1"]}
    assert sorted(i[s.innovation_id] for s in states if s.incomplete) == ["a1", "a2", "a3", "b1", "b2"]
    totals, rows = tally(states)
    assert (totals.total, totals.current, totals.stale, totals.stopped, totals.incomplete) == (6, 2, 3, 1, 5)
    assert [(r.agency, r.total, r.current, r.outstanding, r.stopped, r.incomplete) for r in rows] == [
        (AGENCY["a"], 3, 1, 2, 0, 3), (AGENCY["b"], 2, 0, 1, 1, 2), (AGENCY["c"], 1, 1, 0, 0, 0)]
    assert sum(1 for r in rows if r.outstanding) == 2  # "3 innovations from 2 agencies still outstanding"
    stopped = next(s for s in states if s.state == "stopped")
    assert stopped.confirmation.reason == "Anggaran dihentikan sejak 2025"
    c1 = next(s for s in states if s.innovation_id == ids["c1"])
    assert c1.aspects.score == 1 and c1.aspects.missing == ()
    a2 = next(s for s in states if s.innovation_id == ids["a2"])
    assert a2.aspects.present == ("problem", "solution", "results") and a2.aspects.score == pytest.approx(0.3)

    # Without a campaign only the 12-month rule applies: a1 is current again.
    named = {s: sorted(i[x] for x in found) for s, found in counts(svc.updating.states()).items()}
    assert named == {"current": ["a1", "a2", "c1"], "stale": ["a3", "b2"], "stopped": ["b1"]}
    # Thirteen months on, every confirmation is too old, except that a stopped one stays stopped.
    later = datetime.now(timezone.utc) + timedelta(days=396)
    named = {s: sorted(i[x] for x in found) for s, found in counts(svc.updating.states(campaign, now=later)).items()}
    assert named == {"current": [], "stale": ["a1", "a2", "a3", "b2", "c1"], "stopped": ["b1"]}
    # Continuing again after a stop: the latest confirmation counts.
    svc.confirm(ADMIN, ids["b1"], "berlanjut")
    assert next(s for s in svc.updating.states(campaign) if s.innovation_id == ids["b1"]).state == "current"
    assert [c.activity for c in svc.updating.history(ids["b1"])] == ["berlanjut", "vakum"]
    assert svc.updating.activities() == {ids["a1"]: "berlanjut", ids["a2"]: "berlanjut", ids["b1"]: "berlanjut",
                                         ids["c1"]: "berlanjut"}


def test_a_campaign_over_chosen_agencies_and_the_policy(svc):
    ids = load(svc)
    ed_a, ed_b = editor(svc, "a"), editor(svc, "b")
    agency_b = ed_b.agency_id
    campaign = svc.open_campaign(ADMIN, "Kota Malang", NEXT_YEAR, agency_ids=[agency_b])
    assert campaign.size == 2 and {s.innovation_id for s in svc.updating.states(campaign)} == {ids["b1"], ids["b2"]}
    with pytest.raises(PermissionDenied):
        svc.open_campaign(ed_a, "Saya", NEXT_YEAR)
    with pytest.raises(InvalidEntry, match="past"):
        svc.open_campaign(ADMIN, "Lalu", date.today() - timedelta(days=1))
    with pytest.raises(InvalidEntry, match="no innovation"):
        svc.open_campaign(ADMIN, "Kosong", NEXT_YEAR, agency_ids=[9999])
    # Editors confirm their own agency's innovations only; nothing is written when refused.
    with pytest.raises(PermissionDenied, match="another agency"):
        svc.confirm(ed_a, ids["b1"], "berlanjut")
    curator = Identity("kurator", frozenset({"curator"}), "test", programme="KIPP")
    with pytest.raises(PermissionDenied):
        svc.confirm(curator, ids["b1"], "berlanjut")
    assert svc.updating.history(ids["b1"]) == []
    with pytest.raises(InvalidEntry, match="why"):
        svc.confirm(ed_b, ids["b1"], "vakum", "  ")
    with pytest.raises(InvalidEntry, match="one of"):
        svc.confirm(ed_b, ids["b1"], "mungkin")
    with pytest.raises(CatalogError, match="no innovation"):
        svc.confirm(ADMIN, "jip-nothing", "berlanjut")
    # The outstanding lists: an editor sees its own agency's, and may not ask for another's.
    assert {s.agency_id for s in svc.updating_states(ed_a, None)} == {ed_a.agency_id}
    with pytest.raises(PermissionDenied):
        svc.updating_states(ed_a, None, agency_b)
    assert len(svc.updating_states(ADMIN, None)) == 6


def test_confirmations_and_campaigns_follow_a_link(svc):
    ids = load(svc)
    campaign = svc.open_campaign(ADMIN, "Satu", NEXT_YEAR, innovation_ids=[ids["a3"]])
    svc.confirm(ADMIN, ids["a3"], "vakum", "Dokter pindah tugas")
    kept = svc.link(STEWARD, [ids["a2"], ids["a3"]])
    assert svc.updating.activities() == {kept: "vakum"}
    assert [s.innovation_id for s in svc.updating.states(campaign)] == [kept]


# ---------------------------------------------------------------- the web
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("updating") / "data")
    app = create_app(settings, after_publish=lambda runtime: Indexer.for_runtime(runtime).sync())
    with TestClient(app) as client:
        svc = CatalogService(app.state.runtime.catalog)
        ids, campaign = scenario(svc)
        Indexer.for_runtime(app.state.runtime).sync()
        _, token_a = svc.create_token(ADMIN, editor_agency(svc, "a"))
        svc.add_user(ADMIN, "admin@jippnas.go.id", PASSWORD, "admin")
        yield {"client": client, "app": app, "svc": svc, "ids": ids, "campaign": campaign, "token_a": token_a}
    app.state.runtime.close()


def editor_agency(svc, key: str) -> int:
    return next(a["id"] for a in svc.catalog.agency_rows() if a["name"] == AGENCY[key])


def signed_in(site, email: str) -> TestClient:
    client = TestClient(site["app"])
    page = client.get("/masuk")
    r = client.post("/masuk", data={"email": email, "password": PASSWORD, "csrftoken": csrf_of(page.text),
                                    "next": "/pemutakhiran"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client


def figures(html: str) -> dict:
    return {k: int(v.replace(".", "")) for k, v in re.findall(r'data-figure="(\w+)">([\d.]+)<', html)}


def test_the_page_and_api_show_the_figures_and_the_lists_need_an_account(site):
    c = site["client"]
    page = c.get("/pemutakhiran")
    assert page.status_code == 200
    assert "3 inovasi dari 2 instansi belum dimutakhirkan" in page.text
    assert figures(page.text) == {"total": 6, "current": 2, "stale": 3, "stopped": 1, "incomplete": 5}
    assert "Tandai vakum" not in page.text  # no lists or actions for visitors
    assert "3 innovations from 2 agencies still outstanding" in c.get("/pemutakhiran?lang=en").text

    body = c.get("/api/v1/updating").json()
    assert body["campaign"]["id"] == site["campaign"].id and body["outstanding_agencies"] == 2
    assert {k: body["totals"][k] for k in ("innovations", "current", "stale", "stopped", "incomplete")} == {
        "innovations": 6, "current": 2, "stale": 3, "stopped": 1, "incomplete": 5}
    assert [(a["agency"], a["outstanding"]) for a in body["agencies"]] == [
        (AGENCY["a"], 2), (AGENCY["b"], 1), (AGENCY["c"], 0)]
    assert c.get("/api/v1/updating?campaign=999").status_code == 404
    assert c.get("/api/v1/updating/innovations").status_code == 401
    listed = c.get("/api/v1/updating/innovations", headers=bearer(site["token_a"])).json()
    assert sorted(x["title"] for x in listed["innovations"]) == sorted([NAMES["a1"], NAMES["a3"]])
    other = c.get(f"/api/v1/updating/innovations?agency={editor_agency(site['svc'], 'b')}",
                  headers=bearer(site["token_a"]))
    assert other.status_code == 403
    assert c.get("/pemutakhiran.csv", follow_redirects=False).status_code == 303  # sign in first


def test_an_editor_confirms_and_stops_on_the_page_and_downloads_the_csv(site):
    ids = site["ids"]
    client = signed_in(site, "editor-a@example.go.id")
    page = client.get("/pemutakhiran")
    assert f"Inovasi {AGENCY['a']}" in page.text and "2 dari 3 inovasi belum dimutakhirkan" in page.text
    assert NAMES["b2"] not in page.text.split('id="per-agency"')[0]  # only its own agency's list
    sheet = list(csv.reader(io.StringIO(client.get("/pemutakhiran.csv").text.lstrip("\ufeff"))))
    assert sheet[0][:4] == ["agency_id", "agency", "innovation_id", "title"]
    assert sorted(row[3] for row in sheet[1:]) == sorted(["'" + NAMES["a1"], NAMES["a3"]])  # formula-safe
    assert all(row[1] == AGENCY["a"] and row[4] == "stale" for row in sheet[1:])

    token = csrf_of(page.text)
    refused = client.post(f"/pemutakhiran/{ids['a3']}/konfirmasi", data={"activity": "vakum", "csrftoken": token})
    assert refused.status_code == 422 and "alasan" in refused.text
    r = client.post(f"/pemutakhiran/{ids['a3']}/konfirmasi", follow_redirects=False,
                    data={"activity": "vakum", "reason": "<b>Dokter</b> pindah", "csrftoken": token})
    assert r.status_code == 303
    after = client.get(r.headers["location"])
    assert "Tercatat: inovasi vakum." in after.text and "&lt;b&gt;Dokter&lt;/b&gt; pindah" in after.text
    assert "1 dari 3 inovasi belum dimutakhirkan" in after.text
    assert client.post(f"/pemutakhiran/{ids['b2']}/konfirmasi",
                       data={"activity": "berlanjut", "csrftoken": token}).status_code == 403
    assert client.post(f"/pemutakhiran/{ids['a1']}/konfirmasi", data={"activity": "berlanjut"}).status_code == 403
    assert "2 inovasi dari 2 instansi belum dimutakhirkan" in TestClient(site["app"]).get("/pemutakhiran").text

    # The facet follows at once (the confirm syncs search).
    rt = site["app"].state.runtime
    found = rt.service.search(SearchRequest.parse({"activity": ["vakum"]}))
    assert {h["id"] for h in found["hits"]} == {ids["a3"], ids["b1"]}
    assert {v["value"]: v["count"] for v in found["facets"]["activity"]["values"]} == {"vakum": 2, "berlanjut": 3, MISSING: 1}
    profile = TestClient(site["app"]).get(f"/inovasi/{ids['a3']}").text
    assert "Vakum (berhenti)" in profile and f"/inovasi/{ids['a3']}/riwayat" in profile
    assert "confirm-box" not in profile  # a visitor is not offered the confirmation

    # On the profile itself: offered to the agency's editor only, and back to the profile.
    assert "confirm-box" not in client.get(f"/inovasi/{ids['b2']}").text  # another agency's innovation
    own = client.get(f"/inovasi/{ids['a3']}").text
    assert f"Terakhir dikonfirmasi {date.today().isoformat()}: Vakum (berhenti)." in own
    r = client.post(f"/pemutakhiran/{ids['a3']}/konfirmasi", follow_redirects=False,
                    data={"activity": "berlanjut", "from": "profile", "csrftoken": csrf_of(own)})
    assert r.status_code == 303 and r.headers["location"] == f"/inovasi/{ids['a3']}"
    after = client.get(r.headers["location"]).text
    assert "Tercatat: inovasi masih berjalan." in after and "Berlanjut" in after.split('class="activity"')[1][:40]
    r = client.post(f"/pemutakhiran/{ids['a3']}/konfirmasi", data={
        "activity": "vakum", "reason": "Dokter pindah", "from": "profile", "csrftoken": csrf_of(after)})
    assert "Tercatat: inovasi vakum." in r.text and "Vakum (berhenti)" in r.text

    # API: the record says so; confirm with the token.
    c = site["client"]
    assert c.get(f"/api/v1/innovations/{ids['a3']}").json()["activity"] == "vakum"
    assert c.get(f"/api/v1/innovations/{ids['b2']}").json()["activity"] is None
    r = c.post(f"/api/v1/innovations/{ids['a1']}/confirm", json={"activity": "berlanjut"},
               headers=bearer(site["token_a"]))
    assert r.status_code == 200 and r.json()["confirmation"]["activity"] == "berlanjut"
    assert c.post(f"/api/v1/innovations/{ids['b2']}/confirm", json={"activity": "berlanjut"},
                  headers=bearer(site["token_a"])).status_code == 403
    bad = c.post(f"/api/v1/innovations/{ids['a1']}/confirm", json={"activity": "vakum"},
                 headers=bearer(site["token_a"]))
    assert bad.status_code == 422 and bad.json()["error"]["details"]["parameter"] == "reason"
    assert c.post("/api/v1/innovations/jip-none/confirm", json={"activity": "berlanjut"},
                  headers=bearer(site["token_a"])).status_code == 404


def test_an_admin_opens_a_campaign_on_the_page(site):
    admin = signed_in(site, "admin@jippnas.go.id")
    page = admin.get("/pemutakhiran")
    assert "Buka kampanye pemutakhiran" in page.text and "Semua yang belum dimutakhirkan" in page.text
    r = admin.post("/pemutakhiran/kampanye", follow_redirects=False, data={
        "title": "Khusus Bantul", "deadline": NEXT_YEAR.isoformat(), "scope": "agencies",
        "agencies": [str(editor_agency(site["svc"], "c"))], "csrftoken": csrf_of(page.text)})
    assert r.status_code == 303
    shown = admin.get(r.headers["location"]).text
    assert "Kampanye “Khusus Bantul” dibuka untuk 1 inovasi." in shown
    # c1 was confirmed before this campaign opened: outstanding in it.
    assert "1 inovasi dari 1 instansi belum dimutakhirkan" in shown
    editor_client = signed_in(site, "editor-a@example.go.id")
    assert editor_client.post("/pemutakhiran/kampanye", data={
        "title": "x", "deadline": NEXT_YEAR.isoformat(), "csrftoken": csrf_of(editor_client.get("/pemutakhiran").text)
    }).status_code == 403
    api = site["client"].post("/api/v1/campaigns", json={"title": "x", "deadline": NEXT_YEAR.isoformat()},
                              headers=bearer(site["token_a"]))
    assert api.status_code == 403


def test_riwayat_shows_each_revision_field_by_field_escaped_and_without_contacts(site):
    svc, ids = site["svc"], site["ids"]
    long_before = "Warga " + " ".join(f"kata{n}" for n in range(40)) + " selesai."
    changed = record("c1").model_copy(update={"problem": long_before.replace("kata7", "<i>kata7</i> baru"),
                                              "contact_email": "rahasia@bantul.go.id", "title": "Lumbung <Sosial>"})
    svc.import_entry(IMPORTER, record("c1").model_copy(update={"problem": long_before}), source="kipp",
                     submitted=None, origin="file:test c1 again")
    svc.import_entry(IMPORTER, changed, source="kipp", submitted=None, origin="file:test c1 edited")
    page = site["client"].get(f"/inovasi/{ids['c1']}/riwayat")
    assert page.status_code == 200
    html = page.text
    assert "file:test c1 edited" in html and "Terbit" in html
    assert "<del>Lumbung Sosial</del>" in html and "<ins>Lumbung &lt;Sosial&gt;</ins>" in html
    assert "<del>kata7</del>" in html and "<ins>&lt;i&gt;kata7&lt;/i&gt; baru</ins>" in html  # a word diff
    assert "rahasia@bantul.go.id" not in html and "ani@dinkes.example.go.id" not in html
    assert "data kontak tidak ditampilkan" in html
    assert "berlanjut" in html.lower()  # the confirmations are listed too
    # c1 was confirmed by editor-c@example.go.id: the public sees the agency's domain, not the address
    assert "editor-c@example.go.id" not in html and "user:e…@example.go.id (test)" in html
    history = site["client"].get(f"/api/v1/innovations/{ids['c1']}/history").json()
    assert "rahasia@bantul.go.id" not in str(history) and "contact_email" not in str(history)
    assert site["client"].get("/inovasi/jip-none/riwayat").status_code == 404


def test_the_public_history_names_an_author_by_the_domain_of_the_address():
    assert public_author("user:ani@dinkes.bantulkab.go.id (web)") == "user:a…@dinkes.bantulkab.go.id (web)"
    assert public_author("token:ab12cd (api)") == "token:ab12cd (api)"
    assert public_author("user:steward (cli)") == "user:steward (cli)"
    revision = Revision("kipp-x", 1, datetime.now(timezone.utc), "user:ani@dinkes.go.id (web)", "published", {}, None)
    assert revision.public().by == "user:a…@dinkes.go.id (web)"


# ---------------------------------------------------------------- both engines
def test_the_continuing_facet_is_the_same_on_both_engines(tmp_path, engine_name):
    runtimes = [build_runtime(engine_settings(name, tmp_path / name)) for name in ("embedded", engine_name)]
    try:
        results = []
        for rt in runtimes:
            svc = CatalogService(rt.catalog)
            ids = sorted(i for i, _ in rt.catalog.published())
            for n, innovation_id in enumerate(ids[:12]):
                svc.confirm(ADMIN, innovation_id, "vakum" if n % 3 == 0 else "berlanjut", "Tidak dianggarkan")
            Indexer.for_runtime(rt).sync()
            req = SearchRequest.parse({"q": ["pelayanan"], "mode": ["keyword"], "activity": ["vakum"]})
            vakum = rt.service.search(req)
            browse = rt.service.search(SearchRequest.parse({}))
            results.append(({h["id"] for h in vakum["hits"]}, vakum["total"],
                            {v["value"]: v["count"] for v in browse["facets"]["activity"]["values"]}))
        assert results[0] == results[1]
        assert results[0][2] == {"berlanjut": 8, "vakum": 4, MISSING: len(ids) - 12}
    finally:
        for rt in runtimes:
            if rt.settings.engine == "opensearch":
                rt.engine.drop()
            rt.close()


def test_the_command_line_opens_a_campaign_and_prints_what_is_outstanding(tmp_path):
    from tests.test_pipeline import run_cli

    data = tmp_path / "data"
    catalog = Catalog(f"sqlite:///{data / 'catalog.sqlite3'}")
    svc = CatalogService(catalog)
    ids = load(svc)
    svc.confirm(ADMIN, ids["a1"], "berlanjut")
    try:
        opened = run_cli(["campaign", "open", "Pemutakhiran 2026", "--deadline", NEXT_YEAR.isoformat()], data)
        assert opened.returncode == 0, opened.stderr
        assert opened.stdout.strip() == (f"campaign 1: 'Pemutakhiran 2026', deadline {NEXT_YEAR.isoformat()}, "
                                         "6 innovations")
        svc.confirm(ADMIN, ids["a2"], "berlanjut")
        svc.confirm(ADMIN, ids["b1"], "vakum", "Anggaran dihentikan")
        svc.confirm(ADMIN, ids["c1"], "berlanjut")
        status = run_cli(["campaign", "status"], data)
        assert status.returncode == 0, status.stderr
        lines = status.stdout.splitlines()
        assert lines[1] == ("3 innovations from 2 agencies still outstanding; 2 current, 1 stopped, 5 incomplete, "
                            "of 6")
        assert [line.split()[0] for line in lines[2:]] == ["2", "1"] and AGENCY["a"] in lines[2]
        bad = run_cli(["campaign", "open", "Lalu", "--deadline", "2001-01-01"], data)
        assert bad.returncode == 2 and "in the past" in bad.stderr
    finally:
        catalog.close()


def test_campaign_form_errors_say_what_is_wrong_in_indonesian(site):
    admin = signed_in(site, "admin@jippnas.go.id")
    token = csrf_of(admin.get("/pemutakhiran").text)
    past = admin.post("/pemutakhiran/kampanye", data={"title": "Lalu", "deadline": "2001-01-01", "csrftoken": token})
    assert past.status_code == 422 and "Batas waktu sudah lewat." in past.text
    empty = admin.post("/pemutakhiran/kampanye", data={"title": "Kosong", "deadline": NEXT_YEAR.isoformat(),
                                                       "scope": "agencies", "csrftoken": token})
    assert empty.status_code == 422 and "tidak mencakup satu inovasi pun" in empty.text
    assert admin.post("/pemutakhiran/kampanye", data={"title": "x", "deadline": "besok", "csrftoken": token}
                      ).status_code == 422

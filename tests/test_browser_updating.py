"""Pemutakhiran and Riwayat in a real browser (Debian's chromium, Playwright): the admin opens a
campaign on /pemutakhiran and sees what is outstanding per agency; the editor confirms one
innovation and marks another stopped with a reason; the figures move; search's continuing/
stopped facet finds the stopped one; its profile links to the Riwayat page, which shows the
revisions field by field with a word diff. Screenshots: test-artifacts/screenshots/updating-*.png."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from tests.conftest import make_settings
from tests.test_browser import browser, shot  # noqa: F401  (the browser fixture)
from tests.test_browser_entries import PASSWORD, cli, people, serve  # noqa: F401  (the people fixture)

pytestmark = pytest.mark.browser
LONG = ("Warga lansia di kecamatan pinggiran harus antre sejak subuh di puskesmas untuk mengambil obat rutin "
        "hipertensi dan diabetes setiap bulan, padahal banyak yang tinggal sendiri dan tidak punya kendaraan.")


def kipp_file(path, problem: str) -> None:
    rows = [
        {"id_inovasi": "u-1", "judul_inovasi": "Antar Obat Lansia", "instansi": "Dinas Kesehatan Kabupaten Sleman",
         "kategori_instansi": "kabupaten", "provinsi": "DI Yogyakarta", "kabupaten_kota": "Sleman", "tahun": 2021,
         "permasalahan": problem, "solusi": "Petugas puskesmas mengantar obat ke rumah lansia sebulan sekali.",
         "hasil": "Kunjungan antre obat turun 70%."},
        {"id_inovasi": "u-2", "judul_inovasi": "Posyandu Keliling", "instansi": "Dinas Kesehatan Kabupaten Sleman",
         "kategori_instansi": "kabupaten", "provinsi": "DI Yogyakarta", "kabupaten_kota": "Sleman", "tahun": 2020,
         "permasalahan": "Balita di dusun terpencil jarang ditimbang.", "solusi": "Kader berkeliling."},
        {"id_inovasi": "u-3", "judul_inovasi": "Sekolah Malam", "instansi": "Dinas Pendidikan Kota Malang",
         "kategori_instansi": "kota", "provinsi": "Jawa Timur", "kabupaten_kota": "Kota Malang", "tahun": 2019,
         "permasalahan": "Anak pekerja putus sekolah.", "solusi": "Kelas malam di balai RW."},
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("updating-browser")
    data = root / "data"
    first = root / "kipp.json"
    kipp_file(first, LONG)
    cli(data, "index", str(first), "--quiet")
    kipp_file(first, LONG.replace("padahal banyak", "padahal sebagian besar").replace("subuh", "pukul lima pagi"))
    cli(data, "index", str(first), "--quiet")  # a second revision with a changed problem statement
    sleman = cli(data, "agency", "add", "Dinas Kesehatan Kabupaten Sleman", "--level", "kabupaten")
    cli(data, "user", "add", "editor@sleman.go.id", "--role", "editor", "--agency", sleman, password=PASSWORD)
    cli(data, "user", "add", "admin@jippnas.go.id", "--role", "admin", password=PASSWORD)
    with serve(make_settings(data)) as url:
        yield url


def headline(page) -> str:
    return page.locator("#outstanding-figure").inner_text()


def test_campaign_confirm_stop_facet_and_riwayat(site, people):  # noqa: F811
    admin = people("admin@jippnas.go.id", site)
    admin.goto(f"{site}/pemutakhiran")
    assert headline(admin) == "3 inovasi dari 2 instansi belum dimutakhirkan"
    admin.get_by_label("Nama kampanye").fill("Pemutakhiran 2026")
    admin.get_by_label("batas waktu").fill((date.today() + timedelta(days=90)).isoformat())
    admin.get_by_role("button", name="Buka kampanye pemutakhiran").click()
    admin.wait_for_url(re.compile(r"kampanye=\d+"))
    assert "Kampanye “Pemutakhiran 2026” dibuka untuk 3 inovasi." in admin.locator("p.notice").inner_text()
    rows = admin.locator("#agency-table tbody tr")
    assert rows.count() == 2 and "Dinas Kesehatan Kabupaten Sleman" in rows.nth(0).inner_text()
    shot(admin, "updating-admin")

    editor = people("editor@sleman.go.id", site)
    editor.goto(f"{site}/pemutakhiran")
    assert "2 dari 3 inovasi belum dimutakhirkan" not in editor.content()  # its own agency: 2 of 2
    assert "2 dari 2 inovasi belum dimutakhirkan" in editor.locator("#agency-figure").inner_text()
    assert editor.locator(".updating-table tbody tr").count() == 2  # only Sleman's
    row = editor.locator("tr", has_text="Posyandu Keliling")
    row.get_by_role("button", name="Masih berjalan (berlanjut)").click()
    assert "Tercatat: inovasi masih berjalan." in editor.locator("p.notice").inner_text()
    row = editor.locator("tr", has_text="Antar Obat Lansia")
    row.get_by_role("button", name="Tandai vakum").click()  # no reason: the browser asks for one, nothing is sent
    assert editor.locator("p.notice").inner_text() == "Tercatat: inovasi masih berjalan."
    row.get_by_label("Alasan berhenti").fill("Petugas pengantar dialihkan ke vaksinasi")
    row.get_by_role("button", name="Tandai vakum").click()
    assert "Tercatat: inovasi vakum." in editor.locator("p.notice").inner_text()
    assert "0 dari 2 inovasi belum dimutakhirkan" in editor.locator("#agency-figure").inner_text()
    assert headline(editor) == "1 inovasi dari 1 instansi belum dimutakhirkan"
    stopped = editor.locator("tr", has_text="Antar Obat Lansia")
    assert "Vakum" in stopped.inner_text() and "dialihkan ke vaksinasi" in stopped.inner_text()
    shot(editor, "updating-editor")
    editor.set_viewport_size({"width": 390, "height": 844})
    shot(editor, "updating-phone")
    editor.set_viewport_size({"width": 1280, "height": 900})
    assert not editor.errors and not admin.errors

    # Search: the continuing/stopped facet.
    editor.goto(f"{site}/?activity=vakum")
    assert editor.locator("ol.hits > li").count() == 1 and "Antar Obat Lansia" in editor.locator("ol.hits").inner_text()

    # The profile links to its Riwayat.
    editor.locator("ol.hits a", has_text="Antar Obat Lansia").first.click()
    assert "Vakum (berhenti)" in editor.locator("dl.facts").inner_text()
    shot(editor, "updating-profile", full_page=False)
    editor.get_by_role("link", name="Lihat riwayat perubahan").click()
    editor.wait_for_url(re.compile(r"/riwayat$"))
    assert editor.locator("h1").inner_text() == "Riwayat: Antar Obat Lansia"
    assert editor.locator("li.revision").count() == 2
    newest = editor.locator("li.revision").first
    assert newest.locator("strong").inner_text() == "kipp-u-1 · revisi 2"
    assert newest.locator("td.word-diff del").first.inner_text() == "subuh"
    assert "pukul lima pagi" in newest.locator("td.word-diff ins").first.inner_text()
    assert "Petugas pengantar dialihkan ke vaksinasi" in editor.locator("ol.confirmations").inner_text()
    shot(editor, "updating-riwayat")

    # Confirmed again on the profile itself: the box says when it was last confirmed.
    editor.go_back()
    box = editor.locator("section.confirm-box")
    assert "Vakum (berhenti)" in box.inner_text() and "Apakah inovasi ini masih berjalan" in box.inner_text()
    shot(editor, "updating-profile-confirm")
    box.get_by_role("button", name="Masih berjalan (berlanjut)").click()
    assert editor.locator("p.notice").inner_text() == "Tercatat: inovasi masih berjalan."
    assert "Berlanjut" in editor.locator("dl.facts").inner_text()
    assert not editor.errors

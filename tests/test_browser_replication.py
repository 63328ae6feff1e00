"""The replication network in a real browser (issue 12): a profile with replications and a
replication kit, the adapted-from chain, a hub page, the national map's links (by mouse and
keyboard) with its table, and the replicated facet and the "paling banyak direplikasi" sort.
Screenshots: test-artifacts/screenshots/replication-*.png."""
from __future__ import annotations

import json
import re

import pytest

from catalog.services import CatalogService, Identity
from indexer.pipeline import Indexer
from jippnas.cli import sample_paths
from search_api.runtime import Runtime
from tests.conftest import make_settings, serve_app
from tests.test_browser import browser, page, shot, total  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
ADMIN = Identity("admin", frozenset({"admin"}), via="test")
PASSWORD = "a long password for tests"

KIT = {"id": "rep-kit-1", "title": "Posyandu Keliling Sleman (Pokel)", "acronym": "Pokel",
       "agency": "Dinas Kesehatan Kabupaten Sleman", "agency_level": "kabupaten", "province": "DI Yogyakarta",
       "regency_city": "Kabupaten Sleman", "year": 2022, "sector": "Kesehatan",
       "problem": "Ibu hamil dan balita di dusun terpencil jarang datang ke posyandu karena jarak jauh.",
       "solution": "Kader dan bidan membawa posyandu keliling dengan mobil ke dusun setiap bulan.",
       "impact": "Kunjungan balita naik dua kali lipat.",
       "replicated_in": ["Kabupaten Magelang (uji coba, 2024)", "Kota Yogyakarta (2023)", "beberapa desa di luar Jawa"],
       "budget": 150000000, "budget_source": "APBD", "regulation": "Peraturan Bupati Sleman Nomor 12 Tahun 2022",
       "replication": "Satu mobil, dua kader terlatih dan jadwal kunjungan yang disepakati dusun.",
       "replication_staff": "2 kader dan 1 bidan per mobil", "replication_infrastructure": "Mobil, timbangan portabel",
       "replication_materials": ["SOP Posyandu Keliling", "https://dinkes.slemankab.go.id/pokel-panduan.pdf"],
       "contact_name": "Ani Lestari", "contact_role": "Kepala Seksi <b>Gizi</b>", "contact_unit": "Bidang Kesmas",
       "contact_email": "pokel@slemankab.go.id", "contact_website": "https://dinkes.slemankab.go.id",
       "sources": ["https://dinkes.slemankab.go.id"]}


@pytest.fixture(scope="module")
def net_site(tmp_path_factory):
    data = tmp_path_factory.mktemp("replication-site")
    extra = data / "kit.jsonl"
    extra.write_text(json.dumps(KIT, ensure_ascii=False) + "\n", encoding="utf-8")
    settings = make_settings(data / "data")
    rt = Runtime(settings)
    Indexer.for_runtime(rt).import_files([*sample_paths(), extra])
    svc = CatalogService(rt.catalog)
    padang = next(a["id"] for a in rt.catalog.agency_rows() if a["name"] == "Pemerintah Kota Padang")
    svc.add_user(ADMIN, "operator@padang.go.id", PASSWORD, "editor", agency_id=padang)
    svc.add_user(ADMIN, "kurator@kipp.go.id", PASSWORD, "curator", programme="KIPP")
    rt.close()
    with serve_app(settings) as url:
        yield url


def test_profile_with_replications_and_a_kit(page, net_site):
    page.goto(f"{net_site}/inovasi/canonical-rep-kit-1")
    page.wait_for_url(re.compile(r"/inovasi/jip-"))
    spread = page.locator("section.spread")
    assert spread.get_by_role("heading").first.inner_text() == "Replikasi (3)"
    items = spread.locator("ul.replications > li").all_inner_texts()
    assert any("Pemerintah Kabupaten Magelang" in i and "2024" in i and "Berjalan" in i for i in items)
    assert any("Pemerintah Kota Yogyakarta" in i and "Sudah diterapkan" in i for i in items)
    assert any("beberapa desa di luar Jawa" in i and "belum dikenali" in i for i in items)  # kept as text
    assert spread.locator(".by-status").inner_text() == "Berjalan: 1 Sudah diterapkan: 2"
    # the spread map: Jawa Tengah got one, DI Yogyakarta (the origin, outlined) one
    tile = spread.locator('a.tile[aria-label="Jawa Tengah: 1 catatan replikasi"]')
    assert tile.count() == 1 and tile.get_attribute("href") == "/hub/jawa-tengah"
    assert "mark-origin" in spread.locator('a.tile[href="/hub/di-yogyakarta"]').get_attribute("class")

    kit = page.locator("section.kit")
    assert kit.get_by_role("heading", name="Cara mereplikasi").is_visible()
    text = kit.inner_text()
    assert "Rp 150.000.000 · APBD" in text and "2 kader dan 1 bidan per mobil" in text
    assert "Kepala Seksi <b>Gizi</b>" in text  # escaped, shown as typed
    assert kit.locator("dd .unknown").all_inner_texts() == ["Belum diketahui"]  # time to set up
    assert "1 dari 9 hal di bawah belum diketahui" in kit.locator(".kit-gaps").inner_text()
    assert kit.get_by_role("link", name="https://dinkes.slemankab.go.id", exact=True).get_attribute("href") == \
        "https://dinkes.slemankab.go.id"
    assert "pokel@slemankab.go.id" not in text and "Ani Lestari" not in text  # the contact person is private
    assert kit.get_by_role("link", name="https://dinkes.slemankab.go.id/pokel-panduan.pdf").count() == 1
    shot(page, "replication-profile-kit")
    assert not page.errors


def test_adapted_from_chain_and_a_profile_without_a_kit(page, net_site):
    page.goto(f"{net_site}/inovasi/kipp-inv-0129")
    chain = page.locator("section.adapted")
    assert chain.get_by_role("heading", name="Diadaptasi dari").is_visible()
    chain.get_by_role("link", name=re.compile("^Sipelandukilat")).click()
    page.wait_for_url(re.compile(r"/inovasi/jip-"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Sipelandukilat")
    item = page.locator("section.spread ul.replications > li").first
    assert "Pemerintah Kabupaten Banjar" in item.inner_text()
    assert item.get_by_role("link", name=re.compile("versi mereka: Jempol Pelanduk")).count() == 1
    assert page.locator(".kit-gaps").inner_text().startswith("Belum diketahui apa yang dibutuhkan untuk mereplikasinya")
    assert page.locator("dl.kit").count() == 0
    shot(page, "replication-profile-adapted")


def test_hub_page(page, net_site):
    page.goto(f"{net_site}/hub/kalimantan-selatan")
    assert page.get_by_role("heading", level=1).inner_text() == "Hub inovasi Kalimantan Selatan"
    assert "Hub JIPP dibentuk 2020." in page.locator("p.lead").inner_text()
    into = page.locator("section[aria-labelledby=hub-in]").inner_text()
    assert "Sipelandukilat" in into and "Pemerintah Kabupaten Banjar" in into and "Kota Banjarmasin" in into
    without = page.locator("section[aria-labelledby=hub-without]")
    listed = without.locator("li").all_inner_texts()
    assert "Kabupaten Banjar" not in listed and "Kota Banjarbaru" in listed  # Banjar has published; Banjarbaru not
    assert f"({len(listed)} dari 13)" in without.get_by_role("heading").inner_text()
    page.get_by_role("link", name=re.compile(r"^Semua \d+ inovasi di Kalimantan Selatan")).click()
    page.wait_for_url(re.compile(r"/\?province=Kalimantan\+Selatan"))
    shot(page, "replication-hub-search")
    page.goto(f"{net_site}/hub/kalimantan-selatan")
    shot(page, "replication-hub")
    assert not page.errors
    assert page.goto(f"{net_site}/hub/atlantis").status == 404
    assert "Tidak ada provinsi “atlantis”" in page.locator("main").inner_text()


def test_national_map_links_keyboard_and_table(page, net_site):
    page.goto(f"{net_site}/hub")
    tiles = page.locator("figure.tilemap a.tile")
    assert tiles.count() == 38
    jatim = page.locator('a.tile[href="/hub/jawa-timur"]')
    assert re.fullmatch(r"Jawa Timur: \d+ inovasi, \d+ replikasi masuk \(punya Hub JIPP\)", jatim.get_attribute("aria-label"))
    shot(page, "replication-hubs")
    # keyboard: tab through the map to Jawa Timur and follow it with Enter
    jatim.focus()
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/hub/jawa-timur"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/hub/jawa-timur$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Hub inovasi Jawa Timur"
    page.go_back()
    page.locator('a.tile[href="/hub/aceh"]').focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/hub/sumatera-utara"
    # the table alternative: the same numbers, with a link to the filtered search
    row = page.locator("table.data tbody tr", has=page.locator("th", has_text="Jawa Timur"))
    count = int(row.locator("td.num").first.inner_text())
    row.get_by_role("link", name="Cari inovasi di Jawa Timur").click()
    page.wait_for_url(re.compile(r"province=Jawa\+Timur"))
    assert total(page) == count
    page.goto(f"{net_site}/hub?warna=replications")
    assert page.locator('a.tile[href="/hub/kalimantan-selatan"] text.n').text_content() == "2"
    shot(page, "replication-hubs-by-replications")


def test_replicated_facet_and_most_replicated_sort(page, net_site):
    page.goto(f"{net_site}/?q=kesehatan&mode=keyword")
    facet = page.locator("#facet-replicated a.fv", has_text="Sudah direplikasi")
    expected = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_url(re.compile(r"replicated=true"))
    assert total(page) == expected > 0
    assert all("Direplikasi" in t for t in page.locator("li.hit p.meta").all_inner_texts())
    page.get_by_role("link", name="Paling banyak direplikasi").click()
    page.wait_for_url(re.compile(r"sort=most_replicated"))
    counts = [int(re.search(r"Direplikasi (\d+)×", t).group(1)) for t in page.locator("li.hit p.meta").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and counts[0] == 3  # Pokel: three records
    shot(page, "replication-facet-sort")
    page.goto(f"{net_site}/masalah?q=balita+posyandu+jauh&replication_kit=true")
    titles = page.locator("li.hit h3").all_inner_texts()
    assert titles == ["Posyandu Keliling Sleman (Pokel)"]  # the only innovation with a kit
    shot(page, "replication-problem-kit")
    assert not page.errors


def _sign_in(browser, site, email):  # noqa: F811 - the browser fixture
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.goto(f"{site}/masuk")
    page.get_by_label("Alamat e-mail").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(re.compile(r"/kelola$"))
    return context, page


def test_the_innovator_records_a_replication_and_a_curator_verifies_it(browser, net_site):  # noqa: F811
    context, editor = _sign_in(browser, net_site, "operator@padang.go.id")
    editor.goto(f"{net_site}/inovasi/kipp-inv-0065")
    editor.get_by_role("link", name=re.compile("Catat replikasinya")).click()
    editor.wait_for_url(re.compile(r"/kelola/replikasi\?inovasi=jip-"))
    assert editor.get_by_text("Ayo Cegah Stunting (Ayo Ceting) — Pemerintah Kota Padang").is_visible()
    editor.get_by_label("Provinsi").select_option("Sumatera Barat")
    editor.get_by_label("Kabupaten/kota tujuan").fill("Bukit")  # not a kab/kota: refused, named, kept
    editor.get_by_label("Tahun").fill("2023")
    editor.get_by_label("Berjalan").check()
    editor.get_by_label("Apa yang diadaptasi").fill("Kelas ibu hamil, tanpa aplikasi")
    editor.get_by_role("button", name="Simpan catatan replikasi").click()
    shot(editor, "replication-form-error")
    assert editor.locator("#err-regency_city").inner_text() == "“Bukit” tidak ada dalam daftar kabupaten/kota Indonesia."
    assert editor.get_by_label("Apa yang diadaptasi").input_value() == "Kelas ibu hamil, tanpa aplikasi"
    editor.get_by_label("Kabupaten/kota tujuan").fill("Solok")  # a kabupaten and a kota of Sumatera Barat
    editor.get_by_role("button", name="Simpan catatan replikasi").click()
    assert editor.locator("#err-regency_city").inner_text() == (
        "“Solok” adalah nama lebih dari satu daerah; tulis lengkap dengan “Kabupaten” atau “Kota”. "
        "Maksud Anda: Kabupaten Solok, Kota Solok?")
    shot(editor, "replication-form-ambiguous")
    editor.get_by_label("Kabupaten/kota tujuan").fill("Kota Bukittinggi")
    editor.get_by_role("button", name="Simpan catatan replikasi").click()
    assert "menunggu verifikasi kurator" in editor.locator("p.notice").inner_text()
    shot(editor, "replication-form")
    editor.goto(f"{net_site}/inovasi/kipp-inv-0065")
    assert "Bukittinggi" not in editor.locator("section.spread").inner_text()  # not verified yet
    context.close()

    context, curator = _sign_in(browser, net_site, "kurator@kipp.go.id")
    curator.goto(f"{net_site}/kelola/replikasi")
    waiting = curator.locator("section[aria-labelledby=waiting] li")
    assert waiting.count() == 1 and "Kota Bukittinggi" in waiting.inner_text()
    waiting.get_by_role("button", name="Verifikasi dan terbitkan").click()
    assert "diverifikasi dan diterbitkan" in curator.locator("p.notice").inner_text()
    curator.goto(f"{net_site}/inovasi/kipp-inv-0065")
    spread = curator.locator("section.spread").inner_text()
    assert "Kota Bukittinggi, Sumatera Barat · 2023" in spread and "Berjalan" in spread
    context.close()

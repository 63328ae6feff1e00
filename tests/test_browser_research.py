"""Researchers and phones (issue 13) in a real browser (Debian chromium): statistics of a
search, complete facet lists and the region tree, the phone's "Saring" panel, focus after a
facet change (keyboard only), exports, and the small truths. Screenshots: research-*.png."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest

from tests.conftest import serve_app
from tests.test_browser import browser, page, shot, total  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(sample):
    with serve_app(sample.settings) as url:
        yield url


def counts(page, selector: str) -> list[int]:
    return [int(c) for c in page.locator(selector).all_inner_texts()]


def test_statistics_describe_the_search_and_link_to_it(page, site):
    page.goto(f"{site}/?q=sampah&mode=keyword&agency_level=kabupaten")
    searched = total(page)
    page.get_by_role("link", name="Statistik hasil ini").click()
    page.wait_for_url(re.compile(r"/statistik\?q=sampah"))
    assert total(page) == searched
    assert page.locator(".chips").get_by_text("Jenis instansi: Pemerintah kabupaten").is_visible()
    # each chart's bars add up to the set (every facet charted here has one value per innovation)
    for facet in ("year", "province", "agency_level", "sector"):
        assert sum(counts(page, f"#chart-{facet} ~ ol .count")) == searched, facet
    shot(page, "research-stats-search")

    # the cross-tab: rows × columns, totals, each cell opens the search for what it counts
    page.get_by_label("Baris").select_option("province")
    page.get_by_label("Kolom").select_option("programme")
    page.get_by_role("button", name="Tampilkan tabel").click()
    page.wait_for_url(re.compile(r"by_rows=province"))
    assert page.locator("#crosstab-title").inner_text() == "Provinsi × Program"
    assert page.locator("table.xtab tfoot td.sum").last.inner_text() == str(searched)
    cell = page.locator("table.xtab tbody td:not(.sum) a:not(.zero)").first
    expected = int(cell.inner_text())
    shot(page, "research-crosstab")
    cell.click()
    page.wait_for_url(re.compile(r"^[^?]*/\?"))
    assert "programme=" in page.url and "province=" in page.url and total(page) == expected

    # with download: a chart as CSV, named after the search and the day
    page.goto(f"{site}/statistik?q=sampah&mode=keyword")
    with page.expect_download() as got:
        page.get_by_role("link", name="Unduh CSV (Inovasi per provinsi)").click()
    download = got.value
    assert download.suggested_filename == f"jippnas-statistik-province-sampah-{date.today().isoformat()}.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows[0] == ["Provinsi", "Jumlah inovasi"] and sum(int(n) for _, n in rows[1:]) == total(page)
    assert not page.errors


def test_statistics_show_unknown_and_empty_years(page, site):
    page.goto(f"{site}/statistik")
    assert total(page) == 202
    years = page.locator("#chart-year ~ ol li")
    labels = [t.split("\n")[0].strip() for t in years.all_inner_texts()]
    assert labels[:3] == ["2012", "2013", "2014"] and labels[-1] == "Tidak diketahui"
    year_2013 = page.locator("#chart-year ~ ol a", has_text="2013")
    assert year_2013.locator(".count").inner_text() == "0"
    assert sum(counts(page, "#chart-year ~ ol .count")) == 202
    unknown = page.locator("#chart-province ~ ol a.unknown")
    assert unknown.locator(".count").inner_text() == "17"
    shot(page, "research-stats")
    unknown.click()
    page.wait_for_url(re.compile(r"province=-"))
    assert total(page) == 17 and page.locator(".chips").get_by_text("Provinsi: Tidak diketahui").is_visible()
    assert not page.errors


def test_facets_never_hide_values(page, site):
    page.goto(f"{site}/")
    summary = page.locator("#facet-province > summary")
    assert summary.inner_text() == "Provinsi (35 nilai)"  # 34 provinces and "tidak diketahui"
    listed = page.locator("#facet-province > ul > li > a.fv, #facet-province .more > ul > li > a.fv").count()
    assert listed == 30
    page.get_by_role("link", name="Tampilkan semua 35 Provinsi").click()
    page.wait_for_url(re.compile(r"/saring/province"))
    names = page.locator(".facet-all a.fv .name").all_inner_texts()
    assert len(names) == 35 and {"Maluku", "Maluku Utara", "Papua", "Sulawesi Utara"} <= set(names)
    shot(page, "research-all-provinces")
    page.locator(".facet-all a.fv", has_text="Maluku Utara").click()
    page.wait_for_url(re.compile(r"province=Maluku\+Utara"))
    assert total(page) == int(page.locator("#facet-province a.fv.on .count").first.inner_text()) > 0

    # every kab/kota, paged by 50, grouped under their province
    page.goto(f"{site}/saring/regency_city")
    lead = page.locator("p.lead").inner_text()
    n = int(re.match(r"(\d+)", lead).group(1))
    assert n > 50 and page.locator(".facet-all a.fv").count() == 50
    assert page.locator(".facet-all h2.group").first.is_visible()
    page.locator(".pager a", has_text="2").click()
    page.wait_for_url(re.compile(r"facet_page=2"))
    assert page.locator(".facet-all a.fv").count() == min(50, n - 50)
    shot(page, "research-all-regencies")
    assert not page.errors


def test_region_is_a_hierarchy(page, site):
    page.goto(f"{site}/")
    assert page.locator("#facet-regency_city").count() == 0  # kab/kota live under their province
    page.locator("#facet-province a.fv", has_text="Jawa Timur").first.click()
    page.wait_for_url(re.compile(r"province=Jawa\+Timur"))
    province_total = total(page)
    children = page.locator("#facet-province a.fv.on + ul.children a.fv")
    assert children.count() > 3
    kab = counts(page, "#facet-province a.fv.on + ul.children a.fv .count")
    assert sum(kab) <= province_total and max(kab) > 0
    names = page.locator("#facet-province a.fv.on + ul.children .name").all_inner_texts()
    assert all(n.startswith(("Kabupaten ", "Kota ", "Tidak diketahui")) for n in names)
    shot(page, "research-region-tree")
    first = children.first
    expected = int(first.locator(".count").inner_text())
    name = first.locator(".name").inner_text()
    first.click()
    page.wait_for_url(re.compile(r"regency_city="))
    assert total(page) == expected
    assert page.locator(".chips").get_by_text(f"Kabupaten/Kota: {name}").is_visible()
    # a kab/kota chosen without its province still shows under it
    page.goto(f"{site}/?regency_city=Kabupaten+Sleman")
    nested = page.locator("#facet-province ul.children a.fv.on .name")
    assert nested.all_inner_texts() == ["Kabupaten Sleman"]


def test_phone_filters_open_from_the_top_and_come_back(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    phone.goto(f"{site}/?q=sekolah")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    button = phone.get_by_role("button", name="Saring")
    box = button.bounding_box()
    assert box["y"] + box["height"] < 844 / 2  # in the top half of the first screen, not 4,400 px down
    first_hit = phone.locator("li.hit").first.bounding_box()["y"]
    assert first_hit < phone.locator("#saring").bounding_box()["y"]  # results stay first
    shot(phone, "research-phone", full_page=False)
    button.click()
    assert phone.locator("body.filters-open").count() == 1
    assert phone.locator("#saring").evaluate("e => getComputedStyle(e).position") == "fixed"
    assert phone.evaluate("document.activeElement.id") == "saring"
    shot(phone, "research-phone-filters", full_page=False)
    value = phone.locator("#facet-programme a.fv").first
    key = value.get_attribute("data-key")
    value.click()
    phone.wait_for_url(re.compile(r"programme="))
    phone.wait_for_function("document.activeElement && document.activeElement.dataset.key !== undefined")
    assert phone.locator("body.filters-open").count() == 1  # the panel is open again
    assert phone.evaluate("document.activeElement.dataset.key") == key
    shot(phone, "research-phone-after-facet", full_page=False)
    phone.get_by_role("link", name=re.compile(r"^Lihat \d+ hasil$")).click()
    assert phone.locator("body.filters-open").count() == 0
    context.close()


def test_phone_without_javascript_still_filters(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, java_script_enabled=False)
    phone = context.new_page()
    phone.goto(f"{site}/?q=sekolah")
    phone.get_by_role("link", name="Saring").click()  # a plain link to the filters below the results
    assert phone.url.endswith("#saring")
    link = phone.locator("#facet-programme a.fv").first
    assert link.get_attribute("href").endswith("#facet-programme")  # the reloaded page opens at the facet
    link.click()
    phone.wait_for_url(re.compile(r"programme=.*#facet-programme"))
    assert phone.evaluate("window.scrollY") > 500
    shot(phone, "research-phone-nojs", full_page=False)
    context.close()


def test_keyboard_only_focus_returns_to_the_facet(page, site):
    page.goto(f"{site}/?q=air+bersih")
    target = "is_digital:true"
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset && document.activeElement.dataset.key") == target:
            break
    else:
        pytest.fail(f"Tab never reached the facet value {target}")
    where = "document.activeElement.getBoundingClientRect().top"
    before = page.evaluate(where)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"is_digital=true"))
    page.wait_for_function(f"document.activeElement && document.activeElement.dataset.key === '{target}'")
    assert page.evaluate("document.activeElement.classList.contains('on')")  # now selected
    assert abs(page.evaluate(where) - before) < 5  # the link is where it was on the screen
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    shot(page, "research-keyboard-focus", full_page=False)
    page.keyboard.press("Enter")  # and off again, still in place
    page.wait_for_url(lambda url: "is_digital" not in url)
    page.wait_for_function(f"document.activeElement && document.activeElement.dataset.key === '{target}'")


def test_exports_people_can_open(page, site):
    page.goto(f"{site}/?q=sampah&mode=keyword&programme=KIPP")
    shown = total(page)
    with page.expect_download() as got:
        page.locator(".export a", has_text="CSV").click()
    download = got.value
    today = date.today().isoformat()
    assert download.suggested_filename == f"jippnas-ekspor-sampah-kipp-{today}.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert len(rows) == shown
    assert {r["agency_level"] for r in rows} <= {"Pemerintah kabupaten", "Pemerintah kota", "Pemerintah provinsi",
                                                 "Kementerian", "Lembaga", "BUMN", "BUMD", "Lainnya"}
    assert {r["is_digital"] for r in rows} <= {"Digital", "Non-digital", ""}
    assert all(r["url"].startswith(f"{site}/inovasi/jip-") for r in rows)
    assert "False" not in {r["is_digital"] for r in rows} and "other" not in {r["agency_level"] for r in rows}
    with page.expect_download() as got:
        page.locator(".export a", has_text="JSONL").click()
    lines = [json.loads(x) for x in open(got.value.path(), encoding="utf-8")]
    assert got.value.suggested_filename.endswith(f"-{today}.jsonl")
    assert list(lines[0]) == list(rows[0]) and len(lines) == shown  # the same columns, in the same order
    page.goto(rows[0]["url"])
    assert page.locator("h1").inner_text().startswith(rows[0]["title"])

    page.goto(f"{site}/?q=sampah&mode=keyword&lang=en")
    with page.expect_download() as got:
        page.locator(".export a", has_text="CSV").click()
    english = list(csv.DictReader(io.StringIO(open(got.value.path(), encoding="utf-8-sig").read())))
    assert got.value.suggested_filename.startswith("jippnas-export-sampah-")
    assert {r["agency_level"] for r in english} & {"Regency government", "City government", "Ministry"}


def test_small_truths(page, site):
    page.goto(f"{site}/")
    assert page.locator(".sort [aria-current]").inner_text() == "Terbaru"  # empty query: newest first
    assert page.locator(".sort").get_by_text("Relevansi").count() == 0
    page.goto(f"{site}/?q=stunting")
    assert page.locator(".sort [aria-current]").inner_text() == "Relevansi"

    # the profile's breadcrumb returns to the search; its facts link to filtered searches
    page.goto(f"{site}/?q=stunting&province=Jawa+Timur&page=1")
    title = page.locator("li.hit h3 a").first.inner_text()
    page.locator("li.hit h3 a").first.click()
    page.wait_for_url(re.compile(r"/inovasi/"))
    crumb = page.locator("nav.crumbs a", has_text="Hasil untuk “stunting”")
    assert crumb.is_visible()
    shot(page, "research-profile")
    agency = page.locator(".facts dd a").first.inner_text()
    crumb.click()
    page.wait_for_url(re.compile(r"q=stunting.*province=Jawa\+Timur"))
    assert page.locator("li.hit h3 a").first.inner_text() == title
    page.locator("li.hit h3 a").first.click()
    page.locator(".facts dd a", has_text=agency).first.click()
    page.wait_for_url(re.compile(r"agency="))
    assert total(page) >= 1 and page.locator(".chips").get_by_text(f"Instansi: {agency}").is_visible()
    assert any(h.startswith(title[:20]) for h in page.locator("li.hit h3 a").all_inner_texts())

    # /masalah: pages and "buka di pencarian"
    page.goto(f"{site}/masalah?q=sampah+menumpuk+di+pasar")
    assert page.locator("li.hit").count() == 10
    page.locator(".pager a[rel=next]").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("ol.hits").get_attribute("start") == "11" and page.locator("li.hit").count() > 0
    shot(page, "research-problem-page2")
    page.get_by_role("link", name="Buka di pencarian").click()
    page.wait_for_url(re.compile(r"^[^?]*/\?q=sampah"))
    assert total(page) > 10

    # friendly messages, an honest empty page past the last one
    page.goto(f"{site}/?year_from=2022&year_to=2019&year=abc")
    notes = page.locator(".notices").inner_text()
    assert "Rentang tahun terbalik; ditampilkan 2019–2022." in notes and "“abc” bukan angka" in notes
    assert total(page) > 0
    shot(page, "research-notices")
    page.goto(f"{site}/?page=999")
    assert "Halaman 999 tidak ada: hasil ini hanya sampai halaman 21." in page.locator(".past").inner_text()
    assert page.get_by_text("Tidak ada inovasi yang cocok").count() == 0 and page.locator("li.hit").count() == 0
    page.get_by_role("link", name="Ke halaman 21").click()
    assert page.locator("li.hit").count() == 2
    page.goto(f"{site}/?page=50")
    assert "Halaman 50 tidak ada" in page.locator(".past").inner_text()

    # /tentang: sources, how current, counts by source
    page.get_by_role("link", name="Tentang").click()
    page.wait_for_url(re.compile(r"/tentang"))
    table = page.locator("table.entries-table tbody tr")
    assert table.count() >= 4
    assert "Inovasi terbaru dari tahun 2025. Data terakhir berubah pada" in page.locator("article").inner_text()
    assert "202" in page.locator("article p strong").first.inner_text()
    shot(page, "research-about")
    assert not page.errors

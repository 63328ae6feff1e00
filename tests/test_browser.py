"""The pages and the widget in a real browser: Debian's chromium driven headless by Playwright.
Screenshots of every page go to test-artifacts/screenshots/."""
from __future__ import annotations

import functools
import http.server
import json
import re
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from indexer.pipeline import Indexer
from search_api.runtime import Runtime
from tests.conftest import IN_CI, loopback_socket, make_settings, serve_app
from tests.test_pipeline import KIPP_ROW
from tests.test_web import XSS_TITLE
from web.app import create_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def _require_browser():
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing (pip install -e '.[test]')"
    if problem and IN_CI:
        pytest.fail(f"CI=true but {problem}: browser tests must not skip")
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextmanager
def serve_dir(directory: Path):
    """A plain static server for a directory: "another portal" on its own origin."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """The host page's server starts first: the app's CORS setting needs its origin."""
    directory = tmp_path_factory.mktemp("portal")
    with serve_dir(directory) as url:
        yield directory, url


@pytest.fixture(scope="module")
def site(sample, portal):
    _, portal_url = portal
    with serve_app(sample.settings.model_copy(update={"cors_origins": portal_url})) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors
    yield page
    context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def total(page) -> int:
    return int(re.sub(r"\D", "", page.locator("p.total strong").inner_text()))


def test_search_and_facet_click_change_results_and_counts(page, site):
    page.goto(f"{site}/")
    page.get_by_label("Cari inovasi pelayanan publik").fill("stunting")
    page.get_by_label("Kata kunci").check()  # keyword mode: a facet count is exactly the filtered total
    page.get_by_role("search").get_by_role("button", name="Cari").click()
    page.wait_for_url(re.compile(r"q=stunting"))
    everything = total(page)
    assert everything > 0 and page.locator("li.hit").count() == 10
    assert page.locator("li.hit mark").count() > 0
    shot(page, "search")

    province = page.locator("#facet-province a.fv", has_text="Jawa Timur")
    count = int(province.locator(".count").inner_text())
    province.click()
    page.wait_for_url(re.compile(r"province=Jawa\+Timur"))
    assert total(page) == count < everything
    assert page.locator(".chips").get_by_text("Provinsi: Jawa Timur").is_visible()
    # the other facets are now counted inside Jawa Timur
    programme_counts = [int(c) for c in page.locator("#facet-programme .count").all_inner_texts()]
    assert sum(programme_counts) == count
    shot(page, "search-facet")

    page.locator(".chips a", has_text="Jawa Timur").click()
    page.wait_for_url(lambda url: "province" not in url)
    assert total(page) == everything
    assert not page.errors


def test_search_within_a_long_facet(page, site):
    page.goto(f"{site}/?q=masyarakat")
    box = page.get_by_label("Cari di Provinsi")
    box.fill("sulawesi")
    box.press("Enter")
    page.wait_for_url(re.compile(r"facet_q_province=sulawesi"))
    names = page.locator("#facet-province a.fv .name").all_inner_texts()
    assert names and all("Sulawesi" in n for n in names)
    assert page.get_by_label("Cari di Provinsi").input_value() == "sulawesi"
    shot(page, "facet-search")


def test_profile_shows_similar_innovations(page, site):
    page.goto(f"{site}/?q=bank+sampah")
    page.locator("li.hit h3 a").first.click()
    page.wait_for_url(re.compile(r"/inovasi/"))
    assert page.get_by_role("heading", name="Inovasi serupa").is_visible()
    similar = page.locator(".similar li.hit")
    assert similar.count() >= 3
    assert re.search(r"(Sangat mirip|Mirip|Agak mirip|Sedikit mirip): lebih mirip daripada \d+% inovasi lain", similar.first.inner_text())
    shot(page, "profile")
    first = similar.first.locator("h3 a")
    title = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text().startswith(title)


def test_problem_and_stats_pages(page, site):
    page.goto(f"{site}/masalah")
    page.get_by_label("Masalah yang Anda hadapi").fill("Banyak balita di desa kami kurang gizi")
    page.get_by_label("Jenis instansi").select_option("kabupaten")
    page.get_by_role("button", name="Cari solusi").click()
    page.wait_for_url(re.compile(r"agency_level=kabupaten"))
    hits = page.locator("li.hit")
    assert hits.count() > 0 and any("kata yang sama" in hits.nth(i).inner_text() for i in range(hits.count()))
    shot(page, "problem")

    page.goto(f"{site}/statistik")
    assert page.locator("section.chart").count() == 5
    shot(page, "stats")
    page.locator("#chart-province ~ ol a").first.click()
    page.wait_for_url(re.compile(r"province="))
    assert total(page) > 0


def test_english_toggle_keeps_the_url(page, site):
    page.goto(f"{site}/?q=sampah&programme=KIPP")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert "q=sampah" in page.url and "programme=KIPP" in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Search public-service innovations").input_value() == "sampah"
    assert page.locator(".chips").get_by_text("Programme: KIPP").is_visible()
    shot(page, "search-en")
    page.locator("li.hit h3 a").first.click()  # the language follows the links
    assert "lang=en" in page.url and page.get_by_role("heading", name="Similar innovations").is_visible()
    page.get_by_role("link", name="Bahasa Indonesia").click()
    assert "lang=" not in page.url and page.get_by_role("heading", name="Inovasi serupa").is_visible()


def test_keyboard_focus_is_visible_and_inputs_are_labelled(page, site):
    page.goto(f"{site}/?q=sampah")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Langsung ke isi"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert unlabelled == []
    shot(page, "focus")


def test_embed_page_is_compact_and_opens_links_in_a_new_tab(page, site, portal):
    directory, portal_url = portal
    (directory / "frame.html").write_text(
        f'<!doctype html><title>Portal</title><h1>Portal daerah</h1>'
        f'<iframe src="{site}/embed?q=kesehatan&province=Jawa+Tengah" width="600" height="700"></iframe>')
    page.goto(f"{portal_url}/frame.html")
    frame = page.frame_locator("iframe")
    frame.locator("li.hit").first.wait_for()
    assert frame.locator("li.hit").count() <= 5
    assert frame.locator("header.site").count() == 0
    assert frame.locator("li.hit h3 a").first.get_attribute("target") == "_blank"
    assert frame.get_by_text("Provinsi: Jawa Tengah").is_visible()
    shot(page, "embed")


def test_widget_renders_results_on_another_origin(page, site, portal):
    directory, portal_url = portal
    (directory / "widget.html").write_text(
        '<!doctype html><html><head><title>Portal</title><style>'
        ' body { font: 20px "Comic Sans MS", cursive; color: red; } a { color: orange; } li { list-style: square; }'
        ' .mine { --jippnas-accent: #8a1538; }</style></head><body><h1>Portal Kabupaten</h1><div class="mine">'
        f'<script src="{site}/widget.js" data-q="sampah pasar" data-size="4"></script></div></body></html>')
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{portal_url}/widget.html")
    hits = page.locator(".jippnas-widget li")  # Playwright's CSS pierces open shadow roots
    hits.first.wait_for()
    assert hits.count() == 4
    assert any(u.startswith(f"{site}/api/v1/search?") for u in requests)
    link = page.locator(".jippnas-widget a.title").first
    assert link.get_attribute("href").startswith(f"{site}/inovasi/")
    # isolated from the host's CSS, themed by its custom property
    style = link.evaluate("a => [getComputedStyle(a).color, getComputedStyle(a).fontFamily]")
    assert style[0] == "rgb(138, 21, 56)" and "Comic" not in style[1]
    assert page.locator(".jippnas-widget mark").count() > 0
    shot(page, "widget-portal")

    box = page.get_by_label("Cari inovasi pelayanan publik")
    box.fill("antrean ktp")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('.jippnas-widget').shadowRoot"
                           ".querySelector('.status').textContent.includes('inovasi')")
    assert hits.count() > 0 and not page.errors


def test_widget_demo_page(page, site):
    page.goto(f"{site}/widget-demo")
    widgets = page.locator(".demo .jippnas-widget")
    page.locator(".demo-themed .jippnas-widget li").first.wait_for()
    assert widgets.count() == 2
    page.frame_locator("iframe.demo-frame").locator("li.hit").first.wait_for()
    assert not page.errors  # CSP violations are reported as console errors
    shot(page, "widget-demo")


def test_api_docs_render_offline(page, site):
    """Swagger UI from local assets only (the machine has no route to any CDN), under our CSP."""
    page.goto(f"{site}/docs")
    page.locator(".opblock-summary-path", has_text="/api/v1/search").first.wait_for()
    assert page.locator(".opblock").count() >= 8
    assert not page.errors
    shot(page, "api-docs")


def test_phone_layout(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{site}/?q=stunting")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "search-phone", full_page=False)
    page.get_by_role("button", name="Saring").click()
    assert page.locator("#saring").is_visible()
    shot(page, "search-phone-filters", full_page=False)
    page.goto(f"{site}/inovasi/kipp-inv-0003")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "profile-phone", full_page=False)
    context.close()


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory, portal):
    tmp = tmp_path_factory.mktemp("xss")
    path = tmp / "kipp.json"
    path.write_text(json.dumps([{**KIPP_ROW, "judul_inovasi": XSS_TITLE, "singkatan": ""}]))
    rt = Runtime(make_settings(tmp / "data", cors_origins=portal[1]))
    Indexer.for_runtime(rt).import_files([path])
    rt.engine.close()
    with serve_app(rt.settings) as url:
        yield url


def test_script_title_is_inert(page, xss_site, portal):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{xss_site}/?q=alert")
    assert page.locator("li.hit h3 a").first.inner_text() == XSS_TITLE
    shot(page, "xss-search")
    page.locator("li.hit h3 a").first.click()
    assert page.locator("h1").inner_text() == XSS_TITLE
    shot(page, "xss-profile")

    directory, portal_url = portal
    (directory / "xss.html").write_text(
        f'<!doctype html><title>Portal</title><script src="{xss_site}/widget.js" data-q="alert"></script>')
    page.goto(f"{portal_url}/xss.html")
    title = page.locator(".jippnas-widget a.title").first
    title.wait_for()
    assert title.inner_text().startswith(XSS_TITLE)
    assert page.locator(".jippnas-widget script").count() == 0
    shot(page, "xss-widget")
    assert dialogs == []

"""Server-rendered pages (design §6): render, state in the URL, escaping, errors, headers."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from indexer.pipeline import Indexer
from tests.test_pipeline import KIPP_ROW
from web.app import create_app

XSS_TITLE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def client(sample):
    with TestClient(create_app(sample.settings)) as c:
        yield c


def links(html: str, cls: str | None = None) -> list[str]:
    pattern = r'<a class="[^"]*\b%s\b[^"]*" href="([^"]+)"' % cls if cls else r'<a[^>]* href="([^"]+)"'
    return [unescape(h) for h in re.findall(pattern, html)]


def foreign_scripts(html: str) -> list[str]:
    """Script tags other than a page's own static script file."""
    return re.findall(r'<script(?! src="/static/[a-z]+\.js" defer></script>)', html)


def total(html: str) -> int:
    return int(re.search(r'<p class="total"><strong>([\d.]+)</strong>', html).group(1).replace(".", ""))


def test_search_page_renders_hits_facets_and_highlights(client):
    r = client.get("/", params={"q": "stunting"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'lang="id"' in html and "Cari inovasi" in html and "Provinsi" in html
    assert "<mark>" in html.lower()  # API highlights rendered as markup
    assert 'href="/inovasi/' in html
    assert '<link rel="search" type="application/opensearchdescription+xml"' in html
    assert total(html) > 0


def test_facet_link_toggles_filter_and_changes_results(client):
    base = client.get("/", params={"q": "stunting"}).text
    link = next(h for h in links(base, "fv") if "province=Jawa+Timur" in h)
    filtered = client.get(link).text
    assert 0 < total(filtered) < total(base)
    assert "Provinsi: Jawa Timur" in filtered  # the chip
    chip = unescape(re.search(r'<a href="([^"]+)" title="Hapus saringan ini">Provinsi: Jawa Timur', filtered).group(1))
    assert "province" not in chip and total(client.get(chip).text) == total(base)
    # a second province adds to the selection (OR within a facet)
    other = next(h for h in links(filtered, "fv") if "province=Jawa+Tengah" in h)
    assert other.count("province=") == 2
    assert total(client.get(other).text) > total(filtered)


def test_export_link_carries_the_same_parameters(client):
    params = {"q": "sampah", "mode": "keyword", "programme": "KIPP", "year_from": "2018", "sort": "newest"}
    html = client.get("/", params=params).text
    export = next(h for h in links(html) if h.startswith("/api/v1/export") and "format=csv" in h)
    query = dict(parse_qsl(urlsplit(export).query))
    assert query == {**params, "format": "csv"}
    r = client.get(export)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = r.text.strip().splitlines()[1:]
    assert len(rows) == total(html)


def test_pagination_and_year_range(client):
    html = client.get("/", params={"size": "5"}).text
    assert 'rel="next"' in html
    nxt = re.search(r'<a rel="next" href="([^"]+)"', html).group(1)
    assert "page=2" in unescape(nxt)
    ranged = client.get("/", params={"year_from": "2020", "year_to": "2021"}).text
    assert "Rentang tahun: 2020–2021" in ranged and total(ranged) < total(html)


def test_bad_parameter_gives_a_translated_notice_not_an_error_page(client):
    r = client.get("/", params={"year": "20x0", "province": "Bali"})
    assert r.status_code == 200 and "Tahun: “20x0” bukan angka, jadi tidak dipakai." in r.text
    assert "Provinsi: Bali" in r.text and total(r.text) > 0  # the rest of the search still applies
    en = client.get("/", params={"sort": "best", "lang": "en"})
    assert en.status_code == 200 and "Sort: “best” is not one of the choices, so it was left out." in en.text
    swapped = client.get("/", params={"year_from": "2022", "year_to": "2019"}).text
    assert "Rentang tahun terbalik; ditampilkan 2019–2022." in swapped and "Rentang tahun: 2019–2022" in swapped
    assert "Parameter tidak valid" not in r.text + swapped


def test_innovation_profile_with_similar(client):
    r = client.get("/inovasi/kipp-inv-0003")
    assert r.status_code == 200
    html = r.text
    assert "Serbu Gass" in html and "Masalah" in html and "Solusi" in html
    assert "Inovasi serupa" in html and "Kemiripan" in html
    assert 'rel="noopener' in html
    assert html.count('class="hit"') >= 3


def test_old_entry_urls_redirect_to_the_innovation(client, sample):
    innovation_id = sample.catalog.resolve("kipp-inv-0003")
    r = client.get("/inovasi/kipp-inv-0003", params={"lang": "en"}, follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == f"/inovasi/{innovation_id}?lang=en"
    assert client.get(f"/inovasi/{innovation_id}", follow_redirects=False).status_code == 200
    hits = client.get("/", params={"q": "Serbu Gass"}).text
    assert f'href="/inovasi/{innovation_id}' in hits and 'href="/inovasi/kipp-inv-0003' not in hits


def test_unknown_innovation_is_404_html(client):
    r = client.get("/inovasi/kipp-does-not-exist")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Tidak ditemukan" in r.text
    assert client.get("/halaman-tidak-ada").status_code == 404


def test_problem_page(client):
    empty = client.get("/masalah")
    assert empty.status_code == 200 and "Ceritakan masalah Anda" in empty.text and "<textarea" in empty.text
    r = client.get("/masalah", params={"q": "balita kurang gizi di desa", "agency_level": "kabupaten"})
    html = r.text
    assert r.status_code == 200 and "Kemiripan" in html and "kata yang sama" in html
    assert html.count('class="hit"') > 0
    assert '<option value="kabupaten" selected>' in html


def test_stats_page_bars_link_to_filtered_search(client):
    r = client.get("/statistik")
    assert r.status_code == 200
    html = r.text
    for title in ("per tahun", "per provinsi", "per sektor", "per program"):
        assert title in html
    assert "<svg" in html and "<rect" in html
    bar = next(h for h in links(html) if h.startswith("/?province="))
    assert total(client.get(bar).text) > 0


def test_opensearch_description(client):
    r = client.get("/opensearch.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/opensearchdescription+xml")
    assert "{searchTerms}" in r.text and "<ShortName>JIPPNas</ShortName>" in r.text


def test_security_headers_and_api_still_json(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"]
    assert not foreign_scripts(r.text)  # no inline script in our pages: only our own static files
    api = client.get("/api/v1/innovations/kipp-nope")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert client.get("/static/style.css").status_code == 200


def test_script_title_renders_as_text(tmp_runtime, tmp_path):
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([{**KIPP_ROW, "judul_inovasi": XSS_TITLE, "singkatan": ""}]))
    Indexer.for_runtime(tmp_runtime).import_files([path])
    with TestClient(create_app(tmp_runtime.settings)) as c:
        search = c.get("/", params={"q": "alert"}).text
        record_id = re.search(r'href="/inovasi/([^"]+)"', search).group(1)
        profile = c.get(f"/inovasi/{record_id}").text
        for html in (search, profile, c.get("/masalah", params={"q": "balita ditimbang"}).text):
            assert not foreign_scripts(html)
            assert "&lt;script&gt;" in html


def test_engine_down_gives_indonesian_503_page(sample, monkeypatch):
    from search_api.engines import EngineUnavailable

    app = create_app(sample.settings)

    def down(*args, **kwargs):
        raise EngineUnavailable("node unreachable")

    monkeypatch.setattr(app.state.runtime.service, "search", down)
    with TestClient(app) as c:
        page = c.get("/", params={"q": "sampah"})
        assert page.status_code == 503 and "sedang tidak tersedia" in page.text
        api = c.get("/api/v1/search", params={"q": "sampah"})
        assert api.status_code == 503 and api.json()["error"]["code"] == "engine_unavailable"


def test_embed_may_be_framed_other_pages_may_not(client):
    r = client.get("/embed", params={"q": "sampah", "province": "Jawa Timur"})
    assert r.status_code == 200
    assert "frame-ancestors *" in r.headers["content-security-policy"] and "x-frame-options" not in r.headers
    html = r.text
    assert 'class="site"' not in html and html.count('class="hit"') <= 5
    assert 'target="_blank" rel="noopener"' in html
    see_all = next(h for h in links(html) if h.startswith("/?"))
    assert dict(parse_qsl(urlsplit(see_all).query)) == {"q": "sampah", "province": "Jawa Timur"}
    page = client.get("/")
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN"


def test_widget_script_and_demo(client):
    r = client.get("/widget.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in r.text and "innerHTML" not in r.text
    demo = client.get("/widget-demo").text
    assert re.search(r'<script src="http://testserver/widget\.js" [^>]*></script>', demo)
    assert "JIPPNAS_CORS_ORIGINS" in demo


def test_english_toggle_translates_and_keeps_the_url(client):
    html = client.get("/", params={"q": "sampah", "programme": "KIPP"}).text
    switch = unescape(re.search(r'<a class="lang" href="([^"]+)"', html).group(1))
    assert dict(parse_qsl(urlsplit(switch).query)) == {"q": "sampah", "programme": "KIPP", "lang": "en"}
    en = client.get(switch).text
    assert 'lang="en"' in en and "Search public-service innovations" in en and "Programme: KIPP" in en
    assert all("lang=en" in h for h in links(en, "fv"))  # the language follows every link
    assert '<input type="hidden" name="lang" value="en">' in en
    back = unescape(re.search(r'<a class="lang" href="([^"]+)"', en).group(1))
    assert "lang" not in back and "q=sampah" in back
    assert "Similar innovations" in client.get("/inovasi/kipp-inv-0003", params={"lang": "en"}).text
    assert "Innovations by province" in client.get("/statistik", params={"lang": "en"}).text
    assert "Not found" in client.get("/inovasi/nope", params={"lang": "en"}).text


def test_every_string_has_both_languages():
    from web import i18n

    from catalog.vocabularies import vocabulary
    from search_api.facets import FACETS

    assert set(i18n.TEXT["id"]) == set(i18n.TEXT["en"])
    for table in (i18n.MODES, i18n.SORTS):
        assert set(table["id"]) == set(table["en"])
    for facet in FACETS:
        assert facet.label("id") and facet.label("en")
        if facet.value_labels:
            assert set(facet.value_labels["id"]) == set(facet.value_labels["en"])
    for name in ("agency_levels", "programmes", "sectors"):
        labels = vocabulary(name).labels
        assert set(labels["id"]) == set(labels["en"]) == set(vocabulary(name).values)


def test_search_within_a_facet(client):
    html = client.get("/", params={"q": "masyarakat", "facet_q_province": "sulawesi"}).text
    block = re.search(r'<details class="facet" id="facet-province".*?</details>', html, re.S).group(0)
    names = re.findall(r'<span class="name">([^<]+)</span>', block)
    assert names and all("Sulawesi" in n for n in names)
    assert 'name="facet_q_province" type="search" value="sulawesi"' in block
    assert block.startswith('<details class="facet" id="facet-province" open>')
    none = client.get("/", params={"facet_q_province": "atlantis"}).text
    assert "Tidak ada nilai yang cocok dengan “atlantis”." in none


def test_hit_without_highlight_shows_the_excerpt(client):
    html = client.get("/", params={"province": "Bali"}).text  # no query: nothing to highlight
    assert 'class="snippet excerpt"' in html


def test_did_you_mean_links_to_the_corrected_search(client):
    page = client.get("/", params={"q": "stuntng balita", "mode": "keyword"}).text
    assert "Maksud Anda:" in page and "q=stunting+balita" in page


def test_language_link_never_leaves_the_site(client):
    """Regression (issue 9.5): on a 404 reached through //evil.example/x the language link was
    //evil.example/x?lang=en, a protocol-relative URL to another site."""
    html = client.get("/%2Fevil.example/x").text  # the server sees the path //evil.example/x
    links = re.findall(r'href="([^"]+)"', html)
    assert links and not any(link.startswith("//") for link in links)
    assert any(link.startswith("/evil.example/x") for link in links)


def test_host_header_is_not_trusted(sample, tmp_path):
    """Regression (issue 9.6): /widget-demo, /opensearch.xml and redirects used any Host."""
    with TestClient(create_app(sample.settings)) as c:
        assert c.get("/opensearch.xml", headers={"host": "evil.example"}).status_code == 400
        assert c.get("/widget-demo", headers={"host": "evil.example"}).status_code == 400
        assert "http://testserver/" in c.get("/opensearch.xml").text
    public = sample.settings.model_copy(update={"public_url": "https://jippnas.example.go.id"})
    with TestClient(create_app(public), base_url="https://jippnas.example.go.id") as c:
        xml = c.get("/opensearch.xml").text
        assert "https://jippnas.example.go.id/" in xml and "testserver" not in xml
        assert "https://jippnas.example.go.id/widget.js" in c.get("/widget-demo").text
        r = c.get("/")
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "camera=()" in r.headers["permissions-policy"]


def test_request_limits_answer_413_and_414(client):
    big = client.post("/api/v1/similar-problems", content=b"{" + b" " * 2_000_000 + b"}",
                      headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "body_too_large"
    long_url = client.get("/", params={"q": "a" * 20_000})
    assert long_url.status_code == 414 and long_url.json()["error"]["code"] == "uri_too_long"
    assert "strict-transport-security" not in client.get("/").headers  # plain http: no HSTS


def test_a_130_kb_address_gets_414_from_the_real_server(sample):
    """Regression (issue 9.4): uvicorn reset the connection instead of answering."""
    import urllib.error
    import urllib.request

    from tests.conftest import serve_app

    with serve_app(sample.settings) as url:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{url}/?q={'a' * 130_000}", timeout=10)
        assert err.value.code == 414


def test_api_docs_load_nothing_from_elsewhere(client):
    """Regression (issue 9.11): /docs and /redoc loaded unpinned scripts from a CDN."""
    r = client.get("/docs")
    assert r.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert sources and all(s.startswith("/") for s in sources)
    for asset in sources:
        assert client.get(asset).status_code == 200, asset
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "<script>" not in r.text  # no inline script
    assert client.get("/redoc").status_code == 404


def test_gibberish_gets_the_empty_page_in_every_mode(client):
    """It listed "100 inovasi" of nearest neighbours (issue 10)."""
    for mode in ("hybrid", "semantic", "keyword"):
        html = client.get("/", params={"q": "xyzzyqwerty", "mode": mode}).text
        assert "Tidak ada inovasi yang cocok" in html and 'class="hit"' not in html, mode

"""Per-client rate limits on the API and the costly pages, and the time limit per request."""
from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings, serve_app
from tests.test_browser import SHOTS, browser  # noqa: F401 - the browser fixture
from web.app import create_app

HYBRID = {"q": "anak kurang gizi"}
KEYWORD = {"q": "stunting", "mode": "keyword"}


def client_for(sample, **limits) -> TestClient:
    settings = sample.settings.model_copy(update={"rate_limit_api": "", "rate_limit_search": "",
                                                  "rate_limit_export": "", **limits})
    return TestClient(create_app(settings))


def assert_rate_limited(response) -> None:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 61
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and error["details"]["retry_after"] == retry_after


def test_searches_that_embed_are_limited_per_client(sample):
    with client_for(sample, rate_limit_search="3/minute") as client:
        for _ in range(3):
            assert client.get("/api/v1/search", params=HYBRID).status_code == 200
        assert_rate_limited(client.get("/api/v1/search", params={**HYBRID, "mode": "semantic"}))
        assert_rate_limited(client.post("/api/v1/similar-problems", json={"problem": "balita kurang gizi"}))
        # a keyword search embeds nothing: not counted against this limit
        assert client.get("/api/v1/search", params=KEYWORD).status_code == 200
        # nor is an empty query
        assert client.get("/api/v1/search", params={"q": ""}).status_code == 200


def test_every_api_request_counts_against_the_api_limit(sample):
    with client_for(sample, rate_limit_api="4/minute") as client:
        for _ in range(4):
            assert client.get("/api/v1/search", params=KEYWORD).status_code == 200
        assert_rate_limited(client.get("/api/v1/stats"))
        assert client.get("/healthz").status_code == 200  # probes are not the API
        assert client.get("/", params=KEYWORD).status_code == 200  # a keyword page search is cheap


def test_export_has_its_own_lower_limit(sample):
    with client_for(sample, rate_limit_api="100/minute", rate_limit_export="2/minute") as client:
        for _ in range(2):
            assert client.get("/api/v1/export", params={"q": "stunting", "mode": "keyword"}).status_code == 200
        limited = client.get("/api/v1/export", params={"q": "stunting", "mode": "keyword"})
        assert_rate_limited(limited)
        assert "exports" in limited.json()["error"]["message"]
        assert client.get("/api/v1/search", params=KEYWORD).status_code == 200


def test_costly_pages_answer_a_page_in_the_visitors_language(sample):
    with client_for(sample, rate_limit_search="1/minute") as client:
        assert client.get("/masalah", params={"q": "sampah menumpuk di pasar"}).status_code == 200
        page = client.get("/masalah", params={"q": "sampah menumpuk di pasar"})
        assert page.status_code == 429 and int(page.headers["retry-after"]) >= 1
        assert "text/html" in page.headers["content-type"] and "Terlalu banyak" in page.text
        english = client.get("/", params={**HYBRID, "lang": "en"})
        assert english.status_code == 429 and "Too many searches" in english.text
        assert client.get("/", params=KEYWORD).status_code == 200


def test_a_widget_on_another_portal_can_read_its_429(sample):
    with client_for(sample, rate_limit_api="1/minute", cors_origins="https://portal.example") as client:
        origin = {"Origin": "https://portal.example"}
        assert client.get("/api/v1/search", params=KEYWORD, headers=origin).status_code == 200
        limited = client.get("/api/v1/search", params=KEYWORD, headers=origin)
        assert_rate_limited(limited)
        assert limited.headers["access-control-allow-origin"] == "https://portal.example"
        assert limited.headers["x-content-type-options"] == "nosniff"  # security headers too


def test_a_bad_limit_is_refused_at_start_naming_the_variable(sample):
    with pytest.raises(ValueError, match="JIPPNAS_RATE_LIMIT_EXPORT"):
        create_app(sample.settings.model_copy(update={"rate_limit_export": "ten a minute"}))


def test_logins_and_the_api_share_one_limiter(sample):
    app = create_app(sample.settings)
    assert app.state.auth.limiter.limiter is app.state.rate_limiter


def _status(url: str, forwarded_for: str) -> int:
    request = urllib.request.Request(url, headers={"X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-proxy", "untrusted"])
def test_client_address_comes_only_from_trusted_proxies(sample, trusted):
    """Behind a trusted proxy each forwarded client has its own count; from anyone else,
    X-Forwarded-For is ignored (else a client could pick a fresh address per request)."""
    settings = sample.settings.model_copy(update={"rate_limit_api": "2/minute",
                                                  "trusted_proxies": "127.0.0.1" if trusted else ""})
    with serve_app(settings) as base:
        url = f"{base}/api/v1/search?q=stunting&mode=keyword"
        assert [_status(url, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
        assert _status(url, "203.0.113.8") == (200 if trusted else 429)


def test_a_request_that_hangs_gets_a_clean_503_in_time(tmp_path):
    """An OpenSearch node that accepts connections and never answers (a hung node): without
    a time limit the request waits for the client timeout; with one, 503 `timeout`."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # connections complete in the backlog; nothing ever reads them
    settings = make_settings(tmp_path, engine="opensearch", request_timeout=0.5,
                             opensearch_url=f"http://127.0.0.1:{hung.getsockname()[1]}")
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            started = time.monotonic()
            response = client.get("/api/v1/search", params=KEYWORD)
            elapsed = time.monotonic() - started
            assert response.status_code == 503 and response.json()["error"]["code"] == "timeout"
            assert int(response.headers["retry-after"]) > 0
            assert elapsed < 3, elapsed  # the OpenSearch client's own timeout is 5 s
            # the server goes on answering what is quick
            assert client.get("/api/v1/search", params={"q": "", "page": "x"}).status_code == 422
    finally:
        hung.close()


def test_rate_limited_page_in_the_browser(sample, browser):
    """A visitor past the limit on /masalah sees a page that says what happened and when to
    come back, in Indonesian, without JavaScript."""
    settings = sample.settings.model_copy(update={"rate_limit_search": "1/minute"})
    with serve_app(settings) as base:
        page = browser.new_page(java_script_enabled=False)
        try:
            url = f"{base}/masalah?q=sampah+menumpuk+di+pasar"
            assert page.goto(url).status == 200
            response = page.goto(url)
            assert response.status == 429 and int(response.headers["retry-after"]) >= 1
            assert "Terlalu banyak permintaan" in page.inner_text("h1")
            assert "detik" in page.inner_text("main")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "rate-limited.png"), full_page=True)
        finally:
            page.close()

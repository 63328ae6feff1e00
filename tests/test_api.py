"""HTTP API contract (design §5)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import make_settings
from web.app import create_app

HIT_KEYS = {"id", "title", "acronym", "agency", "agency_level", "province", "regency_city", "year", "programme",
            "award", "sector", "score", "highlights"}


def test_search_response_shape(api_client):
    r = api_client.get("/api/v1/search", params={"q": "anak kurang gizi", "province": "Jawa Timur"})
    assert r.status_code == 200
    body = r.json()
    assert {"query", "mode", "total", "page", "size", "took_ms", "hits", "facets"} <= set(body)
    assert body["mode"] == "hybrid" and body["total"] > 0
    assert all(HIT_KEYS <= set(h) for h in body["hits"])
    assert all(h["province"] == "Jawa Timur" for h in body["hits"])
    for facet in ("programme", "year", "province", "regency_city", "agency_level", "sector", "award", "sdg",
                  "is_digital", "stage"):
        assert {"values", "truncated"} <= set(body["facets"][facet])
    prov = {v["value"]: v for v in body["facets"]["province"]["values"]}
    assert prov["Jawa Timur"]["selected"] and len(prov) > 1  # disjunctive: other provinces still counted


def test_repeatable_filters_combine_with_or(api_client):
    one = api_client.get("/api/v1/search", params={"programme": "IGA"}).json()["total"]
    two = api_client.get("/api/v1/search", params=[("programme", "IGA"), ("programme", "InoLAN")]).json()["total"]
    assert (one, two) == (26, 34)


def test_bad_parameters_give_422_json(api_client):
    for params in ({"mode": "magic"}, {"size": "1000"}, {"page": "0"}, {"year": "20x0"}, {"sort": "random"},
                   {"page": "abc"}):
        r = api_client.get("/api/v1/search", params=params)
        assert r.status_code == 422, params
        err = r.json()["error"]
        assert err["code"] == "invalid_parameter" and err["message"]


def test_innovation_by_id_and_404(api_client):
    r = api_client.get("/api/v1/innovations/kipp-inv-0003")
    assert r.status_code == 200
    body = r.json()
    assert body["title"].startswith("Serbu Gass") and body["sources"] and body["problem"]
    assert body["id"].startswith("jip-") and body["entry_id"] == "kipp-inv-0003"
    assert [e["id"] for e in body["entries"]] == ["kipp-inv-0003"]
    assert api_client.get(f"/api/v1/innovations/{body['id']}").json() == body  # innovation id: the same answer
    missing = api_client.get("/api/v1/innovations/kipp-nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_similar_excludes_itself(api_client):
    r = api_client.get("/api/v1/innovations/iga-inv-0037/similar", params={"size": 5})
    ids = [i["id"] for i in r.json()["similar"]]
    own = api_client.get("/api/v1/innovations/iga-inv-0037").json()["id"]
    assert len(ids) == 5 and own not in ids and r.json()["id"] == own
    assert api_client.get("/api/v1/innovations/none/similar").status_code == 404


def test_history_lists_revisions_newest_first(tmp_runtime, tmp_path):
    from indexer.pipeline import Indexer
    from tests.test_pipeline import KIPP_ROW

    path = tmp_path / "kipp.json"
    for year in ("2020", "2021"):
        path.write_text(json.dumps([{**KIPP_ROW, "tahun": year}]))
        Indexer.for_runtime(tmp_runtime).import_files([path])
    with TestClient(create_app(tmp_runtime.settings)) as c:
        body = c.get("/api/v1/innovations/kipp-t-1/history").json()
        assert body["id"] == tmp_runtime.catalog.resolve("kipp-t-1")
        newest, first = body["revisions"]
        assert newest["changed"] == ["year"] and newest["changes"]["year"] == {"from": 2020, "to": 2021}
        assert newest["by"] == "file:kipp.json record 1" and newest["status"] == "published" and newest["at"]
        assert "title" in first["changed"] and first["number"] == 1
        assert c.get("/api/v1/innovations/kipp-nope/history").status_code == 404


def test_similar_problems_says_why(api_client):
    r = api_client.post("/api/v1/similar-problems", json={
        "problem": "Banyak balita di desa kami mengalami stunting dan ibu hamil kurang gizi",
        "filters": {"agency_level": ["kabupaten"]}, "size": 5})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert len(hits) == 5 and all(h["agency_level"] == "kabupaten" for h in hits)
    assert all("semantic_similarity" in h["why"] and "shared_terms" in h["why"] for h in hits)
    assert any(h["why"]["shared_terms"] for h in hits)
    bad = api_client.post("/api/v1/similar-problems", json={"problem": "x"})
    assert bad.status_code == 422
    unknown = api_client.post("/api/v1/similar-problems", json={"problem": "sampah", "filters": {"colour": "red"}})
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]["message"]


def test_stats(api_client):
    body = api_client.get("/api/v1/stats").json()
    assert body["total"] == 202
    assert {p["value"]: p["count"] for p in body["programme"]} == {"KIPP": 109, "IGA": 26, "InoLAN": 8, "other": 59}
    assert sum(p["count"] for p in body["agency_level"]) == 202
    assert {"year", "province", "sector"} <= set(body)
    assert {v["value"]: v["count"] for v in body["facets"]["year"]}["-"] == 26  # no year: counted as "-"


def test_export_streams_every_match_not_one_page(api_client):
    params = {"programme": "KIPP", "size": "5"}
    total = api_client.get("/api/v1/search", params=params).json()["total"]
    r = api_client.get("/api/v1/export", params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == total == 109
    assert all(row["programme"] == "KIPP" for row in rows)
    jl = api_client.get("/api/v1/export", params={"q": "sampah", "mode": "keyword", "format": "jsonl"})
    lines = [json.loads(x) for x in jl.text.splitlines()]
    kw_total = api_client.get("/api/v1/search", params={"q": "sampah", "mode": "keyword"}).json()["total"]
    assert len(lines) == kw_total and len({x["id"] for x in lines}) == kw_total


def test_healthz(api_client):
    assert api_client.get("/healthz").json() == {"status": "ok", "engine": "embedded", "documents": 202}


def test_openapi_lists_endpoints(api_client):
    paths = api_client.get("/openapi.json").json()["paths"]
    for p in ("/api/v1/search", "/api/v1/innovations/{innovation_id}", "/api/v1/innovations/{innovation_id}/similar",
              "/api/v1/innovations/{innovation_id}/history",
              "/api/v1/similar-problems", "/api/v1/stats", "/api/v1/export", "/healthz"):
        assert p in paths


def test_engine_down_gives_503_not_a_trace(tmp_path):
    settings = make_settings(tmp_path, engine="opensearch", opensearch_url="http://127.0.0.1:9",
                             cache_dir=tmp_path / "cache")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/search", params={"q": "sampah"})
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "engine_unavailable"
        assert "Traceback" not in r.text and "127.0.0.1" not in r.text and str(tmp_path) not in r.text
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "unavailable"
        assert "127.0.0.1" not in health.text  # no hosts or paths in bodies (issue 9.10)


def test_cors_only_for_configured_origins(sample):
    plain = TestClient(create_app(sample.settings))
    r = plain.get("/api/v1/stats", headers={"Origin": "https://portal.example.go.id"})
    assert "access-control-allow-origin" not in r.headers
    settings = sample.settings.model_copy(update={"cors_origins": "https://portal.example.go.id"})
    with TestClient(create_app(settings)) as client:
        ok = client.get("/api/v1/stats", headers={"Origin": "https://portal.example.go.id"})
        assert ok.headers["access-control-allow-origin"] == "https://portal.example.go.id"
        other = client.get("/api/v1/stats", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_export_of_a_misspelt_query_matches_the_page(api_client):
    params = {"q": "stuntng balita", "mode": "keyword"}
    page = api_client.get("/api/v1/search", params=params).json()
    assert page["suggestion"] == "stunting balita"
    lines = api_client.get("/api/v1/export", params={**params, "format": "jsonl"}).text.splitlines()
    assert len(lines) == page["total"] > 0


def test_export_cells_never_run_as_formulas(tmp_runtime, tmp_path):
    """Regression (issue 9.3): cells starting with = + - @ (or tab/CR) were written raw, so a
    record titled =HYPERLINK(...) became a live formula in the researcher's spreadsheet."""
    from indexer.pipeline import Indexer
    from tests.test_pipeline import KIPP_ROW

    payloads = {"judul_inovasi": '=HYPERLINK("http://evil.example","klik")', "singkatan": "+SUM(1,1)",
                "permasalahan": "-2+3 warga", "solusi": "@cmd|' /C calc'!A0"}
    path = tmp_path / "kipp.json"
    path.write_text(json.dumps([{**KIPP_ROW, **payloads}]))
    Indexer.for_runtime(tmp_runtime).import_files([path])
    with TestClient(create_app(tmp_runtime.settings)) as c:
        text = c.get("/api/v1/export", params={"format": "csv"}).text
    (row,) = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert row["title"] == "'" + payloads["judul_inovasi"]
    assert row["acronym"] == "'+SUM(1,1)"
    assert row["problem"] == "'-2+3 warga" and row["solution"].startswith("'@")
    assert row["agency"] == KIPP_ROW["instansi"]  # ordinary text is untouched


def test_safe_cell_covers_every_formula_start():
    from search_api.spreadsheet import safe_cell

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1") == "'" + start + "1"
    assert safe_cell("Kota Bandung") == "Kota Bandung" and safe_cell(2021) == 2021 and safe_cell("") == ""


def test_rejects_report_cells_never_run_as_formulas(tmp_runtime, tmp_path, monkeypatch):
    from indexer.pipeline import Indexer
    from tests.test_pipeline import KIPP_ROW

    monkeypatch.chdir(tmp_path)
    path = Path("=HYPERLINK(1).json")  # file names come from users too
    path.write_text(json.dumps([{**KIPP_ROW, "judul_inovasi": ""}]))
    report = Indexer.for_runtime(tmp_runtime).import_files([path])
    out = tmp_path / "rejects.csv"
    report.write_rejects(out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and rows[0]["file"] == "'=HYPERLINK(1).json" and all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())


def test_every_bad_parameter_gets_one_error_shape(api_client):
    """FastAPI's own validation (enums, bounds) and the shared SearchRequest validation
    (facet values, year ranges) answer alike: details.parameter plus every problem."""
    for params, parameter in (({"mode": "magic"}, "mode"), ({"size": "1000"}, "size"), ({"year": "20x0"}, "year"),
                              ({"page": "101"}, "page"), ({"sdg": "99"}, "sdg")):
        err = api_client.get("/api/v1/search", params=params).json()["error"]
        assert err["code"] == "invalid_parameter" and err["details"]["parameter"] == parameter, params
        assert err["details"]["problems"][0]["parameter"] == parameter and parameter in err["message"]


def test_openapi_documents_every_search_parameter_with_its_bounds(api_client):
    from search_api.facets import FACETS

    spec = api_client.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/search"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert {"q", "mode", "page", "size", "sort", "year_from", "year_to", "explain", "facet_size"} <= set(params)
    assert {f.name for f in FACETS} <= set(params)
    assert params["mode"]["schema"]["enum"] == ["hybrid", "keyword", "semantic"]
    assert params["size"]["schema"]["maximum"] == 100 and params["page"]["schema"]["minimum"] == 1
    assert {"200", "422", "503"} <= set(op["responses"])
    assert "SearchResponse" in op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    export = spec["paths"]["/api/v1/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"text/csv", "application/x-ndjson", "application/json"}
    assert {f.name for f in FACETS} <= {p["name"] for p in export["parameters"]}


def test_pages_past_ten_thousand_results_are_refused_clearly(api_client):
    """Regression (issue 9.8): deep pages past max_result_window were a 500 on OpenSearch."""
    err = api_client.get("/api/v1/search", params={"page": "101", "size": "100"}).json()["error"]
    assert err["details"]["parameter"] == "page" and "100" in err["message"]
    assert api_client.get("/api/v1/search", params={"page": "100", "size": "100"}).status_code == 200

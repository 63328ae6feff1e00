"""The HTML pages (design §6). Thin: each calls the search service the JSON API uses."""
from __future__ import annotations

import inspect
import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_api.engines import EngineUnavailable
from search_api.facets import FACETS_BY_NAME
from search_api.query import QueryError, SearchRequest
from search_api.regions import provinces

from . import labels
from .charts import charts
from .links import SearchLinks, pages_window

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescapes
templates.env.filters["label"] = lambda value, facet: labels.value_label(facet, value)
templates.env.globals.update(MODES=labels.MODES, SORTS=labels.SORTS, AGENCY_LEVELS=labels.AGENCY_LEVELS)

router = APIRouter(include_in_schema=False)

FACET_SHOWN = 8  # values listed before "N lainnya"
SIMILAR_SIZE = 6
PROBLEM_SIZE = 10
PROBLEM_FILTERS = ("province", "agency_level")


def _service(request: Request):
    return request.app.state.runtime.service


def _render(request: Request, name: str, context: dict, status: int = 200, **kwargs):
    return templates.TemplateResponse(request, name, context, status_code=status, **kwargs)


def _params(request: Request, names=None) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if names is None or key in names:
            params.setdefault(key, []).append(value)
    return params


def _sidebar(facets: dict, req: SearchRequest, links: SearchLinks) -> list[dict]:
    """Facets to show, each value with the link that toggles it."""
    selected = req.filters.values
    out = []
    for name, facet in facets.items():
        if not facet["values"]:
            continue
        if name == "regency_city" and not ({"province", "regency_city"} & set(selected)):
            continue  # kab/kota only make sense inside a province (500+ of them otherwise)
        values = [{**v, "label": labels.value_label(name, v["value"]), "href": links.toggle(name, v["value"])}
                  for v in facet["values"]]
        out.append({"name": name, "label": facet["label"], "open": name in selected or len(values) <= FACET_SHOWN,
                    "shown": values[:FACET_SHOWN], "rest": values[FACET_SHOWN:]})
    return out


def _chips(req: SearchRequest, links: SearchLinks) -> list[dict]:
    chips = [{"facet": FACETS_BY_NAME[name].label, "label": labels.value_label(name, value),
              "href": links.toggle(name, value)}
             for name, values in req.filters.values.items() for value in values]
    f = req.filters
    if f.year_from is not None or f.year_to is not None:
        span = f"{f.year_from or '…'}–{f.year_to or '…'}"
        chips.append({"facet": "Rentang tahun", "label": span, "href": links.without_years()})
    return chips


@router.get("/")
def search_page(request: Request):
    req = SearchRequest.parse(_params(request))
    result = _service(request).search(req)
    links = SearchLinks(req)
    last_page = max(1, -(-result["total"] // req.size))
    return _render(request, "search.html", {
        "req": req, "result": result, "links": links, "facets": _sidebar(result["facets"], req, links),
        "chips": _chips(req, links), "last_page": last_page,
        "pages": pages_window(req.page, last_page) if last_page > 1 else []})


@router.get("/inovasi/{record_id}")
def innovation_page(request: Request, record_id: str):
    service = _service(request)
    doc = service.get(record_id)
    if doc is None:
        return _not_found(request, f"Tidak ada inovasi dengan kode {record_id}.")
    record = next((e for e in doc.entries if e.id == record_id), doc.record)
    return _render(request, "innovation.html", {
        "doc": doc, "record": record, "entries": doc.entries if len(doc.entries) > 1 else [],
        "similar": service.similar(record_id, SIMILAR_SIZE) or []})


@router.get("/masalah")
def problem_page(request: Request):
    problem = request.query_params.get("q", "").strip()[:5000]
    filters = SearchRequest.parse(_params(request, PROBLEM_FILTERS)).filters
    result = _service(request).similar_problems(problem, filters, PROBLEM_SIZE) if len(problem) >= 3 else None
    return _render(request, "problem.html", {
        "problem": problem, "filters": filters.values, "result": result, "provinces": provinces(),
        "too_short": 0 < len(problem) < 3})


@router.get("/statistik")
def stats_page(request: Request):
    stats = _service(request).stats()
    return _render(request, "stats.html", {"total": stats["total"], "charts": charts(stats)})


@router.get("/opensearch.xml")
def opensearch(request: Request):
    return _render(request, "opensearch.xml", {"base": str(request.base_url).rstrip("/")},
                   media_type="application/opensearchdescription+xml")


def _error(request: Request, status: int, title: str, message: str):
    return _render(request, "error.html", {"status": status, "title": title, "message": message}, status)


def _not_found(request: Request, message: str = "Halaman yang Anda cari tidak ada."):
    return _error(request, 404, "Tidak ditemukan", message)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/healthz", "/openapi.json", "/docs", "/redoc"))


def install(app: FastAPI) -> None:
    """Mount the pages; errors on page URLs become Indonesian HTML pages, the API keeps its JSON."""
    app.include_router(router)

    def html_for_pages(exc_class, page):
        json_handler = app.exception_handlers[exc_class]

        async def handler(request: Request, exc: Exception):
            if _is_api(request):
                response = json_handler(request, exc)
                return await response if inspect.isawaitable(response) else response
            return page(request, exc)

        app.add_exception_handler(exc_class, handler)

    def http_page(request, exc):
        if exc.status_code == 404:
            return _not_found(request)
        return _error(request, exc.status_code, "Permintaan tidak dapat diproses", str(exc.detail))

    def unavailable_page(request, exc):
        return _error(request, 503, "Layanan pencarian sedang tidak tersedia",
                      "Mesin pencari sedang tidak dapat dihubungi. Silakan coba lagi beberapa saat lagi.")

    def unexpected_page(request, exc):
        logging.getLogger("jippnas").exception("unhandled error on %s", request.url.path)
        return _error(request, 500, "Terjadi kesalahan", "Kesalahan tak terduga; sudah dicatat.")

    html_for_pages(StarletteHTTPException, http_page)
    html_for_pages(EngineUnavailable, unavailable_page)
    html_for_pages(Exception, unexpected_page)
    app.add_exception_handler(QueryError, lambda request, exc: _error(
        request, 400, "Parameter tidak valid", f"Periksa isian “{exc.param}”: {exc.message}"))

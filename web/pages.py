"""The HTML pages (design §6). Thin: each calls the search service the JSON API uses."""
from __future__ import annotations

import inspect
import logging
from dataclasses import replace
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from catalog.regions import province_names
from search_api.engines import EngineUnavailable
from search_api.facets import FACETS_BY_NAME
from search_api.query import QueryError, SearchRequest, group_params

from . import i18n, replication_views
from .charts import charts
from .links import SearchLinks, pages_window

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")  # autoescapes
i18n.install(templates.env)

router = APIRouter(include_in_schema=False)

FACET_SHOWN = 8  # values listed before "N lainnya" (a list at most 2 longer is shown whole)
FACET_LISTED = SearchRequest().facet_size  # values a facet lists without a search within it
FACET_SEARCHED = 1000  # values fetched when searching within a facet (500+ kab/kota nationally)
FACET_SEARCHABLE = 15  # facets with more values than this get a search box
SIMILAR_SIZE = 6
PROBLEM_SIZE = 10
PROBLEM_FILTERS = ("province", "agency_level", "replication_kit")
EMBED_SIZE = 5


def _service(request: Request):
    return request.app.state.runtime.service


def _lang(request: Request) -> str:
    return i18n.language(request.query_params.get("lang"))


def _render(request: Request, name: str, context: dict, status: int = 200, **kwargs):
    lang = _lang(request)
    other = i18n.text(lang, "other_lang_code")
    url = request.url.remove_query_params("lang")
    if other != i18n.DEFAULT:
        url = url.include_query_params(lang=other)
    # One leading slash: a path like //evil.example/x would make the link leave the site.
    switch = "/" + url.path.lstrip("/") + (f"?{url.query}" if url.query else "")
    return templates.TemplateResponse(request, name, {"lang": lang, "lang_switch": switch, **context},
                                      status_code=status, **kwargs)


def _params(request: Request, names=None) -> dict[str, list[str]]:
    return group_params(request.query_params.multi_items(), names)


def _facet_queries(request: Request) -> dict[str, str]:
    """Search-within-facet terms: facet_q_<facet>=text narrows that facet's value list."""
    return {key.removeprefix("facet_q_"): value.strip() for key, value in request.query_params.items()
            if key.startswith("facet_q_") and value.strip()}


def _sidebar(facets: dict, req: SearchRequest, links: SearchLinks, queries: dict[str, str], lang: str) -> list[dict]:
    """Facets to show, each value with the link that toggles it."""
    selected = req.filters.values
    out = []
    for name, facet in facets.items():
        query = queries.get(name, "")
        rows = facet["values"]
        if query:
            needle = query.casefold()
            rows = [v for v in rows if v["selected"] or needle in i18n.value_label(name, v["value"], lang).casefold()]
        else:
            rows = rows[:FACET_LISTED]
        if not rows and not query:
            continue
        values = [{**v, "label": i18n.value_label(name, v["value"], lang), "href": links.toggle(name, v["value"])}
                  for v in rows]
        searchable = len(facet["values"]) > FACET_SEARCHABLE or bool(query)
        # A collapsed facet opens when used; kab/kota also once a province narrows it (500+ nationally).
        opened = bool(query) or name in selected or not FACETS_BY_NAME[name].collapsed or (
            name == "regency_city" and "province" in selected)
        out.append({"name": name, "label": FACETS_BY_NAME[name].label(lang), "open": opened, "query": query,
                    "searchable": searchable, "all_href": links.page(1) if query else None,
                    **_split(values, whole=bool(query) or len(values) <= FACET_SHOWN + 2)})
    return out


def _split(values: list[dict], whole: bool) -> dict:
    return {"shown": values, "rest": []} if whole else {"shown": values[:FACET_SHOWN], "rest": values[FACET_SHOWN:]}


def _chips(req: SearchRequest, links: SearchLinks, lang: str) -> list[dict]:
    chips = [{"facet": FACETS_BY_NAME[name].label(lang), "label": i18n.value_label(name, value, lang),
              "href": links.toggle(name, value)}
             for name, values in req.filters.values.items() for value in values]
    f = req.filters
    if f.year_from is not None or f.year_to is not None:
        span = f"{f.year_from or '…'}–{f.year_to or '…'}"
        chips.append({"facet": i18n.text(lang, "year_range"), "label": span, "href": links.without_years()})
    return chips


def _search(request: Request, path: str, size: int | None = None) -> dict:
    """The search state of a page URL, its results and the links around it (/ and /embed)."""
    lang = _lang(request)
    req = SearchRequest.parse(_params(request))
    if size is not None and "size" not in request.query_params:
        req = replace(req, size=size)
    queries = _facet_queries(request)
    result = _service(request).search(replace(req, facet_size=FACET_SEARCHED) if queries else req)
    links = SearchLinks(req, path, [] if lang == i18n.DEFAULT else [("lang", lang)])
    last_page = max(1, -(-result["total"] // req.size))
    return {"req": req, "result": result, "links": links, "last_page": last_page,
            "facets": _sidebar(result["facets"], req, links, queries, lang), "chips": _chips(req, links, lang),
            "pages": pages_window(req.page, last_page) if last_page > 1 else []}


@router.get("/")
def search_page(request: Request):
    return _render(request, "search.html", _search(request, "/"))


@router.get("/embed")
def embed_page(request: Request):
    """Compact results for an iframe on another site (the only page that may be framed)."""
    return _render(request, "embed.html", _search(request, "/embed", EMBED_SIZE))


@router.get("/inovasi/{some_id}")
def innovation_page(request: Request, some_id: str):
    """The profile lives at its innovation id; an entry id or a merged id redirects there."""
    service = _service(request)
    doc = service.get(some_id)
    if doc is None:
        return _not_found(request, i18n.text(_lang(request), "err_no_innovation", id=some_id))
    if doc.id != some_id:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/inovasi/{doc.id}{query}", status_code=308)
    return _render(request, "innovation.html", {
        "doc": doc, "record": doc.record, "entries": doc.entries if len(doc.entries) > 1 else [],
        "similar": service.similar(doc.id, SIMILAR_SIZE) or [],
        "net": replication_views.profile(request.app.state.runtime.catalog, doc, _lang(request))})


@router.get("/masalah")
def problem_page(request: Request):
    problem = request.query_params.get("q", "").strip()[:5000]
    filters = SearchRequest.parse(_params(request, PROBLEM_FILTERS)).filters
    result = _service(request).similar_problems(problem, filters, PROBLEM_SIZE) if len(problem) >= 3 else None
    return _render(request, "problem.html", {
        "problem": problem, "filters": filters.values, "result": result, "provinces": province_names(),
        "too_short": 0 < len(problem) < 3})


@router.get("/statistik")
def stats_page(request: Request):
    stats = _service(request).stats()
    return _render(request, "stats.html", {"total": stats["total"], "charts": charts(stats, _lang(request))})


@router.get("/widget.js")
def widget_script():
    return FileResponse(WEB_DIR / "static" / "widget.js", media_type="text/javascript; charset=utf-8")


@router.get("/widget-demo")
def widget_demo(request: Request):
    return _render(request, "widget_demo.html", {"base": _base_url(request)})


@router.get("/docs")
def api_docs(request: Request):
    """Interactive API documentation (Swagger UI), every asset from this server."""
    return templates.TemplateResponse(request, "api_docs.html", {})


@router.get("/opensearch.xml")
def opensearch(request: Request):
    return _render(request, "opensearch.xml", {"base": _base_url(request)},
                   media_type="application/opensearchdescription+xml")


def _base_url(request: Request) -> str:
    """The configured public URL; without one, the request's (its Host passed the trusted-host check)."""
    return (request.app.state.runtime.settings.public_url or str(request.base_url)).rstrip("/")


def _error(request: Request, status: int, title: str, message: str):
    """An error page; title (and message, unless given as text) are i18n keys."""
    lang = _lang(request)
    return _render(request, "error.html", {"status": status, "title": i18n.text(lang, title),
                                           "message": message}, status)


def _not_found(request: Request, message: str | None = None):
    return _error(request, 404, "err_not_found", message or i18n.text(_lang(request), "err_not_found_msg"))


def rate_limited_page(request: Request, retry_after: int):
    """What a visitor sees past a rate limit (web/throttle.py)."""
    return _error(request, 429, "err_rate_limited", i18n.text(_lang(request), "err_rate_limited_msg",
                                                               seconds=retry_after))


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/healthz", "/readyz", "/openapi.json", "/docs"))


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
        return _error(request, exc.status_code, "err_request", str(exc.detail))

    def unavailable_page(request, exc):
        return _error(request, 503, "err_unavailable", i18n.text(_lang(request), "err_unavailable_msg"))

    def unexpected_page(request, exc):
        logging.getLogger("jippnas").exception("unhandled error on %s", request.url.path)
        return _error(request, 500, "err_unexpected", i18n.text(_lang(request), "err_unexpected_msg"))

    html_for_pages(StarletteHTTPException, http_page)
    html_for_pages(EngineUnavailable, unavailable_page)
    html_for_pages(Exception, unexpected_page)
    app.add_exception_handler(QueryError, lambda request, exc: _error(
        request, 400, "err_param", i18n.text(_lang(request), "err_param_msg", param=exc.param, message=exc.message)))

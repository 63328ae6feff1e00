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

from urllib.parse import parse_qsl, urlencode

from catalog.regions import province_names
from search_api import statistics
from search_api.engines import EngineUnavailable
from search_api.facets import CHILDREN, FACETS_BY_NAME, MISSING
from search_api.query import MAX_PAGE, QueryError, SearchRequest, group_params
from search_api.search import STATS_VALUES

from . import auth, i18n, replication_views
from .charts import charts, cross_table, csv_response
from .links import BACK, SearchLinks, facet_search, pages_window

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")  # autoescapes
i18n.install(templates.env)

router = APIRouter(include_in_schema=False)

FACET_SHOWN = 8  # values listed before "N lainnya" (a list at most 2 longer is shown whole)
FACET_LISTED = SearchRequest().facet_size  # values a facet lists without a search within it
FACET_SEARCHED = 1000  # values fetched when searching within a facet (500+ kab/kota nationally)
FACET_SEARCHABLE = 15  # facets with more values than this get a search box
FACET_PAGE = 50  # values per page of a facet's complete list (/saring/<facet>)
SIMILAR_SIZE = 6
PROBLEM_SIZE = 10
PROBLEM_FILTERS = ("province", "agency_level", "replication_kit")
EMBED_SIZE = 5
DEFAULT_CROSSTAB = ("year", "province")


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


def _flash(request: Request, key: str, **values) -> None:
    """A notice for the page a form redirects to (once)."""
    request.session["flash"] = [key, values]


def _take_flash(request: Request) -> str | None:
    found = request.session.pop("flash", None) if "session" in request.scope else None
    return i18n.text(_lang(request), found[0], **found[1]) if found else None


def _params(request: Request, names=None) -> dict[str, list[str]]:
    return group_params(request.query_params.multi_items(), names)


def _facet_queries(request: Request) -> dict[str, str]:
    """Search-within-facet terms: facet_q_<facet>=text narrows that facet's value list."""
    return {key.removeprefix("facet_q_"): value.strip() for key, value in request.query_params.items()
            if key.startswith("facet_q_") and value.strip()}


def _sidebar(facets: dict, req: SearchRequest, links: SearchLinks, queries: dict[str, str], lang: str) -> list[dict]:
    """Facets to show, each value with the link that toggles it; a facet's children (kab/kota
    under province) are nested under their parent's value when it is selected or holds a
    selected child, and are not listed on their own."""
    selected = req.filters.values
    out = []
    for name, facet in facets.items():
        declared = FACETS_BY_NAME[name]
        if declared.parent:
            continue
        query = queries.get(name, "")
        rows = facet["values"]
        if not query and name not in selected and all(v["value"] == MISSING for v in rows):
            continue  # nothing to choose between
        if query:
            needle = query.casefold()
            rows = [v for v in rows if v["selected"] or needle in i18n.value_label(name, v["value"], lang).casefold()]
        else:  # the most frequent, and every selected value wherever it ranks
            rows = rows[:FACET_LISTED] + [v for v in rows[FACET_LISTED:] if v["selected"]]
        if not rows and not query:
            continue
        child = CHILDREN.get(name)
        values = [_value(name, v, links, lang) for v in rows]
        if child:
            _nest(values, facets[child], FACETS_BY_NAME[child], req, links, lang)
        searchable = len(facet["values"]) > FACET_SEARCHABLE or bool(query)
        # A collapsed facet opens when used.
        opened = bool(query) or name in selected or not declared.collapsed
        out.append({"name": name, "label": declared.label(lang), "open": opened, "query": query,
                    "searchable": searchable, "all_href": links.page(1) if query else None,
                    "distinct": facet["distinct"],
                    "complete_href": links.at(f"/saring/{name}") if facet["distinct"] > len(rows) else None,
                    "child": {"label": FACETS_BY_NAME[child].label(lang), "distinct": facets[child]["distinct"],
                              "href": links.at(f"/saring/{child}")} if child else None,
                    **_split(values, whole=bool(query) or len(values) <= FACET_SHOWN + 2)})
    return out


def _value(name: str, v: dict, links: SearchLinks, lang: str, anchor: str | None = None) -> dict:
    return {**v, "label": i18n.value_label(name, v["value"], lang), "key": f"{name}:{v['value']}",
            "href": f"{links.toggle(name, v['value'])}#facet-{anchor or name}", "children": []}


def _nest(parents: list[dict], counts: dict, child, req: SearchRequest, links: SearchLinks, lang: str) -> None:
    """Kab/kota under their province: for a selected province every kab/kota of it in the set
    (they are counted inside it), for another province only its selected kab/kota."""
    chosen = set(req.filters.values.get(child.parent, ()))
    by_parent: dict[str | None, list[dict]] = {}
    for v in counts["values"]:
        if v["value"] != MISSING:
            by_parent.setdefault(child.parent_of(v["value"]), []).append(v)
    for parent in parents:
        kids = by_parent.get(parent["value"], [])
        if parent["value"] not in chosen:
            kids = [k for k in kids if k["selected"]]
        parent["children"] = [_value(child.name, k, links, lang, anchor=child.parent) for k in kids]


def _split(values: list[dict], whole: bool) -> dict:
    """The values shown at once (selected ones always) and the rest, behind "N lainnya"."""
    if whole:
        return {"shown": values, "rest": []}
    rest = values[FACET_SHOWN:]
    return {"shown": values[:FACET_SHOWN] + [v for v in rest if v["selected"]],
            "rest": [v for v in rest if not v["selected"]]}


def _chips(req: SearchRequest, links: SearchLinks, lang: str) -> list[dict]:
    chips = [{"facet": FACETS_BY_NAME[name].label(lang), "label": i18n.value_label(name, value, lang),
              "href": links.toggle(name, value)}
             for name, values in req.filters.values.items() for value in values]
    f = req.filters
    if f.year_from is not None or f.year_to is not None:
        span = f"{f.year_from or '…'}–{f.year_to or '…'}"
        chips.append({"facet": i18n.text(lang, "year_range"), "label": span, "href": links.without_years()})
    return chips


FIELD_LABELS = {"q": "search_label", "mode": "mode_legend", "sort": "sort_label", "size": "size_label",
                "page": "page_label", "year_from": "year_from_label", "year_to": "year_to_label", "by": "crosstab"}


def _lenient(request: Request, names=None) -> tuple[SearchRequest, list[str], int | None]:
    """A page's search state, never an error page: a bad value is left out and a notice in
    the page's language says which and why; a reversed year range is read the right way round
    (saying so). Also returns the page asked for when it is past the pages a search has."""
    lang = _lang(request)
    params = _params(request, names)
    notices: list[str] = []
    too_far = None
    while True:
        try:
            req = SearchRequest.parse(params)
            break
        except QueryError as exc:
            kept = [v for v in params.get(exc.param, []) if v != exc.value]
            if len(kept) == len(params.get(exc.param, [])):  # the value was normalised: drop the parameter
                kept = []
            params[exc.param] = kept
            if exc.code == "too_far":
                too_far = int(exc.value)
                continue
            notices.append(_notice(exc, lang))
    if req.filters.year_from is not None and req.filters.year_to is not None:
        given = [v for v in params.get("year_from", []) if v.strip()]
        if given and int(given[-1]) == req.filters.year_to != req.filters.year_from:
            notices.append(i18n.text(lang, "years_swapped", low=req.filters.year_from, high=req.filters.year_to))
    return req, notices, too_far


def _notice(exc: QueryError, lang: str) -> str:
    facet = FACETS_BY_NAME.get(exc.param)
    label = facet.label(lang) if facet else i18n.text(lang, FIELD_LABELS.get(exc.param, "search_label"))
    reason = i18n.text(lang, f"bad_{exc.code}") if i18n.has_text(f"bad_{exc.code}") else i18n.text(lang, "bad_invalid")
    return i18n.text(lang, "bad_value", label=label, value=exc.value or "", reason=reason)


def _search(request: Request, path: str, size: int | None = None) -> dict:
    """The search state of a page URL, its results and the links around it (/ and /embed)."""
    lang = _lang(request)
    req, notices, too_far = _lenient(request)
    if size is not None and "size" not in request.query_params:
        req = replace(req, size=size)
    queries = _facet_queries(request)
    result = _service(request).search(replace(req, facet_size=FACET_SEARCHED))
    links = SearchLinks(req, path, [] if lang == i18n.DEFAULT else [("lang", lang)])
    last_page = max(1, -(-result["total"] // req.size))
    past = too_far or (req.page if req.page > last_page and result["total"] else None)
    if past:
        result["hits"] = []
    return {"req": req, "result": result, "links": links, "last_page": last_page, "notices": notices,
            "past_page": past, "shown_sort": req.sort if req.q or req.sort != "relevance" else "newest",
            "selected_count": sum(len(v) for v in req.filters.values.values()),
            "facets": _sidebar(result["facets"], req, links, queries, lang), "chips": _chips(req, links, lang),
            "pages": pages_window(min(req.page, last_page), last_page) if last_page > 1 else []}


def _with(url: str, pairs: list[tuple[str, object]]) -> str:
    """``url`` with more query parameters."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(pairs)}" if pairs else url


@router.get("/")
def search_page(request: Request):
    return _render(request, "search.html", _search(request, "/"))


@router.get("/embed")
def embed_page(request: Request):
    """Compact results for an iframe on another site (the only page that may be framed)."""
    return _render(request, "embed.html", _search(request, "/embed", EMBED_SIZE))


@router.get("/saring/{facet}")
def facet_page(request: Request, facet: str):
    """Every value of one facet over the search's result set, paged, each linking to the
    search with it toggled: the list the sidebar shortens, never cut."""
    declared = FACETS_BY_NAME.get(facet)
    if declared is None:
        return _not_found(request)
    lang = _lang(request)
    req, notices, _ = _lenient(request)
    result = _service(request).search(replace(req, page=1, size=1, facet_size=STATS_VALUES))
    links = SearchLinks(replace(req, page=1), "/", [] if lang == i18n.DEFAULT else [("lang", lang)])
    query = request.query_params.get("facet_q", "").strip()
    values = [_value(facet, v, links, lang, anchor=declared.parent) for v in result["facets"][facet]["values"]]
    if query:
        values = [v for v in values if query.casefold() in v["label"].casefold()]
    if declared.parent_of:  # grouped under their parent (kab/kota by province), biggest first within
        for v in values:
            v["parent"] = declared.parent_of(v["value"]) if v["value"] != MISSING else MISSING
        values.sort(key=lambda v: (v["parent"] == MISSING, v["parent"] is None, v["parent"] or "", -v["count"],
                                   v["label"]))
    try:
        page = max(1, int(request.query_params.get("facet_page", "1")))
    except ValueError:
        page = 1
    last = max(1, -(-len(values) // FACET_PAGE))
    page = min(page, last)
    here = [("facet_q", query)] if query else []
    return _render(request, "facet.html", {
        "facet": declared, "req": req, "links": links, "notices": notices, "query": query,
        "values": values[(page - 1) * FACET_PAGE : page * FACET_PAGE], "count": len(values), "page": page,
        "last_page": last, "pages": pages_window(page, last) if last > 1 else [],
        "page_href": lambda n: _with(links.at(f"/saring/{facet}"), here + [("facet_page", n)]),
        "back_href": links.page(1), "carried": links.hidden()})


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
    lang = _lang(request)
    keep = [] if lang == i18n.DEFAULT else [("lang", lang)]
    back = None
    try:  # the search it was opened from: parsed, so only a search state can come back out
        found_by = SearchRequest.parse(group_params(parse_qsl(request.query_params.get(BACK, ""))))
        if found_by != SearchRequest():
            back = {"href": SearchLinks(found_by, "/", keep).page(found_by.page), "q": found_by.q}
    except QueryError:
        pass
    record = doc.record
    facet_links = {name: facet_search(name, value, keep) for name, value in (
        ("agency", record.agency), ("agency_level", record.agency_level), ("province", record.province),
        ("regency_city", record.regency_city), ("sector", record.sector), ("programme", record.programme),
        ("year", str(record.year) if record.year else None)) if value}
    return _render(request, "innovation.html", {
        "doc": doc, "record": record, "entries": doc.entries if len(doc.entries) > 1 else [],
        "back": back, "facet_links": facet_links, "similar": service.similar(doc.id, SIMILAR_SIZE) or [],
        "net": replication_views.profile(request.app.state.runtime.catalog, doc, _lang(request)),
        "confirming": _confirming(request, doc.id), "flash": _take_flash(request)})


def _confirming(request: Request, innovation_id: str) -> dict | None:
    """For an account that may confirm this innovation (its agency's editor, an admin): the
    latest confirmation, so the profile can offer "still running" / "stopped" in place."""
    identity = auth.web_identity(request)
    svc = auth.service(request)
    if identity is None or not svc.may_confirm(identity, innovation_id):
        return None
    latest = svc.updating.history(innovation_id)[:1]
    return {"latest": latest[0] if latest else None}


@router.get("/masalah")
def problem_page(request: Request):
    lang = _lang(request)
    problem = request.query_params.get("q", "").strip()[:5000]
    req, notices, too_far = _lenient(request, (*PROBLEM_FILTERS, "page"))
    filters = req.filters
    result = None
    if len(problem) >= 3:
        result = _service(request).similar_problems(problem, filters, PROBLEM_SIZE, page=min(req.page, MAX_PAGE))
    state = SearchRequest(q=problem, filters=filters)
    keep = [] if lang == i18n.DEFAULT else [("lang", lang)]
    links = SearchLinks(replace(state, size=PROBLEM_SIZE, page=req.page), "/masalah", keep)
    last_page = max(1, -(-result["total"] // PROBLEM_SIZE)) if result else 1
    return _render(request, "problem.html", {
        "problem": problem, "filters": filters.values, "result": result, "provinces": province_names(),
        "too_short": 0 < len(problem) < 3, "notices": notices, "page": req.page, "last_page": last_page,
        "links": links, "pages": pages_window(min(req.page, last_page), last_page) if last_page > 1 else [],
        "in_search": SearchLinks(state, "/", keep).page(1), "past_page": too_far or (
            req.page if result and result["total"] and req.page > last_page else None),
        "first": (req.page - 1) * PROBLEM_SIZE + 1})


@router.get("/statistik")
def stats_page(request: Request):
    """Charts and a cross-tabulation of the innovations a search finds (the same parameters
    as the search page): every bar and cell links to the search for what it counts."""
    return _render(request, "stats.html", _stats(request))


@router.get("/statistik.csv")
def stats_csv(request: Request):
    """One chart (``facet``) or the cross-tabulation (``by``) as CSV, labels in the page's language."""
    context = _stats(request)
    lang = _lang(request)
    facet = request.query_params.get("facet")
    if facet:
        chart = next((c for c in context["charts"] if c.facet == facet), None)
        if chart is None:
            return _not_found(request)
        return csv_response(chart, lang, context["req"])
    return csv_response(context["crosstab"], lang, context["req"])


def _stats(request: Request) -> dict:
    lang = _lang(request)
    req, notices, _ = _lenient(request)
    req = replace(req, page=1)
    given = request.query_params
    raw_by = given.get("by") or (f"{given.get('by_rows')},{given.get('by_columns')}"
                                 if given.get("by_rows") and given.get("by_columns") else None)
    pair = DEFAULT_CROSSTAB
    try:
        pair = statistics.parse_by(raw_by) or DEFAULT_CROSSTAB
    except QueryError as exc:
        notices.append(_notice(exc, lang))
    counted = _service(request).stats(req, pair)
    keep = [] if lang == i18n.DEFAULT else [("lang", lang)]
    links = SearchLinks(req, "/", keep)
    return {"req": req, "notices": notices, "total": counted["total"], "links": links,
            "charts": charts(counted, req, links, lang), "by": pair,
            "crosstab": cross_table(counted, req, links, pair, lang),
            "chips": _chips(req, SearchLinks(req, "/statistik", keep), lang),
            "csv_href": lambda **extra: _with(links.at("/statistik.csv"), list(extra.items())),
            "carried": SearchLinks(req, "/statistik", keep).hidden(),
            "facet_choices": [(f.name, f.label(lang)) for f in FACETS_BY_NAME.values()]}


@router.get("/tentang")
def about_page(request: Request):
    """Where the data comes from and how current it is."""
    catalog = request.app.state.runtime.catalog
    sources = catalog.source_summary()
    counted = _service(request).stats(SearchRequest())
    years = [int(v) for v, _ in counted["facets"]["year"] if v != MISSING]
    return _render(request, "about.html", {
        "sources": sources, "newest": max((s["newest"] for s in sources), default=None),
        "newest_year": max(years, default=None), "total": counted["total"]})


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

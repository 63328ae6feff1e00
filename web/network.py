"""Pages of the replication network: the national hub map (/hub) and each province's hub
page (/hub/{province slug}). Plain HTML and server-side SVG; no JavaScript."""
from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from catalog.regions import province_by_slug, slug

from . import i18n, replication_views
from .pages import _lang, _not_found, _render

router = APIRouter(include_in_schema=False)
COLOURS = ("innovations", "replications")


def _runtime(request: Request):
    return request.app.state.runtime


@router.get("/hub")
def national_page(request: Request):
    colour_by = request.query_params.get("warna", "innovations")
    if colour_by not in COLOURS:
        colour_by = "innovations"
    rt = _runtime(request)
    return _render(request, "hubs.html", replication_views.national(rt.service, rt.catalog, colour_by, _lang(request)))


@router.get("/hub/{province_slug}")
def hub_page(request: Request, province_slug: str):
    found = province_by_slug(province_slug.lower())
    if found is None:
        return _not_found(request, i18n.text(_lang(request), "err_no_province", slug=province_slug))
    if slug(found.name) != province_slug:
        return RedirectResponse(f"/hub/{slug(found.name)}", status_code=308)
    rt = _runtime(request)
    return _render(request, "hub.html", replication_views.hub(rt.service, rt.catalog, found.name, _lang(request)))


def install(app: FastAPI) -> None:
    app.include_router(router)

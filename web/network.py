"""Pages of the replication network: the national hub map (/hub) and each province's hub
page (/hub/{province slug}). Plain HTML and server-side SVG; no JavaScript."""
from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse

from catalog.regions import province_by_slug, province_names, slug
from catalog.replications import Replications
from catalog.schema import REPLICATION_STATUSES
from catalog.services import Identity, PermissionDenied, allowed
from catalog.store import CatalogError
from catalog.workflow import InvalidEntry

from . import auth, i18n, replication_views
from .editor import _forbidden, _see, _t, sync_search
from .pages import _flash, _lang, _not_found, _render, _take_flash

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


# ---------------------------------------------------------------- entering replication records
# One form, for the original innovator's agency or the adopter (catalog.services checks which);
# curators and admins see the records waiting for them and verify them here.
@router.get("/kelola/replikasi")
def replication_form(request: Request, identity: Identity = Depends(auth.signed_in)):
    return _replication_page(request, identity, {"innovation_id": request.query_params.get("inovasi", "")})


@router.post("/kelola/replikasi")
async def add_replication(request: Request, identity: Identity = Depends(auth.signed_in)):
    form = await request.form()
    typed = {name: str(form.get(name, "")).strip() for name in FORM_FIELDS}
    data = {k: v for k, v in typed.items() if v and k != "innovation_id"}
    if "year" in data:
        data["year"] = int(data["year"]) if data["year"].isdigit() else -1
    svc = auth.service(request)
    try:
        record = svc.add_replication(identity, typed["innovation_id"], data)
    except PermissionDenied:
        return _replication_page(request, identity, typed, {"innovation_id": _t(request, "rep_err_side")}, 403)
    except InvalidEntry as exc:  # before CatalogError, its base class
        return _replication_page(request, identity, typed, _replication_errors(request, exc, typed), 422)
    except CatalogError:
        return _replication_page(request, identity, typed, {"innovation_id": _t(request, "rep_err_innovation")}, 404)
    if record.state == "published":
        sync_search(request)
    _flash(request, "rep_saved_published" if record.state == "published" else "rep_saved_submitted")
    return _see(request, f"/inovasi/{record.innovation_id}" if record.state == "published" else "/kelola/replikasi")


@router.post("/kelola/replikasi/{replication_id}/verifikasi")
def verify_replication(request: Request, replication_id: int, identity: Identity = Depends(auth.signed_in)):
    try:
        auth.service(request).verify_replication(identity, replication_id)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except CatalogError:
        return _not_found(request)
    sync_search(request)
    _flash(request, "rep_verified")
    return _see(request, "/kelola/replikasi")


def _replication_errors(request: Request, exc: InvalidEntry, typed: dict) -> dict[str, str]:
    """The form's messages in the page's language, with the names meant instead; a field the
    form has no wording for keeps the catalog's message."""
    out = {}
    for name, message in exc.errors.items():
        key = "rep_err_year" if name == "year" else f"rep_err_{exc.codes.get(name)}"
        if not i18n.has_text(key):
            out[name] = message
            continue
        out[name] = _t(request, key, value=typed.get(name, ""))
        if exc.hints.get(name):
            out[name] += " " + _t(request, "rep_err_maybe", names=", ".join(exc.hints[name]))
    return out


FORM_FIELDS = ("innovation_id", "province", "regency_city", "year", "status", "adapted", "source")


def _replication_page(request: Request, identity, typed: dict, errors: dict | None = None, status: int = 200):
    rt = _runtime(request)
    innovation = rt.service.get(typed["innovation_id"]) if typed.get("innovation_id") else None
    waiting = Replications(rt.catalog).submitted() if allowed(identity, "replication.verify") else []
    origins = Replications(rt.catalog).origins({r.innovation_id for r in waiting})
    return _render(request, "replication_form.html", {
        "typed": typed, "errors": errors or {}, "innovation": innovation, "statuses": REPLICATION_STATUSES,
        "provinces": province_names(), "waiting": [(r, origins[r.innovation_id]) for r in waiting],
        "flash": _take_flash(request), "is_editor": "editor" in identity.roles}, status)

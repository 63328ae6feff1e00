"""Keeping data current (pemutakhiran): the ``/pemutakhiran`` page (the figures per agency
for everyone, as the ministry publishes them; the outstanding lists and the confirm/stop
actions for people signed in, editors for their own agency), an admin's form to open an
updating campaign, the CSV of the outstanding list for follow-up, and each profile's
``Riwayat`` (history) page. Every write goes through ``catalog.services.CatalogService``."""
from __future__ import annotations

import difflib
import io
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import StreamingResponse

from catalog.record import PRIVATE_FIELDS
from catalog.services import Identity, NO_AGENCY, PermissionDenied, allowed
from catalog.store import CatalogError
from catalog.updating import Campaign, tally
from catalog.workflow import InvalidEntry
from search_api.spreadsheet import SpreadsheetWriter

from . import auth, i18n
from .editor import _forbidden, _see, _t, sync_search
from .pages import _error, _flash, _lang, _not_found, _render, _take_flash

router = APIRouter(include_in_schema=False)
LONG_TEXT = 120  # characters: a change longer than this is shown as a word diff


def _campaign(request: Request) -> Campaign | None:
    raw = request.query_params.get("kampanye", "")
    svc = auth.service(request).updating
    return svc.campaign(int(raw)) if raw.isdigit() else svc.campaign()


def _agency_param(request: Request) -> int | None:
    raw = request.query_params.get("instansi", "")
    return int(raw) if raw.isdigit() else None


def _query(campaign: Campaign | None, agency_id: int | None) -> str:
    parts = [f"kampanye={campaign.id}"] if campaign else []
    if agency_id is not None:
        parts.append(f"instansi={agency_id}")
    return "&".join(parts)


@router.get("/pemutakhiran")
def updating_page(request: Request):
    svc = auth.service(request)
    identity = auth.web_identity(request)
    campaign = _campaign(request)
    asked = _agency_param(request)
    totals, rows = tally(svc.updating.states(campaign))
    listed, agency = None, None
    if identity is not None and allowed(identity, "updating.read"):
        try:
            listed = svc.updating_states(identity, campaign, asked)
        except PermissionDenied as exc:
            return _forbidden(request, exc)
        shown = asked if asked is not None else (
            identity.agency_id if not allowed(identity, "updating.read", agency_id=NO_AGENCY) else None)
        agency = svc.accounts.agency(shown) if shown is not None else None
        if agency is None:
            listed = [s for s in listed if s.outstanding]  # everyone's: only what is outstanding
    mine = tally(listed)[0] if listed is not None and agency is not None else None
    can_open = identity is not None and allowed(identity, "campaign.open")
    return _render(request, "updating.html", {
        "identity": identity, "campaign": campaign, "campaigns": svc.updating.campaigns(), "totals": totals,
        "rows": rows, "outstanding_agencies": sum(1 for r in rows if r.outstanding), "listed": listed,
        "agency": agency, "mine": mine, "listable": _listable(identity, rows),
        "query": _query(campaign, agency["id"] if agency else None), "can_open": can_open,
        "can_confirm": identity is not None and allowed(identity, "innovation.confirm"),
        "agencies": svc.catalog.agency_rows() if can_open else [], "today": date.today().isoformat(),
        "flash": _take_flash(request)})


def _listable(identity, rows) -> set:
    """The agencies whose list the viewer may open (editors: their own)."""
    if identity is None:
        return set()
    return {r.agency_id for r in rows if r.agency_id is not None
            and allowed(identity, "updating.read", agency_id=r.agency_id)}


@router.get("/pemutakhiran.csv")
def updating_csv(request: Request, identity: Identity = Depends(auth.signed_in)):
    """The outstanding list (or, with ``semua=1``, every innovation) for follow-up by phone or letter."""
    campaign = _campaign(request)
    try:
        states = auth.service(request).updating_states(identity, campaign, _agency_param(request))
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    if request.query_params.get("semua") != "1":
        states = [s for s in states if s.outstanding]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    out = SpreadsheetWriter(buffer)
    out.writerow(["agency_id", "agency", "innovation_id", "title", "state", "activity", "reason", "last_confirmed",
                  "confirmed_by", "completeness", "missing_aspects", "profile"])
    base = str(request.base_url).rstrip("/")
    for s in states:
        c = s.confirmation
        out.writerow([s.agency_id or "", s.agency, s.innovation_id, s.title, s.state, c.activity if c else "",
                      (c.reason or "") if c else "", c.at.date().isoformat() if c else "", c.by if c else "",
                      f"{round(s.aspects.score * 100)}%",
                      "; ".join(_t(request, f"aspect_{a}") for a in s.aspects.missing),
                      f"{base}/inovasi/{s.innovation_id}"])
    name = f"pemutakhiran-{campaign.id if campaign else 'semua'}.csv"
    return StreamingResponse(iter([buffer.getvalue()]), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/pemutakhiran/kampanye")
async def open_campaign(request: Request, identity: Identity = Depends(auth.signed_in)):
    form = await request.form()
    chosen = [int(v) for v in form.getlist("agencies") if str(v).isdigit()]
    try:
        deadline = date.fromisoformat(str(form.get("deadline", "")))
    except ValueError:
        return _error(request, 422, "err_request", _t(request, "campaign_bad_deadline"))
    try:
        campaign = auth.service(request).open_campaign(
            identity, str(form.get("title", "")), deadline,
            agency_ids=chosen if form.get("scope") == "agencies" else None)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except InvalidEntry as exc:
        return _error(request, 422, "err_request", " ".join(_t(request, f"campaign_err_{name}") for name in exc.errors))
    _flash(request, "campaign_opened", title=campaign.title, n=campaign.size)
    return _see(request, f"/pemutakhiran?kampanye={campaign.id}")


@router.post("/pemutakhiran/{innovation_id}/konfirmasi")
async def confirm(request: Request, innovation_id: str, identity: Identity = Depends(auth.signed_in)):
    form = await request.form()
    activity = str(form.get("activity", ""))
    try:
        auth.service(request).confirm(identity, innovation_id, activity, str(form.get("reason", "")))
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except InvalidEntry as exc:
        key = "confirm_need_reason" if "reason" in exc.errors else "err_invalid"
        return _error(request, 422, "err_request", _t(request, key))
    except CatalogError:
        return _not_found(request, _t(request, "err_no_innovation", id=innovation_id))
    sync_search(request)
    _flash(request, "confirmed_" + activity)
    if form.get("from") == "profile":  # confirmed on the innovation's own page: back there
        return _see(request, f"/inovasi/{quote(innovation_id, safe='')}")
    back = str(form.get("back", ""))
    return _see(request, "/pemutakhiran" + (f"?{back}" if back and "/" not in back and "\\" not in back else ""))


# ---------------------------------------------------------------- Riwayat
def _words_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) pieces: "same", "del", "ins"; the template escapes every piece."""
    a, b = old.split(), new.split()
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                pieces.append(("del", " ".join(a[i1:i2])))
            if j2 > j1:
                pieces.append(("ins", " ".join(b[j1:j2])))
    return pieces


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def change_rows(changes: dict) -> list[dict]:
    """A revision's changes, field by field, readable: short values from → to, long texts as a
    word diff. Contact fields are not public: they are named, never shown."""
    rows = []
    for name in sorted(changes):
        change = changes[name] or {}
        if name in PRIVATE_FIELDS:
            rows.append({"field": name, "private": True})
            continue
        old, new = _shown(change.get("from")), _shown(change.get("to"))
        if name == "id" or not (old or new):  # the id is the entry's own; empty to empty says nothing
            continue
        long = max(len(old), len(new)) > LONG_TEXT
        rows.append({"field": name, "from": old, "to": new, "diff": _words_diff(old, new) if long and old else None})
    return rows


@router.get("/inovasi/{some_id}/riwayat")
def history_page(request: Request, some_id: str):
    svc = auth.service(request)
    catalog = svc.catalog
    resolved = catalog.resolve(some_id)
    revisions = catalog.history(resolved) if resolved else None
    if revisions is None:
        return _not_found(request, i18n.text(_lang(request), "err_no_innovation", id=some_id))
    doc = request.app.state.runtime.service.get(resolved)
    title = doc.record.title if doc else resolved
    texts = i18n.TEXT[_lang(request)]
    labels = {key.split("_", 1)[1]: value for key, value in texts.items() if key.startswith(("field_", "change_"))}
    return _render(request, "history.html", {
        "innovation_id": resolved, "title": title, "confirmations": svc.updating.history(resolved), "labels": labels,
        "revisions": [{"r": r, "rows": change_rows(r.changes)} for r in revisions]})


def install(app: FastAPI) -> None:
    app.include_router(router)


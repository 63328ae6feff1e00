"""The write side's pages: sign in and out, the list of one's innovations, the one entry form
(every programme's fields, drafts saved without completeness checks, per-programme
submission), the curators' review (return with a comment, or verify and publish), and a
stale save shown side by side with the saved version. Plain HTML forms, no JavaScript;
every POST carries the CSRF token (checked by the middleware in ``auth``) and every write
goes through ``catalog.services.CatalogService``."""
from __future__ import annotations

import logging
import threading

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse

from catalog.completeness import programmes as all_programmes
from catalog.services import Identity, PermissionDenied, allowed
from catalog.workflow import Entry, EntryNotFound, Incomplete, InvalidEntry, StaleEntry, WrongState

from . import auth, i18n
from .forms import FIELDS, GROUPS, parse_form, typed_values
from .pages import _error, _flash, _lang, _render, _take_flash, templates

router = APIRouter(include_in_schema=False)
log = logging.getLogger("jippnas")
LIST_SIZE = 200


def _svc(request: Request):
    return auth.service(request)


def _t(request: Request, key: str, **values) -> str:
    return i18n.text(_lang(request), key, **values)


def _url(request: Request, path: str) -> str:
    lang = _lang(request)
    return path if lang == i18n.DEFAULT else f"{path}{'&' if '?' in path else '?'}lang={lang}"


def _see(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(_url(request, path), status_code=303)


def _local(path: str | None) -> str:
    """A redirect target inside this site (never //other.example or a full URL)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/kelola"
    return path


def sync_search(request: Request) -> None:
    """Bring the search engine up to date after a publish (the app's ``after_publish`` hook,
    which the command line wires to the indexer's outbox sync). A failure is logged: the
    outbox keeps the change for the next sync."""
    hook = request.app.state.after_publish
    if hook is None:
        return
    try:
        with request.app.state.sync_lock:
            hook(request.app.state.runtime)
    except Exception:  # noqa: BLE001 - the catalog change is committed; search catches up later
        log.exception("search sync after publishing failed; the outbox keeps the change")


def _forbidden(request: Request, exc: PermissionDenied):
    why = str(exc)
    key = ("err_other_agency" if "another agency" in why else
           "err_not_your_programme" if "your programme" in why else "err_forbidden_msg")
    return _error(request, 403, "err_forbidden", _t(request, key))


def _no_entry(request: Request, entry_id: str):
    return _error(request, 404, "err_not_found", _t(request, "err_no_entry", id=entry_id))


# ---------------------------------------------------------------- sign in / out
@router.get("/masuk")
def login_page(request: Request):
    return _render(request, "login.html", {"next": _local(request.query_params.get("next")), "email": "",
                                           "error": None, "flash": _take_flash(request)})


@router.post("/masuk")
async def login(request: Request):
    form = await request.form()
    email, password = str(form.get("email", "")).strip().lower()[:254], str(form.get("password", ""))[:1000]
    target = _local(str(form.get("next", "")))
    state = request.app.state.auth
    client = request.client.host if request.client else "unknown"
    if not state.limiter.allowed(email, client):
        minutes = -(-state.limiter.retry_after(email, client) // 60)
        response = _render(request, "login.html", {"next": target, "email": email,
                                                   "error": _t(request, "login_limited", minutes=minutes)}, 429)
        response.headers["Retry-After"] = str(minutes * 60)
        return response
    user = _svc(request).accounts.authenticate(email, password) if email and password else None
    if user is None:
        state.limiter.failed(email, client)
        return _render(request, "login.html", {"next": target, "email": email,
                                               "error": _t(request, "login_failed")}, 400)
    auth.sign_in(request, user)
    return RedirectResponse(target, status_code=303)


@router.post("/keluar")
def logout(request: Request):
    auth.sign_out(request)
    _flash(request, "logged_out")
    return _see(request, "/masuk")


# ---------------------------------------------------------------- the list
@router.get("/kelola")
def workspace(request: Request, identity: Identity = Depends(auth.signed_in)):
    status = request.query_params.get("status") or None
    svc = _svc(request)
    shown = svc.visible_entries(identity, status=status if status in _STATUSES else None, limit=LIST_SIZE)
    agency = svc.accounts.agency(identity.agency_id) if identity.agency_id else None
    # curators and admins see many agencies' entries: name each one's agency
    names = {a["id"]: a["name"] for a in svc.catalog.agency_rows()} if identity.agency_id is None else {}
    if agency:
        names[agency["id"]] = agency["name"]
    return _render(request, "workspace.html", {
        "identity": identity, "entries": shown, "agency": agency, "agency_names": names, "status": status,
        "statuses": _STATUSES if identity.programme is None else _SUBMISSION_STATUSES,
        "can_create": allowed(identity, "entry.create", agency_id=identity.agency_id) and (
            identity.agency_id is not None or "admin" in identity.roles),
        "flash": _take_flash(request)})


_STATUSES = ("draft", "submitted", "verified", "published", "withdrawn")
_SUBMISSION_STATUSES = ("submitted", "returned", "verified", "published")


# ---------------------------------------------------------------- the form
def _required_by() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code, programme in all_programmes().items():
        for name in {"title", "problem", "solution", *programme.required}:
            out.setdefault(name, []).append(code)
    return {name: sorted(codes, key=list(all_programmes()).index) for name, codes in out.items()}


def _value_errors(request: Request, exc: InvalidEntry) -> dict[str, list[str]]:
    by_field = {"contact_email": "err_email", "contact_phone": "err_phone", "sources": "err_urls", "year": "err_year"}
    out: dict[str, list[str]] = {}
    for name, code in exc.codes.items():
        if name not in FIELDS:
            name = "title" if name == "record" else name
        key = ("err_int" if code in ("int_parsing", "int_type", "int_from_float") else
               by_field.get(name) or ("err_range" if code.startswith(("greater", "less")) else "err_invalid"))
        out.setdefault(name, []).append(_t(request, key))
    return out


def _missing_errors(request: Request, exc: Incomplete, values: dict) -> dict[str, list[str]]:
    required: dict[str, list[str]] = {}
    out: dict[str, list[str]] = {}
    for code, problems in exc.problems.items():
        for p in problems:
            if p.code == "required":
                required.setdefault(p.field, []).append(code)
            else:
                length = len((values.get(p.field) or "").strip())
                out.setdefault(p.field, []).append(_t(request, "err_too_short", programme=code, minimum=p.minimum,
                                                      length=length))
    for name, codes in required.items():
        out.setdefault(name, []).insert(0, _t(request, "err_required", programmes=", ".join(codes)))
    return out


def _missing(values: dict) -> dict[str, list]:
    return {code: p.problems(values) for code, p in all_programmes().items()}


def _can_edit(identity: Identity, entry: Entry | None) -> bool:
    if entry is not None and entry.status == "withdrawn":
        return False
    agency_id = entry.agency_id if entry else identity.agency_id
    action = "entry.edit" if entry else "entry.create"
    return allowed(identity, action, agency_id=agency_id) and (agency_id is not None or "admin" in identity.roles)


def _reviewable(identity: Identity, entry: Entry | None) -> list[str]:
    """Programmes whose pending submission of this entry the identity may review."""
    if entry is None:
        return []
    return [code for code, s in entry.submissions.items() if s.status == "submitted"
            and allowed(identity, "entry.verify", programmes=[code])]


def _form_page(request: Request, identity: Identity, entry: Entry | None, *, typed: dict | None = None,
               values: dict | None = None, errors: dict | None = None, conflict: Entry | None = None,
               chosen: list[str] | None = None, notice: str | None = None, status: int = 200,
               agency_id: int | None = None):
    svc = _svc(request)
    if values is None:
        values = entry.fields if entry else {}
    typed = typed if typed is not None else typed_values(values)
    revision = (conflict or entry).revision if (conflict or entry) else None
    conflict_rows = []
    if conflict is not None:
        saved = typed_values(conflict.fields)
        conflict_rows = [{"name": name, "yours": typed.get(name), "saved": saved.get(name)}
                         for name in FIELDS if _same(typed.get(name)) != _same(saved.get(name))]
    agency = svc.accounts.agency(entry.agency_id if entry else (agency_id or identity.agency_id) or -1)
    choose_agency = entry is None and identity.agency_id is None and "admin" in identity.roles
    history = svc.entries.history(entry.id)[:20] if entry else []
    return _render(request, "entry.html", {
        "identity": identity, "entry": entry, "typed": typed, "errors": errors or {}, "groups": GROUPS,
        "required_by": _required_by(), "missing": _missing(values), "programmes": all_programmes(),
        "chosen": chosen if chosen is not None else [c for c, s in (entry.submissions.items() if entry else [])
                                                     if s.status in ("submitted", "returned")],
        "editable": _can_edit(identity, entry), "reviewable": _reviewable(identity, entry),
        "revision": revision, "conflict": conflict, "conflict_rows": conflict_rows, "agency": agency,
        "agencies": svc.catalog.agency_rows() if choose_agency else [], "history": history,
        "notice": notice, "flash": _take_flash(request)}, status)


def _same(value):
    return (value or "") if not isinstance(value, list) else sorted(value)


@router.get("/kelola/baru")
def new_entry_page(request: Request, identity: Identity = Depends(auth.signed_in)):
    if not _can_edit(identity, None):
        return _error(request, 403, "err_forbidden", _t(request, "err_forbidden_msg"))
    return _form_page(request, identity, None)


@router.post("/kelola/baru")
async def create_entry(request: Request, identity: Identity = Depends(auth.signed_in)):
    form = await request.form()
    values, typed = parse_form(form)
    chosen = [str(c) for c in form.getlist("programmes")]
    agency_id = identity.agency_id
    if agency_id is None and str(form.get("agency_id", "")).isdigit():
        agency_id = int(str(form.get("agency_id")))
    try:
        entry = _svc(request).create_entry(identity, values, agency_id)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except InvalidEntry as exc:
        errors = _value_errors(request, exc)
        if "agency_id" in exc.errors:
            errors.setdefault("agency_id", []).append(_t(request, "choose_agency"))
        return _form_page(request, identity, None, typed=typed, values=values, errors=errors, chosen=chosen,
                          notice=_t(request, "fix_errors"), status=422, agency_id=agency_id)
    if form.get("action") == "submit":
        return _submit(request, identity, entry, chosen, typed, values)
    _flash(request, "saved")
    return _see(request, f"/kelola/{entry.id}")


@router.get("/kelola/{entry_id}")
def entry_page(request: Request, entry_id: str, identity: Identity = Depends(auth.signed_in)):
    try:
        entry = _svc(request).entry(identity, entry_id)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    if entry is None:
        return _no_entry(request, entry_id)
    return _form_page(request, identity, entry)


def _revision(form) -> int | None:
    raw = str(form.get("revision", ""))
    return int(raw) if raw.isdigit() else None


@router.post("/kelola/{entry_id}")
async def save_entry(request: Request, entry_id: str, identity: Identity = Depends(auth.signed_in)):
    form = await request.form()
    values, typed = parse_form(form)
    chosen = [str(c) for c in form.getlist("programmes")]
    svc = _svc(request)
    try:
        entry = svc.entry(identity, entry_id)
        if entry is None:
            return _no_entry(request, entry_id)
        revision = _revision(form)
        entry = svc.update_entry(identity, entry_id, values, revision if revision is not None else -1)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except StaleEntry as exc:
        return _form_page(request, identity, exc.current, typed=typed, values=values, conflict=exc.current,
                          chosen=chosen, status=409)
    except InvalidEntry as exc:
        return _form_page(request, identity, entry, typed=typed, values=values, errors=_value_errors(request, exc),
                          chosen=chosen, notice=_t(request, "fix_errors"), status=422)
    except WrongState as exc:
        return _error(request, 409, "err_request", _t(request, "wrong_state", detail=str(exc)))
    if form.get("action") == "submit":
        return _submit(request, identity, entry, chosen, typed, values)
    _flash(request, "saved")
    return _see(request, f"/kelola/{entry.id}")


def _submit(request: Request, identity: Identity, entry: Entry, chosen: list[str], typed: dict, values: dict):
    """Submit a just-saved entry; what is missing is shown next to each field, the draft stays saved."""
    if not chosen:
        return _form_page(request, identity, entry, typed=typed, values=values, chosen=chosen,
                          errors={"programmes": [_t(request, "choose_programme")]},
                          notice=_t(request, "fix_missing"), status=422)
    try:
        entry = _svc(request).submit_entry(identity, entry.id, chosen, entry.revision)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except Incomplete as exc:
        return _form_page(request, identity, entry, typed=typed, values=values, chosen=chosen,
                          errors=_missing_errors(request, exc, values), notice=_t(request, "fix_missing"),
                          status=422)
    except InvalidEntry as exc:
        return _form_page(request, identity, entry, typed=typed, values=values, chosen=chosen,
                          errors={"programmes": list(exc.errors.values())}, status=422)
    except (StaleEntry, WrongState) as exc:
        return _error(request, 409, "err_request", _t(request, "wrong_state", detail=str(exc)))
    _flash(request, "submitted_msg", programmes=", ".join(c for c in entry.submissions
                                                           if c.lower() in {x.lower() for x in chosen}))
    return _see(request, f"/kelola/{entry.id}")


@router.post("/kelola/{entry_id}/tinjau")
async def review_entry(request: Request, entry_id: str, identity: Identity = Depends(auth.signed_in)):
    form = await request.form()
    programme = str(form.get("programme", "")) or (identity.programme or "")
    decision, comment = str(form.get("decision", "")), str(form.get("comment", "")).strip()
    svc = _svc(request)
    try:
        entry = svc.entry(identity, entry_id)
        if entry is None:
            return _no_entry(request, entry_id)
        revision = _revision(form)
        if decision == "return":
            if not comment:
                return _form_page(request, identity, entry, errors={f"comment-{programme}": [
                    _t(request, "review_need_comment")]}, status=422)
            svc.return_entry(identity, entry_id, programme, comment, revision)
            _flash(request, "returned_msg")
        elif decision == "verify":
            svc.verify_entry(identity, entry_id, programme, comment or None, revision)
            sync_search(request)
            _flash(request, "verified_msg")
        else:
            return _error(request, 400, "err_request", _t(request, "err_invalid"))
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except StaleEntry as exc:
        return _form_page(request, identity, exc.current, status=409,
                          notice=_t(request, "conflict_lead", revision=exc.current.revision))
    except Incomplete as exc:
        return _form_page(request, identity, entry, errors=_missing_errors(request, exc, entry.fields), status=422,
                          notice=_t(request, "fix_missing"))
    except (WrongState, InvalidEntry, EntryNotFound) as exc:
        return _error(request, 409, "err_request", _t(request, "wrong_state", detail=str(exc)))
    return _see(request, f"/kelola/{entry_id}")


def install(app: FastAPI, settings, after_publish) -> None:
    """Sessions, CSRF, the template helpers and these pages; ``after_publish(runtime)`` is
    called after a publication (see ``sync_search``)."""
    app.state.after_publish = after_publish
    app.state.sync_lock = threading.Lock()
    auth.install(app, settings.data_dir, (settings.public_url or "").startswith("https://"),
                 lambda request, status: _error(request, status, "err_forbidden", _t(request, "err_csrf_msg")))
    templates.env.globals.update(signed_in=auth.current_user, csrf_field=auth.csrf_field,
                                 has_hint=lambda name: i18n.has_text(f"hint_{name}"))
    app.include_router(router)

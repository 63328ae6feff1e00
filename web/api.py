"""The JSON API (design §5), versioned under /api/v1; models and parameters in ``schemas``."""
from __future__ import annotations

import itertools
import json
import logging
import re
from contextlib import contextmanager
from typing import Callable, Iterator, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_api import consistency, statistics
from search_api.documents import SearchDocument
from search_api.facets import CHARTED
from search_api.engines import EngineUnavailable
from search_api.query import MAX_SIZE, QueryError, SearchRequest, group_params
from search_api.runtime import Runtime
from search_api.search import SearchBusy

from catalog.record import PRIVATE_FIELDS
from catalog.replications import Replications
from catalog.schema import STATUSES, SUBMISSION_STATUSES
from catalog.store import CatalogError
from catalog.updating import InnovationState, tally
from catalog.services import Identity, PermissionDenied
from catalog.workflow import Entry, EntryNotFound, Incomplete, InvalidEntry, StaleEntry, WrongState

from . import auth, i18n, schemas
from .downloads import csv_lines, disposition, filename
from .editor import sync_search

router = APIRouter(prefix="/api/v1", tags=["search"])

EXPORT_COLUMNS = ("id", "url", "entries", "title", "acronym", "agency", "agency_level", "province", "regency_city",
                  "year", "programme", "award", "sector", "sdgs", "stage", "is_digital", "problem", "solution", "impact",
                  "replicated_in", "sources", "activity", "updated_at")
LABELLED = ("agency_level", "programme", "sector", "stage", "is_digital")  # codes shown by their label


ENGINE_RETRY_SECONDS = 5  # Retry-After on a 503 from the engine (down, shards starting, index closed)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict | None = None,
                 headers: dict[str, str] | None = None):
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = headers


def invalid(problems: list[dict]) -> ApiError:
    """422 for bad parameters: the first problem is the message and names ``parameter``;
    ``problems`` lists them all (FastAPI's own validation reports the same way)."""
    first = problems[0]
    return ApiError(422, "invalid_parameter", first["message"], {"parameter": first["parameter"], "problems": problems})


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    """The one error shape (``schemas.ErrorBody``)."""
    return {"error": {"code": code, "message": message, "details": details}}


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def parse_search(request: Request) -> SearchRequest:
    try:
        return SearchRequest.parse(group_params(request.query_params.multi_items()))
    except QueryError as exc:
        raise invalid([{"parameter": exc.param, "message": exc.message}]) from None


SearchParams = Depends(schemas.search_parameters(parse_search))


@router.get("/search", summary="Search innovations (hybrid, keyword or semantic) with facets",
            response_model=schemas.SearchResponse, responses=schemas.ERRORS)
def search(request: Request, req: SearchRequest = SearchParams):
    return runtime(request).service.search(req)


def innovation_body(doc: SearchDocument, entry_id: str | None = None) -> dict:
    """An innovation as the API shows it: the fields of one entry (the one asked for, else
    the leading one) under the innovation's id, with every entry listed."""
    record = next((e for e in doc.entries if e.id == entry_id), doc.record)
    return {**record.model_dump(mode="json", exclude=set(PRIVATE_FIELDS)), "id": doc.id, "entry_id": record.id,
            "activity": doc.facts.get("activity"),
            "entries": [{"id": e.id, "programme": e.programme, "year": e.year, "award": e.award}
                        for e in doc.entries], "replications": doc.replications}


def _not_found(asked: str) -> ApiError:
    return ApiError(404, "not_found", f"no innovation with id {asked!r}", {"id": asked})


@router.get("/innovations/{innovation_id}", summary="One innovation (by its id or any of its entry ids), the full record",
            response_model=schemas.InnovationRecord, responses={**schemas.NOT_FOUND, **schemas.ERRORS})
def innovation(request: Request, innovation_id: str):
    doc = runtime(request).service.get(innovation_id)
    if doc is None:
        raise _not_found(innovation_id)
    chain = Replications(runtime(request).catalog).adapted_from(doc.id)
    return {**innovation_body(doc, innovation_id), "adapted_from": [r.to_json() for r in chain]}


@router.get("/innovations/{innovation_id}/history", summary="Every revision of the innovation's entries, newest first",
            response_model=schemas.History, response_model_by_alias=True, responses=schemas.NOT_FOUND)
def history(request: Request, innovation_id: str):
    catalog = runtime(request).catalog
    resolved = catalog.resolve(innovation_id)
    if resolved is None:
        raise _not_found(innovation_id)
    return {"id": resolved, "revisions": [r.public().to_json() for r in catalog.history(resolved)]}


@router.get("/innovations/{innovation_id}/similar", summary="Innovations solving a similar problem",
            response_model=schemas.Similar, responses={**schemas.NOT_FOUND, **schemas.ERRORS})
def similar(request: Request, innovation_id: str, size: int = Query(10, ge=1, le=MAX_SIZE)):
    service = runtime(request).service
    items = service.similar(innovation_id, size)
    if items is None:
        raise _not_found(innovation_id)
    return {"id": service.catalog.resolve(innovation_id), "similar": items}


@router.post("/similar-problems", summary="Who already solved a problem like mine?",
             response_model=schemas.SimilarProblems, responses=schemas.ERRORS)
def similar_problems(request: Request, body: schemas.SimilarProblemsBody):
    given = body.filters.model_dump(exclude_none=True)  # unknown filters: 422 from the model (extra="forbid")
    params = {k: v if isinstance(v, list) else [v] for k, v in given.items()}
    try:
        filters = SearchRequest.parse({k: [str(x) for x in v] for k, v in params.items()}).filters
    except QueryError as exc:
        raise invalid([{"parameter": f"filters.{exc.param}", "message": exc.message}]) from None
    result = runtime(request).service.similar_problems(body.problem, filters, body.size)
    return {"problem": body.problem, "total": result["total"], "took_ms": result["took_ms"], "hits": result["hits"]}


@router.get("/stats", summary="Counts by every facet over a search's result set, and a cross-tabulation of two",
            response_model=schemas.Stats, responses=schemas.ERRORS)
def stats(request: Request, req: SearchRequest = SearchParams,
          by: str | None = Query(None, pattern=statistics.BY_PATTERN,
                                 description="Two facets to cross-tabulate, rows first: year,province")):
    try:
        pair = statistics.parse_by(by)
    except QueryError as exc:
        raise invalid([{"parameter": exc.param, "message": exc.message}]) from None
    counted = runtime(request).service.stats(req, pair)
    table = statistics.facet_table(counted, req.filters)
    values = {name: [{"value": v, "count": n} for v, n in rows] for name, rows in table.items()}
    return {"query": req.q, "mode": req.mode, "total": counted["total"], "facets": values,
            "crosstab": statistics.cross_tab(counted, req.filters, *pair).__dict__ if pair else None,
            **{f.name: values[f.name] for f in CHARTED}}


EXPORT_FORMATS = ("csv", "jsonl", "kipp", "iga", "inolan")


@router.get("/export", summary="Every match of a search, streamed as CSV, JSON Lines or a programme's own format",
            response_class=StreamingResponse, responses={
                200: {"description": "One row (CSV, UTF-8 with BOM) or line (JSON Lines) per innovation, the same "
                                     "columns in both: " + ", ".join(EXPORT_COLUMNS) + "; `kipp`: KIPP's JSON array, "
                                     "`iga`: IGA's semicolon CSV, `inolan`: InoLAN's JSON Lines, the shapes "
                                     "`jippnas index` reads (each innovation as its entry of that programme, else its "
                                     "leading entry; contact details are never exported)",
                      "content": {"text/csv": {}, "application/x-ndjson": {}, "application/json": {}}},
                501: {"model": schemas.ErrorBody, "description": "This server was started without the programme "
                                                                 "formats (`jippnas serve` has them)"},
                **schemas.ERRORS})
def export(request: Request, format: Literal[EXPORT_FORMATS] = Query("csv"),
           agency_id: int | None = Query(None, ge=1, le=schemas.RECORD_ID_MAX,
                                         description="Only the innovations of this agency (its id; `agency` is the "
                                                     "facet of agency names)"),
           lang: Literal["id", "en"] = Query("id", description="The language of labels (programme, agency type, "
                                                               "sector, stage, digital)"),
           req: SearchRequest = SearchParams):
    service = runtime(request).service
    shape = None
    if format not in ("csv", "jsonl"):
        shape = (request.app.state.programme_exports or {}).get(format)
        if shape is None:
            raise ApiError(501, "not_configured", f"this server does not export the {format} format")
    docs = service.export(req)
    if agency_id is not None:
        wanted = runtime(request).catalog.published_ids(agency_id)
        docs = (d for d in docs if d.id in wanted)
    first = next(docs, None)  # surface engine errors before the response starts
    base = (runtime(request).settings.public_url or str(request.base_url)).rstrip("/")

    def rows() -> Iterator[dict]:
        if first is not None:
            yield export_row(first, lang, base)
            yield from (export_row(d, lang, base) for d in docs)

    if shape is not None:
        every = itertools.chain([first] if first is not None else [], docs)
        records = (next((e for e in d.entries if e.programme == shape.programme), d.record) for d in every)
        return StreamingResponse(shape.lines(records), media_type=shape.media_type,
                                 headers={"Content-Disposition": f'attachment; filename="{shape.filename}"'})
    name = filename(req, "ekspor" if lang == "id" else "export", format)
    if format == "jsonl":
        body = (json.dumps(row, ensure_ascii=False) + "\n" for row in rows())
        return StreamingResponse(body, media_type="application/x-ndjson", headers=disposition(name))
    lines = csv_lines(EXPORT_COLUMNS, ([_cell(row[c]) for c in EXPORT_COLUMNS] for row in rows()))
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers=disposition(name))


def export_row(doc: SearchDocument, lang: str, base: str) -> dict:
    """One innovation as the export shows it: the leading entry's fields, codes as their labels
    in ``lang``, its profile's address and every entry id."""
    data = innovation_body(doc)
    row = {c: data.get(c) for c in EXPORT_COLUMNS}
    for name in LABELLED:
        if row[name] is not None:
            row[name] = i18n.value_label(name, "true" if row[name] is True else "false" if row[name] is False
                                         else row[name], lang)
    row["url"] = f"{base}/inovasi/{quote(doc.id, safe='')}"
    row["entries"] = [e["id"] for e in data["entries"]]
    return row


def _cell(value):
    return "; ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else value)


def health_payload(rt: Runtime) -> tuple[int, dict]:
    try:
        return 200, rt.engine.health()
    except EngineUnavailable as exc:
        logging.getLogger("jippnas").warning("health check: engine unavailable: %s", exc)
        return 503, {"status": "unavailable", "engine": rt.settings.engine, "documents": None,
                     "error": "the search engine does not answer"}


def install(app: FastAPI, rt: Runtime) -> None:
    """Mount the API and its JSON error handling on an app."""
    app.state.runtime = rt
    app.include_router(router)
    app.include_router(entries_router)
    origins = rt.settings.cors_origin_list
    if origins:  # off unless configured; "*" must be listed explicitly
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], max_age=3600)

    @app.get("/healthz", tags=["ops"], summary="Engine status and document count", response_model=schemas.Health,
             responses={503: {"model": schemas.Health, "description": "The engine is down"}})
    def healthz():
        status, body = health_payload(rt)
        return JSONResponse(body, status_code=status)

    @app.get("/readyz", tags=["ops"], summary="Ready: the catalog and the engine answer, and the index agrees with "
                                             "the catalog (counts, outbox applied, schema, model)",
             response_model=schemas.Readiness,
             responses={503: {"model": schemas.Readiness, "description": "Not ready; `problems` says why"}})
    def readyz():
        result = consistency.check(lambda: rt.catalog, rt.engine, rt.settings.embed_model, full=False)
        if not result.ok:
            logging.getLogger("jippnas").warning("not ready: %s", "; ".join(p.message for p in result.problems))
        body = {"status": "ready" if result.ok else "not_ready", "engine": rt.settings.engine,
                "catalog": result.catalog, "index": result.index,
                "problems": [{"kind": p.kind, "message": _public(p.message), "repair": p.repair}
                             for p in result.problems]}
        return JSONResponse(body, status_code=200 if result.ok else 503)

    @app.exception_handler(ApiError)
    def _api_error(request: Request, exc: ApiError):
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError):
        problems = []
        for e in exc.errors():
            # ("query", "size") names a parameter; ("body", 0) is the body itself (it did not parse).
            named = [str(p) for p in e["loc"][1:] if not isinstance(p, int)]
            parameter = ".".join(named) or str(e["loc"][0])
            problems.append({"parameter": parameter, "message": f"{parameter}: {e['msg']}"})
        return _api_error(request, invalid(problems))

    @app.exception_handler(EngineUnavailable)
    def _unavailable(request: Request, exc: EngineUnavailable):
        # The reason names hosts and file paths: logged for the operator, not shown to callers.
        logging.getLogger("jippnas").warning("engine unavailable on %s: %s", request.url.path, exc)
        if isinstance(exc, SearchBusy):
            return JSONResponse(error_body("busy", str(exc), {"engine": rt.settings.engine}), status_code=503,
                                headers={"Retry-After": "2"})
        return JSONResponse(error_body("engine_unavailable", "the search engine is not available, try again later",
                                       {"engine": rt.settings.engine}), status_code=503,
                            headers={"Retry-After": str(ENGINE_RETRY_SECONDS)})

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException):
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # Keep the exception's headers: a 405 must say which methods are allowed (Allow).
        headers = exc.headers
        if exc.status_code == 405 and (allow := _allowed_methods(request)):
            headers = {**(headers or {}), "Allow": allow}
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception):
        logging.getLogger("jippnas").exception("unhandled error on %s", request.url.path)
        return JSONResponse(error_body("internal_error", "unexpected error; it has been logged"), status_code=500)


def _public(message: str) -> str:
    """A problem as callers may read it: the engine's reason names hosts and paths (logged)."""
    return message.split(": ", 1)[0] if message.startswith("the search engine does not answer") else message


def _allowed_methods(request: Request) -> str | None:
    """Every documented method at this path (GET and PUT on /entries/{id}…), from the OpenAPI
    paths; Starlette's 405 names only the first route whose path matched."""
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}/]+\}", "[^/]+", template), request.url.path):
            return ", ".join(sorted(method.upper() for method in operations))
    return None


# ---------------------------------------------------------------- entering innovations
# Entries entered here: drafts, edits with optimistic locking (the revision is the ETag,
# If-Match is required on PUT), submission per programme, curators' return and verify. Every
# call acts as a bearer token (an editor of its agency) or the signed-in user (a request with
# the session cookie also needs the X-CSRFToken header); every write goes through
# catalog.services.CatalogService.
entries_router = APIRouter(prefix="/api/v1", tags=["entries"])
bearer = HTTPBearer(auto_error=False, description="An API token (`jippnas token create --agency ID`); "
                                                  "or sign in and send the X-CSRFToken header")


def entry_identity(request: Request, _credentials=Depends(bearer)) -> Identity:
    try:
        return auth.api_identity(request)
    except auth.Unauthenticated as exc:
        raise ApiError(401, "unauthenticated", exc.message, headers={"WWW-Authenticate": "Bearer"}) from None


Caller = Depends(entry_identity)


def entry_body(request: Request, entry: Entry) -> dict:
    agency = auth.service(request).accounts.agency(entry.agency_id) or {}
    return {"id": entry.id, "innovation_id": entry.innovation_id, "status": entry.status, "revision": entry.revision,
            "updated_at": entry.updated_at, "fields": entry.fields,
            "agency": {k: agency.get(k) for k in ("id", "name", "level", "province", "regency_city")},
            "programmes": {code: s.to_json() for code, s in entry.submissions.items()},
            "missing": {code: [p.to_json() for p in found] for code, found in entry.missing().items()}}


def _with_etag(request: Request, response: Response, entry: Entry) -> dict:
    response.headers["ETag"] = f'"{entry.revision}"'
    return entry_body(request, entry)


def _if_match(request: Request, required: bool) -> int | None:
    """The revision named by If-Match ("3", W/"3" or 3); ``*`` names whatever is current."""
    raw = request.headers.get("if-match")
    if raw is None:
        if required:
            raise ApiError(428, "precondition_required", "send If-Match with the entry's ETag (its revision), so a "
                                                         "stale save cannot overwrite someone else's change")
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if value == "*":
        return None
    if not value.isdigit():
        raise ApiError(400, "bad_if_match", f"If-Match must be an ETag of this API (a revision number), not {raw!r}")
    return int(value)


def _translate(request: Request, exc: Exception) -> ApiError:
    if isinstance(exc, PermissionDenied):
        return ApiError(403, "forbidden", str(exc))
    if isinstance(exc, EntryNotFound):
        return ApiError(404, "not_found", str(exc), {"id": exc.entry_id})
    if isinstance(exc, StaleEntry):
        return ApiError(409, "stale", str(exc), {"expected_revision": exc.expected,
                                                 "current": jsonable_encoder(entry_body(request, exc.current))},
                        headers={"ETag": f'"{exc.current.revision}"'})
    if isinstance(exc, WrongState):
        return ApiError(409, "wrong_state", str(exc))
    if isinstance(exc, Incomplete):
        return ApiError(422, "incomplete", str(exc), {"missing": {code: [p.to_json() for p in found]
                                                                  for code, found in exc.problems.items()}})
    if isinstance(exc, InvalidEntry):
        return invalid([{"parameter": name, "message": f"{name}: {message}"} for name, message in exc.errors.items()])
    raise exc


_WRITE_ERRORS = (PermissionDenied, EntryNotFound, StaleEntry, WrongState, Incomplete, InvalidEntry)


@contextmanager
def _answering(request: Request, otherwise: Callable[[CatalogError], ApiError] | None = None) -> Iterator[None]:
    """The catalog's refusals as the API's error answers: the write errors as ``_translate``
    says; any other CatalogError as ``otherwise`` makes it, when given."""
    try:
        yield
    except _WRITE_ERRORS as exc:
        raise _translate(request, exc) from None
    except CatalogError as exc:
        if otherwise is None:
            raise
        raise otherwise(exc) from None


def _fields(body: schemas.EntryFields) -> dict:
    return body.model_dump(exclude={"agency_id"}, exclude_unset=False)


@entries_router.post("/entries", status_code=201, summary="Create a draft (no completeness check)",
                     response_model=schemas.EntryOut, responses=schemas.ENTRY_ERRORS)
def create_entry(request: Request, response: Response, body: schemas.NewEntry, identity: Identity = Caller):
    with _answering(request):
        entry = auth.service(request).create_entry(identity, _fields(body), body.agency_id)
    response.headers["Location"] = f"/api/v1/entries/{entry.id}"
    return _with_etag(request, response, entry)


@entries_router.get("/entries", summary="Entries you may see: an editor's agency's, a curator's programme's, all for "
                                        "admins", response_model=schemas.EntryList, responses=schemas.ENTRY_ERRORS)
def list_entries(request: Request, identity: Identity = Caller,
                 status: str | None = Query(None, description="The entry's status; with `programme`, that programme's "
                                                              "state (submitted, returned, verified, published)"),
                 programme: schemas.ProgrammeCode | None = Query(None),
                 limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=100_000)):
    allowed_statuses = SUBMISSION_STATUSES if programme else STATUSES
    if status is not None and status not in allowed_statuses:
        raise invalid([{"parameter": "status", "message": f"status: one of {', '.join(allowed_statuses)}"}])
    with _answering(request):
        found = auth.service(request).visible_entries(identity, status, programme, limit, offset)
    return {"entries": [entry_body(request, e) for e in found]}


@entries_router.get("/entries/{entry_id}", summary="One entry, with its revision as ETag",
                    response_model=schemas.EntryOut, responses=schemas.ENTRY_ERRORS)
def get_entry(request: Request, response: Response, entry_id: str, identity: Identity = Caller):
    with _answering(request):
        entry = auth.service(request).entry(identity, entry_id)
        if entry is None:
            raise EntryNotFound(entry_id)
    return _with_etag(request, response, entry)


@entries_router.put("/entries/{entry_id}", summary="Replace the fields of an entry (If-Match: its ETag)",
                    response_model=schemas.EntryOut,
                    responses={**schemas.ENTRY_ERRORS, 428: {"model": schemas.ErrorBody,
                                                             "description": "If-Match is missing"}})
def update_entry(request: Request, response: Response, entry_id: str, body: schemas.EntryFields,
                 identity: Identity = Caller):
    expected = _if_match(request, required=True)
    svc = auth.service(request)
    with _answering(request):
        if expected is None:  # If-Match: *
            current = svc.entry(identity, entry_id)
            if current is None:
                raise EntryNotFound(entry_id)
            expected = current.revision
        entry = svc.update_entry(identity, entry_id, _fields(body), expected)
    return _with_etag(request, response, entry)


@entries_router.post("/entries/{entry_id}/submit", summary="Submit to programmes (each checks its required fields)",
                     response_model=schemas.EntryOut, responses=schemas.ENTRY_ERRORS)
def submit_entry(request: Request, response: Response, entry_id: str, body: schemas.SubmitBody,
                 identity: Identity = Caller):
    with _answering(request):
        entry = auth.service(request).submit_entry(identity, entry_id, body.programmes, _if_match(request, False))
    return _with_etag(request, response, entry)


def _programme(identity: Identity, asked: str | None) -> str:
    programme = asked or identity.programme
    if programme is None:
        raise invalid([{"parameter": "programme", "message": "programme: name the programme"}])
    return programme


@entries_router.post("/entries/{entry_id}/return", summary="Curators: return a submission with a comment",
                     response_model=schemas.EntryOut, responses=schemas.ENTRY_ERRORS)
def return_entry(request: Request, response: Response, entry_id: str, body: schemas.ReturnBody,
                 identity: Identity = Caller):
    with _answering(request):
        entry = auth.service(request).return_entry(identity, entry_id, _programme(identity, body.programme),
                                                   body.comment, _if_match(request, False))
    return _with_etag(request, response, entry)


@entries_router.post("/entries/{entry_id}/verify", summary="Curators: verify a submission (and publish it: searchable "
                                                           "within seconds)",
                     response_model=schemas.EntryOut, responses=schemas.ENTRY_ERRORS)
def verify_entry(request: Request, response: Response, entry_id: str, body: schemas.VerifyBody | None = None,
                 identity: Identity = Caller):
    body = body or schemas.VerifyBody()
    with _answering(request):
        entry = auth.service(request).verify_entry(identity, entry_id, _programme(identity, body.programme),
                                                   body.comment, _if_match(request, False), body.publish)
    if body.publish:
        sync_search(request)
    return _with_etag(request, response, entry)


@entries_router.post("/entries/{entry_id}/publish", summary="Curators: publish a verified submission (after "
                                                            "verify with publish=false)",
                     response_model=schemas.EntryOut, responses=schemas.ENTRY_ERRORS)
def publish_entry(request: Request, response: Response, entry_id: str, body: schemas.PublishBody | None = None,
                  identity: Identity = Caller):
    body = body or schemas.PublishBody()
    with _answering(request):
        entry = auth.service(request).publish_entry(identity, entry_id, _programme(identity, body.programme))
    sync_search(request)
    return _with_etag(request, response, entry)


# ---------------------------------------------------------------- keeping data current
def _campaign_of(request: Request, campaign: int | None):
    updating = auth.service(request).updating
    found = updating.campaign(campaign)
    if campaign is not None and found is None:
        raise ApiError(404, "not_found", f"no campaign with id {campaign}", {"campaign": campaign})
    return found


@router.get("/updating", summary="Pemutakhiran figures per agency (public aggregate counts)",
            response_model=schemas.UpdatingFigures, responses=schemas.NOT_FOUND)
def updating_figures(request: Request, campaign: int | None = Query(None, description="Default: the newest campaign")):
    found = _campaign_of(request, campaign)
    totals, rows = tally(auth.service(request).updating.states(found))
    return {"campaign": found.to_json() if found else None, "totals": totals.to_json(),
            "outstanding_agencies": sum(1 for r in rows if r.outstanding), "agencies": [r.to_json() for r in rows]}


def _state_body(s: InnovationState) -> dict:
    return {"innovation_id": s.innovation_id, "title": s.title, "agency_id": s.agency_id, "agency": s.agency,
            "state": s.state, "confirmation": s.confirmation.to_json() if s.confirmation else None,
            "completeness": round(s.aspects.score, 3), "missing_aspects": list(s.aspects.missing)}


@entries_router.get("/updating/innovations", tags=["updating"], summary="The outstanding list (or every innovation) "
                    "of a campaign, per agency: needs an account (editors: their agency's)",
                    response_model=schemas.OutstandingList, responses=schemas.ENTRY_ERRORS)
def updating_list(request: Request, identity: Identity = Caller, campaign: int | None = Query(None),
                  agency: int | None = Query(None, ge=1, le=schemas.RECORD_ID_MAX),
                  state: Literal["current", "stale", "stopped", "all"] = Query(
                      "stale", description="Only this state (default: the outstanding ones), or all")):
    found = _campaign_of(request, campaign)
    with _answering(request):
        states = auth.service(request).updating_states(identity, found, agency)
    return {"campaign": found.to_json() if found else None,
            "innovations": [_state_body(s) for s in states if state in ("all", s.state)]}


@entries_router.post("/innovations/{innovation_id}/confirm", tags=["updating"],
                     summary="Confirm this year that an innovation continues, or mark it stopped (vakum) with a reason",
                     response_model=schemas.Confirmed, responses=schemas.ENTRY_ERRORS)
def confirm_innovation(request: Request, innovation_id: str, body: schemas.ConfirmBody, identity: Identity = Caller):
    with _answering(request, lambda exc: _not_found(innovation_id)):
        done = auth.service(request).confirm(identity, innovation_id, body.activity, body.reason)
    sync_search(request)
    return {"innovation_id": done.innovation_id, "confirmation": done.to_json()}


@entries_router.post("/campaigns", status_code=201, tags=["updating"],
                     summary="Admins: open an updating campaign (a deadline and the innovations it covers)",
                     response_model=schemas.CampaignOut, responses=schemas.ENTRY_ERRORS)
def open_campaign(request: Request, body: schemas.CampaignBody, identity: Identity = Caller):
    with _answering(request, lambda exc: ApiError(404, "not_found", str(exc))):
        found = auth.service(request).open_campaign(identity, body.title, body.deadline,
                                                    innovation_ids=body.innovations, agency_ids=body.agencies)
    return found.to_json()

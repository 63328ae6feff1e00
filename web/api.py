"""The JSON API (design §5), versioned under /api/v1; models and parameters in ``schemas``."""
from __future__ import annotations

import io
import json
import logging
from typing import Iterator, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_api.documents import SearchDocument
from search_api.engines import EngineUnavailable
from search_api.query import MAX_SIZE, QueryError, SearchRequest, group_params
from search_api.runtime import Runtime
from search_api.search import SearchBusy
from search_api.spreadsheet import SpreadsheetWriter

from . import schemas

router = APIRouter(prefix="/api/v1", tags=["search"])

EXPORT_COLUMNS = ("id", "entry_id", "entries", "title", "acronym", "agency", "agency_level", "province", "regency_city", "year",
                  "programme", "award", "sector", "sdgs", "stage", "is_digital", "problem", "solution", "impact",
                  "replicated_in", "sources", "updated_at")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        self.status, self.code, self.message, self.details = status, code, message, details


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
    return {**record.model_dump(mode="json"), "id": doc.id, "entry_id": record.id,
            "entries": [{"id": e.id, "programme": e.programme, "year": e.year, "award": e.award}
                        for e in doc.entries]}


def _not_found(asked: str) -> ApiError:
    return ApiError(404, "not_found", f"no innovation with id {asked!r}", {"id": asked})


@router.get("/innovations/{innovation_id}", summary="One innovation (by its id or any of its entry ids), the full record",
            response_model=schemas.InnovationRecord, responses={**schemas.NOT_FOUND, **schemas.ERRORS})
def innovation(request: Request, innovation_id: str):
    doc = runtime(request).service.get(innovation_id)
    if doc is None:
        raise _not_found(innovation_id)
    return innovation_body(doc, innovation_id)


@router.get("/innovations/{innovation_id}/history", summary="Every revision of the innovation's entries, newest first",
            response_model=schemas.History, response_model_by_alias=True, responses=schemas.NOT_FOUND)
def history(request: Request, innovation_id: str):
    catalog = runtime(request).catalog
    resolved = catalog.resolve(innovation_id)
    if resolved is None:
        raise _not_found(innovation_id)
    return {"id": resolved, "revisions": [r.to_json() for r in catalog.history(resolved)]}


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


@router.get("/stats", summary="Totals by programme, year, province, sector and agency level",
            response_model=schemas.Stats, responses=schemas.ERRORS)
def stats(request: Request):
    return runtime(request).service.stats()


@router.get("/export", summary="Every match of a search, streamed as CSV or JSON Lines",
            response_class=StreamingResponse, responses={
                200: {"description": "One row (CSV, UTF-8 with BOM) or line (JSON Lines) per innovation",
                      "content": {"text/csv": {}, "application/x-ndjson": {}}}, **schemas.ERRORS})
def export(request: Request, format: Literal["csv", "jsonl"] = Query("csv"), req: SearchRequest = SearchParams):
    service = runtime(request).service
    docs = service.export(req)
    first = next(docs, None)  # surface engine errors before the response starts

    def rows() -> Iterator:
        if first is not None:
            yield first
            yield from docs

    if format == "jsonl":
        body = (json.dumps(innovation_body(d), ensure_ascii=False) + "\n" for d in rows())
        return StreamingResponse(body, media_type="application/x-ndjson",
                                 headers={"Content-Disposition": 'attachment; filename="jippnas-export.jsonl"'})
    return StreamingResponse(_csv_lines(rows()), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="jippnas-export.csv"'})


def _csv_lines(docs) -> Iterator[str]:
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)
    buffer.write("\ufeff")  # Excel opens UTF-8 correctly only with a BOM
    writer.writerow(EXPORT_COLUMNS)
    for doc in docs:
        data = innovation_body(doc)
        data["entries"] = [e["id"] for e in data["entries"]]
        writer.writerow(["; ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                         for v in (data[c] for c in EXPORT_COLUMNS)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()



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
    origins = rt.settings.cors_origin_list
    if origins:  # off unless configured; "*" must be listed explicitly
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], max_age=3600)

    @app.get("/healthz", tags=["ops"], summary="Engine status and document count", response_model=schemas.Health,
             responses={503: {"model": schemas.Health, "description": "The engine is down"}})
    def healthz():
        status, body = health_payload(rt)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(ApiError)
    def _api_error(request: Request, exc: ApiError):
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

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
                                       {"engine": rt.settings.engine}), status_code=503)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException):
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # Keep the exception's headers: a 405 must say which methods are allowed (Allow).
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception):
        logging.getLogger("jippnas").exception("unhandled error on %s", request.url.path)
        return JSONResponse(error_body("internal_error", "unexpected error; it has been logged"), status_code=500)

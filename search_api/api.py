"""The JSON API (design §5), versioned under /api/v1."""
from __future__ import annotations

import io
import json
import logging
from typing import Iterator

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .engines import EngineUnavailable
from .facets import FACETS_BY_NAME
from .query import MAX_SIZE, QueryError, SearchRequest, group_params
from .runtime import Runtime
from .spreadsheet import SpreadsheetWriter

router = APIRouter(prefix="/api/v1", tags=["search"])

EXPORT_COLUMNS = ("id", "title", "acronym", "agency", "agency_level", "province", "regency_city", "year",
                  "programme", "award", "sector", "sdgs", "stage", "is_digital", "problem", "solution", "impact",
                  "replicated_in", "sources", "updated_at")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: object = None):
        self.status, self.code, self.message, self.details = status, code, message, details


def error_body(code: str, message: str, details: object = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def parse_search(request: Request) -> SearchRequest:
    try:
        return SearchRequest.parse(group_params(request.query_params.multi_items()))
    except QueryError as exc:
        raise ApiError(422, "invalid_parameter", exc.message, {"parameter": exc.param}) from None


@router.get("/search", summary="Search innovations (hybrid, keyword or semantic) with facets")
def search(request: Request,
           q: str = Query("", description="What you are looking for, in your own words"),
           mode: str = Query("hybrid", description="hybrid | keyword | semantic"),
           page: int = Query(1), size: int = Query(10), sort: str = Query("relevance")):
    return runtime(request).service.search(parse_search(request))


def _not_found(asked: str) -> ApiError:
    return ApiError(404, "not_found", f"no innovation with id {asked!r}", {"id": asked})


@router.get("/innovations/{innovation_id}", summary="One innovation (by its id or any of its entry ids), the full record")
def innovation(request: Request, innovation_id: str):
    doc = runtime(request).service.get(innovation_id)
    if doc is None:
        raise _not_found(innovation_id)
    # Asked by entry id: that entry's fields; otherwise the leading entry's.
    record = next((e for e in doc.entries if e.id == innovation_id), doc.record)
    return {**record.model_dump(mode="json"), "id": doc.id, "entry_id": record.id,
            "entries": [{"id": e.id, "programme": e.programme, "year": e.year, "award": e.award}
                        for e in doc.entries]}


@router.get("/innovations/{innovation_id}/history", summary="Every revision of the innovation's entries, newest first")
def history(request: Request, innovation_id: str):
    catalog = runtime(request).catalog
    resolved = catalog.resolve(innovation_id)
    if resolved is None:
        raise _not_found(innovation_id)
    return {"id": resolved, "revisions": [r.to_json() for r in catalog.history(resolved)]}


@router.get("/innovations/{innovation_id}/similar", summary="Innovations solving a similar problem")
def similar(request: Request, innovation_id: str, size: int = Query(10, ge=1, le=MAX_SIZE)):
    service = runtime(request).service
    items = service.similar(innovation_id, size)
    if items is None:
        raise _not_found(innovation_id)
    return {"id": service.catalog.resolve(innovation_id), "similar": items}


class SimilarProblemsBody(BaseModel):
    problem: str = Field(min_length=3, max_length=5000, description="The problem, described in your own words")
    filters: dict[str, list[str] | str] = Field(default_factory=dict,
                                                 description="Facet filters, e.g. {\"agency_level\": [\"kabupaten\"]}")
    size: int = Field(10, ge=1, le=MAX_SIZE)


@router.post("/similar-problems", summary="Who already solved a problem like mine?")
def similar_problems(request: Request, body: SimilarProblemsBody):
    params = {k: v if isinstance(v, list) else [v] for k, v in body.filters.items()}
    unknown = set(params) - _FILTER_PARAMS
    if unknown:
        raise ApiError(422, "invalid_parameter", f"unknown filter(s): {', '.join(sorted(unknown))}",
                       {"parameter": "filters"})
    try:
        filters = SearchRequest.parse({k: [str(x) for x in v] for k, v in params.items()}).filters
    except QueryError as exc:
        raise ApiError(422, "invalid_parameter", exc.message, {"parameter": f"filters.{exc.param}"}) from None
    result = runtime(request).service.similar_problems(body.problem, filters, body.size)
    return {"problem": body.problem, "total": result["total"], "took_ms": result["took_ms"], "hits": result["hits"]}


@router.get("/stats", summary="Totals by programme, year, province, sector and agency level")
def stats(request: Request):
    return runtime(request).service.stats()


@router.get("/export", summary="Every match of a search, streamed as CSV or JSON Lines")
def export(request: Request, format: str = Query("csv", pattern="^(csv|jsonl)$")):
    req = parse_search(request)
    service = runtime(request).service
    docs = service.export(req)
    first = next(docs, None)  # surface engine errors before the response starts

    def rows() -> Iterator:
        if first is not None:
            yield first
            yield from docs

    if format == "jsonl":
        body = (json.dumps(d.record.model_dump(mode="json"), ensure_ascii=False) + "\n" for d in rows())
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
        data = doc.record.model_dump(mode="json")
        writer.writerow(["; ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else v)
                         for v in (data[c] for c in EXPORT_COLUMNS)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


_FILTER_PARAMS = set(FACETS_BY_NAME) | {"year_from", "year_to"}


def health_payload(rt: Runtime) -> tuple[int, dict]:
    try:
        return 200, rt.engine.health()
    except EngineUnavailable as exc:
        return 503, {"status": "unavailable", "engine": rt.settings.engine, "documents": None, "error": str(exc)}


def install(app: FastAPI, rt: Runtime) -> None:
    """Mount the API and its JSON error handling on an app."""
    app.state.runtime = rt
    app.include_router(router)
    origins = rt.settings.cors_origin_list
    if origins:  # off unless configured; "*" must be listed explicitly
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], max_age=3600)

    @app.get("/healthz", tags=["ops"], summary="Engine status and document count")
    def healthz():
        status, body = health_payload(rt)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(ApiError)
    def _api_error(request: Request, exc: ApiError):
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError):
        details = [{"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return JSONResponse(error_body("invalid_parameter", "invalid request parameters", details), status_code=422)

    @app.exception_handler(EngineUnavailable)
    def _unavailable(request: Request, exc: EngineUnavailable):
        return JSONResponse(error_body("engine_unavailable", "the search engine is not available, try again later",
                                       {"engine": rt.settings.engine, "reason": str(exc)}), status_code=503)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception):
        logging.getLogger("jippnas").exception("unhandled error on %s", request.url.path)
        return JSONResponse(error_body("internal_error", "unexpected error; it has been logged"), status_code=500)

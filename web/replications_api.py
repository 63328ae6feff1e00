"""The replication records in the JSON API: list with filters and export (CSV, JSON Lines),
statistics per year, province (from → to) and sector, and adding and verifying records
(through ``catalog.services``: the original innovator's agency or the adopter may add)."""
from __future__ import annotations

import io
import json
from typing import Iterator, Literal

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import StreamingResponse

from catalog.regions import province as province_named
from catalog.replications import Replications
from catalog.schema import REPLICATION_STATUSES
from catalog.services import Identity, PermissionDenied
from catalog.store import CatalogError
from catalog.workflow import InvalidEntry
from search_api.spreadsheet import SpreadsheetWriter

from . import auth, replication_views, schemas
from .api import ApiError, Caller, invalid, runtime
from .editor import sync_search

router = APIRouter(prefix="/api/v1", tags=["replications"])
COLUMNS = ("id", "innovation_id", "original_title", "from_province", "adopter", "province", "province_code",
           "regency_city", "regency_code", "year", "status", "adapted", "text", "resolved", "adapted_innovation_id",
           "source")
Status = Literal[REPLICATION_STATUSES]  # type: ignore[valid-type]
MAX_SIZE = 1000


def _province(name: str | None, parameter: str) -> str | None:
    if name is None:
        return None
    try:
        return province_named(name).name
    except ValueError as exc:
        raise invalid([{"parameter": parameter, "message": f"{parameter}: {exc}"}]) from None


@router.get("/replications", summary="Replication records, filtered; format=csv or jsonl exports every match",
            response_model=schemas.ReplicationList, responses={
                200: {"description": "A page of records (json) or every match (csv, jsonl)",
                      "content": {"text/csv": {}, "application/x-ndjson": {}}}, **schemas.NOT_FOUND,
                **schemas.ERRORS})
def list_replications(
        request: Request,
        innovation: str | None = Query(None, description="An innovation (or entry) id: its replications"),
        from_province: str | None = Query(None, description="Province of the original innovation"),
        to_province: str | None = Query(None, description="Province it went to"),
        status: list[Status] = Query([], description="Repeatable: planned, running, done, stopped"),
        year_from: int | None = Query(None, ge=1945, le=2100), year_to: int | None = Query(None, ge=1945, le=2100),
        resolved: Literal["agency", "region", "text"] | None = Query(None, description="What the record names"),
        format: Literal["json", "csv", "jsonl"] = Query("json"),
        page: int = Query(1, ge=1, le=10_000), size: int = Query(100, ge=1, le=MAX_SIZE)):
    catalog = runtime(request).catalog
    innovation, from_province, to_province = (v.strip() or None if v else None
                                              for v in (innovation, from_province, to_province))
    innovation_id = None
    if innovation is not None:
        innovation_id = catalog.resolve(innovation)
        if innovation_id is None:
            raise ApiError(404, "not_found", f"no innovation with id {innovation!r}", {"id": innovation})
    to_code = province_named(_province(to_province, "to_province")).code if to_province else None
    reps = Replications(catalog)
    found = reps.search(innovation_id=innovation_id, to_province_code=to_code,
                        from_province=_province(from_province, "from_province"), status=status,
                        year_from=year_from, year_to=year_to, resolved=resolved)
    if format == "json":
        shown = found[(page - 1) * size: page * size]
        return {"total": len(found), "page": page, "size": size, "replications": [r.to_json() for r in shown]}
    origins = reps.origins({r.innovation_id for r in found})
    rows = ({**r.to_json(), "original_title": origins[r.innovation_id].title,
             "from_province": origins[r.innovation_id].province} for r in found)
    if format == "jsonl":
        return StreamingResponse((json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                                 media_type="application/x-ndjson",
                                 headers={"Content-Disposition": 'attachment; filename="jippnas-replications.jsonl"'})
    return _csv(COLUMNS, ([row.get(c) for c in COLUMNS] for row in rows), "jippnas-replications.csv")


@router.get("/replications/stats", summary="Replication records per year, per province (from → to) or per sector",
            response_model=schemas.ReplicationStats, responses={
                200: {"description": "Counts (json) or the same as CSV", "content": {"text/csv": {}}},
                **schemas.ERRORS})
def replication_stats(request: Request, by: Literal["year", "province", "sector"] = Query("year"),
                      format: Literal["json", "csv"] = Query("json")):
    rows = replication_views.stats(runtime(request).catalog, by)
    if format == "csv":
        columns = tuple(rows[0]) if rows else {"year": ("year", "count"), "province": ("from_province", "to_province",
                                                                                         "count"),
                                               "sector": ("sector", "count")}[by]
        return _csv(columns, ([row[c] for c in columns] for row in rows), f"jippnas-replications-by-{by}.csv")
    return {"by": by, "rows": rows}


def _csv(columns, rows, filename: str) -> StreamingResponse:
    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = SpreadsheetWriter(buffer)  # cells that look like formulas are neutralised
        buffer.write("\ufeff")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _write_errors(exc: Exception) -> ApiError:
    if isinstance(exc, PermissionDenied):
        return ApiError(403, "forbidden", str(exc))
    if isinstance(exc, InvalidEntry):
        return invalid([{"parameter": name, "message": f"{name}: {message}"} for name, message in exc.errors.items()])
    return ApiError(404, "not_found", str(exc))


@router.post("/replications", status_code=201, summary="Record a replication (the innovator's agency or the adopter; "
                                                       "curators' records are published at once, editors' wait for "
                                                       "a curator)",
             response_model=schemas.ReplicationRecord, responses=schemas.ENTRY_ERRORS)
def add_replication(request: Request, response: Response, body: schemas.ReplicationIn, identity: Identity = Caller):
    data = body.model_dump(exclude={"innovation_id"}, exclude_none=True)
    try:
        record = auth.service(request).add_replication(identity, body.innovation_id, data)
    except (PermissionDenied, InvalidEntry, CatalogError) as exc:
        raise _write_errors(exc) from None
    if record.state == "published":
        sync_search(request)
    response.headers["Location"] = f"/api/v1/replications?innovation={record.innovation_id}"
    return record.to_json()


@router.post("/replications/{replication_id}/verify", summary="Curators: verify and publish a replication record",
             response_model=schemas.ReplicationRecord, responses=schemas.ENTRY_ERRORS)
def verify_replication(request: Request, replication_id: int, identity: Identity = Caller):
    try:
        record = auth.service(request).verify_replication(identity, replication_id)
    except (PermissionDenied, InvalidEntry, CatalogError) as exc:
        raise _write_errors(exc) from None
    sync_search(request)
    return record.to_json()


def install(app: FastAPI) -> None:
    app.include_router(router)

"""Typed request and response models of the JSON API: what OpenAPI documents is what the
endpoints return (FastAPI checks every response against its model), and every error,
whatever raised it, has one shape."""
from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from search_api.facets import CHARTED, FACETS, Facet
from search_api.query import MAX_PAGE, MAX_SIZE, MODES, SORTS

Mode = Literal[MODES]  # type: ignore[valid-type]
Sort = Literal[SORTS]  # type: ignore[valid-type]


# ---------------------------------------------------------------- errors
class ErrorDetail(BaseModel):
    code: str = Field(description="invalid_parameter | not_found | engine_unavailable | busy | method_not_allowed | "
                                  "body_too_large | uri_too_long | internal_error | http_error")
    message: str
    details: dict[str, Any] | None = Field(None, description="`parameter` names the bad parameter (422); "
                                                             "`problems` lists every problem found")


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS = {400: {"model": ErrorBody, "description": "The request body could not be read"},
          414: {"model": ErrorBody, "description": "The address is longer than JIPPNAS_MAX_URL_BYTES (a long "
                                                   "multi-byte query can reach it before its 2000 characters)"},
          422: {"model": ErrorBody, "description": "A parameter is invalid (named in details.parameter)"},
          503: {"model": ErrorBody, "description": "The search engine is not available"}}
NOT_FOUND = {404: {"model": ErrorBody, "description": "No innovation or entry has this id"}}


# ---------------------------------------------------------------- search
class EntryRef(BaseModel):
    id: str = Field(description="Entry id: <source>-<id in that source>, e.g. kipp-inv-0007")
    programme: str
    year: int | None
    award: str | None


class Explain(BaseModel):
    keyword_rank: int | None
    keyword_score: float | None = Field(description="BM25")
    keyword_z: float | None = Field(description="The keyword score standardised over the leg's top 100 (zscore fusion)")
    semantic_rank: int | None
    semantic_similarity: float | None = Field(description="Cosine similarity of the embeddings")
    semantic_z: float | None = Field(description="The similarity standardised over the leg's top 100 (zscore fusion)")
    fused_score: float | None = Field(description="What hybrid ranks by (JIPPNAS_FUSION: zscore or rrf)")


class Described(BaseModel):
    """What every view of an innovation names: the leading entry's identity and place."""

    id: str = Field(description="Innovation id (jip-…)")
    title: str
    acronym: str | None
    agency: str
    agency_level: str
    province: str | None
    regency_city: str | None
    year: int | None
    programme: str
    award: str | None
    sector: str | None
    is_digital: bool | None


class HitSummary(Described):
    excerpt: str = Field(description="The start of the problem statement")
    entries: list[EntryRef] = Field(description="Every published programme entry of the innovation")


class Hit(HitSummary):
    score: float | None = Field(description="Fused (hybrid) or leg score; null past the depth the legs were read to")
    highlights: dict[str, list[str]] = Field(description="HTML-escaped text with <mark> around matched words")
    explain: Explain | None = None


class FacetValue(BaseModel):
    value: str
    count: int
    selected: bool


class FacetResult(BaseModel):
    label: str
    values: list[FacetValue]
    truncated: bool
    distinct: int = Field(description="How many values the facet has over the result set, listed or not "
                                      "(facet_size lists the most frequent)")


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    total: int
    page: int
    size: int
    sort: Sort
    suggestion: str | None = Field(description="The query with misspelt words corrected, or null")
    took_ms: float
    hits: list[Hit]
    facets: dict[str, FacetResult]


def facet_value(facet: Facet) -> Any:
    """The type of one value of a facet in a request, from its declaration."""
    if facet.kind == "bool":
        return Literal["true", "false"]
    if facet.kind == "int":
        return Annotated[int, Field(ge=facet.bounds[0], le=facet.bounds[1])]
    return str


def search_parameters(parse):
    """A FastAPI dependency declaring every search parameter (so OpenAPI lists them, with
    enums and bounds) that hands the request to ``parse``, the one validation shared with
    the pages and the command line. Facet parameters come from the facet declarations."""
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        inspect.Parameter("q", kw, annotation=str, default=Query("", max_length=2000,
                                                                   description="What you look for, in your own words")),
        inspect.Parameter("mode", kw, annotation=Mode, default=Query("hybrid")),
        inspect.Parameter("page", kw, annotation=int, default=Query(1, ge=1, le=MAX_PAGE, description=(
            f"At most {MAX_PAGE} pages of at most {MAX_SIZE}: the export gives every result"))),
        inspect.Parameter("size", kw, annotation=int, default=Query(10, ge=1, le=MAX_SIZE)),
        inspect.Parameter("sort", kw, annotation=Sort, default=Query("relevance")),
        inspect.Parameter("year_from", kw, annotation=int | None, default=Query(None, ge=1900, le=2100)),
        inspect.Parameter("year_to", kw, annotation=int | None, default=Query(None, ge=1900, le=2100)),
        inspect.Parameter("explain", kw, annotation=bool, default=Query(False, description="Per-hit leg ranks and scores")),
        inspect.Parameter("facet_size", kw, annotation=int, default=Query(30, ge=1, le=1000,
                                                                           description="Values listed per facet")),
    ]
    for facet in FACETS:
        params.append(inspect.Parameter(facet.name, kw, annotation=list[facet_value(facet)], default=Query(
            [], description=f"{facet.label('en')} (repeatable: values combine with OR)")))

    def dependency(request: Request, **_declared):
        return parse(request)

    dependency.__signature__ = inspect.Signature(params)
    return dependency


# ---------------------------------------------------------------- innovations
class InnovationRecord(Described):
    entry_id: str = Field(description="The entry whose fields are shown: the one asked for, else the leading one")
    sdgs: list[int]
    stage: str | None
    problem: str
    solution: str
    impact: str
    replicated_in: list[str]
    sources: list[str]
    updated_at: datetime
    entries: list[EntryRef]


class Change(BaseModel):
    from_: Any = Field(alias="from")
    to: Any


class Revision(BaseModel):
    entry_id: str
    number: int
    at: datetime
    by: str = Field(description="file:<name> <position> for imports, user:<name> for people")
    status: Literal["draft", "submitted", "verified", "published", "withdrawn"]
    changed: list[str]
    changes: dict[str, Change]
    comment: str | None


class History(BaseModel):
    id: str
    revisions: list[Revision] = Field(description="Newest first")


class SimilarWhy(BaseModel):
    semantic_similarity: float
    shared_terms: list[str]


class SimilarItem(HitSummary):
    why: SimilarWhy


class Similar(BaseModel):
    id: str
    similar: list[SimilarItem]


ProblemFilters = create_model(
    "ProblemFilters", __config__=ConfigDict(extra="forbid"),
    year_from=(int | None, Field(None, ge=1900, le=2100)), year_to=(int | None, Field(None, ge=1900, le=2100)),
    **{f.name: (list[facet_value(f)] | facet_value(f) | None, Field(None, description=f.label("en"))) for f in FACETS})


class SimilarProblemsBody(BaseModel):
    problem: str = Field(min_length=3, max_length=5000, description="The problem, described in your own words")
    filters: ProblemFilters = Field(default_factory=ProblemFilters,
                                    description="Facet filters, e.g. {\"agency_level\": [\"kabupaten\"]}")
    size: int = Field(10, ge=1, le=MAX_SIZE)


class ProblemWhy(SimilarWhy):
    keyword_rank: int | None
    semantic_rank: int | None


class ProblemHit(Hit):
    why: ProblemWhy
    replicated_in: list[str]


class SimilarProblems(BaseModel):
    problem: str
    total: int
    took_ms: float
    hits: list[ProblemHit]


class ValueCount(BaseModel):
    value: str
    count: int


class CrossTab(BaseModel):
    rows: str = Field(description="The facet whose values are the rows")
    columns: str
    row_values: list[str] = Field(description="In chart order; \"-\" is \"no value\" (tidak diketahui)")
    column_values: list[str]
    cells: list[list[int]] = Field(description="cells[i][j]: innovations with row value i and column value j")
    row_totals: list[int] = Field(description="Innovations with row value i (one innovation may have several "
                                              "values of a facet, e.g. years, so cells can add up to more)")
    column_totals: list[int]
    total: int = Field(description="Innovations in the set")


Stats = create_model(
    "Stats", __doc__="Counts over the result set of the search parameters (the set the search page shows).",
    query=(str, ...), mode=(Mode, ...), total=(int, ...),
    facets=(dict[str, list[ValueCount]], Field(description="Every facet, every value in chart order; \"-\" counts "
                                                           "the innovations without a value; years in between "
                                                           "with 0")),
    crosstab=(CrossTab | None, Field(None, description="With by=ROWS,COLUMNS: the two facets cross-tabulated")),
    **{f.name: (list[ValueCount], ...) for f in CHARTED})


class Health(BaseModel):
    status: str
    engine: str
    documents: int | None
    error: str | None = None
    cluster: str | None = None
    took_ms: float | None = None


# ---------------------------------------------------------------- entering innovations
EntryStatus = Literal["draft", "submitted", "verified", "published", "withdrawn"]
SubmissionStatus = Literal["submitted", "returned", "verified", "published", "withdrawn"]
ProgrammeCode = Literal["KIPP", "IGA", "InoLAN"]


class EntryFields(BaseModel):
    """The entry form's fields (every one optional in a draft; each programme requires some
    before submission, see ``missing``). The agency's name and region come from the agency."""

    model_config = {"extra": "forbid"}

    title: str | None = Field(None, max_length=300, description="Nama inovasi")
    acronym: str | None = Field(None, max_length=60)
    year: int | None = Field(None, description="The year it started (1945-2100)")
    problem: str | None = Field(None, max_length=10_000, description="Masalah: the problem it solves")
    target_group: str | None = Field(None, description="Sasaran: who it serves")
    solution: str | None = Field(None, max_length=10_000, description="Solusi: what is done and how")
    novelty: str | None = Field(None, description="Kebaruan: what is new")
    is_digital: bool | None = None
    sector: str | None = Field(None, description="Urusan pemerintahan, from vocab/sectors.json")
    impact: str | None = Field(None, max_length=10_000, description="Hasil dan dampak")
    evidence: str | None = Field(None, description="Bukti: which data prove the results")
    sources: list[str] | None = Field(None, description="Evidence links, http(s) URLs")
    resources: str | None = Field(None, description="Sumber daya: staff, facilities, partners")
    budget: int | None = Field(None, ge=0, description="Anggaran, rupiah")
    budget_source: str | None = Field(None, description="APBD, APBN, Dana Desa, CSR…")
    stakeholders: str | None = None
    sustainability: str | None = None
    regulation: str | None = Field(None, description="Dasar hukum (Perbup, SK…)")
    replication: str | None = Field(None, description="Kesiapan replikasi: what another agency needs")
    replicated_in: list[str] | None = None
    sdgs: list[int] | None = Field(None, description="SDG numbers, 1-17")
    stage: Literal["inisiatif", "uji coba", "penerapan"] | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


class NewEntry(EntryFields):
    agency_id: int | None = Field(None, description="Admins only: the agency the entry is for (an editor's or "
                                                    "a token's own agency otherwise)")


class MissingField(BaseModel):
    field: str
    code: Literal["required", "too_short"]
    minimum: int | None = Field(None, description="The minimum length in characters (too_short)")


class SubmissionState(BaseModel):
    programme: ProgrammeCode
    status: SubmissionStatus
    revision: int = Field(description="The entry revision this state was reached at")
    published_entry_id: str | None = Field(description="The programme's own, searchable entry once published")
    comment: str | None = Field(description="The curator's comment (why it was returned)")
    at: datetime
    by: str


class AgencyRef(BaseModel):
    id: int
    name: str
    level: str
    province: str | None
    regency_city: str | None


class EntryOut(BaseModel):
    id: str = Field(description="input-…: the entry entered here")
    innovation_id: str = Field(description="Its innovation (search results and profiles use this id once published)")
    status: EntryStatus = Field(description="submitted while any programme has it to review, else verified, "
                                            "published or draft")
    revision: int = Field(description="The version: send it back as If-Match (the ETag header carries it too)")
    updated_at: datetime
    agency: AgencyRef
    fields: EntryFields
    programmes: dict[str, SubmissionState] = Field(description="Each programme it was submitted to")
    missing: dict[str, list[MissingField]] = Field(description="Per programme, what still keeps it from being "
                                                               "submitted there (empty: ready)")


class EntryList(BaseModel):
    entries: list[EntryOut]


class SubmitBody(BaseModel):
    programmes: list[ProgrammeCode] = Field(min_length=1)


class ReturnBody(BaseModel):
    comment: str = Field(min_length=1, max_length=5000, description="What should change before it is submitted again")
    programme: ProgrammeCode | None = Field(None, description="Default: the curator's programme (admins must name it)")


class VerifyBody(BaseModel):
    comment: str | None = Field(None, max_length=5000)
    programme: ProgrammeCode | None = Field(None, description="Default: the curator's programme (admins must name it)")
    publish: bool = Field(True, description="Publish at once (the innovation becomes searchable within seconds)")


class PublishBody(BaseModel):
    programme: ProgrammeCode | None = Field(None, description="Default: the curator's programme (admins must name it)")


ENTRY_ERRORS = {
    400: {"model": ErrorBody, "description": "If-Match is not an ETag of this API"},
    401: {"model": ErrorBody, "description": "No valid bearer token and nobody signed in"},
    403: {"model": ErrorBody, "description": "Another agency's entry, or not your programme (nothing changed)"},
    404: {"model": ErrorBody, "description": "No entry entered here has this id"},
    409: {"model": ErrorBody, "description": "Stale: the entry changed since the revision in If-Match (details.current "
                                             "is the saved entry; nothing was written), or the step does not fit its state"},
    422: {"model": ErrorBody, "description": "A value is invalid (details.problems), or a programme's required fields "
                                             "are missing (details.missing)"},
}

"""Typed request and response models of the JSON API: what OpenAPI documents is what the
endpoints return (FastAPI checks every response against its model), and every error,
whatever raised it, has one shape."""
from __future__ import annotations

import inspect
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from search_api.facets import CHARTED, FACETS, Facet
from search_api.query import MAX_PAGE, MAX_SIZE, MODES, SORTS

# Agency and other catalog ids are integers of the database (PostgreSQL's integer); larger ones
# are rejected here instead of overflowing the driver.
RECORD_ID_MAX = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=RECORD_ID_MAX)]
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
          413: {"model": ErrorBody, "description": "The request body is larger than JIPPNAS_MAX_BODY_BYTES"},
          414: {"model": ErrorBody, "description": "The address is longer than JIPPNAS_MAX_URL_BYTES (a long "
                                                   "multi-byte query can reach it before its 2000 characters)"},
          422: {"model": ErrorBody, "description": "A parameter is invalid (named in details.parameter)"},
          429: {"model": ErrorBody, "description": "Too many requests from this client (see Retry-After)"},
          503: {"model": ErrorBody, "description": "The search engine is not available, or the request took too "
                                                   "long (code `timeout`); see Retry-After"}}
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
    replications: int = Field(description="Published replication records (where it was replicated)")


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
        return Annotated[int, Field(ge=facet.bounds[0], le=facet.bounds[1]), BeforeValidator(_not_boolean)]
    return str


def _not_boolean(value: Any) -> Any:
    """JSON true/false is not a count (pydantic would read false as 0)."""
    if isinstance(value, bool):
        raise ValueError("a whole number, not true or false")
    return value


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
class ReplicationRecord(BaseModel):
    """One replication: the original innovation, who adopted it where, how far it got."""

    id: int
    innovation_id: str = Field(description="The original innovation")
    adopter: str | None = Field(description="The adopting agency's name, when known")
    adopter_agency_id: int | None
    province: str | None = Field(description="Where it went (one of the 38 provinces)")
    province_code: str | None = Field(description="Kemendagri code, e.g. 63")
    regency_city: str | None
    regency_code: str | None = Field(description="Kemendagri code, e.g. 63.03")
    year: int | None
    status: Literal["planned", "running", "done", "stopped"]
    adapted: str | None = Field(description="What was adapted, how")
    text: str | None = Field(description="The source's own words (imported records)")
    source: str | None = Field(description="Where the fact comes from")
    adapted_innovation_id: str | None = Field(description="The adopter's own innovation, adapted from this one")
    resolved: Literal["agency", "region", "text"] = Field(description="What the record names: an agency (and "
                                                                       "region), a region only, or only text")
    state: Literal["submitted", "published", "withdrawn"]


class ReplicationList(BaseModel):
    total: int
    page: int
    size: int
    replications: list[ReplicationRecord]


class ReplicationIn(BaseModel):
    """A replication record entered by the original innovator's agency or by the adopter."""

    model_config = {"extra": "forbid"}

    innovation_id: str = Field(description="The original innovation (innovation or entry id)")
    adopter_agency_id: int | None = Field(None, description="The adopting agency (an editor adopting it: their own "
                                                            "agency when left out)")
    province: str | None = None
    regency_city: str | None = None
    year: int | None = None
    status: Literal["planned", "running", "done", "stopped"] = "done"
    adapted: str | None = Field(None, max_length=2000, description="What was adapted, how")
    source: str | None = Field(None, max_length=2000, description="Where the fact comes from (a URL, a letter…)")
    adapted_innovation_id: str | None = Field(None, description="The adopter's own innovation in the catalog")


class ReplicationStat(BaseModel):
    year: int | None = None
    from_province: str | None = None
    to_province: str | None = None
    sector: str | None = None
    count: int


class ReplicationStats(BaseModel):
    by: Literal["year", "province", "sector"]
    rows: list[ReplicationStat]


class InnovationRecord(Described):
    entry_id: str = Field(description="The entry whose fields are shown: the one asked for, else the leading one")
    sdgs: list[int]
    stage: str | None
    problem: str
    solution: str
    impact: str
    replicated_in: list[str] = Field(description="The programmes' replication text as submitted (see replications)")
    replications: list[ReplicationRecord] = Field(description="Replication records of this innovation")
    adapted_from: list[ReplicationRecord] = Field([], description="The chain this innovation was adapted from, "
                                                                  "nearest first")
    sources: list[str]
    updated_at: datetime
    entries: list[EntryRef]
    activity: Literal["berlanjut", "vakum"] | None = Field(
        None, description="Pemutakhiran: its latest confirmation, continuing or stopped (null: never confirmed)")


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
    semantic_similarity: float = Field(description="Cosine similarity of the embeddings (e5's lie within 0.75-0.9)")
    similarity_percentile: float | None = Field(
        description="Share of innovations (in %) less similar to the query: the readable form of the cosine")
    similarity_band: Literal["very_close", "close", "related", "distant"] | None = Field(
        description="very_close: beyond what unrelated texts reach; close: similar enough to be a result by "
                    "meaning alone; related; distant")
    shared_terms: list[str] = Field(description="Words it shares with the query, one per concept, no common ones")


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


class ReadinessProblem(BaseModel):
    kind: str = Field(description="catalog, engine, schema, model, pending, count")
    message: str
    repair: str | None = Field(description="what `jippnas check --fix` does about it: sync, reindex, orphans")


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    engine: str
    catalog: int | None = Field(description="innovations with a published entry")
    index: int | None = Field(description="documents in the search index")
    problems: list[ReadinessProblem]


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
    replication_staff: str | None = Field(None, description="Staff needed and their skills")
    replication_time: str | None = Field(None, max_length=200, description="How long setting it up takes")
    replication_infrastructure: str | None = Field(None, description="Prerequisites: equipment, systems, network")
    replication_materials: list[str] | None = Field(None, description="SOP, manuals, templates: a title or a link each")
    replicated_in: list[str] | None = None
    sdgs: list[int] | None = Field(None, description="SDG numbers, 1-17")
    stage: Literal["inisiatif", "uji coba", "penerapan"] | None = None
    contact_name: str | None = None
    contact_unit: str | None = Field(None, description="The unit that answers (bidang, seksi, UPT)")
    contact_role: str | None = Field(None, description="The contact's position")
    contact_email: str | None = None
    contact_phone: str | None = None
    contact_website: str | None = Field(None, description="http(s) address")


class NewEntry(EntryFields):
    agency_id: RecordId | None = Field(None, description="Admins only: the agency the entry is for (an editor's or "
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


# ---------------------------------------------------------------- keeping data current
Activity = Literal["berlanjut", "vakum"]
UpdatingState = Literal["current", "stale", "stopped"]


class CampaignOut(BaseModel):
    id: int
    title: str
    opened_at: datetime
    deadline: date
    innovations: int = Field(description="How many innovations it covers")


class AgencyFigures(BaseModel):
    agency_id: int | None
    agency: str
    innovations: int
    current: int = Field(description="Confirmed continuing since the campaign opened and within 12 months")
    stale: int = Field(description="Never confirmed, or not since the campaign opened or for 12 months")
    stopped: int = Field(description="Confirmed vakum (stopped)")
    incomplete: int = Field(description="An aspect of the knowledge standard is empty")
    outstanding: int = Field(description="Still to be updated: the stale ones")


class UpdatingFigures(BaseModel):
    campaign: CampaignOut | None = Field(description="The campaign counted (default: the newest); null: every "
                                                     "published innovation, 12-month rule only")
    totals: AgencyFigures
    outstanding_agencies: int = Field(description="Agencies with anything outstanding")
    agencies: list[AgencyFigures] = Field(description="Most outstanding first")


class ConfirmationOut(BaseModel):
    activity: Activity
    reason: str | None
    at: datetime
    by: str


class InnovationUpdating(BaseModel):
    innovation_id: str
    title: str
    agency_id: int | None
    agency: str
    state: UpdatingState
    confirmation: ConfirmationOut | None = Field(description="The latest confirmation")
    completeness: float = Field(description="Share of the knowledge standard's aspects present, 0–1")
    missing_aspects: list[str]


class OutstandingList(BaseModel):
    campaign: CampaignOut | None
    innovations: list[InnovationUpdating]


class ConfirmBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity: Activity
    reason: str | None = Field(None, max_length=1000, description="Why it stopped (required for vakum)")


class Confirmed(BaseModel):
    innovation_id: str
    confirmation: ConfirmationOut


class CampaignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    deadline: date
    agencies: list[RecordId] | None = Field(None, description="Only these agencies' published innovations")
    innovations: list[str] | None = Field(None, description="Exactly these innovations (ids of innovations or "
                                                            "entries)")

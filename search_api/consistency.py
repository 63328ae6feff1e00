"""Does the search index agree with the catalog? (`jippnas check` and `/readyz`.)

The catalog is the system of record; the index is derived from it. They agree when the index
holds exactly the innovations with a published entry, built by this code's schema with the
configured embedding model, and the engine has applied the whole outbox. Each problem names
what repairs it: ``sync`` (index what is missing, drop what is extra), ``reindex`` (a full
rebuild: another schema or model), ``orphans`` (indices nothing points to)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from catalog.store import Catalog

from .embeddings import model_id_of
from .engines import EngineUnavailable, SearchEngine
from .engines.base import Match
from .query import Filters

SHOWN_IDS = 10  # ids listed per problem in the report


@dataclass(frozen=True)
class Problem:
    kind: str  # catalog | engine | count | missing | extra | pending | schema | model | orphans
    message: str
    repair: str | None  # sync | reindex | orphans | None (the operator must act)


@dataclass
class Check:
    catalog: int | None = None  # innovations with a published entry
    index: int | None = None  # documents in the index
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        head = f"catalog: {_shown(self.catalog)} published innovations; index: {_shown(self.index)} documents"
        if self.ok:
            return [head, "ok: the index agrees with the catalog"]
        return [head, *(f"problem ({p.kind}): {p.message}" + (f"  [--fix: {p.repair}]" if p.repair else "")
                        for p in self.problems)]

    def to_json(self) -> dict:
        return {"ok": self.ok, "catalog": self.catalog, "index": self.index,
                "problems": [{"kind": p.kind, "message": p.message, "repair": p.repair} for p in self.problems]}


def _shown(n: int | None) -> str:
    return "?" if n is None else str(n)


def _ids(ids: set[str]) -> str:
    listed = ", ".join(sorted(ids)[:SHOWN_IDS])
    return listed + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")


def check(open_catalog: Callable[[], Catalog], engine: SearchEngine, embed_model: str, full: bool = True) -> Check:
    """``full`` compares every id (``jippnas check``); without it, counts only (``/readyz``,
    which must stay cheap at 100k documents). ``open_catalog`` may fail (a database down)."""
    result = Check()
    try:
        catalog = open_catalog()
        result.catalog = catalog.count_published()
        pending = len(catalog.pending(engine.key))
    except Exception as exc:  # any database error: the catalog does not answer
        result.problems.append(Problem("catalog", f"the catalog does not answer: {exc.__class__.__name__}", None))
        return result
    try:
        engine.ordered(Match(everything=True), Filters(), True, 0, 1)  # a real search, not only a ping
        result.index = engine.count()
        live_schema, schema = engine.schema()
        model = engine.model()
        ids = engine.ids() if full else None
        orphans = engine.orphans() if full else []
    except EngineUnavailable as exc:
        result.problems.append(Problem("engine", f"the search engine does not answer: {exc}", "reindex"))
        return result
    if live_schema != schema:
        result.problems.append(Problem("schema", f"the index has schema {_shown(live_schema)}, this version writes "
                                                 f"{schema}", "reindex"))
    expected = model_id_of(embed_model)
    # An index built before models were recorded: only the full check says so (readiness
    # must not fail on an upgrade; `jippnas check --fix` reindexes).
    if result.index and model != expected and (model is not None or full):
        result.problems.append(Problem("model", f"the index's vectors come from {model or 'an unrecorded model'}, "
                                                f"JIPPNAS_EMBED_MODEL gives {expected}", "reindex"))
    if pending:
        result.problems.append(Problem("pending", f"{pending} catalog changes are not in the index yet", "sync"))
    if ids is not None:
        published = catalog.published_ids()
        if missing := published - ids:
            result.problems.append(Problem("missing", f"{len(missing)} published innovations are not in the index: "
                                                      f"{_ids(missing)}", "sync"))
        if extra := ids - published:
            result.problems.append(Problem("extra", f"{len(extra)} documents in the index are not published in the "
                                                    f"catalog: {_ids(extra)}", "reindex"))
    elif result.index != result.catalog:
        result.problems.append(Problem("count", f"the index holds {result.index} documents, the catalog "
                                                f"{result.catalog} published innovations", "sync"))
    if orphans:
        result.problems.append(Problem("orphans", f"{len(orphans)} indices of this deployment that nothing points to: "
                                                  f"{_ids(set(orphans))}", "orphans"))
    return result

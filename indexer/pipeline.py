"""Import and reindex: source files → catalog → embeddings → search engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from catalog.replications import Replication, Replications
from catalog.services import CatalogService, Identity
from catalog.store import Catalog
from search_api.documents import SearchDocument
from search_api.embeddings import Embedder, VectorCache, embed_with_cache
from search_api.engines import SearchEngine
from search_api.runtime import Runtime
from search_api.spreadsheet import SpreadsheetWriter

from .progress import Progress
from .sources import Reject, SourceError, registry

BATCH = 64


@dataclass
class ImportReport:
    read: int = 0
    indexed: int = 0  # records accepted and searchable (new, changed or already there)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    embedded: int = 0  # texts that had to be embedded (not found in the vector cache)
    rejects: list[Reject] = field(default_factory=list)
    per_file: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)  # per file: how it was read (encoding assumed)
    unreadable: list[str] = field(default_factory=list)  # whole files that could not be read
    entry_ids: list[str] = field(default_factory=list)  # entries accepted
    replications: list[Replication] = field(default_factory=list)  # records from the accepted entries' replication fields

    def replication_counts(self) -> dict[str, int]:
        """How the replication text of this import resolved: to an agency (and region), a region only, or not."""
        counts = {"agency": 0, "region": 0, "text": 0}
        for r in self.replications:
            counts[r.resolved] += 1
        return counts

    def replication_summary(self) -> str:
        c = self.replication_counts()
        return (f"replications: {len(self.replications)} records ({c['agency']} resolved to an agency, "
                f"{c['region']} to a region only, {c['text']} kept as text)")

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    def summary(self) -> str:
        return (f"read {self.read}, indexed {self.indexed}, rejected {self.rejected} "
                f"({self.new} new, {self.changed} changed, {self.unchanged} unchanged; "
                f"embedded {self.embedded} texts)")

    def write_rejects(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as fh:
            out = SpreadsheetWriter(fh)
            out.writerow(["file", "position", "record_id", "field", "reason"])
            for r in self.rejects:
                out.writerow([r.file, r.position, r.record_id or "", r.field, r.reason])


# Who a file import acts as when the caller names nobody (tests, `jippnas demo`).
IMPORTER = Identity("importer", frozenset({"importer"}), via="import")


class Indexer:
    """Imports files into the catalog (through its services) and keeps one engine in step with it."""

    def __init__(self, catalog: Catalog, engine: SearchEngine, embedder: Callable[[], Embedder],
                 cache: VectorCache, show_progress: bool = True, identity: Identity = IMPORTER):
        self.catalog = catalog
        self.writes = CatalogService(catalog)
        self.identity = identity
        self.engine = engine
        self._embedder = embedder
        self.cache = cache
        self.show_progress = show_progress

    @classmethod
    def for_runtime(cls, rt: Runtime, show_progress: bool = False, identity: Identity = IMPORTER) -> "Indexer":
        return cls(rt.catalog, rt.engine, rt.embedder, rt.vector_cache(), show_progress=show_progress,
                   identity=identity)

    # ---------------------------------------------------------------- import
    def import_files(self, paths: Sequence[Path], fmt: str = "auto") -> ImportReport:
        report = ImportReport()
        for path in paths:
            self._import_file(Path(path), fmt, report)
        self.catalog.link_adaptations()
        report.replications = Replications(self.catalog).of_entries(report.entry_ids)
        report.embedded, failures = self.sync()
        for doc_id, reason in failures:
            report.rejects.append(Reject("(search engine)", "document", doc_id, reason, doc_id))
        report.indexed = report.new + report.changed + report.unchanged - len(failures)
        return report

    def _import_file(self, path: Path, fmt: str, report: ImportReport) -> None:
        stats = report.per_file.setdefault(str(path), {"read": 0, "accepted": 0, "rejected": 0})
        try:
            walk = registry().open(path, fmt)
            rows = list(walk.rows)
            if walk.notes:
                report.notes[str(path)] = walk.notes
        except (SourceError, OSError, UnicodeDecodeError) as exc:
            reason = str(exc).removeprefix(f"{path}: ")
            report.unreadable.append(str(path))
            report.rejects.append(Reject(str(path), "whole file", "-", reason))
            stats["rejected"] += 1
            return
        for row in rows:
            report.read += 1
            stats["read"] += 1
            if row.error:
                rejects = [Reject(row.file, row.position, "row", row.error)]
                record = None
            else:
                record, rejects = walk.to_record(row)
            if record is None:
                report.rejects.extend(rejects)
                stats["rejected"] += len(rejects)
                continue
            stats["accepted"] += 1
            report.entry_ids.append(record.id)
            outcome = self.writes.import_entry(self.identity, record, source=record.id.split("-", 1)[0],
                                               submitted=row.raw, origin=f"file:{Path(row.file).name} {row.position}")
            setattr(report, outcome, getattr(report, outcome) + 1)

    # ---------------------------------------------------------------- engine sync
    def sync(self) -> tuple[int, list[tuple[str, str]]]:
        """Apply the catalog's outbox to the engine: index or delete each changed innovation,
        advancing the engine's cursor batch by batch, so a re-run after a crash indexes only
        what is left. An index that disagrees with the catalog afterwards (lost, emptied,
        built elsewhere) is filled again from scratch. Returns (texts embedded, failures)."""
        embedded, failures = self._drain()
        if not failures and self.engine.count() != self.catalog.count_published():
            self.catalog.reset_sync(self.engine.key)
            more, failures = self._drain()
            embedded += more
        return embedded, failures

    def _drain(self) -> tuple[int, list[tuple[str, str]]]:
        key = self.engine.key
        pending = self.catalog.pending(key)
        progress = Progress(len(pending), "indexing") if self.show_progress and pending else None
        embedded, failures = 0, []
        for start in range(0, len(pending), BATCH):
            batch = pending[start : start + BATCH]
            ids = [innovation_id for innovation_id, _ in batch]
            docs = self._documents(self.catalog.published(ids))
            embedded += self._embed(docs)
            failed = dict(self.engine.index(docs).failures) if docs else {}
            gone = sorted(set(ids) - {d.id for d in docs})
            if gone:
                self.engine.delete(gone)
            failures.extend(failed.items())
            if docs and start == 0 and self.engine.model() is None:
                self.engine.set_model(self._embedder().model_id)  # what `jippnas check` compares
            if not failed:
                self.catalog.mark_synced(key, batch[-1][1])
            if progress:
                progress.advance(len(batch))
        if progress:
            progress.finish()
        return embedded, failures

    def reindex(self) -> int:
        """Rebuild the whole index from the catalog and swap it in atomically. Documents are
        streamed: at most one batch of records and vectors is held at a time."""
        key = self.engine.key
        upto = self.catalog.outbox_position()
        progress = Progress(self.catalog.count_published(), "reindexing") if self.show_progress else None
        counter = {"embedded": 0}

        def documents() -> Iterator[SearchDocument]:
            batch: list[tuple[str, list]] = []
            for found in self.catalog.published():
                batch.append(found)
                if len(batch) == BATCH:
                    yield from self._embedded(self._documents(batch), counter, progress)
                    batch = []
            yield from self._embedded(self._documents(batch), counter, progress)

        self._fail_on(self.engine.rebuild(documents()))
        self.engine.set_model(self._embedder().model_id)
        if progress:
            progress.finish()
        self.catalog.reset_sync(key)
        self.catalog.mark_synced(key, upto)
        return counter["embedded"]

    def _documents(self, published) -> list[SearchDocument]:
        """Search documents of (innovation id, published entries) pairs, with what the catalog
        knows of each innovation beyond its entries (``SearchDocument.facts``): its confirmed
        activity (pemutakhiran) and its published replication records."""
        published = list(published)
        ids = [i for i, _ in published]
        activity, found = self.writes.updating.activities(ids), Replications(self.catalog).of(ids)
        return [SearchDocument.from_records(i, records, _facts(activity.get(i), [r.to_json() for r in found[i]]))
                for i, records in published]

    def _embedded(self, batch: list[SearchDocument], counter: dict, progress: Progress | None):
        counter["embedded"] += self._embed(batch)
        if progress:
            progress.advance(len(batch))
        return batch

    def _embed(self, docs: list[SearchDocument]) -> int:
        """Give each document its float32 vector (from the cache where the text is known)."""
        if not docs:
            return 0
        matrix, embedded = embed_with_cache(self._embedder(), self.cache, [d.embed_text for d in docs], BATCH // 4)
        for doc, vector in zip(docs, matrix):
            doc.vector = vector
        return embedded

    @staticmethod
    def _fail_on(result) -> None:
        if result.failures:
            detail = "; ".join(f"{i}: {why}" for i, why in result.failures[:5])
            raise RuntimeError(f"{len(result.failures)} documents were not indexed: {detail}")


def _facts(activity: str | None, replications: list[dict]) -> dict:
    facts: dict = {"replications": replications} if replications else {}
    if activity:
        facts["activity"] = activity
    return facts

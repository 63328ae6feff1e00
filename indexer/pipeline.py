"""Import and reindex: source files → catalog → embeddings → search engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from search_api.catalog import Catalog
from search_api.documents import SearchDocument
from search_api.embeddings import Embedder, VectorCache, embed_with_cache
from search_api.engines import SearchEngine
from search_api.spreadsheet import SpreadsheetWriter

from .dedupe import group_records
from .progress import Progress
from .sources import Reject, SourceError, crosswalks, detect_format

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
    unreadable: list[str] = field(default_factory=list)  # whole files that could not be read

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


class Indexer:
    """Keeps one engine in step with the catalog."""

    def __init__(self, catalog: Catalog, engine: SearchEngine, embedder: Callable[[], Embedder],
                 cache: VectorCache, show_progress: bool = True):
        self.catalog = catalog
        self.engine = engine
        self._embedder = embedder
        self.cache = cache
        self.show_progress = show_progress

    # ---------------------------------------------------------------- import
    def import_files(self, paths: Sequence[Path], fmt: str = "auto") -> ImportReport:
        report = ImportReport()
        for path in paths:
            self._import_file(Path(path), fmt, report)
        report.embedded, failures = self.sync()
        for doc_id, reason in failures:
            report.rejects.append(Reject("(search engine)", "document", doc_id, reason, doc_id))
        report.indexed = report.new + report.changed + report.unchanged - len(failures)
        return report

    def _import_file(self, path: Path, fmt: str, report: ImportReport) -> None:
        stats = report.per_file.setdefault(str(path), {"read": 0, "accepted": 0, "rejected": 0})
        try:
            walk = detect_format(path) if fmt == "auto" else crosswalks()[fmt]
            rows = list(walk.read(path))
        except (SourceError, OSError, UnicodeDecodeError) as exc:
            reason = str(exc).removeprefix(f"{path}: ")
            report.unreadable.append(str(path))
            report.rejects.append(Reject(str(path), "whole file", "-", reason))
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
                stats["rejected"] += 1
                continue
            stats["accepted"] += 1
            outcome = self.catalog.upsert(record, row.raw, row.file, row.position)
            setattr(report, outcome, getattr(report, outcome) + 1)

    # ---------------------------------------------------------------- engine sync
    def _groups(self) -> list[list]:
        return group_records(self.catalog.all())

    def sync(self) -> tuple[int, list[tuple[str, str]]]:
        """Index every catalog record the engine lacks in its current version.
        Safe to re-run after a crash: documents are upserted by id.
        Returns (texts embedded, per-document failures)."""
        key = self.engine.key
        groups = self._groups()
        if self.engine.count() != len(groups):
            self.catalog.forget_indexed(key)  # the index was lost or built elsewhere: redo it all
        pending = self.catalog.pending(key)
        todo = [g for g in groups if any(r.id in pending for r in g)]
        if not todo:
            return 0, []
        docs = [SearchDocument.from_records(g) for g in todo]
        embedded = self._embed(docs)
        progress = Progress(len(docs), "indexing") if self.show_progress else None
        failures: list[tuple[str, str]] = []
        for start in range(0, len(docs), BATCH):
            batch = docs[start : start + BATCH]
            failed = dict(self.engine.index(batch).failures)
            failures.extend(failed.items())
            self.catalog.mark_indexed(key, [e.id for d in batch if d.id not in failed for e in d.entries])
            if progress:
                progress.advance(len(batch))
        if progress:
            progress.finish()
        return embedded, failures

    def reindex(self) -> int:
        """Rebuild the whole index from the catalog and swap it in atomically."""
        docs = [SearchDocument.from_records(g) for g in self._groups()]
        embedded = self._embed(docs)
        self._fail_on(self.engine.rebuild(docs))
        self.catalog.forget_indexed(self.engine.key)
        self.catalog.mark_indexed(self.engine.key, [e.id for d in docs for e in d.entries])
        return embedded

    def _embed(self, docs: list[SearchDocument]) -> int:
        progress = Progress(len(docs), "embedding", stream=None) if self.show_progress else None
        matrix, embedded = embed_with_cache(
            self._embedder(), self.cache, [d.embed_text for d in docs], BATCH // 4,
            on_batch=progress.advance if progress else None)
        if progress:
            progress.finish()
        for doc, vector in zip(docs, matrix):
            doc.vector = vector.tolist()
        return embedded

    @staticmethod
    def _fail_on(result) -> None:
        if result.failures:
            detail = "; ".join(f"{i}: {why}" for i, why in result.failures[:5])
            raise RuntimeError(f"{len(result.failures)} documents were not indexed: {detail}")


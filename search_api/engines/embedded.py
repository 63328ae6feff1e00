"""Embedded engine: no server. Text and facets in a tantivy index, vectors in a numpy matrix.

On disk, under the index directory (``DATA_DIR/tantivy``)::

    CURRENT               the name of the live generation; ``rebuild`` replaces it atomically
    write.lock            every write (any process) holds it for one index()/delete()/rebuild()
    s6-<stamp>/text/      the tantivy index: the analysed keyword text (BM25), facet values,
                          year sort keys, the document as JSON and its vector ``row``
    s6-<stamp>/vectors.f32    float32 rows, append-only, memory-mapped by readers
    s6-<stamp>/vectors.json   {"dimension": d}
    s6-<stamp>/rows.tsv       append-only "row<TAB>document id" lines

A write appends the vectors of its documents as new rows (and their ids to rows.tsv),
fsyncs both, then deletes and adds the documents in one tantivy commit: a reader sees the
whole write or none of it, and every row a commit refers to was on disk before it. A
replaced or deleted document leaves its old row behind, unreferenced; ``rebuild`` (a new
generation) holds only live rows, and a write after which dead rows outnumber live ones
compacts the same way: the live documents and vectors copied into a new generation. Readers notice a change with two ``stat`` calls per request and
reload in milliseconds (tantivy's reader reload, a new memory map, the new rows.tsv lines).

Reads: BM25 is tantivy's (k1 1.2, b 0.75, one-byte length norms, as Lucene); facet values
are ``name:value`` terms of one field, filtered with term queries and counted over the match
set by an aggregation of per-facet fast fields or, for many facets over a large match,
``terms_with_prefix``; semantic search
scans the matrix with numpy, keeps the current rows (known once per commit, see
``_live_rows``) and checks the best of them against tantivy's filters, or ranks the rows of the
documents a narrow filter lets through. ``retrieve`` runs a request's independent searches on
two threads.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import tantivy
from tantivy import FieldType, Occur, Order, Query

from ..documents import SearchDocument
from ..facets import FACETS
from ..query import Filters
from .base import EngineUnavailable, IndexResult, Match, Near, Ranked, Retrieval, Retrieved, SearchEngine, top_values

SCHEMA_VERSION = 7  # 7: a fast field per facet (6: missing facet values indexed, agency facet, the replication sort key)
CURRENT, LOCK, TEXT = "CURRENT", "write.lock", "text"
VECTORS, VECTORS_META, ROWS = "vectors.f32", "vectors.json", "rows.tsv"
BUILD = "build.json"  # {"model": the embedding model of the generation's vectors}
WRITER_HEAP = 64_000_000
MISSING_YEAR = "~~~~"  # sorts after every four-digit year key: documents without a year come last
REPLICATIONS_KEY = 99_999  # sort key prefix: this minus the replication count, zero-padded (most first)
ATTEMPTS = 3  # opening or reloading races with a writer deleting files it no longer needs
LIST_OR_CHECK = 24  # semantic search under filters: see EmbeddedEngine.semantic
# Facet counts: an aggregation reads each matching document's value of each facet asked for,
# terms_with_prefix every value's postings of every facet; the first is cheaper until
# matches × facets asked reach about 9 × the documents (measured at 100k: 15 facets over 60 %).
AGGREGATE_BELOW = 9
FACET_TERMS = 65_000  # distinct values one aggregation returns (tantivy's bucket limit)
SIZES = 256  # match-set sizes remembered per commit, so facet counting need not count again
FEW_TERMS = 200  # up to this many, one term query each beats a term set (which costs ~0.25 ms to set up)
# A request's independent tantivy searches and the vector scan run side by side, one per core
# (shared by every engine of the process, so tests opening many engines do not pile up threads).
_PARALLEL = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="embedded-search")


def _facet_field(name: str) -> str:
    return f"facet_{name}"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("row", fast=True)
    # The shared analyser's output, field weights applied by repetition (documents.keyword_terms).
    builder.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("words", tokenizer_name="whitespace", index_option="basic")
    # Facet values twice: "province:Bali" terms of one field for filters and for counting every
    # facet at once; one fast (columnar) field per facet for aggregations over a few of them.
    builder.add_text_field("facets", tokenizer_name="raw", index_option="basic")
    for facet in FACETS:
        builder.add_text_field(_facet_field(facet.name), tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_integer_field("years", indexed=True)
    builder.add_text_field("newest", tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_text_field("oldest", tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_text_field("replicated", tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_bytes_field("body", stored=True)
    return builder.build()


SCHEMA = _schema()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """Changes whenever the file is replaced or rewritten."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _facet_term(name: str, value: str) -> str:
    return f"{name}:{value}"


def _any_of(field_name: str, values: Sequence[str]) -> Query:
    """Documents with any of these terms in an untokenised field (unscored)."""
    if len(values) <= FEW_TERMS:
        return Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, field_name, v, index_option="basic"))
                                    for v in values])
    return Query.term_set_query(SCHEMA, field_name, list(values))


def _tantivy_document(doc: SearchDocument, row: int) -> tantivy.Document:
    facets = doc.facet_values()
    year = doc.sort_year
    newest = (MISSING_YEAR if year is None else f"{9999 - year:04d}") + doc.id
    return tantivy.Document.from_dict({
        "id": doc.id,
        "row": row,
        "terms": " ".join(doc.keyword_terms()),
        "words": " ".join(doc.surface_words()),
        "facets": [_facet_term(name, v) for name, values in facets.items() for v in values],
        **{_facet_field(name): values for name, values in facets.items()},
        "years": doc.years,
        "newest": newest,
        "oldest": (MISSING_YEAR if year is None else f"{year:04d}") + doc.id,
        "replicated": f"{REPLICATIONS_KEY - len(doc.replications):0{len(str(REPLICATIONS_KEY))}d}" + newest,
        "body": json.dumps(doc.to_json(), ensure_ascii=False).encode(),
    }, SCHEMA)


# ---------------------------------------------------------------------------- write side
class _Write:
    """One index()/delete()/rebuild() call on one generation, committed once."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.dimension = _dimension(directory)
        self.fd = os.open(directory / VECTORS, os.O_RDWR | os.O_CREAT, 0o644)
        size = os.fstat(self.fd).st_size
        # Rows are never reused: one left half-written by a crash counts as taken.
        self.next_row = -(-size // (4 * self.dimension)) if self.dimension else 0
        self.rows: list[str] = []
        self.committed = False
        try:
            self.writer = tantivy.Index.open(str(directory / TEXT)).writer(heap_size=WRITER_HEAP, num_threads=1)
        except BaseException:
            os.close(self.fd)
            raise

    def add(self, doc: SearchDocument) -> str | None:
        """Queue one document; the reason it cannot be indexed, if any."""
        if doc.vector is None or len(doc.vector) == 0:
            return "document has no vector"
        vector = np.asarray(doc.vector, dtype=np.float32)
        if self.dimension is None:
            self.dimension = len(vector)
            _write_json(self.directory / VECTORS_META, {"dimension": self.dimension})
        if len(vector) != self.dimension:
            return f"vector has {len(vector)} dimensions, the index {self.dimension}"
        os.pwrite(self.fd, vector.tobytes(), self.next_row * 4 * self.dimension)
        self.rows.append(f"{self.next_row}\t{doc.id}\n")
        self.writer.delete_documents_by_term("id", doc.id)
        self.writer.add_document(_tantivy_document(doc, self.next_row))
        self.next_row += 1
        return None

    def delete(self, doc_id: str) -> None:
        self.writer.delete_documents_by_term("id", doc_id)

    def commit(self) -> None:
        """Vectors and row ids reach the disk before the commit that refers to them."""
        os.fsync(self.fd)
        if self.rows:
            with open(self.directory / ROWS, "ab+") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell():
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":  # a line cut short by a crash: close it off
                        fh.write(b"\n")
                fh.write("".join(self.rows).encode())
                fh.flush()
                os.fsync(fh.fileno())
        self.writer.commit()
        self.committed = True

    def close(self) -> None:
        """Release the tantivy writer (and its lock) now, discarding what was not committed."""
        os.close(self.fd)
        if not self.committed:
            self.writer.rollback()
        self.writer.wait_merging_threads()


def _live_documents(directory: Path, searcher: tantivy.Searcher, dimension: int, rows: int) -> Iterator[SearchDocument]:
    """Every current document of a generation with its vector, in row order."""
    if not searcher.num_docs:
        return
    matrix = np.memmap(directory / VECTORS, dtype=np.float32, mode="r", shape=(rows, dimension))
    hits = searcher.search(Query.all_query(), searcher.num_docs, count=False).hits
    addresses = [address for _, address in hits]
    for row, address in sorted(zip(searcher.fast_field_values("row", addresses), addresses), key=lambda p: p[0]):
        doc = SearchDocument.from_json(json.loads(searcher.doc(address).get_first("body")))
        doc.vector = np.array(matrix[row])
        yield doc


def _dimension(directory: Path) -> int | None:
    try:
        return json.loads((directory / VECTORS_META).read_text(encoding="utf-8"))["dimension"]
    except FileNotFoundError:
        return None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------- read side
def _remember_size(state: "_State", match: Match, filters: Filters, size: int) -> None:
    sizes = state.caches.setdefault("sizes", {})
    if len(sizes) >= SIZES:
        sizes.clear()
    sizes[(match, filters.key())] = size


def _retrying(action):
    """Run ``action``, again if a writer removed a file it was opening (a merged segment,
    a replaced generation)."""
    for attempt in range(ATTEMPTS):
        try:
            return action()
        except (ValueError, OSError) as exc:
            if attempt == ATTEMPTS - 1:
                raise EngineUnavailable(f"cannot open the embedded index: {exc}") from exc


@dataclass(frozen=True)
class _State:
    """What one commit looks like to a reader: its searcher and the rows it refers to.
    ``ids`` (row → document id) only grows, so an older state may share it."""

    searcher: tantivy.Searcher
    matrix: np.ndarray
    ids: list
    caches: dict = field(default_factory=dict)


class _View:
    """A reader of one generation, kept current with its commits."""

    def __init__(self, directory: Path, pointer: tuple | None):
        self.directory = directory
        self.pointer = pointer
        self.index = tantivy.Index.open(str(directory / TEXT))
        self.index.config_reader("manual")  # reloads are driven by refresh(), not a file watcher
        self._lock = threading.Lock()
        self._meta: tuple | None = None
        self._ids: list[str | None] = []
        self._rows_read = 0
        self.state: _State | None = None
        self.refresh()

    def refresh(self) -> _State:
        meta = _stamp(self.directory / TEXT / "meta.json")
        if meta == self._meta and self.state is not None:
            return self.state
        with self._lock:
            if meta != self._meta or self.state is None:
                _retrying(self.index.reload)  # at least the commit `meta` names; rows come after it
                self._read_rows()
                self.state = _State(self.index.searcher(), self._map_vectors(), self._ids)
                self._meta = meta
            return self.state

    def _read_rows(self) -> None:
        try:
            with open(self.directory / ROWS, "rb") as fh:
                fh.seek(self._rows_read)
                data = fh.read()
        except FileNotFoundError:
            return
        complete = data.rfind(b"\n") + 1  # a line still being written is read next time
        for line in data[:complete].decode("utf-8", errors="replace").splitlines():
            row, tab, doc_id = line.partition("\t")
            if tab and row.isdigit():
                r = int(row)
                if r >= len(self._ids):
                    self._ids.extend([None] * (r + 1 - len(self._ids)))
                self._ids[r] = doc_id
        self._rows_read += complete

    def _map_vectors(self) -> np.ndarray:
        dimension = _dimension(self.directory)
        rows = os.stat(self.directory / VECTORS).st_size // (4 * dimension) if dimension else 0
        if self.state is not None and len(self.state.matrix) == rows:
            return self.state.matrix
        if not rows:
            return np.zeros((0, dimension or 0), np.float32)
        return np.memmap(self.directory / VECTORS, dtype=np.float32, mode="r", shape=(rows, dimension))


class EmbeddedEngine(SearchEngine):
    name = "embedded"

    def __init__(self, path: Path):
        self.root = Path(path)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._view_cache: _View | None = None
        if not self._generation_name():
            with self._writing():
                if not self._generation_name():
                    self._publish(self._new_generation())

    @property
    def key(self) -> str:
        return f"embedded:{self.root.resolve()}"

    # ---------------------------------------------------------------- generations
    def _generation_name(self) -> str | None:
        """The live generation, if it has this schema (an older layout is discarded: the
        index is derived data, and the next sync refills it from the catalog)."""
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name.startswith(f"s{SCHEMA_VERSION}-") and (self.root / name).is_dir() else None

    def _new_generation(self) -> str:
        name = f"s{SCHEMA_VERSION}-{datetime.now(timezone.utc).strftime('%Y%m%dt%H%M%S%f')}"
        (self.root / name / TEXT).mkdir(parents=True)
        tantivy.Index(SCHEMA, path=str(self.root / name / TEXT), reuse=False)
        return name

    def _publish(self, name: str) -> None:
        """Point CURRENT at ``name`` atomically, then drop every other generation."""
        tmp = self.root / f"{CURRENT}.tmp"
        tmp.write_text(name, encoding="utf-8")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / CURRENT)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        for other in self.root.iterdir():
            if other.is_dir() and other.name != name:
                shutil.rmtree(other, ignore_errors=True)

    def ids(self) -> set[str]:
        state = self._view()
        hits = state.searcher.search(Query.all_query(), limit=max(1, state.searcher.num_docs)).hits
        return {state.ids[row] for row in self._rows(state, hits)}

    def model(self) -> str | None:
        name = self._generation_name()
        try:
            return json.loads((self.root / name / BUILD).read_text(encoding="utf-8"))["model"] if name else None
        except FileNotFoundError:
            return None

    def set_model(self, model_id: str) -> None:
        with self._writing():
            _write_json(self.root / self._generation_name() / BUILD, {"model": model_id})

    def schema(self) -> tuple[int | None, int]:
        try:
            live = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None, SCHEMA_VERSION
        version = live.partition("-")[0].removeprefix("s")
        return (int(version) if version.isdigit() and (self.root / live).is_dir() else None), SCHEMA_VERSION

    def orphans(self) -> list[str]:
        if not self.root.is_dir():
            return []
        live = self._generation_name()
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name != live)

    def remove_orphans(self) -> list[str]:
        with self._writing():  # a rebuild holds the lock while its generation is unpublished
            removed = self.orphans()
            for name in removed:
                shutil.rmtree(self.root / name, ignore_errors=True)
        return removed

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time across processes (released by the OS if the process dies)."""
        with open(self.root / LOCK, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _view(self) -> _State:
        """The current state, reloaded when any process committed or swapped generations."""
        pointer = _stamp(self.root / CURRENT)
        view = self._view_cache
        if view is None or view.pointer != pointer:
            with self._lock:
                view = self._view_cache
                if view is None or view.pointer != pointer:
                    view = _retrying(self._open_view)
                    self._view_cache = view
        return view.refresh()

    def _open_view(self) -> _View:
        pointer = _stamp(self.root / CURRENT)  # read first: a swap after it is noticed next time
        name = self._generation_name()
        if name is None:
            raise EngineUnavailable(f"the embedded index {self.root} has no current generation")
        return _View(self.root / name, pointer)

    # ---------------------------------------------------------------- write side
    def index(self, docs: Iterable[SearchDocument]) -> IndexResult:
        with self._writing():
            directory = self.root / self._generation_name()
            result = self._write(directory, docs)
            self._compact_if_mostly_dead(directory)
            return result

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._writing():
            directory = self.root / self._generation_name()
            write = _Write(directory)
            try:
                for doc_id in ids:
                    write.delete(doc_id)
                write.commit()
            finally:
                write.close()
            self._compact_if_mostly_dead(directory)

    def _compact_if_mostly_dead(self, directory: Path) -> None:
        """Once replaced and deleted documents' rows outnumber the live ones (the matrix is
        more than half dead), copy the live documents with their vectors into a new
        generation and publish it as ``rebuild`` does. The cost, a rebuild from the index
        itself, is paid at most once per doubling of the rows. Caller holds the write lock."""
        dimension = _dimension(directory)
        if not dimension:
            return
        index = tantivy.Index.open(str(directory / TEXT))
        searcher = index.searcher()
        rows = os.stat(directory / VECTORS).st_size // (4 * dimension)
        if rows - searcher.num_docs <= searcher.num_docs:
            return
        name = self._new_generation()
        try:
            self._write(self.root / name, _live_documents(directory, searcher, dimension, rows))
        except BaseException:
            shutil.rmtree(self.root / name, ignore_errors=True)
            raise
        self._publish(name)

    def rebuild(self, docs: Iterable[SearchDocument]) -> IndexResult:
        """A new generation, built and committed aside, then published by replacing CURRENT:
        readers see the old index or the new one, never a mix."""
        with self._writing():
            name = self._new_generation()
            try:
                result = self._write(self.root / name, docs)
            except BaseException:
                shutil.rmtree(self.root / name, ignore_errors=True)
                raise
            if result.failures:
                shutil.rmtree(self.root / name, ignore_errors=True)
                return result
            self._publish(name)
            return result

    @staticmethod
    def _write(directory: Path, docs: Iterable[SearchDocument]) -> IndexResult:
        result = IndexResult()
        write = _Write(directory)
        try:
            for doc in docs:
                reason = write.add(doc)
                if reason:
                    result.failures.append((doc.id, reason))
                else:
                    result.indexed += 1
            if result.indexed:
                write.commit()
        finally:
            write.close()
        return result

    # ---------------------------------------------------------------- query helpers
    def _filter_query(self, filters: Filters) -> Query | None:
        """Facet selections (OR within a facet, AND across) and the year range; no score."""
        clauses = [_any_of("facets", [_facet_term(name, v) for v in values])
                   for name, values in filters.values.items()]
        if filters.year_from is not None or filters.year_to is not None:
            clauses.append(Query.range_query(SCHEMA, "years", FieldType.Integer, filters.year_from, filters.year_to))
        if not clauses:
            return None
        return Query.const_score_query(Query.boolean_query([(Occur.Must, c) for c in clauses]), 0.0)

    def _terms_query(self, terms: Sequence[str]) -> Query:
        return Query.boolean_query([(Occur.Should, Query.term_query(SCHEMA, "terms", t)) for t in dict.fromkeys(terms)])

    @staticmethod
    def _filtered(query: Query, filter_query: Query | None) -> Query:
        return query if filter_query is None else Query.boolean_query([(Occur.Must, query), (Occur.Must, filter_query)])

    def _match_query(self, state: _State, match: Match, filters: Filters) -> Query:
        if match.everything:
            base = Query.all_query()
        else:
            should = [self._terms_query(match.terms)] if match.terms else []
            if match.near is not None:
                near = self._near_ids(state, match.near)
                if near:
                    should.append(_any_of("id", near))
            base = Query.boolean_query([(Occur.Should, q) for q in should]) if should else Query.empty_query()
        return self._filtered(base, self._filter_query(filters))

    def _near_ids(self, state: _State, near: Near) -> list[str]:
        """The current documents at least ``near.min_similarity`` similar, kept for the
        request's other facet groups and its total, which ask again with the same match."""
        cached = state.caches.get("near")
        if cached is not None and cached[0] == near:
            return cached[1]
        close = np.flatnonzero((self._similarities(state, near.vector) >= near.min_similarity) & self._live_rows(state))
        ids = [state.ids[r] for r in close.tolist()]
        state.caches["near"] = (near, ids)
        return ids

    @staticmethod
    def _rows(state: _State, hits) -> list[int]:
        return state.searcher.fast_field_values("row", [address for _, address in hits])

    def _live_rows(self, state: _State) -> np.ndarray:
        """Which rows of the matrix hold a current document, once per commit. After a
        rebuild or a compaction there are as many rows with an id as documents, so every one
        is current; after edits, replaced and deleted documents have left rows behind and
        the current rows are listed from tantivy (about 60 ms at 100k documents)."""
        live = state.caches.get("live")
        if live is None:
            n = len(state.matrix)
            known = np.fromiter((doc_id is not None for doc_id in state.ids[:n]), bool, count=min(n, len(state.ids)))
            live = np.zeros(n, bool)
            if int(known.sum()) == state.searcher.num_docs:
                live[: len(known)] = known
            elif state.searcher.num_docs:
                hits = state.searcher.search(Query.all_query(), state.searcher.num_docs, count=False).hits
                live[self._rows(state, hits)] = True
            state.caches["live"] = live
        return live

    # ---------------------------------------------------------------- read primitives
    def count(self) -> int:
        return self._view().searcher.num_docs

    def retrieve(self, spec: Retrieval) -> Retrieved:
        """The primitives composed, the independent ones side by side (tantivy and numpy let go
        of the GIL): the keyword leg beside the vector scan, then the facet groups, the first
        in this thread, which also counts the total."""
        keyword = _PARALLEL.submit(self.keyword, spec.terms, spec.filters, spec.keyword_depth) \
            if spec.keyword_depth is not None else None
        match = spec.match()
        state = self._view()
        near = self._near_ids(state, match.near) if match.near is not None else []  # once, before the groups ask
        # Deep enough to rank every document in the result set by meaning (see Retrieval.k).
        semantic = self.semantic(spec.vector, spec.filters, max(spec.k, len(near))) if spec.vector is not None else None
        groups = list(spec.facet_groups)
        others = [_PARALLEL.submit(self.facet_counts, match, g.filters, g.names, spec.facet_size) for g in groups[1:]]
        facets = self.facet_counts(match, groups[0].filters, groups[0].names, spec.facet_size) if groups else {}
        keyword = keyword.result() if keyword is not None else None
        # The similarity threshold is absolute, so one match serves every facet group.
        total = keyword.total if keyword is not None and match.near is None else self._count(state, match, spec.filters)
        for counted in others:
            facets.update(counted.result())
        return Retrieved(keyword, semantic, total, facets, match)

    def keyword(self, terms, filters, limit):
        if not terms:
            return Ranked([], [], 0)
        state = self._view()
        query = self._filtered(self._terms_query(terms), self._filter_query(filters))
        # Ties at the cut are resolved by id, as everywhere: read on until the score drops.
        wanted = max(limit, 0) + 1
        while True:
            found = state.searcher.search(query, wanted, count=True)
            hits = found.hits
            if limit <= 0 or len(hits) < wanted or hits[-1][0] < hits[limit - 1][0]:
                break
            wanted *= 2
        scored = sorted(((float(score), state.ids[row]) for (score, _), row in zip(hits, self._rows(state, hits))),
                        key=lambda p: (-p[0], p[1]))[: max(limit, 0)]
        _remember_size(state, Match(terms=tuple(terms)), filters, found.count)
        return Ranked([i for _, i in scored], [s for s, _ in scored], found.count)

    def _similarities(self, state: _State, vector) -> np.ndarray:
        """Cosine similarity of every row (vectors are unit length), kept for the request's
        other facet groups, which ask again under other filters."""
        query = np.asarray(vector, dtype=np.float32)
        key = query.tobytes()
        cached = state.caches.get("similarities")
        if cached is not None and cached[0] == key:
            return cached[1]
        sims = state.matrix @ query if len(state.matrix) else np.zeros(0, np.float32)
        state.caches["similarities"] = (key, sims)
        return sims

    def semantic(self, vector, filters, k, exclude=()):
        state = self._view()
        sims = self._similarities(state, vector)
        if not len(sims) or k <= 0:
            return Ranked([], [], 0)
        filter_query = self._filter_query(filters)
        excluded = set(exclude)
        live_rows = self._live_rows(state)
        current = np.where(live_rows, sims, -np.inf)  # a replaced or deleted document's row never ranks
        if filter_query is None:
            wanted = min(len(sims), k + len(excluded))
            best = np.argpartition(-current, wanted - 1)[:wanted] if wanted < len(sims) else np.arange(len(sims))
            ids = state.ids
            return self._nearest(state, sims, [r for r in best.tolist() if live_rows[r] and ids[r] not in excluded], k)
        passing = state.searcher.search(filter_query, 1, count=True).count
        # Listing what passes costs ~0.3 µs a document; checking candidates by id ~6 µs
        # each, and a filter passing a share p of the rows needs about k / p of them.
        if passing ** 2 <= LIST_OR_CHECK * k * len(sims):
            return self._nearest(state, sims, self._passing(state, filter_query, passing, excluded), k)
        share = passing / len(sims)
        wanted = min(len(sims), int((k + len(excluded)) / share * 1.2) + 16)
        while True:
            candidates = np.argpartition(-current, wanted - 1)[:wanted] if wanted < len(sims) else np.arange(len(sims))
            live = self._live(state, candidates, filter_query, excluded)
            if len(live) >= k or wanted == len(sims):
                return self._nearest(state, sims, live, k)
            wanted = min(len(sims), wanted * 2)

    @staticmethod
    def _nearest(state: _State, sims: np.ndarray, rows: list[int], k: int) -> Ranked:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) > k:
            rows = rows[np.argpartition(-sims[rows], k - 1)[:k]]
        best = sorted(((float(sims[row]), state.ids[row]) for row in rows.tolist()), key=lambda p: (-p[0], p[1]))
        return Ranked([i for _, i in best], [s for s, _ in best], len(best))

    def _live(self, state: _State, rows: np.ndarray, filter_query: Query, excluded: set) -> list[int]:
        """The rows among ``rows`` that hold a current document passing the filters."""
        ids = state.ids
        candidates = {r for r in rows.tolist() if r < len(ids) and ids[r] is not None and ids[r] not in excluded}
        wanted = list({ids[r] for r in candidates})
        if not wanted:
            return []
        query = self._filtered(_any_of("id", wanted), filter_query)
        hits = state.searcher.search(query, len(wanted), count=False).hits
        return [row for row in self._rows(state, hits) if row in candidates]

    def _passing(self, state: _State, filter_query: Query, passing: int, excluded: set) -> list[int]:
        if not passing:
            return []
        rows = self._rows(state, state.searcher.search(filter_query, passing, count=False).hits)
        return [row for row in rows if state.ids[row] not in excluded] if excluded else rows

    def _count(self, state: _State, match: Match, filters: Filters) -> int:
        """Documents in ``match`` ∩ filters, counted once for a request's total and its facet
        counting (the keyword leg and ``ordered`` remember what they counted anyway)."""
        size = state.caches.get("sizes", {}).get((match, filters.key()))
        if size is None:
            size = state.searcher.search(self._match_query(state, match, filters), 1, count=True).count
            _remember_size(state, match, filters, size)
        return size

    def facet_counts(self, match, filters, facets, size):
        if not facets:
            return {}
        state = self._view()
        query = self._match_query(state, match, filters)
        counted: dict[str, list[tuple[str, int]]] = {name: [] for name in facets}
        if len(facets) >= AGGREGATE_BELOW and self._count(state, match, filters) * len(facets) >= \
                AGGREGATE_BELOW * state.searcher.num_docs:
            every = state.searcher.terms_with_prefix("facets", "", filter_query=query)
        else:
            every = self._aggregated(state, query, facets)
        for term, n in every:
            name, _, value = term.partition(":")
            if name in counted:
                counted[name].append((value, n))
        return {name: top_values(name, values, size) for name, values in counted.items()}

    @staticmethod
    def _aggregated(state: _State, query: Query, facets: Sequence[str]) -> list[tuple[str, int]]:
        """(name:value, documents) of these facets over the match, in one aggregation pass; a
        facet with more values than one aggregation returns is counted from its postings."""
        searcher = state.searcher
        spec = {name: {"terms": {"field": _facet_field(name), "size": FACET_TERMS}} for name in facets}
        out = []
        for name, counted in searcher.aggregate(query, spec).items():
            if counted["sum_other_doc_count"]:
                out += searcher.terms_with_prefix("facets", _facet_term(name, ""), filter_query=query)
            else:
                out += [(_facet_term(name, b["key"]), b["doc_count"]) for b in counted["buckets"]]
        return out

    def cross_counts(self, match, filters, rows, columns):
        state = self._view()
        spec = {"rows": {"terms": {"field": _facet_field(rows), "size": FACET_TERMS},
                         "aggs": {"columns": {"terms": {"field": _facet_field(columns), "size": FACET_TERMS}}}}}
        buckets = state.searcher.aggregate(self._match_query(state, match, filters), spec)["rows"]["buckets"]
        return {b["key"]: {c["key"]: c["doc_count"] for c in b["columns"]["buckets"]} for b in buckets}

    def ordered(self, match, filters, newest_first, offset, limit, by="year"):
        state = self._view()
        key_field = "replicated" if by == "replications" else "newest" if newest_first else "oldest"
        found = state.searcher.search(self._match_query(state, match, filters), max(limit, 1), count=True,
                                      order_by_field=key_field, offset=offset, order=Order.Asc)
        prefix = len(MISSING_YEAR) + (len(str(REPLICATIONS_KEY)) if by == "replications" else 0)
        ids = [key[prefix:] for key, _ in found.hits[: max(limit, 0)]]
        _remember_size(state, match, filters, found.count)
        return Ranked(ids, [0.0] * len(ids), found.count)

    def vector_sample(self, limit):
        state = self._view()
        live = sorted((state.ids[row], row) for row in np.flatnonzero(self._live_rows(state)).tolist())
        step = max(1, -(-len(live) // max(limit, 1)))
        rows = [row for _, row in live[::step]]
        return np.asarray(state.matrix[rows], dtype=np.float32) if rows else np.zeros((0, 0), np.float32)

    def fetch(self, ids, with_vectors=False):
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        state = self._view()
        searcher = state.searcher
        hits = searcher.search(_any_of("id", wanted), len(wanted), count=False).hits
        rows = self._rows(state, hits) if with_vectors else [None] * len(hits)
        out = {}
        for (_, address), row in zip(hits, rows):
            doc = SearchDocument.from_json(json.loads(searcher.doc(address).get_first("body")))
            if with_vectors:
                doc.vector = np.array(state.matrix[row])
            out[doc.id] = doc
        return out

    def word_frequencies(self):
        """Surface word → number of current documents holding it (the spelling dictionary),
        built on first use after each commit."""
        state = self._view()
        words = state.caches.get("words")
        if words is None:
            words = dict(state.searcher.terms_with_prefix("words", "", filter_query=Query.all_query()))
            state.caches["words"] = words
        return words

    def close(self) -> None:
        self._view_cache = None

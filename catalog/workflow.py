"""Entries entered here (issue "One input for three programmes"): an agency types an innovation
once, as one entry (``input-…``), and submits it to any of the programmes; each programme's
curator returns it with comments or verifies it, and publishing it for a programme writes that
programme's own entry (``input-….kipp``), which is what search indexes.

- The entry entered here is never indexed itself (its ``programme`` column is ``input``); its
  ``status`` sums up its submissions: ``submitted`` while any programme has it to review, else
  ``verified`` if one has verified it, else ``published`` if one has published it, else
  ``draft``. Each programme's own state (``submitted``, ``returned``, ``verified``,
  ``published``) is in ``submissions``.
- Every step (save, submit, return, verify, publish) appends a revision: who, when, the status
  after it, what changed (fields, or ``programmes.KIPP`` from/to) and the comment.
- Optimistic locking: the revision number is the version. A save names the revision it was
  made on; if the entry has moved on since, nothing is written and ``StaleEntry`` carries the
  current entry. Every step updates the row only where the revision is still the one read,
  so two concurrent steps can never both apply.
- A published programme entry keeps the content its curator verified: later edits wait for
  the next submission and verification before they reach search.

Permission checks are the caller's (``services.CatalogService``).
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping, Sequence

import sqlalchemy as sa
from pydantic import ValidationError

from .completeness import FORM_FIELDS, Problem, programme as programme_named, programmes as all_programmes
from .identity import identity_key
from .record import Innovation
from .schema import agencies, entries, revisions, submissions
from .store import INPUT_PROGRAMME, Catalog, CatalogError, content_hash

INPUT_SOURCE = "input"  # entry ids "input-<code>"
STATUS_PRIORITY = ("submitted", "verified", "published")  # what an entry's status sums up first


class EntryNotFound(CatalogError):
    def __init__(self, entry_id: str):
        super().__init__(f"no entry entered here with id {entry_id!r}")
        self.entry_id = entry_id


class InvalidEntry(CatalogError):
    """Values that are not well-formed (a year that is no number…): field → message, field →
    error code (for messages in the user's language) and field → values meant instead."""

    def __init__(self, errors: dict[str, str], codes: dict[str, str] | None = None,
                 hints: dict[str, list[str]] | None = None):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.codes = {name: "value_error" for name in errors} | (codes or {})  # field → pydantic error type or ours
        self.hints = hints or {}


class Incomplete(CatalogError):
    """A submission refused: per programme, what is still missing."""

    def __init__(self, problems: dict[str, list[Problem]]):
        super().__init__("; ".join(f"{code}: missing or too short: {', '.join(p.field for p in found)}"
                                   for code, found in problems.items()))
        self.problems = problems


class StaleEntry(CatalogError):
    """The entry changed since the revision the caller worked on; nothing was written."""

    def __init__(self, current: "Entry", expected: int):
        super().__init__(f"entry {current.id} is at revision {current.revision}, not {expected}: "
                         "reload it and apply your change again")
        self.current, self.expected = current, expected


class WrongState(CatalogError):
    """A step that does not fit where the entry is (verifying what nobody submitted…)."""


@dataclass(frozen=True)
class Submission:
    programme: str
    status: str  # submitted | returned | verified | published | withdrawn
    revision: int  # the entry revision this state was reached at
    published_entry_id: str | None
    comment: str | None
    at: datetime
    by: str

    def to_json(self) -> dict:
        return {"programme": self.programme, "status": self.status, "revision": self.revision,
                "published_entry_id": self.published_entry_id, "comment": self.comment,
                "at": self.at.isoformat(), "by": self.by}


@dataclass(frozen=True)
class Entry:
    id: str
    innovation_id: str
    agency_id: int
    status: str
    revision: int
    content: dict  # the record as JSON (form fields + the agency's)
    updated_at: datetime
    submissions: dict[str, Submission] = field(default_factory=dict)  # programme → its state

    @property
    def fields(self) -> dict:
        """The values the form edits."""
        return {name: self.content.get(name) for name in FORM_FIELDS}

    def missing(self) -> dict[str, list[Problem]]:
        """Per programme, what still keeps this entry from being submitted there."""
        return {code: p.problems(self.content) for code, p in all_programmes().items()}


class DraftRecord(Innovation):
    """What a draft may hold: the record's value checks and vocabularies, nothing required."""

    title: str = ""
    agency: str = ""
    problem: str = ""
    solution: str = ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _comparable(content: Mapping) -> dict:
    return {k: v for k, v in content.items() if k != "updated_at"}


def _changes(old: Mapping, new: Mapping) -> dict:
    return {k: {"from": old.get(k), "to": new.get(k)} for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)}


def _summed_status(states: Sequence[str]) -> str:
    return next((s for s in STATUS_PRIORITY if s in states), "draft")


def new_entry_id() -> str:
    return f"{INPUT_SOURCE}-" + base64.b32encode(secrets.token_bytes(10)).decode().lower()


def _invalid(exc: ValidationError) -> InvalidEntry:
    errors: dict[str, str] = {}
    codes: dict[str, str] = {}
    for e in exc.errors():
        name = str(e["loc"][0]) if e["loc"] else "record"
        errors.setdefault(name, e["msg"].removeprefix("Value error, "))
        codes.setdefault(name, e["type"])
    return InvalidEntry(errors, codes)


class EntryStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.db = catalog.db

    # ---------------------------------------------------------------- reads
    def get(self, entry_id: str) -> Entry | None:
        with self.db.connect() as conn:
            return self._get(conn, entry_id)

    def list(self, *, status: str | None = None, programme: str | None = None, agency_id: int | None = None,
             limit: int = 100, offset: int = 0) -> list[Entry]:
        """Entries entered here, newest change first. With ``programme``: those submitted to it,
        and ``status`` is that programme's state (``returned``…); without: the entry's status."""
        query = sa.select(entries.c.id).where(entries.c.programme == INPUT_PROGRAMME)
        if agency_id is not None:
            query = query.where(entries.c.agency_id == agency_id)
        if programme is not None:
            sub = sa.select(submissions.c.entry_id).where(submissions.c.programme == programme_named(programme).code)
            if status is not None:
                sub = sub.where(submissions.c.status == status)
            query = query.where(entries.c.id.in_(sub))
        elif status is not None:
            query = query.where(entries.c.status == status)
        query = query.order_by(entries.c.updated_at.desc(), entries.c.id).limit(limit).offset(offset)
        with self.db.connect() as conn:
            return [self._get(conn, entry_id) for entry_id in conn.execute(query).scalars().all()]

    def history(self, entry_id: str) -> list:
        """Every revision of the entry, newest first (the catalog's ``Revision``)."""
        from .store import Revision

        with self.db.connect() as conn:
            rows = conn.execute(sa.select(revisions).where(revisions.c.entry_id == entry_id)
                                .order_by(revisions.c.number.desc()))
            return [Revision(r.entry_id, r.number, r.at, r.by, r.status, r.changes, r.comment) for r in rows]

    # ---------------------------------------------------------------- writes
    def create(self, data: Mapping, agency_id: int, by: str) -> Entry:
        entry_id = new_entry_id()
        now = _now()
        with self.db.begin() as conn:
            record = self._record(conn, data, agency_id, entry_id)
            content = record.model_dump(mode="json")
            innovation_id = self.catalog._new_innovation(conn, entry_id, now)
            conn.execute(entries.insert().values(
                id=entry_id, innovation_id=innovation_id, source=INPUT_SOURCE, programme=INPUT_PROGRAMME,
                agency_id=agency_id, status="draft", revision=1, content=content, submitted=None,
                content_hash=content_hash(record), identity_key=identity_key(record), link_fixed=True,
                updated_at=now))
            self.catalog._revise(conn, entry_id, 1, now, by, "draft", _changes({}, record.content()), None)
            return self._get(conn, entry_id)

    def update(self, entry_id: str, data: Mapping, expected_revision: int, by: str,
               comment: str | None = None) -> Entry:
        """Replace the entry's form fields (a draft save: no completeness check)."""
        with self.db.begin() as conn:
            current = self._current(conn, entry_id, expected_revision)
            record = self._record(conn, data, current.agency_id, entry_id)
            content = record.model_dump(mode="json")
            changes = _changes(_comparable(current.content), _comparable(content))
            if not changes:
                return current
            self._step(conn, current, by, current.status, changes, comment,
                       content=content, content_hash=content_hash(record), identity_key=identity_key(record))
            return self._get(conn, entry_id)

    def submit(self, entry_id: str, programmes: Sequence[str], by: str,
               expected_revision: int | None = None) -> Entry:
        codes = self._codes(programmes)
        with self.db.begin() as conn:
            current = self._current(conn, entry_id, expected_revision)
            problems = {c: found for c in codes if (found := programme_named(c).problems(current.content))}
            if problems:
                raise Incomplete(problems)
            moving = [c for c in codes if not (
                (s := current.submissions.get(c)) and s.status == "submitted" and s.revision == current.revision)]
            if not moving:
                return current
            return self._move(conn, current, {c: "submitted" for c in moving}, by, None)

    def return_(self, entry_id: str, programme: str, comment: str, by: str,
                expected_revision: int | None = None) -> Entry:
        if not (comment or "").strip():
            raise InvalidEntry({"comment": "say what should change before it is submitted again"})
        (code,) = self._codes([programme])
        with self.db.begin() as conn:
            current = self._current(conn, entry_id, expected_revision)
            self._expect(current, code, "submitted")
            return self._move(conn, current, {code: "returned"}, by, comment.strip())

    def verify(self, entry_id: str, programme: str, comment: str | None, by: str,
               expected_revision: int | None = None) -> Entry:
        (code,) = self._codes([programme])
        with self.db.begin() as conn:
            current = self._current(conn, entry_id, expected_revision)
            self._expect(current, code, "submitted")
            found = programme_named(code).problems(current.content)  # it may have been edited since
            if found:
                raise Incomplete({code: found})
            return self._move(conn, current, {code: "verified"}, by, (comment or "").strip() or None)

    def publish(self, entry_id: str, programme: str, by: str) -> Entry:
        """Write the programme's own entry from this one (it becomes searchable on the next sync)."""
        (code,) = self._codes([programme])
        with self.db.begin() as conn:
            current = self._current(conn, entry_id, None)
            self._expect(current, code, "verified")
            published_id = f"{entry_id}.{code.lower()}"
            record = Innovation.model_validate({**_comparable(current.content), "id": published_id,
                                                "programme": code})
            self._write_published(conn, current, record, code)
            entry = self._move(conn, current, {code: "published"}, by, None, published_entry_id=published_id)
            self.catalog._touch(conn, current.innovation_id, _now())
            return entry

    # ---------------------------------------------------------------- internals
    def _get(self, conn: sa.Connection, entry_id: str) -> Entry | None:
        row = conn.execute(sa.select(entries).where(entries.c.id == entry_id,
                                                    entries.c.programme == INPUT_PROGRAMME)).first()
        if row is None:
            return None
        subs = conn.execute(sa.select(submissions).where(submissions.c.entry_id == entry_id)).all()
        order = list(all_programmes())
        subs = sorted(subs, key=lambda s: order.index(s.programme) if s.programme in order else len(order))
        return Entry(row.id, row.innovation_id, row.agency_id, row.status, row.revision, row.content, row.updated_at,
                     {s.programme: Submission(s.programme, s.status, s.revision, s.published_entry_id, s.comment,
                                              s.at, s.by) for s in subs})

    def _current(self, conn: sa.Connection, entry_id: str, expected_revision: int | None) -> Entry:
        current = self._get(conn, entry_id)
        if current is None:
            raise EntryNotFound(entry_id)
        if current.status == "withdrawn":
            raise WrongState(f"entry {entry_id} is withdrawn")
        if expected_revision is not None and expected_revision != current.revision:
            raise StaleEntry(current, expected_revision)
        return current

    @staticmethod
    def _codes(programmes: Sequence[str]) -> list[str]:
        if not programmes:
            raise InvalidEntry({"programmes": "choose at least one programme"})
        try:
            return list(dict.fromkeys(programme_named(p).code for p in programmes))
        except ValueError as exc:
            raise InvalidEntry({"programmes": str(exc)}) from None

    @staticmethod
    def _expect(current: Entry, code: str, status: str) -> None:
        found = current.submissions.get(code)
        if found is None or found.status != status:
            now = found.status if found else "not submitted"
            raise WrongState(f"entry {current.id} is {now} for {code}, not {status}")

    @staticmethod
    def _record(conn: sa.Connection, data: Mapping, agency_id: int, entry_id: str) -> DraftRecord:
        unknown = sorted(set(data) - set(FORM_FIELDS))
        if unknown:
            raise InvalidEntry({name: "not a field of the entry form" for name in unknown})
        agency = conn.execute(sa.select(agencies).where(agencies.c.id == agency_id)).first()
        if agency is None:
            raise InvalidEntry({"agency_id": f"no agency with id {agency_id}"})
        values = {k: v for k, v in data.items() if v is not None}
        values.update(id=entry_id, agency=agency.name, agency_level=agency.level, province=agency.province,
                      regency_city=agency.regency_city, programme="other")
        try:
            return DraftRecord.model_validate(values)
        except ValidationError as exc:
            raise _invalid(exc) from None
        except ValueError as exc:  # a region the agency row names no longer resolves
            raise InvalidEntry({"record": str(exc)}) from None

    def _step(self, conn: sa.Connection, current: Entry, by: str, status: str, changes: dict,
              comment: str | None, **values) -> int:
        """Append one revision, moving the row only if it is still at the revision read."""
        number, now = current.revision + 1, _now()
        moved = conn.execute(entries.update().where(entries.c.id == current.id,
                                                    entries.c.revision == current.revision)
                             .values(revision=number, status=status, updated_at=now, **values))
        if moved.rowcount != 1:
            raise StaleEntry(self._get(conn, current.id), current.revision)
        self.catalog._revise(conn, current.id, number, now, by, status, changes, comment)
        return number

    def _move(self, conn: sa.Connection, current: Entry, states: dict[str, str], by: str, comment: str | None,
              published_entry_id: str | None = None) -> Entry:
        """Move programmes to new states in one revision (the entry's status follows)."""
        after = {code: s.status for code, s in current.submissions.items()} | states
        status = _summed_status(list(after.values()))
        changes = {f"programmes.{code}": {"from": current.submissions[code].status if code in current.submissions
                                          else None, "to": state} for code, state in states.items()}
        if status != current.status:
            changes["status"] = {"from": current.status, "to": status}
        number = self._step(conn, current, by, status, changes, comment)
        now = _now()
        for code, state in states.items():
            values = dict(status=state, revision=number, comment=comment, at=now, by=by)
            if published_entry_id is not None:
                values["published_entry_id"] = published_entry_id
            if code in current.submissions:
                conn.execute(submissions.update().where(submissions.c.entry_id == current.id,
                                                        submissions.c.programme == code).values(**values))
            else:
                conn.execute(submissions.insert().values(entry_id=current.id, programme=code, **values))
        return self._get(conn, current.id)

    def _write_published(self, conn: sa.Connection, current: Entry, record: Innovation, code: str) -> None:
        """The programme's own entry, as its curator verified it; its revisions name the
        revision of the entry it was published from (not the person)."""
        now, by = _now(), f"input:{current.id} revision {current.revision}"
        content = record.model_dump(mode="json")
        values = dict(content=content, submitted={"entry": current.id, "revision": current.revision},
                      content_hash=content_hash(record), identity_key=identity_key(record), updated_at=now,
                      agency_id=current.agency_id, status="published")
        row = conn.execute(sa.select(entries.c.revision, entries.c.content, entries.c.status)
                           .where(entries.c.id == record.id)).first()
        if row is None:
            conn.execute(entries.insert().values(id=record.id, innovation_id=current.innovation_id,
                                                 source=INPUT_SOURCE, programme=code, revision=1, link_fixed=True,
                                                 **values))
            self.catalog._revise(conn, record.id, 1, now, by, "published", _changes({}, record.content()), None)
            return
        changes = _changes(_comparable(row.content), record.content())
        if row.status != "published":
            changes["status"] = {"from": row.status, "to": "published"}
        conn.execute(entries.update().where(entries.c.id == record.id).values(revision=row.revision + 1, **values))
        self.catalog._revise(conn, record.id, row.revision + 1, now, by, "published", changes, None)

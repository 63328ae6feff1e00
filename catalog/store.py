"""The catalog: the system of record (SQLite by default, PostgreSQL for deployments).

Every write is one transaction that also appends the changed innovations to the outbox,
so search indexes (derived, rebuildable) follow changes without scanning the catalog.
Nothing is ever deleted: an edit appends a revision, withdrawing changes a status.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from . import replications
from .identity import agency_key, identity_key, innovation_id_for
from .record import PRIVATE_FIELDS, Innovation, public_author
from .schema import (agencies, campaign_innovations, confirmations, entries, innovation_aliases, innovations, outbox,
                     revisions, sync_state)
from .schema import replications as replication_rows

INDEXED_STATUS = "published"
# The programme column of an entry entered in JIPPNas itself (``workflow``): never indexed, nor
# shown in the public history; what search shows are the programmes' entries published from it.
INPUT_PROGRAMME = "input"
MIGRATIONS = Path(__file__).parent / "migrations"


class CatalogError(ValueError):
    """A request the catalog refuses: an unknown id, a link that makes no sense."""


@dataclass(frozen=True)
class Revision:
    entry_id: str
    number: int
    at: datetime
    by: str
    status: str
    changes: dict
    comment: str | None

    def public(self) -> "Revision":
        """The revision as the public history shows it: contact details left out, the author's address cut."""
        changes = {k: v for k, v in self.changes.items() if k not in PRIVATE_FIELDS}
        return Revision(self.entry_id, self.number, self.at, public_author(self.by), self.status, changes, self.comment)

    def to_json(self) -> dict:
        # SQLite hands timestamps back without their zone; they were written in UTC.
        at = self.at if self.at.tzinfo else self.at.replace(tzinfo=timezone.utc)
        return {"entry_id": self.entry_id, "number": self.number, "at": at.isoformat(), "by": self.by,
                "status": self.status, "changed": sorted(self.changes), "changes": self.changes,
                "comment": self.comment}


def content_hash(record: Innovation) -> str:
    return hashlib.sha256(json.dumps(record.content(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _changes(old: dict, new: dict) -> dict:
    return {k: {"from": old.get(k), "to": new.get(k)} for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)}


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    cfg = _alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.begin() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def create_db_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class Catalog:
    def __init__(self, url: str):
        self.url = url
        self.db = create_db_engine(url)
        migrate(self.db)

    def close(self) -> None:
        self.db.dispose()

    # ---------------------------------------------------------------- writes
    def import_entry(self, record: Innovation, *, source: str, submitted: dict | None, by: str) -> str:
        """Insert or update one entry from a source file; returns 'new', 'changed' or
        'unchanged'. An update appends a revision; a withdrawn entry stays withdrawn."""
        digest = content_hash(record)
        with self.db.begin() as conn:
            row = conn.execute(sa.select(entries.c.content_hash, entries.c.content, entries.c.status,
                                         entries.c.revision, entries.c.innovation_id)
                               .where(entries.c.id == record.id)).first()
            if row is not None and row.content_hash == digest:
                if record.replicated_in and conn.execute(sa.select(replication_rows.c.id).where(
                        replication_rows.c.entry_id == record.id).limit(1)).first() is None:
                    # a catalog from before replication records: derive them once
                    now = _now()
                    self._replications(conn, record, row.innovation_id, now)
                    self._touch(conn, row.innovation_id, now)
                return "unchanged"
            now, content = _now(), record.model_dump(mode="json")
            values = dict(content=content, submitted=submitted, content_hash=digest, updated_at=now,
                          agency_id=self._agency(conn, record), identity_key=identity_key(record),
                          programme=record.programme)
            if row is None:
                innovation_id = self._innovation_for_new(conn, record, source, now)
                conn.execute(entries.insert().values(id=record.id, innovation_id=innovation_id, source=source,
                                                     status=INDEXED_STATUS, revision=1, link_fixed=False, **values))
                self._revise(conn, record.id, 1, now, by, INDEXED_STATUS, _changes({}, record.content()), None)
                self._replications(conn, record, innovation_id, now)
                self._touch(conn, innovation_id, now)
                return "new"
            old = {k: v for k, v in row.content.items() if k != "updated_at"}
            conn.execute(entries.update().where(entries.c.id == record.id).values(revision=row.revision + 1, **values))
            self._revise(conn, record.id, row.revision + 1, now, by, row.status, _changes(old, record.content()), None)
            self._replications(conn, record, row.innovation_id, now)
            self._touch(conn, row.innovation_id, now)
            return "changed"

    def _replications(self, conn: sa.Connection, record: Innovation, innovation_id: str, now: datetime) -> None:
        """The entry's replication field as records (replacing those imported from it before)."""
        unlinked = replications.sync_imported(conn, record.id, innovation_id, record.replicated_in, now,
                                              f"{record.programme} {record.id}")
        for other in unlinked:
            self._touch(conn, other, now)

    def link_adaptations(self) -> int:
        """Find adopters' own innovations for replication records that name them (see
        ``replications.link_adaptations``); returns how many innovations changed."""
        with self.db.begin() as conn:
            now = _now()
            touched = replications.link_adaptations(conn, now)
            for innovation_id in sorted(touched):
                self._touch(conn, innovation_id, now)
            return len(touched)

    def withdraw(self, some_id: str, reason: str, by: str) -> list[str]:
        """Withdraw an entry, or every entry of an innovation: it leaves search, its
        history stays. Returns the entry ids withdrawn."""
        if not reason.strip():
            raise CatalogError("a reason is required to withdraw")
        with self.db.begin() as conn:
            targets = self._entries_named(conn, some_id)
            now, done = _now(), []
            for entry in targets:
                if entry.status == "withdrawn":
                    continue
                self._set_status(conn, entry, "withdrawn", now, by, reason)
                done.append(entry.id)
            for innovation_id in {e.innovation_id for e in targets}:
                self._touch(conn, innovation_id, now)
            return done

    def link(self, ids: Sequence[str], by: str, comment: str | None = None) -> str:
        """Make the innovations behind these ids (innovation or entry ids) one innovation:
        the oldest keeps its id, the others' ids become aliases of it. Returns that id."""
        with self.db.begin() as conn:
            found = []
            for some_id in ids:
                innovation_id = self._resolve(conn, some_id)
                if innovation_id is None:
                    raise CatalogError(f"no innovation or entry with id {some_id!r}")
                found.append(innovation_id)
            distinct = sorted(set(found))
            if len(distinct) < 2:
                raise CatalogError("these ids already name one innovation: nothing to link")
            rows = conn.execute(sa.select(innovations).where(innovations.c.id.in_(distinct))).all()
            keep = min(rows, key=lambda r: (r.created_at, r.id)).id
            now = _now()
            for merged in (i for i in distinct if i != keep):
                for entry in conn.execute(sa.select(entries).where(entries.c.innovation_id == merged)).all():
                    self._move(conn, entry, keep, now, by, comment)
                conn.execute(innovation_aliases.update().where(innovation_aliases.c.innovation_id == merged)
                             .values(innovation_id=keep))
                conn.execute(innovation_aliases.insert().values(alias=merged, innovation_id=keep))
                self._move_updating(conn, merged, keep)
                for original in replications.follow_link(conn, merged, keep):
                    self._touch(conn, original, now)
                conn.execute(innovations.delete().where(innovations.c.id == merged))
                self._touch(conn, merged, now)
            self._touch(conn, keep, now)
            return keep

    def unlink(self, entry_id: str, by: str, comment: str | None = None) -> str:
        """Take one entry out of its innovation into an innovation of its own (a steward
        decided they are different innovations). Returns the new innovation id."""
        with self.db.begin() as conn:
            entry = conn.execute(sa.select(entries).where(entries.c.id == entry_id)).first()
            if entry is None:
                raise CatalogError(f"no entry with id {entry_id!r} (unlink takes an entry id)")
            others = conn.execute(sa.select(sa.func.count()).select_from(entries).where(
                entries.c.innovation_id == entry.innovation_id, entries.c.id != entry_id)).scalar_one()
            if not others:
                raise CatalogError(f"{entry_id!r} is the only entry of {entry.innovation_id!r}: nothing to unlink")
            now = _now()
            new_id = self._new_innovation(conn, entry_id, now)
            self._move(conn, entry, new_id, now, by, comment)
            replications.follow_unlink(conn, entry_id, new_id)
            self._touch(conn, entry.innovation_id, now)
            self._touch(conn, new_id, now)
            return new_id

    # ---------------------------------------------------------------- reads
    def resolve(self, some_id: str) -> str | None:
        """The innovation behind an innovation id, a merged (alias) id or an entry id."""
        with self.db.connect() as conn:
            return self._resolve(conn, some_id)

    def records(self, innovation_id: str, statuses: Sequence[str] = (INDEXED_STATUS,)) -> list[Innovation]:
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(entries.c.content).where(
                entries.c.innovation_id == innovation_id, entries.c.status.in_(statuses),
                entries.c.programme != INPUT_PROGRAMME).order_by(entries.c.id))
            return [Innovation.model_validate(r.content) for r in rows]

    def published(self, innovation_ids: Sequence[str] | None = None,
                  batch: int = 1000) -> Iterator[tuple[str, list[Innovation]]]:
        """(innovation id, its published entries) for every innovation with any (or for
        the ids given), in id order, streamed."""
        query = (sa.select(entries.c.innovation_id, entries.c.content)
                 .where(entries.c.status == INDEXED_STATUS, entries.c.programme != INPUT_PROGRAMME)
                 .order_by(entries.c.innovation_id, entries.c.id))
        if innovation_ids is not None:
            chunks = [list(innovation_ids)[i:i + batch] for i in range(0, len(innovation_ids), batch)]
        else:
            chunks = [None]
        with self.db.connect() as conn:
            for chunk in chunks:
                q = query if chunk is None else query.where(entries.c.innovation_id.in_(chunk))
                current, group = None, []
                for row in conn.execution_options(yield_per=batch).execute(q):
                    if row.innovation_id != current and group:
                        yield current, group
                        group = []
                    current = row.innovation_id
                    group.append(Innovation.model_validate(row.content))
                if group:
                    yield current, group

    def history(self, some_id: str) -> list[Revision] | None:
        """Revisions of an entry (entry id) or of every entry of an innovation, newest first.
        Entries entered here are left out (their drafts are not public; the programmes'
        entries published from them are listed)."""
        public = entries.c.programme != INPUT_PROGRAMME
        with self.db.connect() as conn:
            is_entry = conn.execute(sa.select(entries.c.id).where(entries.c.id == some_id, public)).first() is not None
            if is_entry:
                where = revisions.c.entry_id == some_id
            else:
                innovation_id = self._resolve(conn, some_id)
                if innovation_id is None:
                    return None
                shown = sa.select(entries.c.id).where(entries.c.innovation_id == innovation_id, public)
                if conn.execute(shown.limit(1)).first() is None:
                    return None  # only a draft entered here: not public
                where = revisions.c.entry_id.in_(shown)
            rows = conn.execute(sa.select(revisions).where(where).order_by(
                revisions.c.at.desc(), revisions.c.id.desc()))
            return [Revision(r.entry_id, r.number, r.at, r.by, r.status, r.changes, r.comment) for r in rows]

    def entry_status(self, entry_id: str) -> str | None:
        with self.db.connect() as conn:
            return conn.execute(sa.select(entries.c.status).where(entries.c.id == entry_id)).scalar()

    def count(self) -> int:
        """Entries in the catalog, whatever their status."""
        with self.db.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(entries)).scalar_one()

    def count_published(self) -> int:
        """Innovations with at least one published entry: what a search index should hold."""
        with self.db.connect() as conn:
            return conn.execute(sa.select(sa.func.count(sa.distinct(entries.c.innovation_id)))
                                .where(entries.c.status == INDEXED_STATUS,
                                       entries.c.programme != INPUT_PROGRAMME)).scalar_one()

    def published_ids(self, agency_id: int | None = None) -> set[str]:
        """The innovations a search index should hold (``count_published`` of them), or those
        with a published entry of one agency."""
        where = [entries.c.status == INDEXED_STATUS, entries.c.programme != INPUT_PROGRAMME]
        if agency_id is not None:
            where.append(entries.c.agency_id == agency_id)
        with self.db.connect() as conn:
            return set(conn.execute(sa.select(entries.c.innovation_id).distinct().where(*where)).scalars())

    def source_summary(self) -> list[dict]:
        """Per source: its programme, the published entries and innovations from it, and when
        the newest of them last changed (the /tentang page)."""
        published = (entries.c.status == INDEXED_STATUS) & (entries.c.programme != INPUT_PROGRAMME)
        query = (sa.select(entries.c.source, entries.c.programme, sa.func.count().label("entries"),
                           sa.func.count(sa.distinct(entries.c.innovation_id)).label("innovations"),
                           sa.func.max(entries.c.updated_at).label("newest"))
                 .where(published).group_by(entries.c.source, entries.c.programme)
                 .order_by(entries.c.source, entries.c.programme))
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def agency_rows(self) -> list[dict]:
        with self.db.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(agencies).order_by(agencies.c.name))]

    # ---------------------------------------------------------------- outbox
    def pending(self, engine_key: str) -> list[tuple[str, int]]:
        """Innovations changed since the engine last synced, each with the outbox position of
        its latest change, in that order: the cursor may advance to a position once every
        innovation listed before it has been applied."""
        with self.db.connect() as conn:
            done = conn.execute(sa.select(sync_state.c.seq).where(sync_state.c.engine == engine_key)).scalar() or 0
            rows = conn.execute(sa.select(outbox.c.innovation_id, sa.func.max(outbox.c.seq).label("seq"))
                                .where(outbox.c.seq > done).group_by(outbox.c.innovation_id)
                                .order_by(sa.func.max(outbox.c.seq))).all()
        return [(r.innovation_id, r.seq) for r in rows]

    def outbox_position(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(sa.select(sa.func.coalesce(sa.func.max(outbox.c.seq), 0))).scalar_one()

    def mark_synced(self, engine_key: str, seq: int) -> None:
        with self.db.begin() as conn:
            updated = conn.execute(sync_state.update().where(sync_state.c.engine == engine_key).values(seq=seq))
            if not updated.rowcount:
                conn.execute(sync_state.insert().values(engine=engine_key, seq=seq))

    def reset_sync(self, engine_key: str) -> None:
        """Forget what the engine holds: the next sync indexes everything again."""
        with self.db.begin() as conn:
            conn.execute(sync_state.delete().where(sync_state.c.engine == engine_key))

    # ---------------------------------------------------------------- internals
    @staticmethod
    def _resolve(conn: sa.Connection, some_id: str) -> str | None:
        for query in (sa.select(innovations.c.id).where(innovations.c.id == some_id),
                      sa.select(innovation_aliases.c.innovation_id).where(innovation_aliases.c.alias == some_id),
                      sa.select(entries.c.innovation_id).where(entries.c.id == some_id)):
            found = conn.execute(query).scalar()
            if found:
                return found
        return None

    def _entries_named(self, conn: sa.Connection, some_id: str) -> list:
        entry = conn.execute(sa.select(entries).where(entries.c.id == some_id)).first()
        if entry is not None:
            return [entry]
        innovation_id = self._resolve(conn, some_id)
        if innovation_id is None:
            raise CatalogError(f"no innovation or entry with id {some_id!r}")
        return conn.execute(sa.select(entries).where(entries.c.innovation_id == innovation_id)).all()

    def _innovation_for_new(self, conn: sa.Connection, record: Innovation, source: str, now: datetime) -> str:
        """Link a new entry to the innovation it duplicates from another source, if exactly
        one innovation has its identity key and none of that one's entries is from the
        same source (two same-named entries of one source are different innovations)."""
        rows = conn.execute(sa.select(entries.c.innovation_id, entries.c.source)
                            .where(entries.c.identity_key == identity_key(record))).all()
        if rows and len({r.innovation_id for r in rows}) == 1 and source not in {r.source for r in rows}:
            return rows[0].innovation_id
        return self._new_innovation(conn, record.id, now)

    @staticmethod
    def _new_innovation(conn: sa.Connection, entry_id: str, now: datetime) -> str:
        candidate, n = innovation_id_for(entry_id), 0
        taken = sa.select(innovations.c.id).where(innovations.c.id == sa.bindparam("i")).union(
            sa.select(innovation_aliases.c.alias).where(innovation_aliases.c.alias == sa.bindparam("i")))
        while conn.execute(taken, {"i": candidate}).first() is not None:
            n += 1
            candidate = innovation_id_for(f"{entry_id}#{n}")
        conn.execute(innovations.insert().values(id=candidate, created_at=now))
        return candidate

    @staticmethod
    def _agency(conn: sa.Connection, record: Innovation) -> int:
        key = agency_key(record.agency)
        row = conn.execute(sa.select(agencies.c.id, agencies.c.aliases).where(agencies.c.key == key)).first()
        if row is None:
            return conn.execute(agencies.insert().values(
                key=key, name=record.agency, level=record.agency_level, province=record.province,
                regency_city=record.regency_city, aliases=[record.agency])).inserted_primary_key[0]
        if record.agency not in row.aliases:
            conn.execute(agencies.update().where(agencies.c.id == row.id).values(aliases=[*row.aliases, record.agency]))
        return row.id

    def _move(self, conn: sa.Connection, entry, innovation_id: str, now: datetime, by: str,
              comment: str | None) -> None:
        conn.execute(entries.update().where(entries.c.id == entry.id).values(
            innovation_id=innovation_id, link_fixed=True, revision=entry.revision + 1, updated_at=now))
        self._revise(conn, entry.id, entry.revision + 1, now, by, entry.status,
                     {"innovation_id": {"from": entry.innovation_id, "to": innovation_id}}, comment)

    @staticmethod
    def _move_updating(conn: sa.Connection, merged: str, keep: str) -> None:
        """Confirmations and campaign coverage follow a merged innovation into the one kept."""
        conn.execute(confirmations.update().where(confirmations.c.innovation_id == merged)
                     .values(innovation_id=keep))
        covered = sa.select(campaign_innovations.c.campaign_id).where(campaign_innovations.c.innovation_id == keep)
        for campaign_id in conn.execute(sa.select(campaign_innovations.c.campaign_id).where(
                campaign_innovations.c.innovation_id == merged, campaign_innovations.c.campaign_id.not_in(covered))
                ).scalars().all():
            conn.execute(campaign_innovations.insert().values(campaign_id=campaign_id, innovation_id=keep))
        conn.execute(campaign_innovations.delete().where(campaign_innovations.c.innovation_id == merged))

    def _set_status(self, conn: sa.Connection, entry, status: str, now: datetime, by: str,
                    comment: str | None) -> None:
        conn.execute(entries.update().where(entries.c.id == entry.id).values(
            status=status, revision=entry.revision + 1, updated_at=now))
        self._revise(conn, entry.id, entry.revision + 1, now, by, status,
                     {"status": {"from": entry.status, "to": status}}, comment)

    @staticmethod
    def _revise(conn: sa.Connection, entry_id: str, number: int, now: datetime, by: str, status: str,
                changes: dict, comment: str | None) -> None:
        conn.execute(revisions.insert().values(entry_id=entry_id, number=number, at=now, by=by, status=status,
                                               changes=changes, comment=comment))

    @staticmethod
    def _touch(conn: sa.Connection, innovation_id: str, now: datetime) -> None:
        conn.execute(outbox.insert().values(innovation_id=innovation_id, at=now))

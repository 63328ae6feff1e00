"""The replication network: who replicated which innovation, where, how far it got.

Programmes export replication as free text ("Kabupaten Banjar (sebagai Jempol Pelanduk)",
"Sejumlah puskesmas di Bandung", "16 pemerintah provinsi"). ``parse`` reads one item into an
adopter and a region where the text allows it, with the official codes of ``regions``; what it
cannot resolve stays text, and the import report lists it. Records are written in the
transaction of the entry they come from (``sync_imported``); people add them through
``services.CatalogService.add_replication`` (the original innovator's agency or the adopter).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

import sqlalchemy as sa

from .identity import _squash, agency_key
from .regions import RegionError, province, province_by_code, regency_by_code, resolve_regency
from .schema import agencies, entries, outbox, replications

PUBLISHED = "published"
# Words that say how far a replication got; the first that matches decides, else "done"
# (a programme listing a place under "replikasi" says it was replicated there).
_STATUS_WORDS = (
    ("stopped", re.compile(r"\b(berhenti|dihentikan|tidak berlanjut|vakum)\b", re.I)),
    ("planned", re.compile(r"\b(komitmen|rencana|berencana|akan|menandatangani|mou)\b", re.I)),
    ("running", re.compile(r"\b(sedang|uji coba|ujicoba|berjalan|proses)\b", re.I)),
)
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_DATE = re.compile(r"\b((januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember)\s+)?"
                   r"(19[5-9]\d|20\d\d)\b", re.I)
_NOTE = re.compile(r"^(?P<main>.*?)\s*\((?P<note>[^()]*)\)\s*$")
_LOCAL_NAME = re.compile(r"^sebagai\s+(.+)$", re.I)
# "Kabupaten/kota di Sumatera Barat", "pemda se-Jawa Tengah": every kab/kota of a province
_ALL_OF_PROVINCE = re.compile(r"^(kabupaten/kota|kab/kota|pemda|pemerintah daerah|daerah)\s+(di|se-?)\s*(.+)$", re.I)
_SOMEWHERE_IN = re.compile(r"\b(?:di|ke)\s+(.+)$", re.I)
_INSTITUTION = re.compile(r"^(pemerintah|pemkab|pemkot|pemprov|dinas|badan|puskesmas|rsud|rumah sakit|kantor|"
                          r"kementerian|bappeda|sekretariat|kecamatan|kelurahan|desa|upt)\b", re.I)
_PLACE_IN_NAME = re.compile(r"\b((?:Kabupaten|Kab\.|Kota)\s+[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Parsed:
    """One replication item read from text. ``adopter`` is an agency name to find or add (the
    pemda of a whole kab/kota or province, or the institution the text names)."""

    text: str
    province_code: str | None = None
    regency_code: str | None = None
    adopter: str | None = None
    adopter_level: str | None = None
    year: int | None = None
    status: str = "done"
    adapted: str | None = None
    local_name: str | None = None


def _status(text: str) -> str:
    return next((status for status, words in _STATUS_WORDS if words.search(text)), "done")


def _regency(text: str):
    try:
        return resolve_regency(text)
    except RegionError:
        return None


def _province_code(text: str) -> str | None:
    try:
        return province(text).code
    except ValueError:
        return None


def _place(main: str) -> dict:
    """Region (and the pemda as adopter) named by the main part of an item, or nothing."""
    whole = _ALL_OF_PROVINCE.match(main)
    if whole:
        code = _province_code(whole.group(3))
        return {"province_code": code} if code else {}
    regency = _regency(main)
    if regency is not None:
        return {"province_code": regency.province_code, "regency_code": regency.code,
                "adopter": f"Pemerintah {regency.name}", "adopter_level": regency.kind.lower()}
    code = _province_code(main)
    if code:
        return {"province_code": code, "adopter": f"Pemerintah Provinsi {province_by_code(code).name}",
                "adopter_level": "provinsi"}
    if _INSTITUTION.match(main):
        found = _PLACE_IN_NAME.findall(main)
        regency = _regency(found[-1]) if found else None
        if regency is not None:
            return {"province_code": regency.province_code, "regency_code": regency.code, "adopter": main,
                    "adopter_level": regency.kind.lower()}
    somewhere = _SOMEWHERE_IN.search(main)
    if somewhere:  # "Sejumlah puskesmas di Banjarmasin": the place, not who
        regency = _regency(somewhere.group(1))
        if regency is not None:
            return {"province_code": regency.province_code, "regency_code": regency.code}
        code = _province_code(somewhere.group(1))
        if code:
            return {"province_code": code}
    return {}


def parse(text: str) -> Parsed:
    text = " ".join(text.split())
    found = _NOTE.match(text)
    main, note = (found.group("main"), found.group("note")) if found else (text, "")
    years = _YEAR.findall(text)
    adapted = _DATE.sub("", note).strip(" ,;") or None
    local = _LOCAL_NAME.match(adapted or "")
    return Parsed(text=text, year=int(years[-1]) if years else None, status=_status(text), adapted=adapted,
                  local_name=local.group(1).strip() if local else None, **_place(main.strip()))


# ---------------------------------------------------------------- writes (inside a transaction)
def agency_for(conn: sa.Connection, name: str, level: str, province_code: str | None,
               regency_code: str | None) -> int:
    """The agency of that name (any spelling seen), added with its region when new."""
    key = agency_key(name)
    found = conn.execute(sa.select(agencies.c.id).where(agencies.c.key == key)).scalar()
    if found is not None:
        return found
    return conn.execute(agencies.insert().values(
        key=key, name=name, level=level, aliases=[name],
        province=province_by_code(province_code).name if province_code else None,
        regency_city=regency_by_code(regency_code).name if regency_code else None)).inserted_primary_key[0]


def sync_imported(conn: sa.Connection, entry_id: str, innovation_id: str, items: Sequence[str], now: datetime,
                  source: str) -> list[str]:
    """Make the imported records of one entry match its replication field: the old ones are
    replaced (records entered by people are never touched). Returns the innovations whose
    documents change (the original, and adopters' innovations that lose or gain a link)."""
    old = conn.execute(sa.select(replications.c.adapted_innovation_id).where(
        replications.c.entry_id == entry_id)).scalars().all()
    conn.execute(replications.delete().where(replications.c.entry_id == entry_id))
    for item in items:
        parsed = parse(item)
        agency_id = (agency_for(conn, parsed.adopter, parsed.adopter_level, parsed.province_code, parsed.regency_code)
                     if parsed.adopter else None)
        conn.execute(replications.insert().values(
            innovation_id=innovation_id, entry_id=entry_id, adopter_agency_id=agency_id,
            province_code=parsed.province_code, regency_code=parsed.regency_code, year=parsed.year,
            status=parsed.status, adapted=parsed.adapted, local_name=parsed.local_name, text=parsed.text,
            source=source, adapted_innovation_id=None, state=PUBLISHED, created_by=f"import:{entry_id}",
            created_at=now, updated_at=now))
    return [i for i in old if i]


def insert(conn: sa.Connection, innovation_id: str, *, adopter_agency_id: int | None, province_code: str | None,
           regency_code: str | None, year: int | None, status: str, adapted: str | None, source: str | None,
           adapted_innovation_id: str | None, state: str, by: str, now: datetime) -> int:
    """A record entered by a person (the service checked who may)."""
    return conn.execute(replications.insert().values(
        innovation_id=innovation_id, entry_id=None, adopter_agency_id=adopter_agency_id,
        province_code=province_code, regency_code=regency_code, year=year, status=status, adapted=adapted,
        local_name=None, text=None, source=source, adapted_innovation_id=adapted_innovation_id, state=state,
        created_by=by, created_at=now, updated_at=now)).inserted_primary_key[0]


def set_state(conn: sa.Connection, replication_id: int, state: str, now: datetime) -> None:
    conn.execute(replications.update().where(replications.c.id == replication_id).values(state=state, updated_at=now))


def link_adaptations(conn: sa.Connection, now: datetime) -> set[str]:
    """Find the adopter's own innovation for records that name it ("sebagai Jempol Pelanduk" in
    Kabupaten Banjar): the one innovation whose entries have that short name and place (the
    catalog's identity key). Returns the innovations whose documents change."""
    touched: set[str] = set()
    rows = conn.execute(sa.select(replications.c.id, replications.c.innovation_id, replications.c.local_name,
                                  replications.c.regency_code).where(
        replications.c.local_name.is_not(None), replications.c.adapted_innovation_id.is_(None),
        replications.c.regency_code.is_not(None))).all()
    for row in rows:
        key = f"{_squash(row.local_name)}|{_squash(regency_by_code(row.regency_code).name)}"
        found = set(conn.execute(sa.select(entries.c.innovation_id).where(entries.c.identity_key == key)).scalars())
        if len(found) == 1 and (target := found.pop()) != row.innovation_id:
            conn.execute(replications.update().where(replications.c.id == row.id).values(
                adapted_innovation_id=target, updated_at=now))
            touched |= {target, row.innovation_id}
    return touched


def follow_link(conn: sa.Connection, merged: str, keep: str) -> list[str]:
    """Innovations merged by a steward: their replication records follow the one kept.
    Returns the originals whose records named the merged one as the adopter's innovation."""
    originals = conn.execute(sa.select(replications.c.innovation_id).distinct().where(
        replications.c.adapted_innovation_id == merged)).scalars().all()
    conn.execute(replications.update().where(replications.c.innovation_id == merged).values(innovation_id=keep))
    conn.execute(replications.update().where(replications.c.adapted_innovation_id == merged)
                 .values(adapted_innovation_id=keep))
    return [keep if i == merged else i for i in originals]


def follow_unlink(conn: sa.Connection, entry_id: str, new_innovation_id: str) -> None:
    """An entry moved into an innovation of its own takes the records imported from it."""
    conn.execute(replications.update().where(replications.c.entry_id == entry_id)
                 .values(innovation_id=new_innovation_id))


def _touch(conn: sa.Connection, innovation_ids: Iterable[str | None], now: datetime) -> None:
    for innovation_id in dict.fromkeys(i for i in innovation_ids if i):
        conn.execute(outbox.insert().values(innovation_id=innovation_id, at=now))


# ---------------------------------------------------------------- reads
@dataclass(frozen=True)
class Replication:
    id: int
    innovation_id: str
    adopter_agency_id: int | None
    adopter: str | None
    province_code: str | None
    regency_code: str | None
    year: int | None
    status: str
    adapted: str | None
    text: str | None
    source: str | None
    adapted_innovation_id: str | None
    state: str
    entry_id: str | None
    created_by: str

    @property
    def province(self) -> str | None:
        return province_by_code(self.province_code).name if self.province_code else None

    @property
    def regency_city(self) -> str | None:
        return regency_by_code(self.regency_code).name if self.regency_code else None

    @property
    def resolved(self) -> str:
        """What the record names: "agency" (and so a region), "region" only, or only "text"."""
        if self.adopter_agency_id is not None:
            return "agency"
        return "region" if self.province_code else "text"

    @property
    def where(self) -> str:
        """A line for people: who and where ("Pemerintah Kota Bandung, Jawa Barat"), or the
        source's words with the province they were resolved to."""
        if self.adopter:
            return ", ".join([self.adopter, *(p for p in (self.regency_city, self.province)
                                             if p and p not in self.adopter)])
        place = [p for p in (self.regency_city, self.province) if p and p not in (self.text or "")]
        if self.text:
            return f"{self.text} ({', '.join(place)})" if place else self.text
        return ", ".join(place)

    def to_json(self) -> dict:
        return {"id": self.id, "innovation_id": self.innovation_id, "adopter": self.adopter,
                "adopter_agency_id": self.adopter_agency_id, "province": self.province,
                "province_code": self.province_code, "regency_city": self.regency_city,
                "regency_code": self.regency_code, "year": self.year, "status": self.status,
                "adapted": self.adapted, "text": self.text, "source": self.source,
                "adapted_innovation_id": self.adapted_innovation_id, "resolved": self.resolved,
                "state": self.state}


def _select():
    return (sa.select(replications, agencies.c.name.label("adopter"))
            .select_from(replications.outerjoin(agencies, agencies.c.id == replications.c.adopter_agency_id)))


def _record(row) -> Replication:
    return Replication(row.id, row.innovation_id, row.adopter_agency_id, row.adopter, row.province_code,
                       row.regency_code, row.year, row.status, row.adapted, row.text, row.source,
                       row.adapted_innovation_id, row.state, row.entry_id, row.created_by)


def _order(query):
    return query.order_by(replications.c.year.is_(None), replications.c.year, replications.c.id)


class Replications:
    """Reads of the replication records (public ones are ``published``)."""

    def __init__(self, catalog):
        self.db = catalog.db

    def of(self, innovation_ids: Iterable[str], states: Sequence[str] = (PUBLISHED,)) -> dict[str, list[Replication]]:
        """Records whose original is one of these innovations, by innovation."""
        ids = list(innovation_ids)
        out: dict[str, list[Replication]] = {i: [] for i in ids}
        with self.db.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for row in conn.execute(_order(_select().where(replications.c.innovation_id.in_(chunk),
                                                               replications.c.state.in_(states)))):
                    out[row.innovation_id].append(_record(row))
        return out

    # ---------------------------------------------------------------- writes by people
    def agencies_of(self, innovation_id: str) -> set[int]:
        """The agencies of an innovation's entries: its innovators."""
        with self.db.connect() as conn:
            return set(conn.execute(sa.select(entries.c.agency_id).distinct().where(
                entries.c.innovation_id == innovation_id, entries.c.agency_id.is_not(None))).scalars())

    def add(self, innovation_id: str, values: dict, state: str, by: str) -> int:
        """Insert a checked record (``services`` validated it and decided its state); the
        original's search document changes once it is published."""
        with self.db.begin() as conn:
            now = _now()
            new_id = insert(conn, innovation_id, state=state, by=by, now=now, **values)
            if state == PUBLISHED:
                _touch(conn, [innovation_id, values.get("adapted_innovation_id")], now)
            return new_id

    def set_state(self, replication_id: int, state: str) -> None:
        with self.db.begin() as conn:
            now = _now()
            row = conn.execute(sa.select(replications.c.innovation_id, replications.c.adapted_innovation_id)
                               .where(replications.c.id == replication_id)).first()
            set_state(conn, replication_id, state, now)
            _touch(conn, [row.innovation_id, row.adapted_innovation_id], now)

    def of_entries(self, entry_ids: Iterable[str]) -> list[Replication]:
        """Records imported from these entries (an import's report)."""
        ids, out = sorted(set(entry_ids)), []
        with self.db.connect() as conn:
            for start in range(0, len(ids), 500):
                out += [_record(r) for r in conn.execute(_order(_select().where(
                    replications.c.entry_id.in_(ids[start:start + 500]))))]
        return sorted(out, key=lambda r: (r.entry_id, r.id))

    def submitted(self) -> list[Replication]:
        """Records entered by people and waiting for a curator."""
        with self.db.connect() as conn:
            return [_record(r) for r in conn.execute(_order(_select().where(replications.c.state == "submitted")))]

    def get(self, replication_id: int) -> Replication | None:
        with self.db.connect() as conn:
            row = conn.execute(_select().where(replications.c.id == replication_id)).first()
            return _record(row) if row else None

    def adapted_from(self, innovation_id: str, depth: int = 10) -> list[Replication]:
        """The chain this innovation was adapted from, nearest first: the record naming it as
        the adopter's own innovation, then the record naming that original, and so on
        (a recursive query, the same on SQLite and PostgreSQL)."""
        with self.db.connect() as conn:
            start = (sa.select(replications.c.id, replications.c.innovation_id, sa.literal(1).label("depth"))
                     .where(replications.c.adapted_innovation_id == innovation_id,
                            replications.c.state == PUBLISHED).cte("chain", recursive=True))
            step = (sa.select(replications.c.id, replications.c.innovation_id, (start.c.depth + 1).label("depth"))
                    .join(start, replications.c.adapted_innovation_id == start.c.innovation_id)
                    .where(replications.c.state == PUBLISHED, start.c.depth < depth))
            chain = start.union(step)
            rows = conn.execute(_select().add_columns(chain.c.depth).join(chain, chain.c.id == replications.c.id)
                                .order_by(chain.c.depth, replications.c.id)).all()
            seen, out = set(), []
            for row in rows:
                if row.id not in seen:
                    seen.add(row.id)
                    out.append(_record(row))
            return out

    def search(self, *, innovation_id: str | None = None, to_province_code: str | None = None,
               from_province: str | None = None, status: Sequence[str] = (), year_from: int | None = None,
               year_to: int | None = None, resolved: str | None = None) -> list[Replication]:
        """Published records under filters, oldest first. ``to_province_code`` is where it
        went, ``from_province`` the original innovation's province (see ``origins``)."""
        query = _select().where(replications.c.state == PUBLISHED)
        if innovation_id:
            query = query.where(replications.c.innovation_id == innovation_id)
        if to_province_code:
            query = query.where(replications.c.province_code == to_province_code)
        if status:
            query = query.where(replications.c.status.in_(list(status)))
        if year_from is not None:
            query = query.where(replications.c.year >= year_from)
        if year_to is not None:
            query = query.where(replications.c.year <= year_to)
        if resolved == "agency":
            query = query.where(replications.c.adopter_agency_id.is_not(None))
        elif resolved == "region":
            query = query.where(replications.c.adopter_agency_id.is_(None), replications.c.province_code.is_not(None))
        elif resolved == "text":
            query = query.where(replications.c.adopter_agency_id.is_(None), replications.c.province_code.is_(None))
        with self.db.connect() as conn:
            found = [_record(r) for r in conn.execute(_order(query))]
        if from_province:
            origins = self.origins({r.innovation_id for r in found})
            found = [r for r in found if origins[r.innovation_id].province == from_province]
        return found

    def origins(self, innovation_ids: Iterable[str]) -> dict[str, "Origin"]:
        """Title, province and sector of each original innovation, from its published
        entries (the first that names each)."""
        ids = sorted(set(innovation_ids))
        out = {i: Origin(i) for i in ids}
        with self.db.connect() as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(sa.select(entries.c.innovation_id, entries.c.content).where(
                    entries.c.innovation_id.in_(ids[start:start + 500]), entries.c.status == PUBLISHED,
                    entries.c.programme != "input").order_by(entries.c.id))
                for row in rows:
                    o = out[row.innovation_id]
                    out[row.innovation_id] = Origin(row.innovation_id, o.title or row.content.get("title"),
                                                    o.province or row.content.get("province"),
                                                    o.sector or row.content.get("sector"))
        return out


@dataclass(frozen=True)
class Origin:
    innovation_id: str
    title: str | None = None
    province: str | None = None
    sector: str | None = None

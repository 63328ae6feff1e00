"""Keeping data current (pemutakhiran, issue "One input for three programmes"): each year an
agency confirms that each of its innovations still runs (``berlanjut``) or has stopped
(``vakum``, with a reason); an admin opens an updating campaign (a deadline and the
innovations it covers) and watches which are still outstanding.

An innovation's state, at a moment and within a campaign (or none):
- ``stopped``: its latest confirmation says vakum (it need not be confirmed again);
- ``stale``: never confirmed, or last confirmed before the campaign opened or more than
  12 months ago; these are what is *outstanding*;
- ``current``: otherwise.
Separately it is *incomplete* when its records leave an aspect of the knowledge standard
empty (``completeness.aspects``).

Confirmations are append-only (an innovation's state is its latest one) and each one puts
the innovation in the outbox, so search's continuing/stopped facet follows. Permission checks
are the caller's (``services.CatalogService``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterable, Sequence

import sqlalchemy as sa

from .completeness import Aspects, aspects
from .schema import ACTIVITIES, agencies, campaign_innovations, campaigns, confirmations, entries, innovations
from .store import INDEXED_STATUS, INPUT_PROGRAMME, Catalog, CatalogError
from .workflow import InvalidEntry

STALE_AFTER = timedelta(days=365)  # confirmed longer ago than this: stale even without a campaign
STATES = ("current", "stale", "stopped")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Confirmation:
    innovation_id: str
    activity: str  # berlanjut | vakum
    reason: str | None
    at: datetime
    by: str

    def to_json(self) -> dict:
        return {"activity": self.activity, "reason": self.reason, "at": self.at.isoformat(), "by": self.by}


@dataclass(frozen=True)
class Campaign:
    id: int
    title: str
    opened_at: datetime
    deadline: date
    opened_by: str
    size: int  # innovations covered

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "opened_at": self.opened_at.isoformat(),
                "deadline": self.deadline.isoformat(), "innovations": self.size}


@dataclass(frozen=True)
class InnovationState:
    innovation_id: str
    title: str
    agency_id: int | None
    agency: str
    confirmation: Confirmation | None
    aspects: Aspects
    state: str  # current | stale | stopped

    @property
    def outstanding(self) -> bool:
        return self.state == "stale"

    @property
    def incomplete(self) -> bool:
        return not self.aspects.complete


@dataclass(frozen=True)
class AgencyTally:
    agency_id: int | None
    agency: str
    total: int
    current: int
    stale: int
    stopped: int
    incomplete: int

    @property
    def outstanding(self) -> int:
        return self.stale

    def to_json(self) -> dict:
        return {"agency_id": self.agency_id, "agency": self.agency, "innovations": self.total,
                "current": self.current, "stale": self.stale, "stopped": self.stopped,
                "incomplete": self.incomplete, "outstanding": self.outstanding}


def tally(states: Sequence[InnovationState]) -> tuple[AgencyTally, list[AgencyTally]]:
    """(the totals, one row per agency): agencies with the most outstanding first."""
    def count(name: str | None, agency_id: int | None, group: list[InnovationState]) -> AgencyTally:
        return AgencyTally(agency_id, name or "", len(group), *(sum(s.state == st for s in group) for st in STATES),
                           sum(s.incomplete for s in group))

    groups: dict[int | None, list[InnovationState]] = {}
    for s in states:
        groups.setdefault(s.agency_id, []).append(s)
    rows = [count(g[0].agency, agency_id, g) for agency_id, g in groups.items()]
    rows.sort(key=lambda r: (-r.outstanding, r.agency.casefold(), r.agency_id or 0))
    return count(None, None, list(states)), rows


class UpdatingStore:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.db = catalog.db
        self._cache: dict[tuple, list[InnovationState]] = {}

    # ---------------------------------------------------------------- writes
    def confirm(self, innovation_id: str, activity: str, reason: str | None, by: str) -> Confirmation:
        """Record that the innovation continues or (with a reason) has stopped."""
        reason = (reason or "").strip() or None
        if activity not in ACTIVITIES:
            raise InvalidEntry({"activity": f"one of {', '.join(ACTIVITIES)}, not {activity!r}"})
        if activity == "vakum" and reason is None:
            raise InvalidEntry({"reason": "say why the innovation stopped"})
        now = _now()
        with self.db.begin() as conn:
            resolved = self._innovation(conn, innovation_id)
            conn.execute(confirmations.insert().values(innovation_id=resolved, activity=activity,
                                                       reason=reason if activity == "vakum" else None, at=now, by=by))
            self.catalog._touch(conn, resolved, now)
        return Confirmation(resolved, activity, reason if activity == "vakum" else None, now, by)

    def open_campaign(self, title: str, deadline: date, by: str, *, innovation_ids: Iterable[str] | None = None,
                      agency_ids: Iterable[int] | None = None) -> Campaign:
        """A campaign over the innovations named, or over every published innovation (of the
        agencies named, when they are)."""
        title = (title or "").strip()
        errors = {}
        if not title:
            errors["title"] = "name the campaign"
        if deadline < _now().date():
            errors["deadline"] = f"{deadline.isoformat()} is in the past"
        if errors:
            raise InvalidEntry(errors)
        now = _now()
        with self.db.begin() as conn:
            if innovation_ids is not None:
                covered = sorted({self._innovation(conn, i) for i in innovation_ids})
            else:
                covered = self._published_ids(conn, None if agency_ids is None else list(agency_ids))
            if not covered:
                raise InvalidEntry({"innovations": "the campaign would cover no innovation"})
            campaign_id = conn.execute(campaigns.insert().values(title=title, opened_at=now, deadline=deadline,
                                                                 opened_by=by)).inserted_primary_key[0]
            conn.execute(campaign_innovations.insert(), [{"campaign_id": campaign_id, "innovation_id": i}
                                                         for i in covered])
        return Campaign(campaign_id, title, now, deadline, by, len(covered))

    # ---------------------------------------------------------------- reads
    def campaigns(self) -> list[Campaign]:
        """Every campaign, the newest first."""
        size = (sa.select(sa.func.count()).where(campaign_innovations.c.campaign_id == campaigns.c.id)
                .scalar_subquery())
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(campaigns, size.label("size"))
                                .order_by(campaigns.c.opened_at.desc(), campaigns.c.id.desc())).all()
        return [Campaign(r.id, r.title, _aware(r.opened_at), r.deadline, r.opened_by, r.size) for r in rows]

    def campaign(self, campaign_id: int | None = None) -> Campaign | None:
        """The campaign with this id, or the newest one."""
        found = self.campaigns()
        if campaign_id is None:
            return found[0] if found else None
        return next((c for c in found if c.id == campaign_id), None)

    def history(self, innovation_id: str) -> list[Confirmation]:
        """Every confirmation of the innovation, newest first."""
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(confirmations).where(confirmations.c.innovation_id == innovation_id)
                                .order_by(confirmations.c.id.desc())).all()
        return [Confirmation(r.innovation_id, r.activity, r.reason, _aware(r.at), r.by) for r in rows]

    def agencies_of(self, innovation_id: str) -> list[int]:
        """The agencies whose entries make up the innovation (any id of it), first the main one."""
        with self.db.connect() as conn:
            resolved = self._innovation(conn, innovation_id)
            rows = conn.execute(sa.select(entries.c.agency_id).where(
                entries.c.innovation_id == resolved, entries.c.status != "withdrawn",
                entries.c.agency_id.is_not(None)).order_by(entries.c.agency_id)).scalars().all()
        return list(dict.fromkeys(rows))

    def activities(self, innovation_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Innovation id → its latest confirmed activity (innovations never confirmed are left out)."""
        latest = sa.select(sa.func.max(confirmations.c.id)).group_by(confirmations.c.innovation_id)
        query = sa.select(confirmations.c.innovation_id, confirmations.c.activity).where(
            confirmations.c.id.in_(latest))
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
        wanted = None if innovation_ids is None else set(innovation_ids)
        return {r.innovation_id: r.activity for r in rows if wanted is None or r.innovation_id in wanted}

    def states(self, campaign: Campaign | None = None, agency_id: int | None = None,
               now: datetime | None = None) -> list[InnovationState]:
        """The state of every innovation the campaign covers (without one: every published
        innovation), or of those with an entry of one agency, ordered by agency and title.
        Every agency's states (what the public figures count) are kept until the catalog changes
        (its outbox moves: every write, confirmations included) or the day ends."""
        key = None
        if agency_id is None and now is None:
            key = (campaign.id if campaign else None, self.catalog.outbox_position(), _now().date())
            if key in self._cache:
                return self._cache[key]
        found = self._states(campaign, agency_id, now or _now())
        if key is not None:
            self._cache = {key: found}  # only the newest: older positions are never asked for again
        return found

    def _states(self, campaign: Campaign | None, agency_id: int | None, now: datetime) -> list[InnovationState]:
        threshold = now - STALE_AFTER
        if campaign is not None:
            threshold = max(threshold, _aware(campaign.opened_at))
        with self.db.connect() as conn:
            if campaign is not None:
                scope = sa.select(campaign_innovations.c.innovation_id).where(
                    campaign_innovations.c.campaign_id == campaign.id)
            else:
                scope = sa.select(entries.c.innovation_id).where(entries.c.status == INDEXED_STATUS,
                                                                 entries.c.programme != INPUT_PROGRAMME)
            if agency_id is not None:
                scope = scope.where(scope.selected_columns[0].in_(sa.select(entries.c.innovation_id).where(
                    entries.c.agency_id == agency_id, entries.c.status != "withdrawn")))
            rows = conn.execute(sa.select(entries.c.innovation_id, entries.c.id, entries.c.programme,
                                          entries.c.status, entries.c.agency_id, entries.c.content)
                                .where(entries.c.innovation_id.in_(scope), entries.c.status != "withdrawn")
                                .order_by(entries.c.innovation_id, entries.c.id)).all()
            names = dict(conn.execute(sa.select(agencies.c.id, agencies.c.name)).all())
            latest = sa.select(sa.func.max(confirmations.c.id)).where(
                confirmations.c.innovation_id.in_(scope)).group_by(confirmations.c.innovation_id)
            confirmed = {r.innovation_id: Confirmation(r.innovation_id, r.activity, r.reason, _aware(r.at), r.by)
                         for r in conn.execute(sa.select(confirmations).where(confirmations.c.id.in_(latest)))}
        grouped: dict[str, list] = {}
        for row in rows:
            grouped.setdefault(row.innovation_id, []).append(row)
        out = []
        for innovation_id, group in grouped.items():
            shown = [r for r in group if r.programme != INPUT_PROGRAMME] or group  # the public records lead
            owner = min((r.agency_id for r in shown if r.agency_id is not None), default=None)
            last = confirmed.get(innovation_id)
            if last is not None and last.activity == "vakum":
                state = "stopped"
            elif last is None or last.at < threshold:
                state = "stale"
            else:
                state = "current"
            out.append(InnovationState(innovation_id, shown[0].content.get("title") or innovation_id, owner,
                                       names.get(owner, ""), last, aspects(r.content for r in group), state))
        out.sort(key=lambda s: (s.agency.casefold(), s.title.casefold(), s.innovation_id))
        return out

    # ---------------------------------------------------------------- internals
    def _innovation(self, conn: sa.Connection, some_id: str) -> str:
        resolved = self.catalog._resolve(conn, some_id)
        if resolved is None:
            raise CatalogError(f"no innovation or entry with id {some_id!r}")
        return resolved

    @staticmethod
    def _published_ids(conn: sa.Connection, agency_ids: list[int] | None) -> list[str]:
        query = sa.select(entries.c.innovation_id).distinct().where(
            entries.c.status == INDEXED_STATUS, entries.c.programme != INPUT_PROGRAMME,
            entries.c.innovation_id.in_(sa.select(innovations.c.id)))
        if agency_ids is not None:
            query = query.where(entries.c.agency_id.in_(agency_ids))
        return sorted(conn.execute(query).scalars().all())

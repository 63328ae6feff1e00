"""Every write to the catalog goes through here: each call takes the caller's identity and is
checked against one permission policy before the store changes anything (InvenioRDM's shape:
identity → policy → one transaction, with the outbox written in it).

The command line and imports act as trusted local identities; people signed in on the web
and API tokens (issue "One input for three programmes") are editors, curators or admins.
An action is allowed when one of the identity's roles is listed for it in ``POLICY`` and,
when the action concerns an agency's entry or a programme, that role reaches it (``REACH``):
an editor reaches its own agency's entries, a curator the submissions to its programme, every
other role everything. A refusal raises ``PermissionDenied`` before anything changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from .accounts import Accounts, ApiToken, User
from .record import Innovation
from .regions import RegionError, province, province_of, resolve_regency
from .replications import PUBLISHED, Replication, Replications
from .schema import REPLICATION_STATUSES
from .store import Catalog, CatalogError
from .updating import Campaign, Confirmation, InnovationState, UpdatingStore
from .workflow import Entry, EntryNotFound, EntryStore, InvalidEntry

# Which roles may do what. One table, read by every write path (and by the reads of entries
# that are not public yet).
POLICY: dict[str, frozenset[str]] = {
    "import": frozenset({"importer", "admin"}),
    "link": frozenset({"steward", "admin"}),
    "unlink": frozenset({"steward", "admin"}),
    "withdraw": frozenset({"steward", "curator", "admin"}),
    "agency.add": frozenset({"admin"}),
    "user.add": frozenset({"admin"}),
    "token.create": frozenset({"editor", "admin"}),
    "entry.read": frozenset({"editor", "curator", "admin"}),
    "entry.create": frozenset({"editor", "admin"}),
    "entry.edit": frozenset({"editor", "admin"}),
    "entry.submit": frozenset({"editor", "admin"}),
    "entry.return": frozenset({"curator", "admin"}),
    "entry.verify": frozenset({"curator", "admin"}),
    "entry.publish": frozenset({"curator", "admin"}),
    "innovation.confirm": frozenset({"editor", "admin"}),
    "campaign.open": frozenset({"admin"}),
    "updating.read": frozenset({"editor", "curator", "admin"}),
    # Replication records: the original innovator's agency or the adopter adds one (an editor
    # must be one of the two); curators verify what editors add, as they verify entries.
    "replication.add": frozenset({"editor", "curator", "admin"}),
    "replication.verify": frozenset({"curator", "admin"}),
}

# How far a role reaches when an action concerns one agency's entry or one programme:
# "agency" = the identity's agency only, "programme" = the identity's programme only.
# Roles not listed reach everything.
REACH: dict[str, str] = {"editor": "agency", "curator": "programme"}
NO_AGENCY = -1  # an agency id no identity has: reached only by roles that reach every agency


@dataclass(frozen=True)
class Identity:
    name: str  # recorded in revisions as "user:<name>"
    roles: frozenset[str]
    via: str | None = None  # the channel, e.g. "cli", "web", "api"
    agency_id: int | None = None  # editors: the agency whose entries they touch
    programme: str | None = None  # curators: the programme whose submissions they review
    user_id: int | None = None  # a signed-in user (None for tokens and local identities)

    @property
    def by(self) -> str:
        return f"user:{self.name}" + (f" ({self.via})" if self.via else "")

    @classmethod
    def of_user(cls, user: User, via: str) -> "Identity":
        return cls(user.email, frozenset({user.role}), via, user.agency_id, user.programme, user.id)

    @classmethod
    def of_token(cls, token: ApiToken) -> "Identity":
        return cls(f"token:{token.prefix}", frozenset({"editor"}), "api", token.agency_id)


class PermissionDenied(PermissionError):
    def __init__(self, identity: Identity, action: str, why: str | None = None):
        allowed = ", ".join(sorted(POLICY[action]))
        super().__init__(f"{identity.name} may not {action} " + (
            f"({why})" if why else f"(needs one of the roles: {allowed})"))
        self.identity, self.action = identity, action


def _reaches(identity: Identity, role: str, agency_id: int | None, programmes: Sequence[str] | None) -> bool:
    reach = REACH.get(role, "all")
    if reach == "agency":
        return agency_id is None or (identity.agency_id is not None and identity.agency_id == agency_id)
    if reach == "programme":
        return programmes is None or (identity.programme is not None and identity.programme in programmes)
    return True


def allowed(identity: Identity, action: str, *, agency_id: int | None = None,
            programmes: Iterable[str] | None = None) -> bool:
    programmes = None if programmes is None else tuple(programmes)
    return any(_reaches(identity, role, agency_id, programmes) for role in identity.roles & POLICY[action])


def require(identity: Identity, action: str, *, agency_id: int | None = None,
            programmes: Iterable[str] | None = None) -> None:
    """Raise ``PermissionDenied`` unless ``identity`` may do ``action`` (on an entry of
    ``agency_id``, or for one of ``programmes``)."""
    roles = identity.roles & POLICY[action]
    if not roles:
        raise PermissionDenied(identity, action)
    if not allowed(identity, action, agency_id=agency_id, programmes=programmes):
        reaches = {REACH.get(role, "all") for role in roles}
        why = "another agency's entry" if "agency" in reaches else "not submitted to your programme"
        raise PermissionDenied(identity, action, why)


def _entry_programmes(entry: Entry) -> list[str]:
    return list(entry.submissions)


class CatalogService:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.accounts = Accounts(catalog)
        self.entries = EntryStore(catalog)
        self.updating = UpdatingStore(catalog)
        self.replications = Replications(catalog)

    # ---------------------------------------------------------------- imports and stewards
    def import_entry(self, identity: Identity, record: Innovation, *, source: str, submitted: dict | None,
                     origin: str) -> str:
        """An entry from a source file; ``origin`` ("file:kipp.json record 3") is what its revision records."""
        require(identity, "import")
        return self.catalog.import_entry(record, source=source, submitted=submitted, by=origin)

    def link(self, identity: Identity, ids: Sequence[str], comment: str | None = None) -> str:
        require(identity, "link")
        return self.catalog.link(ids, identity.by, comment)

    def unlink(self, identity: Identity, entry_id: str, comment: str | None = None) -> str:
        require(identity, "unlink")
        return self.catalog.unlink(entry_id, identity.by, comment)

    def withdraw(self, identity: Identity, some_id: str, reason: str) -> list[str]:
        require(identity, "withdraw")
        return self.catalog.withdraw(some_id, reason, identity.by)

    # ---------------------------------------------------------------- accounts
    def add_agency(self, identity: Identity, name: str, level: str, province: str | None = None,
                   regency_city: str | None = None) -> tuple[int, bool]:
        """(agency id, whether it was created): an agency of that name is reused."""
        require(identity, "agency.add")
        return self.accounts.add_agency(name, level, province, regency_city)

    def add_user(self, identity: Identity, email: str, password: str, role: str, agency_id: int | None = None,
                 programme: str | None = None) -> int:
        require(identity, "user.add")
        return self.accounts.add_user(email, password, role, agency_id, programme)

    def create_token(self, identity: Identity, agency_id: int, label: str | None = None) -> tuple[int, str]:
        """(token id, the token): the token is shown this once; only its hash is kept."""
        require(identity, "token.create", agency_id=agency_id)
        return self.accounts.create_token(agency_id, identity.by, label)

    # ---------------------------------------------------------------- entries entered here
    def entry(self, identity: Identity, entry_id: str) -> Entry | None:
        """An entry entered here (None if there is none); ``PermissionDenied`` if ``identity``
        may not read it (another agency's, or not submitted to the curator's programme)."""
        found = self.entries.get(entry_id)
        if found is not None:
            require(identity, "entry.read", agency_id=found.agency_id, programmes=_entry_programmes(found))
        return found

    def visible_entries(self, identity: Identity, status: str | None = None, programme: str | None = None,
                        limit: int = 100, offset: int = 0) -> list[Entry]:
        """Entries the identity may read: an editor its agency's, a curator those submitted to
        its programme, an admin all."""
        require(identity, "entry.read")
        roles = identity.roles & POLICY["entry.read"]
        reaches = {REACH.get(role, "all") for role in roles}
        if "all" in reaches:
            return self.entries.list(status=status, programme=programme, limit=limit, offset=offset)
        if "programme" in reaches:
            if programme not in (None, identity.programme):
                return []
            return self.entries.list(status=status, programme=identity.programme, limit=limit, offset=offset)
        return self.entries.list(status=status, programme=programme, agency_id=identity.agency_id,
                                 limit=limit, offset=offset)

    def create_entry(self, identity: Identity, data: dict, agency_id: int | None = None) -> Entry:
        """A new draft for ``agency_id`` (an editor's own agency when not given). Drafts are
        not checked for completeness, only for well-formed values."""
        agency_id = agency_id if agency_id is not None else identity.agency_id
        if agency_id is None:
            raise InvalidEntry({"agency_id": "an agency is required"})
        require(identity, "entry.create", agency_id=agency_id)
        return self.entries.create(data, agency_id, identity.by)

    def _checked(self, identity: Identity, action: str, entry_id: str, programmes: Sequence[str] | None = None) -> Entry:
        found = self.entries.get(entry_id)
        if found is None:
            raise EntryNotFound(entry_id)
        require(identity, action, agency_id=found.agency_id,
                programmes=programmes if programmes is not None else _entry_programmes(found))
        return found

    def update_entry(self, identity: Identity, entry_id: str, data: dict, expected_revision: int,
                     comment: str | None = None) -> Entry:
        self._checked(identity, "entry.edit", entry_id)
        return self.entries.update(entry_id, data, expected_revision, identity.by, comment)

    def submit_entry(self, identity: Identity, entry_id: str, programmes: Sequence[str],
                     expected_revision: int | None = None) -> Entry:
        self._checked(identity, "entry.submit", entry_id)
        return self.entries.submit(entry_id, programmes, identity.by, expected_revision)

    def return_entry(self, identity: Identity, entry_id: str, programme: str, comment: str,
                     expected_revision: int | None = None) -> Entry:
        self._checked(identity, "entry.return", entry_id, [programme])
        return self.entries.return_(entry_id, programme, comment, identity.by, expected_revision)

    def verify_entry(self, identity: Identity, entry_id: str, programme: str, comment: str | None = None,
                     expected_revision: int | None = None, publish: bool = True) -> Entry:
        """Verify the submission to ``programme``; with ``publish`` (the default, and only when
        the identity may also publish) publish it at once, so it becomes searchable."""
        self._checked(identity, "entry.verify", entry_id, [programme])
        entry = self.entries.verify(entry_id, programme, comment, identity.by, expected_revision)
        if publish:
            require(identity, "entry.publish", programmes=[programme])
            entry = self.entries.publish(entry_id, programme, identity.by)
        return entry

    def publish_entry(self, identity: Identity, entry_id: str, programme: str) -> Entry:
        self._checked(identity, "entry.publish", entry_id, [programme])
        return self.entries.publish(entry_id, programme, identity.by)

    # ---------------------------------------------------------------- keeping data current
    def confirm(self, identity: Identity, innovation_id: str, activity: str, reason: str | None = None) -> Confirmation:
        """The innovation continues (``berlanjut``) or has stopped (``vakum``, with a reason);
        editors confirm their own agency's innovations."""
        require(identity, "innovation.confirm", agency_id=self._confirming_agency(identity, innovation_id))
        return self.updating.confirm(innovation_id, activity, reason, identity.by)

    def may_confirm(self, identity: Identity, innovation_id: str) -> bool:
        """Whether ``confirm`` would let this identity confirm the innovation (to offer it)."""
        return allowed(identity, "innovation.confirm", agency_id=self._confirming_agency(identity, innovation_id))

    def _confirming_agency(self, identity: Identity, innovation_id: str) -> int:
        """The agency a confirmation speaks for: the identity's own, when it is one of the innovation's."""
        owners = self.updating.agencies_of(innovation_id)
        mine = identity.agency_id if identity.agency_id in owners else (owners[0] if owners else None)
        return NO_AGENCY if mine is None else mine

    def open_campaign(self, identity: Identity, title: str, deadline: date, *,
                      innovation_ids: Iterable[str] | None = None, agency_ids: Iterable[int] | None = None) -> Campaign:
        require(identity, "campaign.open")
        return self.updating.open_campaign(title, deadline, identity.by, innovation_ids=innovation_ids,
                                           agency_ids=agency_ids)

    def updating_states(self, identity: Identity, campaign: Campaign | None,
                        agency_id: int | None = None) -> list[InnovationState]:
        """Each innovation's state with its title and what is missing: the outstanding lists,
        for people with an account (editors: their own agency's, whatever they ask)."""
        require(identity, "updating.read", agency_id=agency_id)  # another agency's list: refused
        if agency_id is None and not allowed(identity, "updating.read", agency_id=NO_AGENCY):
            agency_id = identity.agency_id  # an identity that reaches no agency but its own sees its own
        return self.updating.states(campaign, agency_id)

    # ---------------------------------------------------------------- replication records
    def add_replication(self, identity: Identity, innovation_id: str, data: dict) -> Replication:
        """Record that an innovation was (or will be) replicated somewhere. ``data``: adopter_agency_id,
        province, regency_city, year, status, adapted, source, adapted_innovation_id (all optional
        but one of adopter or region; status defaults to "done"). An editor must belong to the
        original's agency or be the adopter (an editor naming neither adopter nor region is the adopter).
        Curators' and admins' records are published at once; editors' wait for verification."""
        require(identity, "replication.add")
        original = self.catalog.resolve(innovation_id)
        if original is None:
            raise CatalogError(f"no innovation or entry with id {innovation_id!r}")
        innovators = self.replications.agencies_of(original)
        data = dict(data)
        names_place = data.get("province") or data.get("regency_city")
        if (data.get("adopter_agency_id") is None and not names_place and "editor" in identity.roles
                and identity.agency_id not in innovators):
            data["adopter_agency_id"] = identity.agency_id  # "we replicated it"
        values = self._replication_values(original, data)
        sides = [*innovators, values["adopter_agency_id"]]
        if not any(allowed(identity, "replication.add", agency_id=a) for a in sides if a is not None):
            raise PermissionDenied(identity, "replication.add", "neither the innovator's agency nor the adopter")
        state = PUBLISHED if allowed(identity, "replication.verify") else "submitted"
        return self.replications.get(self.replications.add(original, values, state, identity.by))

    def verify_replication(self, identity: Identity, replication_id: int) -> Replication:
        require(identity, "replication.verify")
        found = self.replications.get(replication_id)
        if found is None:
            raise CatalogError(f"no replication record {replication_id}")
        self.replications.set_state(replication_id, PUBLISHED)
        return self.replications.get(replication_id)

    def _replication_values(self, original: str, data: dict) -> dict:
        """Checked record values; InvalidEntry names every bad field (nothing is written)."""
        errors: dict[str, str] = {}
        codes: dict[str, str] = {}  # the region errors' reasons, which the form words in Indonesian
        hints: dict[str, list[str]] = {}
        unknown = set(data) - {"adopter_agency_id", "province", "regency_city", "year", "status", "adapted",
                               "source", "adapted_innovation_id"}
        for name in sorted(unknown):
            errors[name] = "not a field of a replication record"
        status = data.get("status") or "done"
        if status not in REPLICATION_STATUSES:
            errors["status"] = f"one of {', '.join(REPLICATION_STATUSES)}"
        year = data.get("year")
        if year is not None and (not isinstance(year, int) or not 1945 <= year <= 2100):
            errors["year"] = "a year between 1945 and 2100"
        province_code = regency_code = None
        if data.get("province"):
            try:
                province_code = province(data["province"]).code
            except ValueError as exc:
                errors["province"], codes["province"] = str(exc), "unknown_province"
        if data.get("regency_city"):
            try:
                regency = resolve_regency(data["regency_city"], data.get("province") if province_code else None)
                regency_code, province_code = regency.code, regency.province_code
            except RegionError as exc:
                errors["regency_city"], codes["regency_city"] = str(exc), f"regency_{exc.code}"
                # a name of another province is told with its province, so the conflict shows
                hints["regency_city"] = [f"{name} ({province_of(name)})" for name in exc.candidates] \
                    if exc.code == "elsewhere" else exc.candidates
        adopter = data.get("adopter_agency_id")
        if adopter is not None:
            agency = self.accounts.agency(adopter)
            if agency is None:
                errors["adopter_agency_id"] = f"no agency {adopter}"
            elif province_code is None and agency.get("province"):
                province_code = province(agency["province"]).code
                if agency.get("regency_city"):
                    regency_code = resolve_regency(agency["regency_city"], agency["province"]).code
        adapted_id = data.get("adapted_innovation_id")
        if adapted_id:
            adapted_id = self.catalog.resolve(adapted_id)
            if adapted_id is None:
                errors["adapted_innovation_id"] = f"no innovation {data['adapted_innovation_id']!r}"
            elif adapted_id == original:
                errors["adapted_innovation_id"] = "an innovation is not a replication of itself"
        if adopter is None and province_code is None and "province" not in errors and "regency_city" not in errors:
            errors["adopter_agency_id"], codes["adopter_agency_id"] = \
                "name the adopting agency or the region it went to", "no_place"
        if errors:
            raise InvalidEntry(errors, codes, hints)
        text = {k: (" ".join(str(data[k]).split()) or None) if data.get(k) else None for k in ("adapted", "source")}
        return {"adopter_agency_id": adopter, "province_code": province_code, "regency_code": regency_code,
                "year": year, "status": status, "adapted_innovation_id": adapted_id or None, **text}

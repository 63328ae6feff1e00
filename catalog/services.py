"""Every write to the catalog goes through here: each call takes the caller's identity and is
checked against one permission policy before the store changes anything (InvenioRDM's shape:
identity → policy → one transaction, with the outbox written in it).

The command line and imports act as trusted local identities; the web's accounts (issue
"One input for three programmes") add their own identities and rules here, not elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .record import Innovation
from .store import Catalog

# Which roles may do what. One table, read by every write path.
POLICY: dict[str, frozenset[str]] = {
    "import": frozenset({"importer", "admin"}),
    "link": frozenset({"steward", "admin"}),
    "unlink": frozenset({"steward", "admin"}),
    "withdraw": frozenset({"steward", "curator", "admin"}),
}


@dataclass(frozen=True)
class Identity:
    name: str  # recorded in revisions as "user:<name>"
    roles: frozenset[str]
    via: str | None = None  # the channel, e.g. "cli"

    @property
    def by(self) -> str:
        return f"user:{self.name}" + (f" ({self.via})" if self.via else "")


class PermissionDenied(PermissionError):
    def __init__(self, identity: Identity, action: str):
        allowed = ", ".join(sorted(POLICY[action]))
        super().__init__(f"{identity.name} may not {action} (needs one of the roles: {allowed})")
        self.identity, self.action = identity, action


def require(identity: Identity, action: str) -> None:
    if not identity.roles & POLICY[action]:
        raise PermissionDenied(identity, action)


class CatalogService:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

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

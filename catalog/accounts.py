"""Accounts: agencies added by hand, users (argon2id password hashes, through pwdlib) and API
tokens (stored as SHA-256 hashes, shown once). Writes are reached through
``services.CatalogService``, which checks the policy first."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from pwdlib import PasswordHash

from .identity import agency_key
from .regions import normalize_province, resolve_regency
from .schema import ROLES, agencies, api_tokens, users
from .store import Catalog, CatalogError
from .vocabularies import vocabulary

TOKEN_PREFIX = "jip_"
MIN_PASSWORD = 10
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_hasher = PasswordHash.recommended()  # argon2id with the library's current parameters
# Verified against when the e-mail is unknown, so a wrong address takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class User:
    id: int
    email: str
    role: str
    agency_id: int | None
    programme: str | None
    active: bool
    fingerprint: str  # changes with the password: a session bound to it ends when the password changes


@dataclass(frozen=True)
class ApiToken:
    id: int
    prefix: str
    agency_id: int


def _user(row) -> User:
    return User(row.id, row.email, row.role, row.agency_id, row.programme, row.active,
                hashlib.sha256(row.password_hash.encode()).hexdigest()[:16])


class Accounts:
    def __init__(self, catalog: Catalog):
        self.db = catalog.db

    # ---------------------------------------------------------------- agencies
    def add_agency(self, name: str, level: str, province: str | None = None,
                   regency_city: str | None = None) -> tuple[int, bool]:
        name = " ".join(name.split())
        if not name:
            raise CatalogError("an agency needs a name")
        level = vocabulary("agency_levels").normalize(level)
        province = normalize_province(province) if province else None
        regency_city = resolve_regency(regency_city, province).name if regency_city else None
        key = agency_key(name)
        with self.db.begin() as conn:
            found = conn.execute(sa.select(agencies.c.id).where(agencies.c.key == key)).scalar()
            if found is not None:
                return found, False
            new = conn.execute(agencies.insert().values(key=key, name=name, level=level, province=province,
                                                        regency_city=regency_city, aliases=[name]))
            return new.inserted_primary_key[0], True

    def agency(self, agency_id: int) -> dict | None:
        with self.db.connect() as conn:
            row = conn.execute(sa.select(agencies).where(agencies.c.id == agency_id)).first()
        return dict(row._mapping) if row else None

    # ---------------------------------------------------------------- users
    def add_user(self, email: str, password: str, role: str, agency_id: int | None = None,
                 programme: str | None = None) -> int:
        email = email.strip().lower()
        if not _EMAIL.fullmatch(email):
            raise CatalogError(f"not an e-mail address: {email!r}")
        if role not in ROLES:
            raise CatalogError(f"unknown role {role!r} (choose from {', '.join(ROLES)})")
        if len(password) < MIN_PASSWORD:
            raise CatalogError(f"the password needs at least {MIN_PASSWORD} characters")
        if role == "editor" and agency_id is None:
            raise CatalogError("an editor needs an agency (--agency ID)")
        if role == "curator":
            if not programme:
                raise CatalogError("a curator needs a programme (--programme KIPP|IGA|InoLAN)")
            programme = vocabulary("programmes").normalize(programme)
            if programme == "other":
                raise CatalogError("a curator's programme is KIPP, IGA or InoLAN")
        elif programme:
            raise CatalogError("only curators have a programme")
        with self.db.begin() as conn:
            if agency_id is not None and conn.execute(
                    sa.select(agencies.c.id).where(agencies.c.id == agency_id)).first() is None:
                raise CatalogError(f"no agency with id {agency_id}")
            if conn.execute(sa.select(users.c.id).where(users.c.email == email)).first() is not None:
                raise CatalogError(f"a user with e-mail {email} exists already")
            return conn.execute(users.insert().values(
                email=email, password_hash=_hasher.hash(password), role=role, agency_id=agency_id,
                programme=programme, active=True, created_at=_now())).inserted_primary_key[0]

    def authenticate(self, email: str, password: str) -> User | None:
        """The active user with this e-mail and password, else None (in about the same time)."""
        with self.db.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.email == email.strip().lower())).first()
        if row is None:
            _hasher.verify(password, _DUMMY_HASH)
            return None
        valid, updated = _hasher.verify_and_update(password, row.password_hash)
        if not valid or not row.active:
            return None
        if updated:  # the library's parameters moved on: re-hash with them
            with self.db.begin() as conn:
                conn.execute(users.update().where(users.c.id == row.id).values(password_hash=updated))
            return self.user(row.id)
        return _user(row)

    def user(self, user_id: int) -> User | None:
        with self.db.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    # ---------------------------------------------------------------- API tokens
    def create_token(self, agency_id: int, created_by: str, label: str | None = None) -> tuple[int, str]:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.begin() as conn:
            if conn.execute(sa.select(agencies.c.id).where(agencies.c.id == agency_id)).first() is None:
                raise CatalogError(f"no agency with id {agency_id}")
            new = conn.execute(api_tokens.insert().values(
                token_hash=token_hash(token), prefix=token[:len(TOKEN_PREFIX) + 6], agency_id=agency_id,
                label=label, created_by=created_by, created_at=_now()))
        return new.inserted_primary_key[0], token

    def token(self, token: str) -> ApiToken | None:
        """The live token with this value (recording when it was last used), else None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self.db.begin() as conn:
            row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_hash == token_hash(token),
                                                           api_tokens.c.revoked_at.is_(None))).first()
            if row is None:
                return None
            conn.execute(api_tokens.update().where(api_tokens.c.id == row.id).values(last_used_at=_now()))
        return ApiToken(row.id, row.prefix, row.agency_id)

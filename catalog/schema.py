"""The catalog's tables (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Migrations in ``migrations/versions`` create these; a test compares the migrated database
with this metadata so the two never drift apart.

- ``innovations``: our own stable ids. ``innovation_aliases``: ids merged into another by a
  link, kept so old URLs still resolve.
- ``entries``: one per programme and source id (``kipp-inv-0007``), each pointing at its
  innovation; ``status`` and ``content`` are those of its current revision.
- ``revisions``: append-only history of every entry (who or which file, when, what changed).
- ``agencies``: the agencies entries come from, with their region and the spellings seen.
- ``users``, ``api_tokens``, ``submissions``: who enters and reviews innovations, and each
  programme's review of an entry entered here (see below).
- ``confirmations``, ``campaigns``, ``campaign_innovations``: keeping data current
  (pemutakhiran): each year's confirmation that an innovation continues or has stopped, and the
  updating campaigns an admin opens over a set of innovations.
- ``outbox``: innovations changed, written in the same transaction as the change; each
  engine drains it from its own cursor in ``sync_state``.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

STATUSES = ("draft", "submitted", "verified", "published", "withdrawn")

innovations = sa.Table(
    "innovations", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

innovation_aliases = sa.Table(
    "innovation_aliases", metadata,
    sa.Column("alias", sa.String(40), primary_key=True),
    sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False),
)

agencies = sa.Table(
    "agencies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(300), nullable=False, unique=True),  # folded name, for matching
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.String(20), nullable=False),
    sa.Column("province", sa.String(60)),
    sa.Column("regency_city", sa.String(80)),
    sa.Column("aliases", sa.JSON, nullable=False),
)

entries = sa.Table(
    "entries", metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False, index=True),
    sa.Column("source", sa.String(60), nullable=False),
    sa.Column("programme", sa.String(20), nullable=False),
    sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id")),
    sa.Column("status", sa.String(12), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),  # number of the current revision
    sa.Column("content", sa.JSON, nullable=False),  # the canonical record
    sa.Column("submitted", sa.JSON),  # the raw source row of the latest import
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("identity_key", sa.String(400), nullable=False, index=True),  # short name + place
    sa.Column("link_fixed", sa.Boolean, nullable=False),  # a steward decided its innovation
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

revisions = sa.Table(
    "revisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.String(200), sa.ForeignKey("entries.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.Text, nullable=False),  # "file:kipp.json line 3" or "user:name"
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("changes", sa.JSON, nullable=False),  # field -> {"from", "to"}; the first revision has every field
    sa.Column("comment", sa.Text),
    sa.UniqueConstraint("entry_id", "number", name="revisions_entry_number"),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("innovation_id", sa.String(40), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

sync_state = sa.Table(
    "sync_state", metadata,
    sa.Column("engine", sa.String(300), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
)

# ---------------------------------------------------------------- entering innovations (0002)
# People who enter and review innovations. An editor belongs to an agency and touches only its
# entries; a curator reviews the submissions to one programme; an admin may do everything.
ROLES = ("editor", "curator", "admin")

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),  # stored lower-cased
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id (pwdlib)
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id")),  # editors
    sa.Column("programme", sa.String(20)),  # curators
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# API tokens act as an editor of one agency. Only a SHA-256 of the token is stored (tokens are
# 256 random bits, so a fast hash is enough); the token itself is shown once, when created.
api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),  # the token's first characters, to tell tokens apart
    sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id"), nullable=False),
    sa.Column("label", sa.Text),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

# An entry entered here (source "input") submitted to a programme: that programme's review
# state. ``revision`` is the entry revision the state refers to; once the programme publishes
# it, ``published_entry_id`` is the programme's own (indexed) entry, "<entry id>.<programme>".
SUBMISSION_STATUSES = ("submitted", "returned", "verified", "published", "withdrawn")

submissions = sa.Table(
    "submissions", metadata,
    sa.Column("entry_id", sa.String(200), sa.ForeignKey("entries.id"), primary_key=True),
    sa.Column("programme", sa.String(20), primary_key=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("published_entry_id", sa.String(200)),
    sa.Column("comment", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.Text, nullable=False),
    sa.Index("ix_submissions_programme_status", "programme", "status"),
)


# ---------------------------------------------------------------- keeping data current (0003)
# Pemutakhiran: an agency confirms each year that an innovation still runs (berlanjut) or has
# stopped (vakum, with a reason). Append-only: an innovation's state is its latest row.
ACTIVITIES = ("berlanjut", "vakum")

confirmations = sa.Table(
    "confirmations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False, index=True),
    sa.Column("activity", sa.String(12), nullable=False),
    sa.Column("reason", sa.Text),  # why it stopped (required for vakum)
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.Text, nullable=False),
)

# An updating campaign: a deadline and the innovations it covers (fixed when it is opened).
campaigns = sa.Table(
    "campaigns", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("opened_by", sa.Text, nullable=False),
)

campaign_innovations = sa.Table(
    "campaign_innovations", metadata,
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), primary_key=True),
    sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), primary_key=True),
)

# ---------------------------------------------------------------- replication network (0004)
# Who replicated which innovation, where. ``innovation_id`` is the original; the adopter is an
# agency (when the record's text or the person entering it names one) and a region by its
# Kemendagri code (a province "63" or a kabupaten/kota "63.03"). Imported records come from
# an entry's replication field (``entry_id``, ``text`` as the source wrote it) and keep what
# could not be resolved as text. ``adapted_innovation_id`` is the adopter's own innovation
# when it is one of ours: that innovation is "adapted from" ``innovation_id``.
REPLICATION_STATUSES = ("planned", "running", "done", "stopped")
REPLICATION_STATES = ("submitted", "published", "withdrawn")  # entered by hand: submitted until verified

replications = sa.Table(
    "replications", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False, index=True),
    sa.Column("entry_id", sa.String(200), sa.ForeignKey("entries.id"), index=True),  # imported from this entry
    sa.Column("adopter_agency_id", sa.Integer, sa.ForeignKey("agencies.id")),
    sa.Column("province_code", sa.String(2)),  # where it went: the province…
    sa.Column("regency_code", sa.String(5)),  # …and the kab/kota when known
    sa.Column("year", sa.Integer),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("adapted", sa.Text),  # what was adapted, how
    sa.Column("local_name", sa.Text),  # the adopter's name for it ("sebagai Jempol Pelanduk")
    sa.Column("text", sa.Text),  # the source's own words (imports), kept whatever was resolved
    sa.Column("source", sa.Text),  # where the fact comes from: a URL or "kipp-inv-0061 (replikasi)"
    sa.Column("adapted_innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), index=True),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

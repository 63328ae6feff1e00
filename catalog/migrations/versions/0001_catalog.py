"""The catalog as a system of record: innovations, entries, revisions, agencies, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "innovations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "innovation_aliases",
        sa.Column("alias", sa.String(40), primary_key=True),
        sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False),
    )
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("province", sa.String(60)),
        sa.Column("regency_city", sa.String(80)),
        sa.Column("aliases", sa.JSON, nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("programme", sa.String(20), nullable=False),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id")),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("submitted", sa.JSON),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("identity_key", sa.String(400), nullable=False),
        sa.Column("link_fixed", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_entries_innovation_id", "entries", ["innovation_id"])
    op.create_index("ix_entries_status", "entries", ["status"])
    op.create_index("ix_entries_identity_key", "entries", ["identity_key"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(200), sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("comment", sa.Text),
        sa.UniqueConstraint("entry_id", "number", name="revisions_entry_number"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("innovation_id", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sync_state",
        sa.Column("engine", sa.String(300), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("sync_state", "outbox", "revisions", "entries", "agencies", "innovation_aliases", "innovations"):
        op.drop_table(table)

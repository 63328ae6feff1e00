"""Replication network: who replicated which innovation, where (issue 12).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False),
        sa.Column("entry_id", sa.String(200), sa.ForeignKey("entries.id")),
        sa.Column("adopter_agency_id", sa.Integer, sa.ForeignKey("agencies.id")),
        sa.Column("province_code", sa.String(2)),
        sa.Column("regency_code", sa.String(5)),
        sa.Column("year", sa.Integer),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("adapted", sa.Text),
        sa.Column("local_name", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("adapted_innovation_id", sa.String(40), sa.ForeignKey("innovations.id")),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("innovation_id", "entry_id", "adapted_innovation_id"):
        op.create_index(f"ix_replications_{column}", "replications", [column])


def downgrade() -> None:
    for column in ("innovation_id", "entry_id", "adapted_innovation_id"):
        op.drop_index(f"ix_replications_{column}", "replications")
    op.drop_table("replications")

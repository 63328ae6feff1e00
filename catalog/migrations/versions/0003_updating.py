"""Keeping data current (pemutakhiran): confirmations and updating campaigns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "confirmations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), nullable=False),
        sa.Column("activity", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Text, nullable=False),
    )
    op.create_index("ix_confirmations_innovation_id", "confirmations", ["innovation_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("opened_by", sa.Text, nullable=False),
    )
    op.create_table(
        "campaign_innovations",
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), primary_key=True),
        sa.Column("innovation_id", sa.String(40), sa.ForeignKey("innovations.id"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("campaign_innovations")
    op.drop_table("campaigns")
    op.drop_index("ix_confirmations_innovation_id", "confirmations")
    op.drop_table("confirmations")

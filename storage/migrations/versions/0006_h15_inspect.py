"""inspection_audit: allocations made in inspection mode, chased daily as urgent

Revision ID: 0006_h15_inspect
Revises: 0005_f_alerts
Create Date: 2026-12-08 00:40:00

One row per allocation made when a QA lead starts inspection mode with the cases the
inspectors picked: who started it, when, and the deadline.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006_h15_inspect"
down_revision: str | None = "0005_f_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["allocation_id"], ["allocation.id"]),
        sa.ForeignKeyConstraint(["started_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("allocation_id"),
    )


def downgrade() -> None:
    op.drop_table("inspection_audit")

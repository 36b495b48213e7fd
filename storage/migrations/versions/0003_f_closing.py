"""audit_closing: findings sent to the worker and line manager, the QA lead's closing block

Revision ID: 0003_f_closing
Revises: 0002
Create Date: 2026-12-07 23:50:00

One row per final audit: when the bot sent its findings to the allocated worker and
line manager, and the QA lead's closing answers (City of London's "To be completed by
Head of Safeguarding & Quality Assurance"), who gave them and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_f_closing"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_closing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("findings_sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"]),
        sa.ForeignKeyConstraint(["closed_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_closing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_closing_audit_id"), ["audit_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("audit_closing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_closing_audit_id"))
    op.drop_table("audit_closing")

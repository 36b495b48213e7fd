"""QA alerts raised by reviewing officers and chairs

Revision ID: 0005_f_alerts
Revises: 0004_f_follow
Create Date: 2026-12-08 00:30:00

`qa_alert`: a quality assurance alert on a case (Lambeth QAF 8), who was asked to act
on it, and when and how it was acted on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0005_f_alerts"
down_revision: str | None = "0004_f_follow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.types.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "qa_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("note", TEXT(), nullable=False),
        sa.Column("raised_at", UTC(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("acted_on_by_id", sa.Integer(), nullable=True),
        sa.Column("acted_at", UTC(timezone=True), nullable=True),
        sa.Column("acted_by_id", sa.Integer(), nullable=True),
        sa.Column("action_note", TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["raised_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["acted_on_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["acted_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("qa_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_alert_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_qa_alert_raised_by_id"), ["raised_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_qa_alert_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_qa_alert_acted_on_by_id"), ["acted_on_by_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("qa_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qa_alert_acted_on_by_id"))
        batch_op.drop_index(batch_op.f("ix_qa_alert_raised_at"))
        batch_op.drop_index(batch_op.f("ix_qa_alert_raised_by_id"))
        batch_op.drop_index(batch_op.f("ix_qa_alert_case_id"))
    op.drop_table("qa_alert")

"""the monthly calibration case

Revision ID: 0008_h15_calib
Revises: 0007_h14_observe
Create Date: 2026-12-08 00:40:00

`calibration_case`: a month's practice vignette written by the QA lead, with the lead's
reference grades. `calibration_answer`: each grader's grades of it (reported only as
counts, never who graded what).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0008_h15_calib"
down_revision: str | None = "0007_h14_observe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.types.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "calibration_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", TEXT(), nullable=False),
        sa.Column("vignette", TEXT(), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", UTC(timezone=True), nullable=False),
        sa.Column("sent_at", UTC(timezone=True), nullable=True),
        sa.Column("closed_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["set_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month"),
    )
    op.create_table(
        "calibration_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("answered_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["calibration_case.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "person_id", name="uq_calibration_answer"),
    )
    with op.batch_alter_table("calibration_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calibration_answer_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("calibration_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calibration_answer_case_id"))
    op.drop_table("calibration_answer")
    op.drop_table("calibration_case")

"""weekly reviews until Good and follow-up progress packs

Revision ID: 0004_f_follow
Revises: 0003_f_closing
Create Date: 2026-12-07 23:40:00

`case_review` and `case_review_meeting`: a case reviewed weekly until Good (Lambeth's
PRIMs) and each meeting's outcome. `progress_pack` and `progress_pack_item`: a
follow-up window's recommendations due (City of London 2023) and their sign-off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0004_f_follow"
down_revision: str | None = "0003_f_closing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.types.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "case_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("grade", TEXT(), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("ended_at", UTC(timezone=True), nullable=True),
        sa.Column("end_reason", TEXT(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id"),
    )
    with op.batch_alter_table("case_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_review_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_review_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "case_review_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("week", TEXT(), nullable=False),
        sa.Column("prompted_at", UTC(timezone=True), nullable=False),
        sa.Column("grade", TEXT(), nullable=True),
        sa.Column("note", TEXT(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["review_id"], ["case_review.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("review_id", "week", name="uq_case_review_meeting"),
    )
    with op.batch_alter_table("case_review_meeting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_review_meeting_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "progress_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window", TEXT(), nullable=False),
        sa.Column("month", TEXT(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("signed_off_at", UTC(timezone=True), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["signed_off_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("window", "month", name="uq_progress_pack"),
    )

    op.create_table(
        "progress_pack_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("signed_off_at", UTC(timezone=True), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["pack_id"], ["progress_pack.id"]),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendation.id"]),
        sa.ForeignKeyConstraint(["signed_off_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pack_id", "recommendation_id", name="uq_progress_pack_item"),
    )
    with op.batch_alter_table("progress_pack_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_pack_item_pack_id"), ["pack_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("progress_pack_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_pack_item_pack_id"))
    op.drop_table("progress_pack_item")
    op.drop_table("progress_pack")
    with op.batch_alter_table("case_review_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_review_meeting_review_id"))
    op.drop_table("case_review_meeting")
    with op.batch_alter_table("case_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_review_owner_id"))
        batch_op.drop_index(batch_op.f("ix_case_review_case_id"))
    op.drop_table("case_review")

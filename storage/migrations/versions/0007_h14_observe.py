"""observations of practice

Revision ID: 0007_h14_observe
Revises: 0006_h15_inspect
Create Date: 2026-12-08 00:45:00

`observation`: an observation of practice a manager recorded in chat (who was observed
by role, the setting, what went well, what could be better, feedback given and when,
the date, an optional case).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0007_h14_observe"
down_revision: str | None = "0006_h15_inspect"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = storage.types.UTCDateTime
TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("observed_role", TEXT(), nullable=False),
        sa.Column("setting", TEXT(), nullable=False),
        sa.Column("went_well", TEXT(), nullable=False),
        sa.Column("could_be_better", TEXT(), nullable=False),
        sa.Column("feedback_given", sa.Boolean(), nullable=False),
        sa.Column("feedback_on", sa.Date(), nullable=True),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_observation_recorded_by_id"), ["recorded_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_observation_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_observation_observed_on"), ["observed_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observation_observed_on"))
        batch_op.drop_index(batch_op.f("ix_observation_team_id"))
        batch_op.drop_index(batch_op.f("ix_observation_recorded_by_id"))
    op.drop_table("observation")

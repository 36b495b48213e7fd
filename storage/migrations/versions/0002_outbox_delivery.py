"""outbox: unconfirmed sends and the email fallback

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 20:20:00

`unconfirmed` marks a message an earlier attempt may have delivered (checked against
the conversation before it is sent again); `fallback_reason` and `email_started_at`
record a message that went by email because chat could not reach the person.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unconfirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("fallback_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email_started_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_column("email_started_at")
        batch_op.drop_column("fallback_reason")
        batch_op.drop_column("unconfirmed")

"""detection_state: how far each signature was judged in event time, and failures

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "detection_state",
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("variant", sa.String(length=128), nullable=False),
        sa.Column("component", sa.String(length=120), nullable=False),
        sa.Column("evaluated_through", sa.Date(), nullable=True),
        sa.Column("watch_until", sa.Date(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("brand", "model", "variant", "component"),
    )
    with op.batch_alter_table("detection_state", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_detection_state_evaluated_through"), ["evaluated_through"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("detection_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detection_state_evaluated_through"))
    op.drop_table("detection_state")

"""flag_decisions and corrective_actions: the product team's side of a flag

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flag_decisions",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("flag_id", sa.String(length=64), nullable=True),
        sa.Column("brand", sa.String(length=128), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=True),
        sa.Column("variant", sa.String(length=128), nullable=True),
        sa.Column("component", sa.String(length=120), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_flag_decisions_flag_id", "flag_decisions", ["flag_id"])
    op.create_index("ix_flag_decisions_decided_at", "flag_decisions", ["decided_at"])
    op.create_table(
        "corrective_actions",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("action_id", sa.String(length=64), nullable=False),
        sa.Column("flag_id", sa.String(length=64), nullable=True),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("change", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=True),
        sa.Column("build_date", sa.Date(), nullable=True),
        sa.Column("serial_from", sa.String(length=64), nullable=True),
        sa.Column("serial_to", sa.String(length=64), nullable=True),
        sa.Column("campaign_id", sa.String(length=64), nullable=True),
        sa.Column("released_by", sa.String(length=128), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_corrective_actions_action_id", "corrective_actions", ["action_id"])
    op.create_index("ix_corrective_actions_flag_id", "corrective_actions", ["flag_id"])
    op.create_index("ix_corrective_actions_released_at", "corrective_actions", ["released_at"])


def downgrade() -> None:
    op.drop_table("corrective_actions")
    op.drop_table("flag_decisions")

"""detection_state.running: the episode open where a signature was judged to, for the next round

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Signatures judged before carry no state: their next round reads their whole history once.
    with op.batch_alter_table("detection_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("running", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("detection_state", schema=None) as batch_op:
        batch_op.drop_column("running")

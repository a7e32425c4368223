"""detection_pending counts its marks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The detector clears a pending signature only if no batch marked it again since it read it.
    with op.batch_alter_table('detection_pending', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marks', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('detection_pending', schema=None) as batch_op:
        batch_op.drop_column('marks')

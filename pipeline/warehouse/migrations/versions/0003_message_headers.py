"""dead letters and outbox messages keep Kafka headers; dead letters remember their replay

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A dead letter is replayed with its original headers and published with Connect's error
    # headers; both travel through the outbox.
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('headers')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_column('replayed_at')
        batch_op.drop_column('headers')

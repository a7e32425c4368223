"""erased_customers: pseudonyms of customers erased on request

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erased_customers",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym"),
    )


def downgrade() -> None:
    op.drop_table("erased_customers")

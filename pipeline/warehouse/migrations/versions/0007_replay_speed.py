"""Evidence lookups by model and time; SQLite keeps daily signature counts in their key's order;
the archive's unread index on event_type dropped

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _signature_counts(name: str, with_rowid: bool) -> None:
    op.create_table(
        name,
        sa.Column("brand", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("variant", sa.String(length=128), nullable=False),
        sa.Column("component", sa.String(length=120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("severe", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("brand", "model", "variant", "component", "day"),
        sqlite_with_rowid=with_rowid,
    )


def _rebuild_signature_counts(with_rowid: bool) -> None:
    # A rowid table keeps every key twice (table and key index); WITHOUT ROWID keeps it once.
    _signature_counts("signature_counts_rebuilt", with_rowid)
    op.execute(
        "INSERT INTO signature_counts_rebuilt (brand, model, variant, component, day, n, severe) "
        "SELECT brand, model, variant, component, day, n, severe FROM signature_counts"
    )
    op.drop_table("signature_counts")
    op.rename_table("signature_counts_rebuilt", "signature_counts")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_event_type"))
    for table in ("complaints", "repairs"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f(f"ix_{table}_model_occurred_at"), ["model", "occurred_at"], unique=False
            )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_signature_counts(with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_signature_counts(with_rowid=True)
    for table in ("complaints", "repairs"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_model_occurred_at"))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_event_type"), ["event_type"], unique=False)

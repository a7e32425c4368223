"""Alembic environment: runs migrations on the connection the caller hands over."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from pipeline.warehouse.tables import Base, UtcDateTime


def _render_item(type_: str, obj: Any, _ctx: Any) -> str | Literal[False]:
    # Migrations stay plain SQLAlchemy: the UTC handling is Python-side only.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    render_item=_render_item,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Read-side queries the CLI and reports share."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from pipeline.warehouse.tables import Base


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per warehouse table, in table-name order."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            out[name] = int(conn.scalar(select(func.count()).select_from(table)) or 0)
    return out

"""The Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, UniqueConstraint

from pipeline.warehouse.tables import Base
from tests.conftest import both_warehouses


def _compared(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
    # A unique constraint on exactly the primary key adds nothing, and PostgreSQL's reflection
    # does not report it apart from the key.
    if kind == "unique_constraint" and isinstance(obj, UniqueConstraint) and obj.table is not None:
        return {c.name for c in obj.columns} != {c.name for c in obj.table.primary_key.columns}
    return True


@both_warehouses()
def test_the_migrated_schema_matches_the_models(warehouse: Engine) -> None:
    with warehouse.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_object": _compared,
            },
        )
        drift = compare_metadata(context, Base.metadata)
    assert drift == [], f"a migration and the models disagree: {drift}"

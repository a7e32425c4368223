"""The Alembic migrations build exactly the schema the models declare, on both warehouses."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from pipeline.warehouse.tables import Base
from tests.conftest import both_warehouses


@both_warehouses()
def test_the_migrated_warehouse_matches_the_models(warehouse: Engine) -> None:
    with warehouse.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []

"""Schema migrations (Alembic): upgrade, and the check that refuses an out-of-date schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from pipeline.common.unavailable import WarehouseUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaOutOfDate(WarehouseUnavailable):
    """The warehouse schema is older (or newer) than this version of the pipeline."""


def _config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise SchemaOutOfDate("no migrations shipped")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the warehouse schema to ``revision`` (default: the newest)."""
    cfg = _config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def require_current(engine: Engine) -> None:
    """Raise with the command to run unless the schema is at the newest revision."""
    current, head = current_revision(engine), head_revision()
    if current is None:
        raise SchemaOutOfDate(
            "The warehouse has no tables yet: run `aftersales db upgrade` "
            "(same AFTERSALES_WAREHOUSE_URL) to create them."
        )
    if current != head:
        raise SchemaOutOfDate(
            f"The warehouse schema is at {current}, this version "
            f"needs {head}. Run `aftersales db upgrade` (same AFTERSALES_WAREHOUSE_URL) first."
        )

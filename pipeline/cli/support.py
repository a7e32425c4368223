"""What every CLI command shares: exit codes, finding the warehouse, limits on long listings."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from pipeline.common.config import Settings, load_settings, mask_url
from pipeline.common.errors import PipelineError
from pipeline.common.unavailable import WarehouseUnavailable


class ExitCode(IntEnum):
    """The documented exit codes of `aftersales`: scripts can tell these cases apart."""

    OK = 0
    FAILED = 1
    """Bad input or nothing found: rejected lines, an unknown serial, an undelivered message."""
    USAGE = 2
    """The command was called wrongly: unknown option, bad argument, invalid settings."""
    UNAVAILABLE = 3
    """The broker or the warehouse does not answer, or the warehouse has no (current) schema."""


class NotFound(PipelineError):
    """What the command was asked about is not in the warehouse."""


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def demo_warehouse_url(settings: Settings) -> str:
    """Where `aftersales demo` leaves its warehouse (beside the other demo files)."""
    return f"sqlite:///{settings.var_dir / 'demo' / 'warehouse.db'}"


def _has_schema(url: str) -> bool:
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.migrate import current_revision

    engine = make_engine(url)
    try:
        return current_revision(engine) is not None
    finally:
        engine.dispose()


def warehouse_url(settings: Settings, console: Console | None = None) -> str:
    """The warehouse a reading command uses: the configured one, else the demo's.

    With AFTERSALES_WAREHOUSE_URL unset and no warehouse at the default place, a warehouse left
    by `aftersales demo` is used, and one line on stderr says so: a new user's first command after
    the demo finds its data.
    """
    configured = settings.warehouse_url
    if "warehouse_url" in settings.model_fields_set:
        return configured
    default = _sqlite_file(configured)
    demo = _sqlite_file(demo_warehouse_url(settings))
    if default is None or demo is None or not demo.exists():
        return configured
    if default.exists() and _has_schema(configured):
        return configured
    if console is not None:
        console.print(
            f"reading the demo's warehouse {demo} (AFTERSALES_WAREHOUSE_URL chooses another)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    return demo_warehouse_url(settings)


def reading_engine(settings: Settings, console: Console | None = None) -> Engine:
    """An engine on a warehouse that exists and is at the newest schema, else one clear error.

    A missing SQLite file is not created (reading commands must not leave empty warehouses
    behind); an empty or old schema names `aftersales db upgrade`.
    """
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.migrate import require_current

    url = warehouse_url(settings, console)
    path = _sqlite_file(url)
    if path is not None and not path.exists():
        raise WarehouseUnavailable(
            f"No warehouse at {path}: run `aftersales db upgrade` to create it (or "
            "`aftersales demo` to try the pipeline), or set AFTERSALES_WAREHOUSE_URL to yours."
        )
    engine = make_engine(url)
    try:
        require_current(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise WarehouseUnavailable(
            f"Cannot reach the warehouse at {mask_url(url)}: {reason}. "
            "Check AFTERSALES_WAREHOUSE_URL and that the database is running."
        ) from None
    return engine


def limited(
    rows: Sequence[dict[str, Any]], limit: int, console: Console, what: str
) -> list[dict[str, Any]]:
    """The first ``limit`` rows (0: all); says on stderr how many were left out."""
    if limit <= 0 or len(rows) <= limit:
        return list(rows)
    console.print(
        f"showing {limit:,} of {len(rows):,} {what}; --limit 0 shows all",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return list(rows[:limit])


def matching(rows: Sequence[dict[str, Any]], **wanted: str | None) -> list[dict[str, Any]]:
    """Rows whose fields equal every given filter value (case-insensitive); None filters nothing."""
    filters = {k: v.casefold() for k, v in wanted.items() if v}
    return [
        row
        for row in rows
        if all(str(row.get(k) or "").casefold() == v for k, v in filters.items())
    ]


_SETTINGS_KEY = "aftersales.settings"


def command_settings() -> Settings:
    """The running command's settings, read from the environment once per command (and once
    per call outside a command)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return load_settings()
    meta = ctx.find_root().meta
    if _SETTINGS_KEY not in meta:
        meta[_SETTINGS_KEY] = load_settings()
    settings: Settings = meta[_SETTINGS_KEY]
    return settings

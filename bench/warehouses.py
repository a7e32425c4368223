"""Fresh, migrated warehouses for one scenario: a SQLite file or a new PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from pipeline.warehouse.databases import create_database, drop_database
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.migrate import upgrade

WarehouseKind = Literal["sqlite", "postgresql"]
PG_ADMIN_URL = os.environ.get(
    "AFTERSALES_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def fresh_warehouse(kind: WarehouseKind, workdir: Path) -> Iterator[tuple[str, Engine]]:
    """(url, engine) of an empty warehouse at the newest schema; dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / f'warehouse-{uuid.uuid4().hex[:8]}.db'}"
    else:
        url = create_database(PG_ADMIN_URL, prefix="aftersales_bench")
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield url, engine
    finally:
        engine.dispose()
        if kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)
        else:
            drop_database(PG_ADMIN_URL, url)


def processed(engine: Engine) -> int:
    """Inbound events the worker has finished with: archived plus dead-lettered."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dead_letters)")
            )
            or 0
        )


def outbox_pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM outbox")) or 0)

"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from pipeline.warehouse import jsontext

SQLITE_PAGE_BYTES = 16_384
WAL_CHECKPOINT_BYTES = 80 * 1024 * 1024


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the pipeline's batched writes; creates a SQLite file's folder."""
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", jsontext.dumps)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # Only a new, empty database takes it: archived events of ~800 bytes fill 16 KB pages to
    # ~95 % where 4 KB pages, four rows each, stay ~80 % full.
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
    # WAL lets readers (CLI, reports) run while the worker writes; NORMAL is durable in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A batch writes thousands of pages: checkpoint every ~80 MB of WAL rather than every 1,000
    # pages (each checkpoint syncs the file), and keep 64 MB of hot pages per connection.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_BYTES // SQLITE_PAGE_BYTES}")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def dialect_name(engine_or_session: Engine | Session) -> str:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return str(bind.dialect.name)

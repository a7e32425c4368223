"""Dialect-aware bulk insert-or-ignore and upsert, the idempotent writes every sink uses.

SQLite takes one cached statement executed over plain tuples (sqlite_bulk: in-process, no
round trips); PostgreSQL gets one statement of JSON records per call (pg_bulk).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from pipeline.warehouse import pg_bulk, sqlite_bulk


def _postgresql(session: Session) -> bool:
    return bool(session.get_bind().dialect.name == "postgresql")


def insert_new(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    """Insert rows whose key is not there yet; return the keys that were new."""
    if not rows:
        return set()
    if _postgresql(session):
        return set(pg_bulk.write(session, table, rows, pg_bulk.Conflict(), returning=key))
    return sqlite_bulk.insert_new(session, table, rows, key)


def insert_ignore(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows, silently keeping the existing row on a key conflict."""
    if not rows:
        return
    bulk = pg_bulk if _postgresql(session) else sqlite_bulk
    bulk.write(session, table, rows, pg_bulk.Conflict())


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    update: Iterable[str] | None = None,
) -> None:
    """Insert rows, replacing the given columns (default: all non-key columns) on conflict."""
    if not rows:
        return
    columns = list(update) if update is not None else [c for c in rows[0] if c not in keys]
    conflict = pg_bulk.Conflict(tuple(keys), replace=tuple(columns))
    if _postgresql(session):
        pg_bulk.write(session, table, rows, conflict)
    else:
        # Row by row, as SQLite runs them: a key repeated in ``rows`` ends with its last row.
        sqlite_bulk.write(session, table, rows, conflict)


def add_counts(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    counters: Sequence[str],
) -> None:
    """Insert rows or add their counters to the existing row: commutative, safe across workers."""
    if not rows:
        return
    bulk = pg_bulk if _postgresql(session) else sqlite_bulk
    bulk.write(session, table, rows, pg_bulk.Conflict(tuple(keys), add=tuple(counters)))

"""Dialect-aware bulk insert-or-ignore and upsert, the idempotent writes every sink uses.

SQLite takes executemany (in-process, no round trips); PostgreSQL gets one statement of
column arrays per call (pg_bulk).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, literal_column
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from pipeline.warehouse import pg_bulk


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
    stmt = sqlite.insert(table).on_conflict_do_nothing().returning(table.c[key])
    return {row[0] for row in session.execute(stmt, list(rows))}


def insert_ignore(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows, silently keeping the existing row on a key conflict."""
    if not rows:
        return
    if _postgresql(session):
        pg_bulk.write(session, table, rows, pg_bulk.Conflict())
    else:
        session.execute(sqlite.insert(table).on_conflict_do_nothing(), list(rows))


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
    if _postgresql(session):
        conflict = pg_bulk.Conflict(tuple(keys), replace=tuple(columns))
        pg_bulk.write(session, table, rows, conflict)
        return
    stmt = sqlite.insert(table)
    if not columns:
        session.execute(stmt.on_conflict_do_nothing(), list(rows))
        return
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns}
    )
    session.execute(stmt, list(rows))


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
    if _postgresql(session):
        pg_bulk.write(session, table, rows, pg_bulk.Conflict(tuple(keys), add=tuple(counters)))
        return
    stmt = sqlite.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: table.c[c] + literal_column(f"excluded.{c}") for c in counters},
    )
    session.execute(stmt, list(rows))

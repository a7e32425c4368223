"""Dialect-aware bulk insert-or-ignore and upsert, the idempotent writes every sink uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_new(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    """Insert rows whose key is not there yet; return the keys that were new."""
    if not rows:
        return set()
    stmt = _insert(session, table).on_conflict_do_nothing().returning(table.c[key])
    return {row[0] for row in session.execute(stmt, list(rows))}


def insert_ignore(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows, silently keeping the existing row on a key conflict."""
    if rows:
        session.execute(_insert(session, table).on_conflict_do_nothing(), list(rows))


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
    stmt = _insert(session, table)
    columns = list(update) if update is not None else [c for c in rows[0] if c not in keys]
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
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: table.c[c] + literal_column(f"excluded.{c}") for c in counters},
    )
    session.execute(stmt, list(rows))

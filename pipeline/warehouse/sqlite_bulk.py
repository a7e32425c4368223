"""SQLite bulk writes: one cached statement, rows bound as plain tuples through the driver.

SQLAlchemy's executemany builds a parameter dictionary per row and runs each value through its
type processor one call at a time; for the tens of thousands of rows a replay batch writes, that
cost more than SQLite's own work. Here each column's processor is looked up once per statement
and the rows go to ``sqlite3`` as tuples, stored exactly as SQLAlchemy would store them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from pipeline.warehouse.pg_bulk import Conflict, columns_with_defaults, default_of

Processor = Callable[[Any], Any] | None
_IN_CHUNK = 500
"""Keys per ``IN (...)`` list: well under SQLite's host-parameter limit."""


def write(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], conflict: Conflict
) -> None:
    """Insert ``rows`` with ``conflict`` deciding what happens to a key already there."""
    if not rows:
        return
    connection = session.connection()
    columns = columns_with_defaults(table, rows[0])
    sql, processors = _statement(connection.dialect, table, columns, conflict)
    connection.exec_driver_sql(sql, _bound(table, rows, columns, processors))


def insert_new(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    """Insert the rows whose ``key`` is not stored yet (the first of repeated keys); return
    those keys. SQLite has one writer, so what this transaction reads stays true until it ends."""
    connection = session.connection()
    wanted = list(dict.fromkeys(row[key] for row in rows))
    stored: set[Any] = set()
    quoted_table = connection.dialect.identifier_preparer.format_table(table)
    quoted_key = connection.dialect.identifier_preparer.quote(key)
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        marks = ", ".join("?" * len(chunk))
        found = connection.exec_driver_sql(
            f"SELECT {quoted_key} FROM {quoted_table} WHERE {quoted_key} IN ({marks})",  # noqa: S608 - identifiers quoted, values bound
            tuple(chunk),
        )
        stored.update(value for (value,) in found)
    new: dict[Any, Mapping[str, Any]] = {}
    for row in rows:
        if row[key] not in stored:
            new.setdefault(row[key], row)
    write(session, table, list(new.values()), Conflict())
    return set(new)


def _bound(
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    columns: tuple[str, ...],
    processors: tuple[Processor, ...],
) -> list[tuple[Any, ...]]:
    pairs = list(zip(columns, processors, strict=True))
    if all(name in rows[0] for name in columns):
        try:
            return [
                tuple([row[name] if p is None else p(row[name]) for name, p in pairs])
                for row in rows
            ]
        except KeyError:
            pass  # rows of different shapes: fill each missing value with its default below
    return [
        tuple(
            [
                (v if p is None else p(v))
                for name, p in pairs
                for v in (row[name] if name in row else default_of(table.c[name]),)
            ]
        )
        for row in rows
    ]


@lru_cache(maxsize=512)
def _statement(
    dialect: Dialect, table: Table, columns: tuple[str, ...], conflict: Conflict
) -> tuple[str, tuple[Processor, ...]]:
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    processors = tuple(table.c[c].type._cached_bind_processor(dialect) for c in columns)
    marks = ", ".join("?" * len(columns))
    sql = (
        f"INSERT INTO {name} ({', '.join(quote(c) for c in columns)}) VALUES ({marks}) "  # noqa: S608 - identifiers quoted, values bound
        f"{conflict.sql(name, quote)}"
    )
    return sql, processors

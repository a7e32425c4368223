"""PostgreSQL bulk writes: one ``INSERT ... SELECT FROM json_to_recordset(rows)`` per call.

A multi-row VALUES statement grows with the batch (the driver re-parses it every time) and
executemany sends one message per row. Here a 1,000-row write is one fixed, cached statement and
one JSON parameter, encoded by pydantic-core and parsed by the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, LargeBinary, Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from pipeline.warehouse import jsontext

_DIALECT = postgresql.dialect()
_QUOTE = _DIALECT.identifier_preparer.quote

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Conflict:
    """What to do with a row whose key exists: nothing, replace columns, or add counters."""

    keys: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    add: tuple[str, ...] = ()

    def sql(self, table: str, quote: Callable[[str], str] = _QUOTE) -> str:
        """The ON CONFLICT clause (PostgreSQL's and SQLite's spelling are the same)."""
        if not self.replace and not self.add:
            return "ON CONFLICT DO NOTHING"
        sets = [f"{quote(c)} = excluded.{quote(c)}" for c in self.replace]
        sets += [f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in self.add]
        target = ", ".join(quote(k) for k in self.keys)
        return f"ON CONFLICT ({target}) DO UPDATE SET {', '.join(sets)}"


def write(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    conflict: Conflict,
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` in one statement; the ``returning`` column of rows actually written."""
    columns = columns_with_defaults(table, rows[0])
    rows = _in_lock_order(table, _one_per_key(table, rows, conflict), conflict)
    statement, converters = _statement(table, columns, conflict, returning)
    records = []
    for row in rows:
        record = {}
        for name, convert in zip(columns, converters, strict=True):
            value = row[name] if name in row else default_of(table.c[name])
            record[name] = value if convert is None else convert(value)
        records.append(record)
    result = session.execute(statement, {"rows": jsontext.dumps(records, default=_scalar)})
    return [r[0] for r in result] if returning else []


def _scalar(value: Any) -> Any:
    """JSON text PostgreSQL's input functions read back as the column's type."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    raise TypeError(f"cannot write {type(value).__name__} to PostgreSQL: {value!r:.80}")


def _in_lock_order(
    table: Table, rows: Sequence[Mapping[str, Any]], conflict: Conflict
) -> Sequence[Mapping[str, Any]]:
    """Rows sorted by the key they lock: concurrent writers (lanes, workers) that take row
    locks in one order wait for each other instead of deadlocking."""
    keys = conflict.keys or tuple(c.name for c in table.primary_key.columns)
    if not keys or not rows or any(k not in rows[0] for k in keys):
        return rows  # a key the database generates locks nothing another writer holds
    try:
        return sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    except (KeyError, TypeError):  # rows of other shapes, or keys of mixed types
        return rows


def _bytea(value: bytes | None) -> str | None:
    return None if value is None else "\\x" + bytes(value).hex()


def _one_per_key(
    table: Table, rows: Sequence[Mapping[str, Any]], conflict: Conflict
) -> Sequence[Mapping[str, Any]]:
    """A row is updated once per statement: fold repeated keys as row-by-row writes would."""
    if not conflict.replace and not conflict.add:
        return rows
    keys = conflict.keys
    folded: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    summed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        try:
            key = tuple([row[k] for k in keys])
        except KeyError:
            key = tuple(row[k] if k in row else default_of(table.c[k]) for k in keys)
        earlier = folded.get(key)
        if earlier is None or not conflict.add:
            folded[key] = row
            continue
        # Rows are copied only when added to, never for a key seen once.
        total = summed.get(key)
        if total is None:
            total = summed[key] = folded[key] = dict(earlier)
        for c in conflict.add:
            total[c] += row[c]
    return list(folded.values())


def columns_with_defaults(table: Table, first: Mapping[str, Any]) -> tuple[str, ...]:
    """The row's columns plus those with a Python-side default the row leaves out."""
    defaulted = [
        c.name
        for c in table.columns
        if c.name not in first and c.default is not None and not c.default.is_sequence
    ]
    return (*first, *defaulted)


def default_of(column: Column[Any]) -> Any:
    """The Python-side default SQLAlchemy would give the column on insert."""
    default = column.default
    assert default is not None
    return default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]


@lru_cache(maxsize=512)
def _statement(
    table: Table, columns: tuple[str, ...], conflict: Conflict, returning: str | None
) -> tuple[TextClause, tuple[Converter | None, ...]]:
    name = _DIALECT.identifier_preparer.format_table(table)
    declared, selected, converters = [], [], []
    for column_name in columns:
        record_type, cast, convert = _record_type(table.c[column_name].type)
        declared.append(f"{_QUOTE(column_name)} {record_type}")
        selected.append(f"u.{_QUOTE(column_name)}{cast}")
        converters.append(convert)
    quoted = ", ".join(_QUOTE(c) for c in columns)
    # Identifiers come from table metadata, quoted; values travel as the one parameter.
    sql = (
        f"INSERT INTO {name} ({quoted}) SELECT {', '.join(selected)} "  # noqa: S608
        f"FROM json_to_recordset(CAST(:rows AS json)) AS u({', '.join(declared)}) "
        f"{conflict.sql(name)}"
    )
    if returning:
        sql += f" RETURNING {name}.{_QUOTE(returning)}"
    return text(sql), tuple(converters)


def _record_type(column_type: TypeEngine[Any]) -> tuple[str, str, Converter | None]:
    """(type in the record definition, cast in the SELECT list, value converter)."""
    bind: Converter | None = None
    impl = column_type
    if isinstance(column_type, TypeDecorator):
        impl = column_type.impl_instance
        process = column_type.process_bind_param
        bind = lambda v, p=process: p(v, _DIALECT)  # noqa: E731 - bound per column
    if isinstance(impl, JSON):
        # Sent as JSON text and cast: None stays JSON null unless the type stores SQL NULL.
        none_as_null = impl.none_as_null

        def to_json(v: Any, b: Converter | None = bind) -> str | None:
            v = b(v) if b else v
            return None if v is None and none_as_null else jsontext.dumps(v)

        return "TEXT", f"::{impl.compile(dialect=_DIALECT)}", to_json
    if isinstance(impl, LargeBinary) and bind is None:
        # bytea's hex input format; a JSON encoder would write the bytes as text.
        return impl.compile(dialect=_DIALECT), "", _bytea
    return impl.compile(dialect=_DIALECT), "", bind

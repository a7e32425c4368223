"""Print rows as a table, JSON or JSON Lines: the one output path of every data command."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, indent=indent)


def emit(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    fmt: Format,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Print ``rows`` (a list of records, or one record) in the chosen format."""
    stream = out or sys.stdout
    if fmt is Format.json:
        stream.write(to_json(rows) + "\n")
        return
    records = [rows] if isinstance(rows, Mapping) else list(rows)
    if fmt is Format.jsonl:
        for record in records:
            stream.write(to_json(record, indent=None) + "\n")
        return
    cols = list(columns or (records[0].keys() if records else []))
    table = Table(title=title, show_lines=False)
    for col in cols:
        table.add_column(col)
    for record in records:
        table.add_row(*(_cell(record.get(c)) for c in cols))
    Console(file=stream).print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict | list):
        return to_json(value, indent=None)[:80]
    return str(_default(value)) if not isinstance(value, str | int) else str(value)

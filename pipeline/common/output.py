"""Print rows as a table, JSON or JSON Lines: the one output path of every data command."""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` without control or format characters, so no value can drive a terminal or page.

    Escape sequences (ESC, CSI), BEL, backspace, bidi overrides and the like are dropped; carriage
    returns, tabs and other line or space separators become a space. Newlines stay unless
    ``newlines`` is false. What counts as printable is Python's own ``str.isprintable``.
    """
    if text.isprintable():
        return text
    return "".join(_printable_char(ch, newlines) for ch in text)


def _printable_char(ch: str, newlines: bool) -> str:
    if ch.isprintable():
        return ch
    if ch == "\n" and newlines:
        return ch
    return " " if ch.isspace() else ""


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def to_json(value: Any, indent: int | None = 2) -> str:
    """JSON that parses back to exactly ``value`` and is safe to print on a terminal.

    Characters a terminal could act on (C1 controls, DEL, bidi and other format characters, lone
    surrogates) are written as JSON ``\\uXXXX`` escapes; everything else stays as it is.
    """
    text = json.dumps(value, default=_default, ensure_ascii=False, indent=indent)
    if text.replace("\n", "").isprintable():
        return text
    return "".join(_json_char(ch) for ch in text)


def _json_char(ch: str) -> str:
    # Outside strings json.dumps writes only printable ASCII, spaces and newlines, so every other
    # character met here sits inside a string, where an escape stands for exactly that character.
    if ch.isprintable() or ch == "\n" or unicodedata.category(ch) == "Zs":
        return ch
    return json.dumps(ch)[1:-1]


def emit(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    fmt: Format,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    percent: Collection[str] = (),
    out: TextIO | None = None,
) -> None:
    """Print ``rows`` (a list of records, or one record) in the chosen format.

    Tables show every value, title and header as plain text: square brackets in a dealer's name
    are not rich markup, and control characters never reach the terminal. In tables, ``headers``
    gives columns readable names and ``percent`` columns (fractions) show as percentages (the
    header says so); JSON and CSV keep field names and fractions as they are, for programs.
    """
    stream = out or sys.stdout
    if fmt is Format.json:
        stream.write(to_json(rows) + "\n")
        return
    records = [rows] if isinstance(rows, Mapping) else list(rows)
    if fmt is Format.jsonl:
        for record in records:
            stream.write(to_json(record, indent=None) + "\n")
        return
    if fmt is Format.csv:
        _csv(records, columns, stream)
        return
    cols = list(columns or (records[0].keys() if records else []))
    # No vertical rules: ten columns of data fit in 80 characters.
    table = Table(
        title=_text(title) if title is not None else None,
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    names = headers or {}
    rows_text = [
        [_percent(record.get(c)) if c in percent else _cell(record.get(c)) for c in cols]
        for record in records
    ]
    console = Console(file=stream)
    numeric = [col in percent or any(_is_number(r.get(col)) for r in records[:1]) for col in cols]
    header_texts = [printable(names.get(col, col)) for col in cols]
    # Headers break between words, never inside one; numbers are never broken. Text values break
    # between words (words up to a dozen characters) when the table fits the console that way;
    # longer words fold rather than being cut.
    header_widths = [min(_widest_word(h), 10) for h in header_texts]
    value_widths = [
        max((_widest_word(row[i].plain) for row in rows_text), default=0) for i in range(len(cols))
    ]
    widths = [
        max(h, v if num else min(v, 12))
        for h, v, num in zip(header_widths, value_widths, numeric, strict=True)
    ]
    if sum(widths) + 2 * len(cols) > console.width:
        widths = [
            max(h, v) if num else h
            for h, v, num in zip(header_widths, value_widths, numeric, strict=True)
        ]
    for header, width, num in zip(header_texts, widths, numeric, strict=True):
        table.add_column(
            Text(header),
            justify="right" if num else "left",
            min_width=width,
            # A number column is as wide as its widest number or header word: the room is the
            # text's.
            max_width=max(width, len(header) if len(header) <= 6 else 0) if num else None,
            overflow="fold",
        )
    for cells in rows_text:
        table.add_row(*cells)
    console.print(table)


def _widest_word(text: str) -> int:
    return max(map(len, text.split() or [""]))


def _csv(records: Sequence[Mapping[str, Any]], columns: Sequence[str] | None, out: TextIO) -> None:
    """Every field (or ``columns``), one header line of field names, then one line per record."""
    cols = list(columns or dict.fromkeys(k for record in records for k in record))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    writer.writerows([_csv_cell(record.get(c)) for c in cols] for record in records)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dict | list):
        text = to_json(value, indent=None)
    else:
        text = printable(value if isinstance(value, str) else str(_default(value)))
    # A spreadsheet runs a cell that starts like a formula: a dealer's name is not a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _text(value: object) -> Text:
    return Text(printable(str(value)))


def _cell(value: Any) -> Text:
    if value is None:
        return Text("")
    if isinstance(value, float):
        # Three significant digits, but never an exponent: 1,234 hours, not 1.23e+03.
        return Text(f"{value:.3g}" if abs(value) < 999.5 else f"{value:,.0f}")
    if isinstance(value, dict | list):
        return _text(to_json(value, indent=None)[:80])
    return _text(value if isinstance(value, str | int) else _default(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _percent(value: Any) -> Text:
    if not _is_number(value):
        return _cell(value)
    return Text(f"{float(value) * 100:.1f}")

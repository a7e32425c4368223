"""Complaints from any CSV file, driven by a small TOML mapping of columns to event fields."""

from __future__ import annotations

import collections.abc as cabc
import csv
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from pipeline.common.errors import PipelineError
from producers.sources.nhtsa import RecodedCallback, decode_lines, normalise_component
from producers.sources.report import (
    BAD_DATE,
    IMPLAUSIBLE_DATE,
    INVALID_EVENT,
    MISSING_ID,
    MISSING_PRODUCT,
    NO_DATE,
    UNMAPPED_CATEGORY,
    WRONG_FIELD_COUNT,
    Skipped,
    validation_detail,
)
from schemas.feedback import ComplaintFiled
from schemas.limits import MAX_TEXT
from schemas.parts import ProductRef

# Fixed forever: changing it would give every re-imported row a new identity.
_NAMESPACE: Final = uuid.UUID("96013c26-8ea3-43ae-ac13-bfb1d129f641")
_EARLIEST: Final = date(1950, 1, 1)
_GRACE: Final = timedelta(days=1)
_REQUIRED_COLUMNS: Final = ("id", "brand", "model", "date")
_OPTIONAL_COLUMNS: Final = ("variant", "serial", "text", "failure_code", "category")


class MappingError(PipelineError):
    """A mapping file is unusable; the message names the key or column to fix."""


@dataclass(frozen=True, slots=True)
class Mapping:
    """How the columns of one kind of CSV file become ComplaintFiled fields."""

    source: str
    market: str
    columns: cabc.Mapping[str, str]
    """Event field ("id", "brand", "model", "date", ...) -> CSV column name."""
    date_format: str = "%Y-%m-%d"
    timezone: str = "UTC"
    language: str | None = None
    delimiter: str = ","
    components: cabc.Mapping[str, str] = field(default_factory=dict)
    """Category column value -> component code."""
    failure_details: cabc.Mapping[str, str] = field(default_factory=dict)
    """Failure-code column value -> a sub-level appended to the category's component code."""


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; raises MappingError naming what to fix."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"cannot read mapping {path}: {exc}") from exc
    columns = _str_table(raw, "columns", path)
    missing = [name for name in _REQUIRED_COLUMNS if not columns.get(name)]
    unknown = sorted(set(columns) - {*_REQUIRED_COLUMNS, *_OPTIONAL_COLUMNS})
    if missing or unknown:
        raise MappingError(
            f"{path}: [columns] must name {', '.join(_REQUIRED_COLUMNS)}; "
            f"missing {missing}, unknown {unknown}"
        )
    components = _str_table(raw, "components", path)
    details = _str_table(raw, "failure_details", path)
    for code in (*components.values(), *details.values()):
        if normalise_component(code) != code:
            raise MappingError(f"{path}: {code!r} is not a component code like ENGINE:COOLING")
    mapping = Mapping(
        source=_str(raw, "source", path),
        market=_str(raw, "market", path),
        columns=MappingProxyType(columns),
        date_format=_str(raw, "date_format", path, "%Y-%m-%d"),
        timezone=_str(raw, "timezone", path, "UTC"),
        language=_str(raw, "language", path) if "language" in raw else None,
        delimiter=_str(raw, "delimiter", path, ","),
        components=MappingProxyType(components),
        failure_details=MappingProxyType(details),
    )
    _zone(mapping)
    return mapping


def mapping_path(name: str) -> Path:
    """The mapping shipped with the package under ``name`` (e.g. ``cn_car_complaints``)."""
    folder = resources.files("producers.sources").joinpath("mappings")
    found = folder.joinpath(f"{name}.toml")
    if not found.is_file() or not isinstance(found, Path):
        shipped = sorted(p.name.removesuffix(".toml") for p in folder.iterdir())
        raise MappingError(f"no shipped mapping {name!r}; choose one of {shipped}")
    return found


def read_mapped_csv(
    path: Path,
    mapping: Mapping,
    *,
    today: date | None = None,
    on_recoded: RecodedCallback | None = None,
) -> cabc.Iterator[ComplaintFiled | Skipped]:
    """One ComplaintFiled per usable record, a Skipped (line where it starts) for the others.

    The file must have a header row naming every mapped column (MappingError otherwise).
    ``today`` bounds plausible dates; event ids are uuid5 of the source and the id column.
    """
    zone = _zone(mapping)
    with path.open("rb") as raw_lines:
        lines = decode_lines(raw_lines, on_recoded)
        records = csv.reader(_without_bom(lines), delimiter=mapping.delimiter)
        header = next(records, [])
        where = _column_positions(header, mapping, path)
        previous_end = records.line_num
        for record in records:
            line_no, previous_end = previous_end + 1, records.line_num
            if not any(value.strip() for value in record):
                continue
            if len(record) != len(header):
                detail = f"{len(record)} fields; the header has {len(header)}"
                yield Skipped(line_no, WRONG_FIELD_COUNT, detail)
                continue
            row = {name: record[index].strip() for name, index in where.items()}
            try:
                yield _complaint(row, mapping, zone, today)
            except _RowRejected as rejected:
                yield Skipped(line_no, rejected.reason, rejected.detail)
            except ValidationError as exc:
                yield Skipped(line_no, INVALID_EVENT, validation_detail(exc))


class _RowRejected(PipelineError):
    """Internal: the record cannot become an event; never escapes this module."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _complaint(
    row: dict[str, str], mapping: Mapping, zone: ZoneInfo, today: date | None
) -> ComplaintFiled:
    if not row["id"]:
        raise _RowRejected(MISSING_ID, f"column {mapping.columns['id']!r} is empty")
    if not row["brand"] or not row["model"]:
        raise _RowRejected(MISSING_PRODUCT, f"brand {row['brand']!r} / model {row['model']!r}")
    occurred_at = _when(row["date"], mapping, zone, today)
    failure_code = row.get("failure_code") or None
    return ComplaintFiled(
        event_id=uuid.uuid5(_NAMESPACE, f"{mapping.source}|{row['id']}"),
        occurred_at=occurred_at,
        source=mapping.source,
        product=ProductRef(
            brand=row["brand"],
            model=row["model"],
            variant=row.get("variant") or None,
            serial=row.get("serial") or None,
        ),
        complaint_id=row["id"],
        market=mapping.market,
        text=(row.get("text") or "")[:MAX_TEXT] or None,
        language=mapping.language,
        component=_component(row.get("category", ""), failure_code, mapping),
        failure_code=failure_code,
    )


def _when(text: str, mapping: Mapping, zone: ZoneInfo, today: date | None) -> datetime:
    if not text:
        raise _RowRejected(NO_DATE, f"column {mapping.columns['date']!r} is empty")
    try:
        parsed = datetime.strptime(text, mapping.date_format).replace(tzinfo=zone)
    except ValueError:
        raise _RowRejected(BAD_DATE, f"{text!r} does not match {mapping.date_format!r}") from None
    day = parsed.date()
    if day < _EARLIEST or (today is not None and day > today + _GRACE):
        raise _RowRejected(IMPLAUSIBLE_DATE, f"{day} is before {_EARLIEST} or after {today}")
    return parsed


def _component(category: str, failure_code: str | None, mapping: Mapping) -> str | None:
    if not category:
        return None
    code = mapping.components.get(category)
    if code is None:
        raise _RowRejected(UNMAPPED_CATEGORY, f"category {category!r} has no component code")
    detail = mapping.failure_details.get(failure_code or "")
    return f"{code}:{detail}" if detail else code


def _column_positions(header: list[str], mapping: Mapping, path: Path) -> dict[str, int]:
    names = [name.strip() for name in header]
    absent = sorted(column for column in mapping.columns.values() if column not in names)
    if absent:
        raise MappingError(f"{path} has no column(s) {absent}; its header is {names}")
    return {field_name: names.index(column) for field_name, column in mapping.columns.items()}


def _without_bom(lines: cabc.Iterator[str]) -> cabc.Iterator[str]:
    first = next(lines, "")
    yield first.removeprefix("\ufeff")
    yield from lines


def _zone(mapping: Mapping) -> ZoneInfo:
    try:
        return ZoneInfo(mapping.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(f"unknown time zone {mapping.timezone!r} in mapping") from None


def _str_table(raw: dict[str, Any], key: str, path: Path) -> dict[str, str]:
    table = raw.get(key, {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise MappingError(f"{path}: [{key}] must be a table of strings")
    return dict(table)


def _str(raw: dict[str, Any], key: str, path: Path, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value:
        raise MappingError(f"{path}: {key!r} must be a non-empty string")
    return value

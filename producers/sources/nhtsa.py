"""NHTSA complaint and recall flat files (tab-separated, no header) read as validated events."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from pipeline.common.errors import PipelineError
from producers.sources.report import (
    BAD_DATE,
    BAD_NUMBER,
    IMPLAUSIBLE_DATE,
    INVALID_EVENT,
    MISSING_ID,
    MISSING_PRODUCT,
    NO_DATE,
    WRONG_FIELD_COUNT,
    Skipped,
    validation_detail,
)
from schemas.feedback import ComplaintFiled
from schemas.limits import MAX_CODE, MAX_TEXT
from schemas.parts import ProductRef
from schemas.reference import RecallAnnounced

RecodedCallback = Callable[[int, str], None]
"""Told (line number, encoding used) for each line that was not valid UTF-8."""

UNKNOWN_COMPONENT: Final = "UNKNOWN_OR_OTHER"
"""NHTSA's own catch-all; also what a description without a usable character becomes."""

# Fixed forever: changing it would give every re-imported row a new identity.
_NAMESPACE: Final = uuid.UUID("aea6d416-96af-44a7-8070-b867d234a73b")
_FALLBACK_ENCODINGS: Final = ("cp1252", "latin-1")
_NOT_CODE_CHAR: Final = re.compile(r"[^A-Z0-9_:]")
_REPEATED_UNDERSCORE: Final = re.compile(r"_+")
_UNKNOWN_YEAR: Final = "9999"
_EARLIEST: Final = date(1950, 1, 1)
_EARLIEST_RECALL: Final = date(1966, 1, 1)
_GRACE: Final = timedelta(days=1)
_MAX_YEARS_BEFORE_MODEL_YEAR: Final = 2
_SYSTEM_OF_KIND: Final = {
    "HYDRAULIC": "SERVICE BRAKES",
    "AIR": "SERVICE BRAKES",
    "ELECTRIC": "SERVICE BRAKES",
    "GASOLINE": "FUEL SYSTEM",
    "DIESEL": "FUEL SYSTEM",
}
"""NHTSA's systems whose description carries a kind after a comma, by that kind: some complaint
extracts split the description at its comma into two rows, the second holding only the kind."""

# Complaint fields (0-based positions of CMPL.txt's fields 1-49); files from before 2014
# stop at field 47, and nothing we read lies beyond it.
_CMPL_FIELDS: Final = range(47, 50)
_C_ODINO, _C_MAKE, _C_MODEL, _C_YEAR, _C_CRASH, _C_FAILDATE, _C_FIRE = 1, 3, 4, 5, 6, 7, 8
_C_INJURED, _C_DEATHS, _C_COMPDESC, _C_VIN, _C_DATEA, _C_LDATE = 9, 10, 11, 14, 15, 16
_C_MILES, _C_CDESCR = 17, 19

# Recall fields (RCL.txt); fields 25-29 were added in 2020 and 2025.
_RCL_FIELDS: Final = range(24, 30)
_R_CAMPNO, _R_MAKE, _R_MODEL, _R_YEAR, _R_COMPNAME, _R_POTAFF = 1, 2, 3, 4, 6, 11
_R_RCDATE, _R_DATEA, _R_DESC_DEFECT, _R_CONSEQUENCE = 15, 16, 19, 20


class _RowRejected(PipelineError):
    """Internal: the row cannot become an event; never escapes this module."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def normalise_component(text: str) -> str:
    """NHTSA's component description as our hierarchical code.

    ``SEAT BELTS:PRETENSIONER`` -> ``SEAT_BELTS:PRETENSIONER``; every character outside
    ``[A-Z0-9_:]`` becomes ``_``, runs collapse, empty levels vanish, at most MAX_CODE characters.
    NHTSA names a system's kind after a comma in the first level (``SERVICE BRAKES, HYDRAULIC``,
    ``FUEL SYSTEM, GASOLINE``): the kind becomes the second level, so that the system is the top
    level (what recurring-defect signatures count) whichever way a file spells it.
    """
    first, colon, rest = text.partition(":")
    system, comma, kind = first.partition(",")
    if comma:
        first = f"{system}:{kind}"
    raw = _NOT_CODE_CHAR.sub("_", (first + colon + rest).upper())
    levels = (_REPEATED_UNDERSCORE.sub("_", level).strip("_") for level in raw.split(":"))
    code = ":".join(level for level in levels if level)[:MAX_CODE].rstrip("_:")
    return code or UNKNOWN_COMPONENT


def _complaint_component(text: str) -> str:
    """A complaint row's component; a row holding only a system's kind is filed under it."""
    system = _SYSTEM_OF_KIND.get(text.strip().upper())
    return normalise_component(f"{system}, {text}" if system else text)


def decode_lines(
    raw_lines: Iterable[bytes], on_recoded: RecodedCallback | None = None
) -> Iterator[str]:
    """Bytes lines as text: UTF-8, else cp1252, else latin-1 (which never fails), line by line."""
    for line_no, raw in enumerate(raw_lines, start=1):
        try:
            yield raw.decode("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        for encoding in _FALLBACK_ENCODINGS:
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if on_recoded is not None:
                on_recoded(line_no, encoding)
            yield text
            break


def read_complaints(
    path: Path,
    *,
    source: str = "nhtsa",
    today: date | None = None,
    on_recoded: RecodedCallback | None = None,
) -> Iterator[ComplaintFiled | Skipped]:
    """One ComplaintFiled per usable row of a FLAT_CMPL file, a Skipped for every other row.

    ``today`` bounds plausible dates (None: only the row's own DATEA bounds them). Event ids are
    uuid5 of ODINO, product and component, so re-importing a file publishes the same ids.
    """
    for line_no, fields in _rows(path, on_recoded):
        try:
            yield _complaint(fields, source, today)
        except _RowRejected as rejected:
            yield Skipped(line_no, rejected.reason, rejected.detail)
        except ValidationError as exc:
            yield Skipped(line_no, INVALID_EVENT, validation_detail(exc))


def read_recalls(
    path: Path,
    *,
    source: str = "nhtsa",
    today: date | None = None,
    on_recoded: RecodedCallback | None = None,
) -> Iterator[RecallAnnounced | Skipped]:
    """One RecallAnnounced per usable row of a FLAT_RCL file, a Skipped for every other row."""
    for line_no, fields in _rows(path, on_recoded):
        try:
            yield _recall(fields, source, today)
        except _RowRejected as rejected:
            yield Skipped(line_no, rejected.reason, rejected.detail)
        except ValidationError as exc:
            yield Skipped(line_no, INVALID_EVENT, validation_detail(exc))


def _rows(path: Path, on_recoded: RecodedCallback | None) -> Iterator[tuple[int, list[str]]]:
    with path.open("rb") as raw_lines:
        for line_no, text in enumerate(decode_lines(raw_lines, on_recoded), start=1):
            line = text.rstrip("\r\n")
            if line.strip():
                yield line_no, [field.strip() for field in line.split("\t")]


def _complaint(f: list[str], source: str, today: date | None) -> ComplaintFiled:
    _check_field_count(f, _CMPL_FIELDS)
    if not f[_C_ODINO]:
        raise _RowRejected(MISSING_ID, "ODINO (the complaint number) is empty")
    brand, model = _product(f[_C_MAKE], f[_C_MODEL])
    model_year = _model_year(f[_C_YEAR])
    latest = _latest_plausible(_date(f[_C_DATEA], "DATEA"), today)
    received = _plausible(_date(f[_C_LDATE], "LDATE"), "LDATE", _EARLIEST, latest)
    incident = _plausible(_date(f[_C_FAILDATE], "FAILDATE"), "FAILDATE", _EARLIEST, latest)
    if incident and model_year and incident.year < model_year - _MAX_YEARS_BEFORE_MODEL_YEAR:
        raise _RowRejected(
            IMPLAUSIBLE_DATE, f"FAILDATE {incident} is long before model year {model_year}"
        )
    # The received date is when NHTSA learnt of it; extracts without it fall back on the incident.
    occurred = received or incident
    if occurred is None:
        raise _RowRejected(NO_DATE, "neither LDATE nor FAILDATE is set")
    component = _complaint_component(f[_C_COMPDESC])
    variant = str(model_year) if model_year else None
    key = "|".join(("complaint", f[_C_ODINO], brand, model, variant or "", component))
    return ComplaintFiled(
        event_id=uuid.uuid5(_NAMESPACE, key),
        occurred_at=_midnight_utc(occurred),
        source=source,
        product=ProductRef(brand=brand, model=model, variant=variant, serial=f[_C_VIN] or None),
        complaint_id=f[_C_ODINO],
        market="US",
        text=f[_C_CDESCR] or None,
        language="en",
        component=component,
        incident_date=incident,
        crash=f[_C_CRASH].upper() == "Y",
        fire=f[_C_FIRE].upper() == "Y",
        injuries=_count(f[_C_INJURED], "INJURED") or 0,
        deaths=_count(f[_C_DEATHS], "DEATHS") or 0,
        usage=_miles(f[_C_MILES]),
    )


def _recall(f: list[str], source: str, today: date | None) -> RecallAnnounced:
    _check_field_count(f, _RCL_FIELDS)
    if not f[_R_CAMPNO]:
        raise _RowRejected(MISSING_ID, "CAMPNO (the recall number) is empty")
    brand, model = _product(f[_R_MAKE], f[_R_MODEL])
    model_year = _model_year(f[_R_YEAR])
    latest = _latest_plausible(_date(f[_R_DATEA], "DATEA"), today)
    announced = _plausible(_date(f[_R_RCDATE], "RCDATE"), "RCDATE", _EARLIEST_RECALL, latest)
    if announced is None:
        raise _RowRejected(NO_DATE, "RCDATE is not set")
    component = normalise_component(f[_R_COMPNAME])
    variants = [str(model_year)] if model_year else []
    summary = " ".join(text for text in (f[_R_DESC_DEFECT], f[_R_CONSEQUENCE]) if text)
    key = "|".join(("recall", f[_R_CAMPNO], brand, model, *variants, component))
    return RecallAnnounced(
        event_id=uuid.uuid5(_NAMESPACE, key),
        occurred_at=_midnight_utc(announced),
        source=source,
        recall_id=f[_R_CAMPNO],
        brand=brand,
        model=model,
        variants=variants,
        component=component,
        market="US",
        announced_on=announced,
        units_affected=_count(f[_R_POTAFF], "POTAFF"),
        summary=summary[:MAX_TEXT] or None,
    )


def _check_field_count(fields: list[str], allowed: range) -> None:
    if len(fields) not in allowed:
        raise _RowRejected(
            WRONG_FIELD_COUNT,
            f"{len(fields)} tab-separated fields; expected {allowed.start} to {allowed.stop - 1}",
        )


def _product(brand: str, model: str) -> tuple[str, str]:
    if not brand or not model:
        raise _RowRejected(MISSING_PRODUCT, f"make {brand!r} / model {model!r} is empty")
    return brand, model


def _model_year(text: str) -> int | None:
    if not text or text == _UNKNOWN_YEAR:
        return None
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise _RowRejected(BAD_NUMBER, f"YEARTXT {text!r} is not a four-digit year")
    return int(text)


def _date(text: str, label: str) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        raise _RowRejected(BAD_DATE, f"{label} {text!r} is not a YYYYMMDD date") from None


def _latest_plausible(added: date | None, today: date | None) -> date | None:
    bounds = [d for d in (added, today) if d is not None]
    return min(bounds) if bounds else None


def _plausible(day: date | None, label: str, earliest: date, latest: date | None) -> date | None:
    if day is None:
        return None
    if day < earliest:
        raise _RowRejected(IMPLAUSIBLE_DATE, f"{label} {day} is before {earliest}")
    if latest is not None and day > latest + _GRACE:
        raise _RowRejected(IMPLAUSIBLE_DATE, f"{label} {day} is after the file date {latest}")
    return day


def _count(text: str, label: str) -> int | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _RowRejected(BAD_NUMBER, f"{label} {text!r} is not a number") from None
    if not value.is_integer() or value < 0:
        raise _RowRejected(BAD_NUMBER, f"{label} {text!r} is not a whole number >= 0")
    return int(value)


def _miles(text: str) -> float | None:
    if not text:
        return None
    try:
        miles = float(text)
    except ValueError:
        raise _RowRejected(BAD_NUMBER, f"MILES {text!r} is not a number") from None
    if not math.isfinite(miles) or miles < 0:
        raise _RowRejected(BAD_NUMBER, f"MILES {text!r} is not a distance")
    # Since 2021 NHTSA writes 0 where the mileage was left blank, so 0 means unknown.
    return miles or None


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)

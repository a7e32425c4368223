"""Warranty status and months in service from the sale date and the market's warranty terms."""

from __future__ import annotations

import calendar
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final, Literal

from pipeline.common.errors import PipelineError

DEFAULT_WARRANTY: Final = Path(__file__).parent / "data" / "warranty.toml"
ANY_CATEGORY: Final = "*"
DEFAULT_SCOPE: Final = "default"
Status = Literal["in_warranty", "expired", "unknown"]


class WarrantyTermsError(PipelineError):
    """The warranty file is malformed; the message names the table to fix."""


@dataclass(frozen=True, slots=True)
class Coverage:
    months: int
    usage_limit: float | None
    basis: str
    note: str
    scope: str
    """Which table entry applied, e.g. "EU/*" or "CN/vehicle"."""


@dataclass(frozen=True, slots=True)
class WarrantyTerms:
    tables: Mapping[str, Mapping[str, Coverage]]
    groups: Mapping[str, frozenset[str]]

    def coverage(self, market: str | None, category: str | None) -> Coverage:
        """The country's own terms, else its groups' (EU), else the default; category before "*"."""
        country = (market or "").upper()
        scopes = [country] if country in self.tables else []
        scopes += [name for name, members in self.groups.items() if country in members]
        scopes.append(DEFAULT_SCOPE)
        for scope in scopes:
            table = self.tables.get(scope, {})
            for key in (category, ANY_CATEGORY):
                if key is not None and key in table:
                    return table[key]
        raise WarrantyTermsError('the warranty file needs [terms.default] with a "*" entry')


@dataclass(frozen=True, slots=True)
class WarrantyStatus:
    status: Status
    months_in_service: int | None
    expires_on: date | None
    coverage: Coverage | None = None


def load_warranty_terms(path: str | Path | None = None) -> WarrantyTerms:
    """Warranty terms from the shipped table or a replacement file of the same shape."""
    file = Path(path) if path is not None else DEFAULT_WARRANTY
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WarrantyTermsError(f"cannot read warranty file {file}: {exc}") from exc
    tables: dict[str, dict[str, Coverage]] = {}
    for scope, entries in raw.get("terms", {}).items():
        tables[scope] = {}
        for category, entry in entries.items():
            months = entry.get("months")
            if not isinstance(months, int) or months < 0:
                raise WarrantyTermsError(f"terms.{scope}.{category}: months must be a whole number")
            limit = entry.get("usage_limit")
            tables[scope][category] = Coverage(
                months=months,
                usage_limit=float(limit) if limit is not None else None,
                basis=str(entry.get("basis", "manufacturer")),
                note=str(entry.get("note", "")),
                scope=f"{scope}/{category}",
            )
    if ANY_CATEGORY not in tables.get(DEFAULT_SCOPE, {}):
        raise WarrantyTermsError(f'{file}: add [terms.default] with a "*" entry')
    groups = {
        name: frozenset(c.upper() for c in members)
        for name, members in raw.get("groups", {}).items()
    }
    return WarrantyTerms(tables, groups)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Completed calendar months from start to end (end >= start): Jan 31 -> Feb 29 is one."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if add_months(start, months) > end else months


def warranty_status(
    sold_on: date | None,
    at: datetime,
    market: str | None,
    category: str | None,
    usage: float | None,
    terms: WarrantyTerms,
) -> WarrantyStatus:
    """Whether an event at `at` falls in the warranty that began at the sale.

    The event's calendar date in its own UTC offset is compared with the expiry date, which is
    still covered. Unknown when the sale date is unknown or after the event. A usage limit is
    applied only when the usage is reported; an unknown market gets the default terms.
    """
    if sold_on is None:
        return WarrantyStatus("unknown", None, None)
    event_day = at.date()
    if event_day < sold_on:
        return WarrantyStatus("unknown", None, None)
    coverage = terms.coverage(market, category)
    expires_on = add_months(sold_on, coverage.months)
    within_time = event_day <= expires_on
    within_usage = coverage.usage_limit is None or usage is None or usage <= coverage.usage_limit
    status: Status = "in_warranty" if within_time and within_usage else "expired"
    return WarrantyStatus(status, whole_months_between(sold_on, event_day), expires_on, coverage)

"""What detection needs from the outside: daily counts per signature and the installed base."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import numpy as np
import numpy.typing as npt

from pipeline.detection.model import ANY, MARKET_SEPARATOR, DayCount, Signature

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Series:
    """A signature's daily counts: ``days`` (proleptic ordinals, strictly increasing) and, per day,
    ``n`` observations of which ``severe`` involved safety. Days without observations are absent."""

    days: IntArray
    n: IntArray
    severe: IntArray

    @staticmethod
    def empty() -> Series:
        nothing = np.zeros(0, dtype=np.int64)
        return Series(nothing, nothing, nothing)

    @staticmethod
    def from_counts(counts: Mapping[date, DayCount]) -> Series:
        ordered = sorted(counts.items())
        return Series(
            np.array([day.toordinal() for day, _ in ordered], dtype=np.int64),
            np.array([c.n for _, c in ordered], dtype=np.int64),
            np.array([c.severe for _, c in ordered], dtype=np.int64),
        )

    def __len__(self) -> int:
        return int(self.days.size)

    @property
    def first_day(self) -> int | None:
        return int(self.days[0]) if self.days.size else None

    @property
    def last_day(self) -> int | None:
        return int(self.days[-1]) if self.days.size else None

    @property
    def total(self) -> int:
        return int(self.n.sum())

    def as_counts(self) -> dict[date, DayCount]:
        return {
            date.fromordinal(int(d)): DayCount(int(n), int(s))
            for d, n, s in zip(self.days, self.n, self.severe, strict=True)
        }

    def dense(self, start: int, end: int) -> tuple[FloatArray, FloatArray]:
        """Counts and severe counts for every day ``start..end`` (ordinals, inclusive)."""
        length = max(0, end - start + 1)
        counts = np.zeros(length, dtype=np.float64)
        severe = np.zeros(length, dtype=np.float64)
        inside = (self.days >= start) & (self.days <= end)
        offsets = self.days[inside] - start
        counts[offsets] = self.n[inside]
        severe[offsets] = self.severe[inside]
        return counts, severe

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Series):
            return NotImplemented
        return (
            np.array_equal(self.days, other.days)
            and np.array_equal(self.n, other.n)
            and np.array_equal(self.severe, other.severe)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable arrays inside: never a dict key


DayRange = tuple[int, int]
"""First and last day (ordinals) of a series."""


class CountStore(Protocol):
    """Daily counts per signature, written once per batch and read once per evaluation."""

    def add(self, increments: Mapping[tuple[Signature, date], DayCount]) -> None:
        """Add every increment atomically (the caller guarantees each observation counts once)."""
        ...

    def series(
        self, signatures: Collection[Signature], since: date | None = None
    ) -> Mapping[Signature, Series]:
        """Each signature's series from ``since`` on (all of it when None); unknown ones empty."""
        ...

    def series_from(self, since: Mapping[Signature, int | None]) -> Mapping[Signature, Series]:
        """Each signature's series from its own day on (an ordinal; all of it when None)."""
        ...

    def day_range(self, signatures: Collection[Signature]) -> Mapping[Signature, DayRange | None]:
        """Each signature's first and last day with counts; None when it has none."""
        ...

    def first_day_from(self, since: Mapping[Signature, int]) -> Mapping[Signature, int | None]:
        """Each signature's first day with counts on or after its own day (ordinals)."""
        ...


@dataclass(slots=True)
class InMemoryCountStore:
    """The CountStore fake for tests and the offline scorer."""

    counts: dict[Signature, dict[int, DayCount]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, increments: Mapping[tuple[Signature, date], DayCount]) -> None:
        for (signature, day), count in increments.items():
            per_day = self.counts.setdefault(signature, {})
            ordinal = day.toordinal()
            previous = per_day.get(ordinal)
            per_day[ordinal] = count if previous is None else previous + count

    def series(
        self, signatures: Collection[Signature], since: date | None = None
    ) -> dict[Signature, Series]:
        floor = since.toordinal() if since is not None else None
        result: dict[Signature, Series] = {}
        for signature in signatures:
            per_day = self.counts.get(signature)
            if not per_day:
                result[signature] = Series.empty()
                continue
            days = sorted(d for d in per_day if floor is None or d >= floor)
            result[signature] = Series(
                np.array(days, dtype=np.int64),
                np.array([per_day[d].n for d in days], dtype=np.int64),
                np.array([per_day[d].severe for d in days], dtype=np.int64),
            )
        return result

    def series_from(self, since: Mapping[Signature, int | None]) -> dict[Signature, Series]:
        result: dict[Signature, Series] = {}
        for signature, floor in since.items():
            day = None if floor is None else date.fromordinal(max(1, floor))
            result |= self.series([signature], day)
        return result

    def day_range(self, signatures: Collection[Signature]) -> dict[Signature, DayRange | None]:
        found: dict[Signature, DayRange | None] = {}
        for signature in signatures:
            days = self.counts.get(signature)
            found[signature] = (min(days), max(days)) if days else None
        return found

    def first_day_from(self, since: Mapping[Signature, int]) -> dict[Signature, int | None]:
        return {
            s: min((d for d in self.counts.get(s, {}) if d >= day), default=None)
            for s, day in since.items()
        }

    def signatures(self) -> list[Signature]:
        return sorted(self.counts)


class InstalledBase(Protocol):
    """Units sold per product and month (all markets summed); ``variant="*"`` sums the variants
    and ``variant="2022@CN"`` is variant 2022 in market CN alone (see ``Signature.market``)."""

    def monthly_sales(self, brand: str, model: str, variant: str) -> Mapping[date, int]:
        """Units sold per calendar month (keyed by the month's first day); empty when unknown."""
        ...

    def products(self) -> Collection[tuple[str, str, str]]:
        """Every (brand, model, variant) with sales on record, model-level ``*`` keys and
        per-market ``variant@market`` keys included."""
        ...


SalesKey = tuple[str, str, str | None, str, str]
"""(brand, model, variant, market, "YYYY-MM"), the shape of a units_sold.reported event."""


def month_start(month: str) -> date:
    """The first day of a ``YYYY-MM`` month; ValueError for anything else (``0000-01``)."""
    year, month_number = (int(part) for part in month.split("-"))
    return date(year, month_number, 1)


@dataclass(frozen=True, slots=True)
class InMemoryInstalledBase:
    """An InstalledBase over a plain mapping of units sold."""

    by_product: Mapping[tuple[str, str, str], Mapping[date, int]]

    @staticmethod
    def from_sales(sales: Iterable[tuple[SalesKey, int]]) -> InMemoryInstalledBase:
        """Sum units over markets (and keep each variant's per market); a product without a
        variant is stored under ``*`` only."""
        totals: dict[tuple[str, str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for (brand, model, variant, market, month), units in sales:
            first_day = month_start(month)
            if variant:
                totals[(brand, model, variant)][first_day] += units
                totals[(brand, model, f"{variant}{MARKET_SEPARATOR}{market}")][first_day] += units
            totals[(brand, model, ANY)][first_day] += units
        return InMemoryInstalledBase({key: dict(months) for key, months in totals.items()})

    def monthly_sales(self, brand: str, model: str, variant: str) -> Mapping[date, int]:
        return self.by_product.get((brand, model, variant), {})

    def products(self) -> Collection[tuple[str, str, str]]:
        return list(self.by_product)

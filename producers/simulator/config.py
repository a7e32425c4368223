"""What a simulation run is asked for: seed, length, ticket rate, start date, injected defects."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from pipeline.common.errors import PipelineError

DAY = 86_400
MIN_ONSET_DAY = 60
"""Defects never start in the first 60 days, so detectors get a clean baseline first."""


class SimulationConfigError(PipelineError, ValueError):
    """The simulation was asked for something it cannot build; the message says what to change."""


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One run of the simulated world. ``rate`` is the mean number of new tickets per day."""

    seed: int
    days: int
    rate: float
    start: date = date(2024, 1, 1)
    defects: int | None = None
    idle_dealers: frozenset[str] = frozenset()
    """Dealers whose service desks stop acting on cases: no call-backs, no second fixes."""
    models: frozenset[str] = frozenset()
    """Simulate only these product models (by name; empty: the whole catalogue): a small,
    focused world whose few signatures see many claims, for tests and demos."""
    fixes: bool = False
    """Release a corrective action against each injected defect that runs long enough for
    units built after it to age (see defects.choose_fixes); some work, some do not."""

    def __post_init__(self) -> None:
        if self.days < 1:
            raise SimulationConfigError(f"days must be at least 1, got {self.days}")
        if not self.rate > 0:
            raise SimulationConfigError(
                f"rate must be a positive tickets/day figure, not {self.rate}"
            )
        if self.defects is not None and self.defects < 0:
            raise SimulationConfigError(f"defects must be 0 or more, got {self.defects}")
        if self.defects and self.days <= MIN_ONSET_DAY:
            raise SimulationConfigError(
                f"defects start after day {MIN_ONSET_DAY}; ask for more than {MIN_ONSET_DAY} days "
                "or for defects=0"
            )

    @property
    def end(self) -> date:
        """First day after the run (exclusive)."""
        return self.start + timedelta(days=self.days)

    @property
    def start_ts(self) -> int:
        return epoch_seconds(self.start)

    @property
    def end_ts(self) -> int:
        return epoch_seconds(self.end)

    @property
    def defect_count(self) -> int:
        """Explicit ``defects``, else about four for a one- to two-year run, fewer if shorter."""
        if self.defects is not None:
            return self.defects
        if self.days <= MIN_ONSET_DAY + 30:
            return 0
        return max(1, min(4, round(self.days / 90)))


def epoch_seconds(day: date) -> int:
    """Midnight UTC of ``day`` as whole seconds since the epoch."""
    return calendar.timegm(day.timetuple())


def add_months(first_of_month: date, months: int) -> date:
    """The first day of the month ``months`` after ``first_of_month``'s month."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)

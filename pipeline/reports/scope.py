"""What a report covers: period start, brand, model and the as-of time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time


@dataclass(frozen=True, slots=True)
class Scope:
    since: date | None
    brand: str | None
    model: str | None
    now: datetime

    @property
    def since_at(self) -> datetime | None:
        """Start of the period as an aware instant (midnight UTC)."""
        return datetime.combine(self.since, time(), tzinfo=UTC) if self.since else None

"""Clocks: wall time for entrypoints, fixed time for tests. Domain code takes ``now`` values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def backoff_delays(
    first_s: float = 0.5, max_s: float = 30.0, factor: float = 2.0
) -> Iterator[float]:
    """Exponential backoff: 0.5, 1, 2, ... capped at ``max_s``, forever."""
    delay = first_s
    while True:
        yield delay
        delay = min(max_s, delay * factor)

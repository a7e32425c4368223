"""Naive reference detectors: flag a signature when it collects its k-th complaint in a window."""

from __future__ import annotations

import numpy as np

from pipeline.detection.episodes import FlagEpisode, day_start
from pipeline.detection.model import Signature
from pipeline.detection.ports import Series


def kth_in_window_method(k: int, window_days: int) -> str:
    return f"baseline_{k}_in_{window_days}d"


def kth_in_window(
    signature: Signature, series: Series, k: int, window_days: int, as_of: int | None = None
) -> list[FlagEpisode]:
    """One never-closing flag on the first day the trailing ``window_days`` hold ``k`` or more
    observations (days after ``as_of``, an ordinal, ignored). The yardstick detectors must beat."""
    days = series.days if as_of is None else series.days[series.days <= as_of]
    if days.size == 0:
        return []
    counts = series.n[: days.size].astype(np.float64)
    cumulative = np.cumsum(counts)
    # Observations in (day - window, day]: everything up to today minus everything before.
    before = np.searchsorted(days, days - window_days + 1, side="left")
    earlier = np.concatenate(([0.0], cumulative))[before]
    reached = np.flatnonzero(cumulative - earlier >= k)
    if reached.size == 0:
        return []
    first = int(days[reached[0]])
    total = float((cumulative - earlier)[reached[0]])
    return [
        FlagEpisode(
            signature=signature,
            method=kth_in_window_method(k, window_days),
            opened_at=day_start(first),
            closed_at=None,
            score=total / k,
            severity="low",
            evidence={
                "method": kth_in_window_method(k, window_days),
                "observed": total,
                "expected": float(k),
                "window_days": window_days,
                "score": total / k,
            },
        )
    ]

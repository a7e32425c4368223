"""Trailing-window sums over daily arrays, the building block of every detector."""

from __future__ import annotations

import numpy as np

from pipeline.detection.ports import FloatArray


def trailing_sum(values: FloatArray, window: int) -> FloatArray:
    """``out[t] = values[t-window+1..t].sum()`` (shorter at the start), in O(n)."""
    totals = np.cumsum(values, dtype=np.float64)
    out = totals.copy()
    if window < out.size:
        out[window:] -= totals[:-window]
    return out


def shifted(values: FloatArray, days: int) -> FloatArray:
    """``out[t] = values[t-days]`` (zero before the start): 'as it stood ``days`` ago'."""
    out = np.zeros_like(values)
    if days < values.size:
        out[days:] = values[: values.size - days]
    return out

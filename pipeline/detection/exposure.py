"""Detection with an installed base: claims against units in service x a baseline claim rate.

Expected claims on day t: ``mu_t = lambda_t x exposure_t`` where exposure is the units in service
(cumulative units sold, each month's sales spread over its days), weighted by the relative hazard
at each unit's months in service (``mis_profile``; flat by default, because the count store keeps
daily counts per signature, not per sale cohort, so only the shape can be assumed and the level
estimated). The level ``lambda`` comes from the **peers**: the same component on every other model
with a known installed base, claims per unit-day over a trailing ``baseline_days`` (causal, so a
replay sees what the live system saw). Peers are preferred over the signature's own early months
because a defect present from launch would otherwise become its own baseline; the own first
``own_baseline_days`` are the fallback when no peer has enough claims.

Two tests, either raises the flag: a Poisson exceedance on the trailing ``exposure_window_days``
(one-sided p < ``exposure_alpha``) for sudden bursts, and a Poisson CUSUM
``S_t = max(0, S_{t-1} + X_t ln(rho) - (rho - 1) mu_t)`` (reset after each signal) for
persistent shifts by a factor ``rho``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy import special

from pipeline.detection.episodes import BoolArray, DailySignal
from pipeline.detection.params import DetectionParams
from pipeline.detection.ports import FloatArray
from pipeline.detection.windows import shifted, trailing_sum

METHOD = "exposure_rate"
_DAYS_PER_MONTH = 30.4375


def daily_sales(sales: Mapping[date, int], start: int, end: int) -> FloatArray:
    """Units entering service per day ``start..end``, each month's sales spread over its days;
    sales before ``start`` all land on day ``start``."""
    out = np.zeros(max(0, end - start + 1))
    for month_start, units in sales.items():
        days_in_month = calendar.monthrange(month_start.year, month_start.month)[1]
        first = month_start.toordinal()
        per_day = units / days_in_month
        lo, hi = max(first, start), min(first + days_in_month - 1, end)
        if lo <= hi:
            out[lo - start : hi - start + 1] += per_day
        before = min(first + days_in_month - 1, start - 1) - first + 1
        if before > 0 and out.size:
            out[0] += per_day * before
    return out


def exposure_from_sales(
    new_units: FloatArray, mis_profile: tuple[float, ...], service_life_days: int | None = None
) -> FloatArray:
    """Hazard-weighted unit-days per day: sum over cohorts still in service (younger than
    ``service_life_days``) of units x profile[months in service]."""
    if not mis_profile:
        in_service = np.cumsum(new_units)
        if service_life_days is not None:
            in_service = in_service - shifted(in_service, service_life_days)
        return in_service
    ages = np.arange(new_units.size)
    months = np.minimum((ages / _DAYS_PER_MONTH).astype(np.int64), len(mis_profile) - 1)
    hazard = np.asarray(mis_profile, dtype=np.float64)[months]
    if service_life_days is not None:
        hazard[service_life_days:] = 0.0
    return np.convolve(new_units, hazard)[: new_units.size]


@dataclass(frozen=True, slots=True, eq=False)
class Baseline:
    """A claim rate per unit-day for every day, where it is trusted, and how many claims it was
    estimated from (its ``support``: a rate from five claims is only known to about +-45%)."""

    rate: FloatArray
    trusted: BoolArray
    support: FloatArray


def peer_rate(
    peer_counts: FloatArray, peer_exposure: FloatArray, params: DetectionParams
) -> Baseline:
    """Peers' claims per unit-day over the trailing baseline window, and where it is trusted."""
    counts = trailing_sum(peer_counts, params.baseline_days)
    exposure = trailing_sum(peer_exposure, params.baseline_days)
    # Less than one unit-day of exposure is float residue from subtracting totals, not peers.
    trusted = (counts >= params.min_baseline_count) & (exposure >= 1.0)
    rate = np.where(trusted, counts / np.maximum(exposure, 1e-12), 0.0)
    return Baseline(rate, trusted, counts)


def own_trailing_rate(
    counts: FloatArray, exposure: FloatArray, params: DetectionParams
) -> Baseline:
    """The signature's own claims per unit-day over ``baseline_days`` ending
    ``baseline_guard_days`` ago; trusted after ``min_baseline_days`` of such history."""
    guard = params.baseline_guard_days
    counts_before = shifted(trailing_sum(counts, params.baseline_days), guard)
    exposure_before = shifted(trailing_sum(exposure, params.baseline_days), guard)
    history = np.arange(counts.size) - guard + 1
    trusted = (
        (counts_before >= params.min_baseline_count)
        & (exposure_before >= 1.0)
        & (history >= params.min_baseline_days)
    )
    rate = np.where(trusted, counts_before / np.maximum(exposure_before, 1e-12), 0.0)
    return Baseline(rate, trusted, counts_before)


def peer_index(
    peer_counts: FloatArray, peer_exposure: FloatArray, params: DetectionParams
) -> FloatArray:
    """How the same component on the other models fails now (trailing test window) relative to
    its rate over the own baseline's window: seasons and shared trends, 1.0 when unknown."""
    guard, window = params.baseline_guard_days, params.exposure_window_days
    now_counts = trailing_sum(peer_counts, window)
    now_exposure = trailing_sum(peer_exposure, window)
    then_counts = shifted(trailing_sum(peer_counts, params.baseline_days), guard)
    then_exposure = shifted(trailing_sum(peer_exposure, params.baseline_days), guard)
    known = (
        (now_counts >= params.min_baseline_count)
        & (then_counts >= params.min_baseline_count)
        & (now_exposure >= 1.0)
        & (then_exposure >= 1.0)
    )
    ratio = (now_counts / np.maximum(now_exposure, 1e-12)) / np.maximum(
        then_counts / np.maximum(then_exposure, 1e-12), 1e-300
    )
    return np.where(known, ratio, 1.0)


def own_early_rate(counts: FloatArray, exposure: FloatArray, params: DetectionParams) -> Baseline:
    """The signature's own rate over its first ``own_baseline_days`` in service, used after them."""
    in_service = np.flatnonzero(exposure > 0)
    rate = np.zeros(counts.size)
    trusted = np.zeros(counts.size, dtype=bool)
    support = np.zeros(counts.size)
    if in_service.size == 0:
        return Baseline(rate, trusted, support)
    first = int(in_service[0])
    settled = first + params.own_baseline_days
    early_counts = counts[first:settled].sum()
    early_exposure = exposure[first:settled].sum()
    if settled < counts.size and early_counts >= params.min_baseline_count and early_exposure > 0:
        rate[settled:] = early_counts / early_exposure
        trusted[settled:] = True
        support[settled:] = early_counts
    return Baseline(rate, trusted, support)


def rate_ratio_p_value(
    observed: FloatArray, expected: FloatArray, support: FloatArray
) -> FloatArray:
    """One-sided p-value of ``observed`` claims where the baseline predicts ``expected``, that
    baseline being estimated from ``support`` claims: the exact conditional test of two Poisson
    rates (observed out of observed + support is binomial), for real-valued counts."""
    share = expected / (expected + support)
    return np.asarray(special.betainc(observed, support + 1.0, share), dtype=np.float64)


def cusum(increments: FloatArray, threshold: float) -> tuple[FloatArray, BoolArray]:
    """Lindley recursion ``S_t = max(0, S_{t-1} + d_t)``, reset to 0 after every ``S_t > h``.

    Vectorised per segment: within a segment ``S_t = Z_t - min(0, min_{k<=t} Z_k)``.
    """
    size = increments.size
    values = np.zeros(size)
    signals = np.zeros(size, dtype=bool)
    position = 0
    while position < size:
        running = np.cumsum(increments[position:])
        segment = running - np.minimum(np.minimum.accumulate(running), 0.0)
        over = np.flatnonzero(segment > threshold)
        if over.size == 0:
            values[position:] = segment
            break
        hit = int(over[0])
        values[position : position + hit + 1] = segment[: hit + 1]
        signals[position + hit] = True
        position += hit + 1
    return values, signals


def exposure_signal(
    *,
    start: int,
    counts: FloatArray,
    severe: FloatArray,
    exposure: FloatArray,
    baseline: Baseline,
    params: DetectionParams,
) -> DailySignal:
    """The daily verdict for one signature with an installed base."""
    trusted = baseline.trusted & (exposure > 0)
    rate = baseline.rate
    expected_daily = np.where(trusted, rate * exposure, 0.0)
    window = params.exposure_window_days
    # Only days with a trusted baseline count on either side of the comparison.
    observed = trailing_sum(np.where(trusted, counts, 0.0), window)
    expected = trailing_sum(expected_daily, window)
    testable = trusted & (observed >= params.exposure_min_count) & (expected > 0)
    p_value = np.ones(counts.size)
    phi = params.overdispersion
    if testable.any():
        p_value[testable] = rate_ratio_p_value(
            observed[testable] / phi, expected[testable] / phi, baseline.support[testable] / phi
        )
    exceeds = testable & (p_value < params.exposure_alpha)

    # The CUSUM runs against the rate's upper credible bound: a rate estimated from few claims
    # may be low by chance, and a CUSUM cannot tell a low baseline from a rising rate.
    margin = 1.0 + params.baseline_uncertainty_z / np.sqrt(np.maximum(baseline.support, 1.0))
    expected_daily = expected_daily * margin
    rho = params.cusum_rho
    increments = np.where(trusted, (counts * np.log(rho) - (rho - 1.0) * expected_daily) / phi, 0.0)
    cusum_values, cusum_alarm = cusum(increments, params.cusum_threshold)

    alarm = exceeds | cusum_alarm
    score = np.maximum(
        np.log10(np.maximum(p_value, 1e-300)) / np.log10(params.exposure_alpha),
        cusum_values / params.cusum_threshold,
    )
    # Back to normal: the window's claims sit below the midpoint between baseline and shifted rate.
    clear = ~alarm & (
        (observed < params.exposure_min_count) | (observed <= expected * (1.0 + rho) / 2.0)
    )
    return DailySignal(
        method=METHOD,
        start=start,
        alarm=alarm,
        clear=clear,
        score=score,
        observed=observed,
        expected=expected,
        severe=trailing_sum(severe, window),
        window_days=window,
        extra={
            "cusum": cusum_values,
            "exposure_unit_days": exposure,
            "baseline_rate_per_unit_day": rate,
            "p_value": p_value,
        },
    )

"""Failure hazards by months in service, and each cohort's replayable stream of failures."""

from __future__ import annotations

import math
from collections.abc import Iterator
from random import Random

from producers.simulator.components import TopComponent
from producers.simulator.config import DAY
from producers.simulator.entities import Cohort, Defect

SECONDS_PER_MONTH = 30.436875 * DAY
SECONDS_PER_YEAR = 365.25 * DAY
SEASONAL_SWING = 0.4
"""Cooling parts fail up to 40% more often in the hot season, and 40% less in the cold one."""
_PEAK_DAY_NORTH = 196.0
_PEAK_DAY_SOUTH = 15.0

SERVICE_MONTHS = 36.0
"""Units older than this have left the service network (warranty and service plans over), so
the installed base that sends tickets is the last three years of sales: steady, not growing."""

Failure = tuple[int, int, int]
"""(epoch seconds, unit number within the cohort, index of the top-level component)."""


def shape(top: TopComponent, months: float) -> float:
    """Bathtub curve relative to the flat rate: infant mortality decays, wear-out grows."""
    infant = top.infant * math.exp(-months / top.infant_months)
    wear = top.wear * max(0.0, months - top.wear_from_months) / 12.0
    return 1.0 + infant + wear


def cumulative_hazard(top: TopComponent, months: float) -> float:
    """Expected failures of one unit from sale to ``months`` in service (season averaged out)."""
    infant = top.infant * top.infant_months * (1.0 - math.exp(-months / top.infant_months))
    worn = max(0.0, months - top.wear_from_months)
    wear = top.wear * worn * worn / 24.0
    return top.annual_rate / 12.0 * (months + infant + wear)


def expected_failures(
    tree: tuple[TopComponent, ...], from_months: float, to_months: float
) -> float:
    """Expected baseline failures of one unit between two ages, over all its components."""
    to_months = min(to_months, SERVICE_MONTHS)
    if to_months <= from_months:
        return 0.0
    return sum(cumulative_hazard(t, to_months) - cumulative_hazard(t, from_months) for t in tree)


def season(top: TopComponent, southern: bool, ts: float) -> float:
    if not top.seasonal:
        return 1.0
    peak = _PEAK_DAY_SOUTH if southern else _PEAK_DAY_NORTH
    return 1.0 + SEASONAL_SWING * math.cos(2.0 * math.pi * (ts / DAY - peak) / 365.25)


def multiplier_at(schedule: tuple[tuple[int, float], ...], ts: float) -> float:
    factor = 1.0
    for onset_ts, multiplier in schedule:
        if ts >= onset_ts:
            factor *= multiplier
    return factor


def failure_stream(
    cohort: Cohort, defects: tuple[Defect, ...], start_ts: int, end_ts: int
) -> Iterator[Failure]:
    """Failures of the cohort's units in ``[start_ts, end_ts)``, in time order.

    A non-homogeneous Poisson process drawn by thinning from the cohort's own seeded generator,
    so the same cohort always yields the same failures: the engine replays it once at sale time
    to learn which units will need a ``unit.sold`` record, and once lazily to emit the failures.
    """
    tree = cohort.variant.tree
    southern = cohort.market.southern
    schedules = tuple(
        tuple((d.onset_ts, d.multiplier) for d in defects if d.component == top.code)
        for top in tree
    )
    # The bathtub is highest at one end of the ages the window can see, so that bounds it.
    # (A bound recomputed month by month wastes fewer draws but costs more than it saves.)
    end_ts = min(end_ts, int(cohort.sale_end_ts + SERVICE_MONTHS * SECONDS_PER_MONTH))
    youngest = max(0.0, (start_ts - cohort.sale_end_ts) / SECONDS_PER_MONTH)
    oldest = min(SERVICE_MONTHS, max(youngest, (end_ts - cohort.sale_start_ts) / SECONDS_PER_MONTH))
    rates = tuple(top.annual_rate / SECONDS_PER_YEAR for top in tree)
    per_unit_bound = sum(
        rate
        * max(shape(top, youngest), shape(top, oldest))
        * multiplier_at(schedule, end_ts)
        * (1.0 + SEASONAL_SWING if top.seasonal else 1.0)
        for top, rate, schedule in zip(tree, rates, schedules, strict=True)
    )
    rng = Random(cohort.seed)
    total_bound = per_unit_bound * cohort.units
    t = float(max(cohort.sale_start_ts, start_ts))
    indexed = tuple(enumerate(zip(tree, rates, schedules, strict=True)))
    while True:
        t += rng.expovariate(total_bound)
        if t >= end_ts:
            return
        unit = rng.randrange(cohort.units)
        threshold = rng.random() * per_unit_bound
        age = t - cohort.sale_ts(unit)
        months = age / SECONDS_PER_MONTH
        if not 0 < months < SERVICE_MONTHS:
            continue
        accumulated = 0.0
        for index, (top, rate, schedule) in indexed:
            hazard = rate * shape(top, months)
            if schedule:
                hazard *= multiplier_at(schedule, t)
            if top.seasonal:
                hazard *= season(top, southern, t)
            accumulated += hazard
            if threshold < accumulated:
                yield (int(t), unit, index)
                break


def failing_units(
    cohort: Cohort, defects: tuple[Defect, ...], start_ts: int, end_ts: int
) -> list[int]:
    """The units of the cohort that will fail at least once in the window, in order of sale."""
    units = {unit for _, unit, _ in failure_stream(cohort, defects, start_ts, end_ts)}
    return sorted(units, key=lambda unit: (cohort.sale_ts(unit), unit))

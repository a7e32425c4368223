"""Did a corrective action work? Claim rates of changed and unchanged units, with an exact test.

Units built from the change on ("after") are compared with units built before it, per unit-month
in service, at equal months in service and over the same calendar time (from the cutover on); a
field fix compares units the campaign repaired with those it has not reached yet. The test is
the exact conditional one for two Poisson rates: given ``n`` claims in all, the "after" count
is binomial with ``p = E_after * R / (E_after * R + E_before)`` where ``R`` is the rate ratio;
Clopper-Pearson bounds on ``p`` give an exact interval for ``R``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from scipy.stats import beta, binom

DAYS_PER_MONTH = 30.436875
Verdict = Literal["effective", "not yet known", "not effective"]


@dataclass(frozen=True, slots=True)
class EffectivenessParams:
    """When a comparison is conclusive, with the reasoning behind each default."""

    confidence: float = 0.95
    """Two-sided level of the rate-ratio interval; each verdict is a one-sided test at half of
    the remainder (2.5%)."""
    failed_ratio: float = 0.5
    """'Not effective' once the interval's lower end exceeds this: changed units fail at more
    than half the old rate, beyond doubt. A working fix removes the defect's excess, and the
    defects worth a corrective action are at least a doubling of the claim rate."""
    min_months: float = 3.0
    """Changed units must have been in service this many months: early failures alone say
    little about a fix (and a month's claims arrive late)."""
    min_claims: int = 5
    """Claims in both groups together below this: too little to tell anything."""
    service_life_months: float = 36.0
    """Units older than this no longer count as in service (the detector's service life)."""


@dataclass(frozen=True, slots=True)
class Cohort:
    """Units sold in one calendar month (the installed base is reported by month of sale)."""

    month: date
    """First day of the month."""
    units: int
    market: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    """One failure of a unit whose sale is on record."""

    sold_on: date
    day: date
    market: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Claims and exposure (unit-months) of the changed and the unchanged units."""

    claims_after: int
    exposure_after: float
    claims_before: int
    exposure_before: float
    months_in_service: float
    """How long the changed units have been in service (the longest among them)."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict on one corrective action, with the numbers behind it."""

    verdict: Verdict
    reason: str
    comparison: Comparison | None = None
    rate_ratio: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    """One-sided p-value of 'changed units fail less'."""

    def as_dict(self) -> dict[str, object]:
        c = self.comparison
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "claims_after": c.claims_after if c else None,
            "unit_months_after": round(c.exposure_after, 1) if c else None,
            "claims_before": c.claims_before if c else None,
            "unit_months_before": round(c.exposure_before, 1) if c else None,
            "months_in_service": round(c.months_in_service, 1) if c else None,
            "rate_ratio": _round(self.rate_ratio),
            "interval": [_round(v) for v in self.interval] if self.interval else None,
            "p_value": _round(self.p_value),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def rate_ratio_test(
    claims_after: int,
    exposure_after: float,
    claims_before: int,
    exposure_before: float,
    confidence: float = 0.95,
) -> tuple[float, tuple[float, float], float]:
    """Rate ratio after/before, its exact (Clopper-Pearson) interval and the one-sided p-value
    of 'after is lower'. Exposures must be positive."""
    n = claims_after + claims_before
    scale = exposure_before / exposure_after
    tail = (1.0 - confidence) / 2.0
    lower_p = float(beta.ppf(tail, claims_after, n - claims_after + 1)) if claims_after else 0.0
    upper_p = (
        float(beta.ppf(1 - tail, claims_after + 1, n - claims_after)) if claims_after < n else 1.0
    )
    lower = lower_p / (1.0 - lower_p) * scale
    upper = upper_p / (1.0 - upper_p) * scale if upper_p < 1.0 else float("inf")
    ratio = (
        (claims_after / exposure_after) / (claims_before / exposure_before)
        if claims_before
        else float("inf")
    )
    p0 = exposure_after / (exposure_after + exposure_before)
    p_value = float(binom.cdf(claims_after, n, p0))
    return ratio, (lower, upper), p_value


def judge(
    comparison: Comparison,
    params: EffectivenessParams,
    by_market: Mapping[str, Comparison] | None = None,
) -> Assessment:
    """Effective when changed units fail less beyond doubt; not effective when they fail at more
    than ``failed_ratio`` of the old rate beyond doubt, and in no market ``by_market`` holds do
    they fail less beyond doubt (a defect confined to a few markets raises the pooled old rate
    only a little, so a fix that works there looks like none when pooled); else not yet known."""
    c = comparison
    if c.months_in_service < params.min_months or c.exposure_after <= 0 or c.exposure_before <= 0:
        return Assessment(
            "not yet known",
            f"too few units or months: changed units {c.months_in_service:.1f} months in service "
            f"(need {params.min_months:g})",
            c,
        )
    if c.claims_after + c.claims_before < params.min_claims:
        return Assessment(
            "not yet known",
            f"too few claims: {c.claims_after + c.claims_before} (need {params.min_claims})",
            c,
        )
    ratio, interval, p_value = rate_ratio_test(
        c.claims_after, c.exposure_after, c.claims_before, c.exposure_before, params.confidence
    )
    level = f"{params.confidence:.0%}"
    if interval[1] < 1.0:
        verdict: Verdict = "effective"
        reason = f"changed units fail less ({level} interval of the rate ratio below 1)"
    elif interval[0] > params.failed_ratio and (fewer := _fail_less(by_market, params)):
        verdict = "not yet known"
        reason = f"changed units fail less in {', '.join(fewer)} alone: wait for more claims"
    elif interval[0] > params.failed_ratio:
        verdict = "not effective"
        reason = (
            f"changed units fail at more than {params.failed_ratio:g} of the old rate "
            f"({level} interval)"
        )
    else:
        verdict = "not yet known"
        reason = "too few units or months: the interval still spans both outcomes"
    return Assessment(verdict, reason, c, ratio, interval, p_value)


def _fail_less(
    by_market: Mapping[str, Comparison] | None, params: EffectivenessParams
) -> list[str]:
    """The markets where changed units fail less beyond doubt."""
    found = []
    for market, c in sorted((by_market or {}).items()):
        if c.exposure_after <= 0 or c.exposure_before <= 0 or not c.claims_before:
            continue
        _, (_, upper), _ = rate_ratio_test(
            c.claims_after, c.exposure_after, c.claims_before, c.exposure_before, params.confidence
        )
        if upper < 1.0:
            found.append(market)
    return found


def first_changed_month(cutover: date) -> date:
    """Changes take effect by whole months of sale: a cutover on the 1st changes that month's
    units, a later one the next month's (the month it falls in mixes both and counts for
    neither group)."""
    first = cutover.replace(day=1)
    return first if cutover.day == 1 else _next_month(first)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _months(days: float) -> float:
    return days / DAYS_PER_MONTH


def _mid_month(month: date) -> date:
    return month + timedelta(days=15)


def _exposure(sold: date, units: int, start: date, end: date, max_months: float) -> float:
    """Unit-months in service of ``units`` sold on ``sold`` within ``[start, end)`` and younger
    than ``max_months``."""
    retired = sold + timedelta(days=max_months * DAYS_PER_MONTH)
    lo, hi = max(sold, start), min(retired, end)
    return units * _months((hi - lo).days) if hi > lo else 0.0


def compare_builds(
    cohorts: Iterable[Cohort],
    claims: Iterable[Claim],
    cutover: date,
    as_of: date,
    params: EffectivenessParams,
) -> Comparison:
    """Units built from ``cutover`` on against those built before, from the cutover to
    ``as_of`` (exclusive), at the months in service the changed units have reached."""
    first_after = first_changed_month(cutover)
    mixed = cutover.replace(day=1) if cutover.day != 1 else None
    after = [c for c in cohorts if c.month >= first_after]
    before = [c for c in cohorts if c.month < cutover.replace(day=1)]
    earliest = min((_mid_month(c.month) for c in after if c.units), default=None)
    reach = 0.0 if earliest is None else max(0.0, _months((as_of - earliest).days))
    reach = min(reach, params.service_life_months)
    start = first_after
    exposure_after = sum(
        _exposure(_mid_month(c.month), c.units, start, as_of, reach) for c in after
    )
    exposure_before = sum(
        _exposure(_mid_month(c.month), c.units, start, as_of, reach) for c in before
    )
    claims_after = claims_before = 0
    for claim in claims:
        if not start <= claim.day < as_of:
            continue
        month = claim.sold_on.replace(day=1)
        if month == mixed:
            continue
        age = _months((claim.day - claim.sold_on).days)
        if month >= first_after:
            claims_after += 1
        elif age < reach:
            claims_before += 1
    return Comparison(claims_after, exposure_after, claims_before, exposure_before, reach)


def compare_builds_by_market(
    cohorts: Iterable[Cohort],
    claims: Iterable[Claim],
    cutover: date,
    as_of: date,
    params: EffectivenessParams,
) -> dict[str, Comparison]:
    """:func:`compare_builds` within each market."""
    sales: dict[str, list[Cohort]] = defaultdict(list)
    failures: dict[str, list[Claim]] = defaultdict(list)
    for cohort in cohorts:
        sales[cohort.market].append(cohort)
    for claim in claims:
        failures[claim.market].append(claim)
    return {
        market: compare_builds(sold, failures.get(market, []), cutover, as_of, params)
        for market, sold in sales.items()
    }


@dataclass(frozen=True, slots=True)
class FieldUnit:
    """A unit of the affected population: when sold, and when the campaign fixed it (if so)."""

    serial: str
    sold_on: date
    repaired_on: date | None = None


@dataclass(frozen=True, slots=True)
class UnitClaim:
    serial: str
    day: date


def compare_field_fix(
    population: Sequence[FieldUnit],
    claims: Iterable[UnitClaim],
    released: date,
    as_of: date,
    params: EffectivenessParams,
) -> Comparison:
    """Units the campaign repaired (from their repair on) against units it has not reached yet
    (until it does), over the same calendar time from the campaign's release."""
    life = params.service_life_months
    exposure_after = exposure_before = 0.0
    repaired_on = {u.serial: u.repaired_on for u in population}
    for unit in population:
        fixed = unit.repaired_on
        if fixed is None or fixed >= as_of:
            exposure_before += _exposure(unit.sold_on, 1, released, as_of, life)
            continue
        exposure_before += _exposure(unit.sold_on, 1, released, max(released, fixed), life)
        exposure_after += _exposure(unit.sold_on, 1, max(released, fixed), as_of, life)
    claims_after = claims_before = 0
    for claim in claims:
        if not released <= claim.day < as_of or claim.serial not in repaired_on:
            continue
        fixed = repaired_on[claim.serial]
        if fixed is not None and claim.day > fixed:
            claims_after += 1
        elif fixed is None or claim.day < fixed:
            claims_before += 1
    reach = max(
        (_months((as_of - u.repaired_on).days) for u in population if u.repaired_on), default=0.0
    )
    return Comparison(claims_after, exposure_after, claims_before, exposure_before, reach)

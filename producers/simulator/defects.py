"""Choose the recurring defects injected into a run: signature, onset, strength, reach."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from random import Random

from producers.simulator.components import TopComponent
from producers.simulator.config import (
    DAY,
    MIN_ONSET_DAY,
    SimulationConfig,
    add_months,
    epoch_seconds,
)
from producers.simulator.entities import Cohort, Defect, Fix, Variant
from producers.simulator.hazard import SECONDS_PER_MONTH, SERVICE_MONTHS
from producers.simulator.reach import Reach, baseline_claims, reach

MIN_MULTIPLIER = 2.0
MAX_MULTIPLIER = 6.0
_LOT_WINDOW = 4
_ONSET_TRIES = 20
REVEAL_DAYS = 90
"""A defect shows within a quarter of its onset: it starts at least this long before the run
ends and is judged by the claims it adds over that quarter ..."""
MIN_EXCESS_CLAIMS = 15.0
"""... at least this many expected claims, and at least doubling (``MIN_MULTIPLIER``) the claims
of its variant in its markets: a real defect that reaches the field shows in its claims."""
FIX_WORKS_SHARE = 0.5
"""Share of corrective actions that remove their defect; the others change nothing."""
FIX_AFTER_DAYS = (90, 150)
"""A fix is released this many days after the defect's onset (detection, triage, engineering)."""
MIN_FIX_EVIDENCE_DAYS = 270
"""A fix is released only this long before the run ends: units built after it need months in
service before an effectiveness check can tell anything."""
_CHANGES = ("design", "part", "supplier", "process")
_FIXABLE_SALES = timedelta(days=FIX_AFTER_DAYS[1] + 180)
"""With fixes, defects hit variants still sold this long after onset: time to release a fix
and to sell units built with it ..."""
_HISTORY = timedelta(days=150)
"""... and sold this long before onset: the claim history a detector compares against."""


def choose_defects(
    config: SimulationConfig,
    variants: tuple[Variant, ...],
    cohorts: tuple[Cohort, ...],
    rng: Random,
) -> tuple[Defect, ...]:
    """Defects on distinct signatures that the claims can reveal (and, when the run has fixes,
    on variants sold long enough after onset to be fixed).

    A defect starts early enough to show before the run ends, on units still in service, and
    is drawn with probability proportional to the claims it adds over its first
    ``REVEAL_DAYS``; signatures where it would add fewer than ``MIN_EXCESS_CLAIMS`` are drawn
    only when no signature can reach that (a tiny world still gets the defects it asked for).
    """
    chosen: list[Defect] = []
    taken: set[tuple[tuple[str, str, str], str]] = set()
    by_variant: dict[tuple[str, str, str], list[Cohort]] = {}
    for cohort in cohorts:
        by_variant.setdefault(cohort.variant.key, []).append(cohort)
    latest_onset = max(MIN_ONSET_DAY, config.days - max(REVEAL_DAYS, config.days // 4))
    for _ in range(config.defect_count):
        for _ in range(_ONSET_TRIES):
            onset = config.start + timedelta(days=rng.randint(MIN_ONSET_DAY, latest_onset))
            multiplier = round(rng.uniform(MIN_MULTIPLIER, MAX_MULTIPLIER), 1)
            window = (
                epoch_seconds(onset),
                min(config.end_ts, epoch_seconds(onset) + REVEAL_DAYS * DAY),
            )
            candidates, excess = _candidates(
                config, variants, by_variant, taken, onset, multiplier, window
            )
            if any(excess):
                break
        else:
            break
        visible = [e if e >= MIN_EXCESS_CLAIMS else 0.0 for e in excess]
        variant, top, in_service = rng.choices(candidates, visible if any(visible) else excess)[0]
        taken.add((variant.key, top.code))
        sold = by_variant[variant.key]
        markets = _markets(in_service, sold, top, multiplier, window, rng)
        recall = onset + timedelta(days=rng.randint(120, 240))
        chosen.append(
            Defect(
                variant=variant,
                component=top.code,
                leaf=rng.choice(top.leaves).code,
                onset=onset,
                multiplier=multiplier,
                markets=markets,
                lots=_lots(sold, top, markets, multiplier, window, rng),
                recall_on=recall if recall < config.end else None,
            )
        )
    return tuple(chosen)


Candidate = tuple[Variant, TopComponent, tuple[str, ...]]
"""A signature a defect could hit, with the markets where its variant has units in service."""


def _candidates(
    config: SimulationConfig,
    variants: tuple[Variant, ...],
    by_variant: dict[tuple[str, str, str], list[Cohort]],
    taken: set[tuple[tuple[str, str, str], str]],
    onset: date,
    multiplier: float,
    window: tuple[int, int],
) -> tuple[list[Candidate], list[float]]:
    """Every free signature with units in service at onset, and the claims a defect would add."""
    candidates: list[Candidate] = []
    excess: list[float] = []
    for variant in variants:
        if config.fixes and not (
            variant.sales_from + _HISTORY <= onset and onset + _FIXABLE_SALES <= variant.sales_until
        ):
            continue  # a fix needs units built after it, its flag a history before onset
        sold = by_variant.get(variant.key, [])
        in_service = _markets_in_service(sold, *window)
        for top in variant.tree:
            if in_service and (variant.key, top.code) not in taken:
                candidates.append((variant, top, in_service))
                excess.append(reach(sold, top, in_service, None, *window).excess(multiplier))
    return candidates, excess


def _markets_in_service(sold: list[Cohort], start_ts: int, end_ts: int) -> tuple[str, ...]:
    """Markets where units of the variant are in service during the window."""
    reach_from = start_ts - int(SERVICE_MONTHS * SECONDS_PER_MONTH)
    return tuple(
        sorted(
            {
                c.market.country
                for c in sold
                if reach_from < c.sale_end_ts and c.sale_start_ts < end_ts
            }
        )
    )


def _visible(found: Reach, multiplier: float) -> bool:
    return (
        found.excess(multiplier) >= MIN_EXCESS_CLAIMS and found.lift(multiplier) >= MIN_MULTIPLIER
    )


def _markets(
    in_service: tuple[str, ...],
    sold: list[Cohort],
    top: TopComponent,
    multiplier: float,
    window: tuple[int, int],
    rng: Random,
) -> tuple[str, ...]:
    """All markets with units in service, or sometimes a few of them (one plant's output, one
    climate), when those few still show the defect."""
    if len(in_service) <= 2 or rng.random() < 0.6:
        return in_service
    few = tuple(sorted(rng.sample(in_service, rng.randint(2, min(3, len(in_service) - 1)))))
    return few if _visible(reach(sold, top, few, None, *window), multiplier) else in_service


def _lots(
    sold: list[Cohort],
    top: TopComponent,
    markets: tuple[str, ...],
    multiplier: float,
    window: tuple[int, int],
    rng: Random,
) -> tuple[str, ...] | None:
    """Sometimes only a few consecutive production lots carry the defect (a bad batch of parts):
    lots whose units are in service at onset, so many that their excess shows in the variant's
    claims (the installed base is known per variant and market, not per lot)."""
    if rng.random() >= 0.2:
        return None
    built = sorted(
        {
            c.lot
            for c in sold
            if c.market.country in markets and baseline_claims(c, top, *window) > 0.0
        }
    )
    runs = [
        tuple(built[first : first + _LOT_WINDOW])
        for first in range(len(built) - _LOT_WINDOW + 1)
        if _visible(
            reach(sold, top, markets, built[first : first + _LOT_WINDOW], *window), multiplier
        )
    ]
    if len(built) < 2 * _LOT_WINDOW or not runs:
        return None
    return rng.choice(runs)


def choose_fixes(
    config: SimulationConfig, defects: tuple[Defect, ...], cohorts: tuple[Cohort, ...], rng: Random
) -> tuple[Defect, ...]:
    """Give each defect a corrective action from the first lot built after its release, when
    the run goes on long enough and the variant is still sold in the defect's markets then.

    Every draw is made for every defect, so whether one gets a fix leaves the others' alone.
    """
    out: list[Defect] = []
    for number, defect in enumerate(defects, 1):
        released = defect.onset + timedelta(days=rng.randint(*FIX_AFTER_DAYS))
        works = rng.random() < FIX_WORKS_SHARE
        change = rng.choice(_CHANGES)
        built = add_months(released.replace(day=1), 1)
        spec, code = defect.variant.spec, defect.variant.code
        fix = Fix(
            action_id=f"CA-{config.seed}-{number:03d}",
            released_on=released,
            lot=f"{spec.model_code}{code}-{built.year}{built.month:02d}",
            built=built,
            works=works,
            change=change,
        )
        sold_after = any(
            c.variant.key == defect.variant.key
            and c.market.country in defect.markets
            and fix.covers(c)
            for c in cohorts
        )
        long_enough = (config.end - released).days >= MIN_FIX_EVIDENCE_DAYS
        # A defect of a few lots has no later lots to fix.
        fixable = defect.lots is None and sold_after and long_enough
        out.append(replace(defect, fix=fix) if fixable else defect)
    return tuple(out)

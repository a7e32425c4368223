"""Choose the recurring defects injected into a run: signature, onset, strength, reach."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from random import Random

from producers.simulator.config import MIN_ONSET_DAY, SimulationConfig, add_months, epoch_seconds
from producers.simulator.entities import Cohort, Defect, Fix, Variant

MIN_MULTIPLIER = 2.0
MAX_MULTIPLIER = 6.0
_LOT_WINDOW = 4
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
    """Defects on distinct signatures with enough units in the field to be detectable (and,
    when the run has fixes, on variants sold long enough after onset to be fixed).

    A signature is drawn with probability proportional to its expected baseline failures at
    onset (units sold before onset times the component's rate), so a defect never hides on a
    variant nobody bought yet.
    """
    chosen: list[Defect] = []
    taken: set[tuple[tuple[str, str, str], str]] = set()
    by_variant: dict[tuple[str, str, str], list[Cohort]] = {}
    for cohort in cohorts:
        by_variant.setdefault(cohort.variant.key, []).append(cohort)
    latest_onset = max(MIN_ONSET_DAY, config.days - max(30, config.days // 4))
    for _ in range(config.defect_count):
        onset = config.start + timedelta(days=rng.randint(MIN_ONSET_DAY, latest_onset))
        onset_ts = epoch_seconds(onset)
        candidates: list[tuple[Variant, str]] = []
        weights: list[float] = []
        for variant in variants:
            if config.fixes and not (
                variant.sales_from + _HISTORY <= onset
                and onset + _FIXABLE_SALES <= variant.sales_until
            ):
                continue  # a fix needs units built after it, its flag a history before onset
            sold = by_variant.get(variant.key, [])
            installed = sum(c.units for c in sold if c.sale_end_ts <= onset_ts)
            for top in variant.tree:
                if installed and (variant.key, top.code) not in taken:
                    candidates.append((variant, top.code))
                    weights.append(installed * top.annual_rate)
        if not candidates:
            break
        variant, component = rng.choices(candidates, weights)[0]
        taken.add((variant.key, component))
        top = next(t for t in variant.tree if t.code == component)
        recall = onset + timedelta(days=rng.randint(120, 240))
        chosen.append(
            Defect(
                variant=variant,
                component=component,
                leaf=rng.choice(top.leaves).code,
                onset=onset,
                multiplier=round(rng.uniform(MIN_MULTIPLIER, MAX_MULTIPLIER), 1),
                markets=_markets(variant, cohorts, rng),
                lots=_lots(variant, cohorts, onset_ts, rng),
                recall_on=recall if recall < config.end else None,
            )
        )
    return tuple(chosen)


def _markets(variant: Variant, cohorts: tuple[Cohort, ...], rng: Random) -> tuple[str, ...]:
    sold_in = sorted({c.market.country for c in cohorts if c.variant.key == variant.key})
    if len(sold_in) <= 2 or rng.random() < 0.6:
        return tuple(sold_in)
    return tuple(sorted(rng.sample(sold_in, rng.randint(2, min(3, len(sold_in) - 1)))))


def _lots(
    variant: Variant, cohorts: tuple[Cohort, ...], onset_ts: int, rng: Random
) -> tuple[str, ...] | None:
    """Sometimes only a few consecutive production lots built before onset carry the defect."""
    if rng.random() >= 0.2:
        return None
    built = sorted(
        {c.lot for c in cohorts if c.variant.key == variant.key and c.sale_end_ts <= onset_ts}
    )
    if len(built) < 2 * _LOT_WINDOW:
        return None
    first = rng.randrange(len(built) - _LOT_WINDOW + 1)
    return tuple(built[first : first + _LOT_WINDOW])


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

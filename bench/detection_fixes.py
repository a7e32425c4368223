"""Effectiveness checks scored on simulated corrective actions whose outcome the truth records.

Each seed's world is simulated with fixes; every month after a fix's release the check is run
on what the warehouse would hold by then (sales reported, units sold, first repairs), exactly as
``aftersales actions`` computes it. A fix is classified right when the first conclusive verdict
matches the truth ("effective" for a working fix, "not effective" for a failing one); the months
in service the changed units had reached by then measure how long that took. The thresholds in
``EffectivenessParams`` were set by reasoning, not tuned on these seeds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any, Final

from pipeline.detection.repeats import RepairFact, repair_fact_from_event, repeated_repair
from pipeline.loop.effectiveness import (
    Claim,
    Cohort,
    EffectivenessParams,
    compare_builds,
    compare_builds_by_market,
    judge,
)
from producers.simulator.config import add_months
from schemas.events import InboundEvent
from schemas.product import CorrectiveActionReleased
from schemas.reference import UnitSold, UnitsSold
from schemas.repairs import RepairCompleted

FIX_SEEDS: Final = tuple(range(101, 121))
"""Seeds the effectiveness check is scored on (none of the detection bench's seeds)."""

Product = tuple[str, str, str]


@dataclass
class FixData:
    """What the warehouse would hold, each with the day it arrived."""

    sales: dict[Product, list[tuple[date, Cohort]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    units: dict[str, tuple[Product, date, str | None, str]] = field(default_factory=dict)
    claims: dict[tuple[Product, str], list[tuple[date, Claim]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    actions: list[CorrectiveActionReleased] = field(default_factory=list)


def collect(events: Iterable[InboundEvent]) -> FixData:
    data = FixData()
    repairs: dict[str, list[RepairFact]] = defaultdict(list)
    for event in events:
        day = event.occurred_at.astimezone(UTC).date()
        if isinstance(event, UnitsSold) and event.variant:
            month = date(int(event.month[:4]), int(event.month[5:7]), 1)
            data.sales[(event.brand, event.model, event.variant)].append(
                (day, Cohort(month, event.count, event.market))
            )
        elif isinstance(event, UnitSold) and event.product.serial and event.product.variant:
            p = event.product
            data.units[p.serial or ""] = (
                (p.brand, p.model, p.variant or ""),
                event.sold_on,
                p.lot,
                event.market,
            )
        elif isinstance(event, RepairCompleted) and event.product.serial:
            fact = repair_fact_from_event(event)
            earlier = repairs[fact.serial or ""]
            repeat = repeated_repair(earlier, fact)
            earlier.append(fact)
            unit = data.units.get(fact.serial or "")
            if repeat is None and unit is not None:
                top = event.component.split(":", 1)[0]
                data.claims[(unit[0], top)].append((day, Claim(unit[1], day, unit[3])))
        elif isinstance(event, CorrectiveActionReleased):
            data.actions.append(event)
    return data


def _cohorts(data: FixData, product: Product, as_of: date) -> list[Cohort]:
    totals: dict[tuple[date, str], int] = defaultdict(int)
    for reported, cohort in data.sales.get(product, []):
        if reported < as_of:
            totals[(cohort.month, cohort.market)] += cohort.units
    return [Cohort(month, units, market) for (month, market), units in sorted(totals.items())]


def track(
    data: FixData, action: CorrectiveActionReleased, end: date, params: EffectivenessParams
) -> dict[str, Any]:
    """The check run at the start of every month from the release to the end of the run."""
    s = action.signatures[0]
    product = (s.brand, s.model, s.variant or "")
    lot = action.effective_from.lot
    released = action.occurred_at.astimezone(UTC).date()
    claims = data.claims.get((product, s.component), [])
    as_of = add_months(released.replace(day=1), 1)
    history: list[tuple[date, str, float]] = []
    while as_of <= end:
        sold = [
            on
            for (p, on, unit_lot, _) in data.units.values()
            if p == product and unit_lot == lot and on < as_of
        ]
        if sold:
            cohorts = _cohorts(data, product, as_of)
            known = [c for arrived, c in claims if arrived < as_of]
            comparison = compare_builds(cohorts, known, min(sold), as_of, params)
            by_market = compare_builds_by_market(cohorts, known, min(sold), as_of, params)
            found = judge(comparison, params, by_market)
            history.append((as_of, found.verdict, comparison.months_in_service))
        as_of = add_months(as_of, 1)
    conclusive = next(((d, v, m) for d, v, m in history if v != "not yet known"), None)
    final = history[-1][1] if history else "not yet known"
    return {
        "action_id": action.action_id,
        "first_verdict": conclusive[1] if conclusive else "not yet known",
        "first_verdict_on": conclusive[0].isoformat() if conclusive else None,
        "months_in_service": round(conclusive[2], 1) if conclusive else None,
        "final_verdict": final,
    }


def score_seed(seed: int, days: int, rate: float, params: EffectivenessParams) -> dict[str, Any]:
    from producers.simulator import SimulationConfig, ground_truth, simulate

    config = SimulationConfig(seed=seed, days=days, rate=rate, fixes=True)
    truth = {d.fix.action_id: d.fix.works for d in ground_truth(config).defects if d.fix}
    data = collect(simulate(config))
    fixes = []
    for action in data.actions:
        works = truth[action.action_id]
        found = track(data, action, config.end, params)
        expected = "effective" if works else "not effective"
        fixes.append(found | {"works": works, "right": found["first_verdict"] == expected})
    return {"seed": seed, "fixes": fixes}


def summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    fixes = [f for r in runs for f in r["fixes"]]

    def share(group: list[dict[str, Any]], verdict: str) -> float | None:
        return (
            round(sum(f["first_verdict"] == verdict for f in group) / len(group), 3)
            if group
            else None
        )

    working = [f for f in fixes if f["works"]]
    failing = [f for f in fixes if not f["works"]]
    months = sorted(f["months_in_service"] for f in fixes if f["right"])
    return {
        "fixes": len(fixes),
        "working": len(working),
        "failing": len(failing),
        "working_classified_right": share(working, "effective"),
        "failing_classified_right": share(failing, "not effective"),
        "wrong": sum(
            f["first_verdict"] not in ("not yet known",) and not f["right"] for f in fixes
        ),
        "undecided": sum(f["first_verdict"] == "not yet known" for f in fixes),
        "median_months_in_service": months[(len(months) - 1) // 2] if months else None,
    }


def score_fixes(
    days: int,
    rate: float,
    seeds: Sequence[int] = FIX_SEEDS,
    params: EffectivenessParams | None = None,
) -> dict[str, Any]:
    rules = params or EffectivenessParams()
    runs = [score_seed(seed, days, rate, rules) for seed in seeds]
    return {"summary": summary(runs), "runs": runs}


def fixes_markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    lines = [
        f"### Effectiveness checks on simulated fixes (seeds {list(FIX_SEEDS)})",
        "",
        "| seed | action | works | first verdict | on | months in service | final verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        lines += [
            f"| {run['seed']} | {f['action_id']} | {'yes' if f['works'] else 'no'} | "
            f"{f['first_verdict']} | {f['first_verdict_on'] or '-'} | "
            f"{f['months_in_service'] if f['months_in_service'] is not None else '-'} | "
            f"{f['final_verdict']} |"
            for f in run["fixes"]
        ]
    lines += [
        "",
        f"{s['fixes']} fixes ({s['working']} working, {s['failing']} failing): working ones "
        f"classified effective {s['working_classified_right']}, failing ones not effective "
        f"{s['failing_classified_right']}; {s['wrong']} wrong, {s['undecided']} still undecided "
        f"at the end of the run; median {s['median_months_in_service']} months in service of "
        "the changed units to a right verdict.",
    ]
    return "\n".join(lines)

"""How many claims a candidate defect would add in its first months: what the data can show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from producers.simulator.components import TopComponent
from producers.simulator.config import DAY
from producers.simulator.entities import Cohort
from producers.simulator.hazard import SECONDS_PER_MONTH, SERVICE_MONTHS, cumulative_hazard


def baseline_claims(cohort: Cohort, top: TopComponent, start_ts: int, end_ts: int) -> float:
    """Expected failures of one component on the cohort's units in ``[start_ts, end_ts)``
    without any defect (seasons averaged out), counting only units still in service."""
    middle = cohort.sale_start_ts + cohort.sale_days * DAY / 2
    young = min(SERVICE_MONTHS, max(0.0, (start_ts - middle) / SECONDS_PER_MONTH))
    old = min(SERVICE_MONTHS, max(0.0, (end_ts - middle) / SECONDS_PER_MONTH))
    if old <= young:
        return 0.0
    return cohort.units * (cumulative_hazard(top, old) - cumulative_hazard(top, young))


@dataclass(frozen=True, slots=True)
class Reach:
    """A defect's expected claims over a window: ``affected`` on the units it hits, ``signature``
    on all units of its variant in its markets (what a detector with an installed base per
    variant and market compares against)."""

    affected: float
    signature: float

    def excess(self, multiplier: float) -> float:
        """Claims the defect adds over the window."""
        return (multiplier - 1.0) * self.affected

    def lift(self, multiplier: float) -> float:
        """How many times its usual claims the signature sees: the multiplier, diluted by the
        healthy units (other lots) that share the signature's installed base."""
        if self.signature <= 0.0:
            return 1.0
        return 1.0 + self.excess(multiplier) / self.signature


def reach(
    cohorts: Iterable[Cohort],
    top: TopComponent,
    markets: Iterable[str],
    lots: Iterable[str] | None,
    start_ts: int,
    end_ts: int,
) -> Reach:
    """The reach of a defect of ``top`` on the variant these cohorts belong to."""
    in_markets = set(markets)
    in_lots = None if lots is None else set(lots)
    affected = signature = 0.0
    for cohort in cohorts:
        if cohort.market.country not in in_markets:
            continue
        claims = baseline_claims(cohort, top, start_ts, end_ts)
        signature += claims
        if in_lots is None or cohort.lot in in_lots:
            affected += claims
    return Reach(affected, signature)

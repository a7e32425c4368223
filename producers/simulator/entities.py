"""The things the simulated world is made of: dealers, variants, sales cohorts, injected defects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from producers.simulator.catalogue import NON_GENUINE_RATE, Market, ModelSpec
from producers.simulator.components import TREES, TopComponent
from producers.simulator.config import DAY, SimulationConfig, epoch_seconds


@dataclass(frozen=True, slots=True)
class Dealer:
    """A service point; franchised ones belong to an importer and cut corners more often."""

    dealer_id: str
    name: str
    market: Market
    ownership: str
    group: str
    category: str
    quality: float
    technicians: int

    @property
    def non_genuine_rate(self) -> float:
        return NON_GENUINE_RATE[self.ownership]


@dataclass(frozen=True, slots=True)
class Variant:
    """A model year or hardware revision of a product model, sold during one window."""

    spec: ModelSpec
    name: str
    code: str
    sales_from: date
    sales_until: date

    @property
    def tree(self) -> tuple[TopComponent, ...]:
        return TREES[self.spec.category]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.spec.brand, self.spec.model, self.name)


@dataclass(frozen=True, slots=True)
class Cohort:
    """The units of one variant sold in one market in one month, all from one production lot."""

    index: int
    variant: Variant
    market: Market
    month: date
    lot: str
    sale_start_ts: int
    sale_days: int
    units: int
    seed: int

    @property
    def sale_end_ts(self) -> int:
        return self.sale_start_ts + self.sale_days * DAY

    def sale_ts(self, unit: int) -> int:
        """When unit number ``unit`` was sold: spread over the month, in local shop hours."""
        day = unit * self.sale_days // self.units
        hour = (10 + unit % 8 - self.market.utc_offset_hours) % 24
        return self.sale_start_ts + day * DAY + hour * 3600 + (unit * 37) % 3600


@dataclass(frozen=True, slots=True)
class Fix:
    """A corrective action against a defect: units built from ``lot`` (built in ``built``, the
    first of a month) on carry the change, which removes the defect only when it ``works``."""

    action_id: str
    released_on: date
    lot: str
    built: date
    works: bool
    change: str

    def covers(self, cohort: Cohort) -> bool:
        """Whether the cohort's units were built with the change (lots are built the month
        before they are sold)."""
        return cohort.month > self.built


@dataclass(frozen=True, slots=True)
class Defect:
    """An injected recurring defect: from ``onset`` a signature fails ``multiplier`` times as often.

    Only units of ``markets`` (and of ``lots``, when given) are affected.
    """

    variant: Variant
    component: str
    leaf: str
    onset: date
    multiplier: float
    markets: tuple[str, ...]
    lots: tuple[str, ...] | None
    recall_on: date | None
    fix: Fix | None = None

    @property
    def onset_ts(self) -> int:
        return epoch_seconds(self.onset)

    def applies_to(self, cohort: Cohort) -> bool:
        return (
            cohort.variant.key == self.variant.key
            and cohort.market.country in self.markets
            and (self.lots is None or cohort.lot in self.lots)
            and not (self.fix is not None and self.fix.works and self.fix.covers(cohort))
        )


@dataclass(frozen=True, slots=True)
class World:
    """Everything derived from the seed before a single event is generated."""

    config: SimulationConfig
    dealers: tuple[Dealer, ...]
    dealers_by_outlet: Mapping[tuple[str, str], tuple[Dealer, ...]]
    variants: tuple[Variant, ...]
    cohorts: tuple[Cohort, ...]
    defects: tuple[Defect, ...]

    def defects_for(self, cohort: Cohort) -> tuple[Defect, ...]:
        return tuple(d for d in self.defects if d.applies_to(cohort))

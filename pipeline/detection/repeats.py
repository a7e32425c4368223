"""Repeat repairs (same unit, same fault family, soon again) and the groups that cause too many."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scipy import special

from pipeline.enrichment.taxonomy import top_level
from schemas.repairs import RepairCompleted


@dataclass(frozen=True, slots=True)
class PartUsed:
    part_number: str
    supplier: str
    genuine: bool


@dataclass(frozen=True, slots=True)
class RepairFact:
    """What repeat-repair analysis needs to know about one repair."""

    repair_id: str
    serial: str | None
    component: str
    at: datetime
    dealer_id: str | None = None
    technician_id: str | None = None
    parts: tuple[PartUsed, ...] = ()

    @property
    def fault_family(self) -> str:
        return top_level(self.component)


@dataclass(frozen=True, slots=True)
class GroupRate:
    """Of ``repairs`` done by/with this group, ``repeats`` came back within the watch window."""

    dimension: str
    group: str
    repairs: int
    repeats: int


@dataclass(frozen=True, slots=True)
class Outlier:
    dimension: str
    group: str
    repairs: int
    repeats: int
    rate: float
    peer_rate: float
    shrunk_rate: float
    p_value: float


def repair_fact_from_event(event: RepairCompleted) -> RepairFact:
    return RepairFact(
        repair_id=event.repair_id,
        serial=event.product.serial,
        component=event.component,
        at=event.occurred_at,
        dealer_id=event.dealer_id,
        technician_id=event.technician_id,
        parts=tuple(PartUsed(p.part_number, p.supplier, p.genuine) for p in event.parts),
    )


def repeated_repair(
    previous: Sequence[RepairFact], new: RepairFact, window_days: int = 90
) -> RepairFact | None:
    """The latest earlier repair of the same unit and fault family within the window, if any."""
    if not new.serial:
        return None
    window = timedelta(days=window_days)
    matches = [
        earlier
        for earlier in previous
        if earlier.repair_id != new.repair_id
        and earlier.serial == new.serial
        and earlier.fault_family == new.fault_family
        and earlier.at < new.at <= earlier.at + window
    ]
    return max(matches, key=lambda r: (r.at, r.repair_id)) if matches else None


def is_repeat_repair(
    previous: Sequence[RepairFact], new: RepairFact, window_days: int = 90
) -> bool:
    """True when ``new`` is the same unit back for the same fault family within the window."""
    return repeated_repair(previous, new, window_days) is not None


def _groups_of(repair: RepairFact) -> Iterable[tuple[str, str]]:
    for part in repair.parts:
        yield "part_number", part.part_number
        yield "supplier", part.supplier
    if repair.parts:
        yield "genuine", "genuine" if all(p.genuine for p in repair.parts) else "non_genuine"
    if repair.dealer_id:
        yield "dealer", repair.dealer_id
    if repair.technician_id:
        yield "technician", repair.technician_id


def group_rates(repairs: Sequence[RepairFact], window_days: int = 90) -> list[GroupRate]:
    """Per group, how many repairs were followed by a repeat: the first fix is the one blamed."""
    by_unit: dict[tuple[str, str], list[RepairFact]] = defaultdict(list)
    for repair in repairs:
        if repair.serial:
            by_unit[(repair.serial, repair.fault_family)].append(repair)
    failed: set[str] = set()
    window = timedelta(days=window_days)
    for unit_repairs in by_unit.values():
        ordered = sorted(unit_repairs, key=lambda r: (r.at, r.repair_id))
        for earlier, later in itertools.pairwise(ordered):
            if later.at <= earlier.at + window:
                failed.add(earlier.repair_id)
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for repair in repairs:
        for key in set(_groups_of(repair)):
            totals[key][0] += 1
            totals[key][1] += repair.repair_id in failed
    return [
        GroupRate(dimension, group, n, k) for (dimension, group), (n, k) in sorted(totals.items())
    ]


def repeat_repair_outliers(
    groups: Sequence[GroupRate],
    min_repairs: int = 20,
    alpha: float = 0.01,
    prior_strength: float = 20.0,
) -> list[Outlier]:
    """Groups whose repeat rate is too high against their peers (same dimension, others pooled).

    One-sided binomial test of the group's repeats against the peers' rate, Bonferroni-corrected
    over the groups tested in that dimension; the reported ``shrunk_rate`` is the beta-binomial
    posterior mean with ``prior_strength`` pseudo-repairs at the peer rate, so small groups are
    pulled towards their peers. Most suspicious first.
    """
    by_dimension: dict[str, list[GroupRate]] = defaultdict(list)
    for group in groups:
        by_dimension[group.dimension].append(group)
    outliers: list[Outlier] = []
    for dimension, members in by_dimension.items():
        tested = [g for g in members if g.repairs >= min_repairs]
        all_repairs = sum(g.repairs for g in members)
        all_repeats = sum(g.repeats for g in members)
        for group in tested:
            peer_repairs = all_repairs - group.repairs
            if peer_repairs <= 0:
                continue
            peer_rate = (all_repeats - group.repeats) / peer_repairs
            # A zero peer rate would make any repeat infinitely surprising; assume half a repeat.
            floor_rate = max(peer_rate, 0.5 / peer_repairs)
            p_value = float(special.bdtrc(group.repeats - 1, group.repairs, floor_rate))
            if p_value * len(tested) >= alpha:
                continue
            shrunk = (group.repeats + prior_strength * peer_rate) / (group.repairs + prior_strength)
            outliers.append(
                Outlier(
                    dimension=dimension,
                    group=group.group,
                    repairs=group.repairs,
                    repeats=group.repeats,
                    rate=group.repeats / group.repairs,
                    peer_rate=peer_rate,
                    shrunk_rate=shrunk,
                    p_value=p_value,
                )
            )
    return sorted(outliers, key=lambda o: (o.p_value, -o.shrunk_rate, o.dimension, o.group))

"""The event loop: a heap of work scheduled in event time, drained as fast as the CPU allows."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import count
from typing import Any

from producers.simulator.components import Leaf, TopComponent
from producers.simulator.config import SimulationConfig, add_months, epoch_seconds
from producers.simulator.emit import Emitter
from producers.simulator.entities import Cohort, Defect, World
from producers.simulator.hazard import Failure, failing_units, failure_stream
from producers.simulator.reference import (
    corrective_action,
    dealer_registered,
    product_model,
    recall,
    unit_sold,
    units_sold,
)
from producers.simulator.service import HOUR, Case, Ids, PriorRepair, plan_case
from producers.simulator.units import Unit, unit_of
from producers.simulator.world import build_world, seeded
from schemas.events import InboundEvent

_TICK, _SALE, _STREAM, _CASE, _REPEAT, _RECALL, _ACTION = range(7)
_KIND_NAMES = (
    "month_ticks",
    "cohorts_selling",
    "cohort_streams",
    "episodes",
    "repeats",
    "recalls",
    "actions",
)


def simulate(config: SimulationConfig) -> Iterator[InboundEvent]:
    """Every event of the run in non-decreasing ``occurred_at``; same config, same events."""
    return Engine(build_world(config)).run()


class Engine:
    """Drains one world's scheduled work; memory holds only what is pending, never the history.

    The heap holds one entry per sales cohort with failures still to come (its next failure),
    per cohort being sold this month (its next ``unit.sold``), per open service episode (its
    next stage) and per repair that will fail again. So it is bounded by the size of the world
    (markets x variants x months of sales) plus about two months of tickets, never by the
    number of events generated.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self._config = world.config
        self._rng = seeded(self._config.seed, "engine")
        self._ids = Ids()
        self._emit = Emitter(self._rng, self._ids, self._config.idle_dealers)
        self._heap: list[tuple[int, int, int, Any]] = []
        self._order = count()
        self.peak_pending = 0
        self._cohorts_by_month: dict[date, list[Cohort]] = {}
        for cohort in world.cohorts:
            self._cohorts_by_month.setdefault(cohort.month, []).append(cohort)

    @property
    def pending(self) -> int:
        return len(self._heap)

    def pending_by_kind(self) -> dict[str, int]:
        """Scheduled work by kind: cohort streams are bounded by the world, episodes by the rate."""
        counts = dict.fromkeys(_KIND_NAMES, 0)
        for _, _, kind, _ in self._heap:
            counts[_KIND_NAMES[kind]] += 1
        return counts

    def run(self) -> Iterator[InboundEvent]:
        config = self._config
        start, end = config.start_ts, config.end_ts
        new_id = self._emit.event_id
        for variant in self.world.variants:
            yield product_model(variant, start, new_id)
        for dealer in self.world.dealers:
            yield dealer_registered(dealer, start, new_id)
        first_month = config.start.replace(day=1)
        earlier = [c for c in self.world.cohorts if c.month < first_month]
        for cohort in earlier:
            yield units_sold(cohort, start, new_id)
        for cohort in earlier:
            defects = self.world.defects_for(cohort)
            for number in failing_units(cohort, defects, start, end):
                yield unit_sold(unit_of(self.world, cohort, number), start, new_id)
            self._start_stream(cohort, defects)
        month = first_month
        while epoch_seconds(month) < end:
            self._push(max(epoch_seconds(month), start), _TICK, month)
            month = add_months(month, 1)
        self._schedule_recalls()
        for defect in self.world.defects:
            if defect.fix is not None:
                self._push(epoch_seconds(defect.fix.released_on) + 9 * HOUR, _ACTION, defect)
        handlers: dict[int, Callable[[int, Any], Iterable[InboundEvent]]] = {
            _TICK: self._tick,
            _SALE: self._sale,
            _STREAM: self._stream,
            _REPEAT: self._repeat,
            _RECALL: self._recall,
            _ACTION: self._action,
        }
        heap = self._heap
        pop = heapq.heappop
        stage = self._emit.stage
        while heap:
            ts, _, kind, payload = pop(heap)
            if ts >= end:
                return
            if kind == _CASE:
                # Nine events in ten are episode stages: handled inline, they cost less.
                case: Case = payload
                _, name, argument = case.stages[case.position]
                case.position += 1
                # Emitted before the next stage is queued: the desk may plan more stages.
                event = stage(case, ts, name, argument)
                if case.position < len(case.stages):
                    self._push(case.stages[case.position][0], _CASE, case)
                yield event
            else:
                yield from handlers[kind](ts, payload)

    def _push(self, ts: int, kind: int, payload: Any) -> None:
        heap = self._heap
        heapq.heappush(heap, (ts, next(self._order), kind, payload))
        self.peak_pending = max(self.peak_pending, len(heap))

    def _start_stream(self, cohort: Cohort, defects: tuple[Defect, ...]) -> None:
        stream = failure_stream(cohort, defects, self._config.start_ts, self._config.end_ts)
        self._advance(cohort, defects, stream)

    def _advance(
        self, cohort: Cohort, defects: tuple[Defect, ...], stream: Iterator[Failure]
    ) -> None:
        failure = next(stream, None)
        if failure is not None:
            self._push(failure[0], _STREAM, (cohort, defects, stream, failure))

    def _tick(self, ts: int, month: date) -> list[InboundEvent]:
        """Month start: report last month's sales, start selling and ageing this month's cohorts."""
        reports: list[InboundEvent] = [
            units_sold(cohort, ts, self._emit.event_id)
            for cohort in self._cohorts_by_month.get(add_months(month, -1), ())
            if cohort.sale_start_ts >= self._config.start_ts
        ]
        for cohort in self._cohorts_by_month.get(month, ()):
            defects = self.world.defects_for(cohort)
            numbers = failing_units(cohort, defects, self._config.start_ts, self._config.end_ts)
            if numbers:
                self._push(cohort.sale_ts(numbers[0]), _SALE, (cohort, numbers, 0))
            self._start_stream(cohort, defects)
        return reports

    def _sale(self, ts: int, payload: tuple[Cohort, list[int], int]) -> tuple[InboundEvent]:
        cohort, numbers, position = payload
        if position + 1 < len(numbers):
            self._push(
                cohort.sale_ts(numbers[position + 1]), _SALE, (cohort, numbers, position + 1)
            )
        return (unit_sold(unit_of(self.world, cohort, numbers[position]), ts, self._emit.event_id),)

    def _stream(self, ts: int, payload: Any) -> tuple[()]:
        cohort, defects, stream, (_, number, top_index) = payload
        top = cohort.variant.tree[top_index]
        hint = _defect_leaf(defects, top.code, ts)
        unit = unit_of(self.world, cohort, number)
        self._open_case(unit, top, ts, defect=hint, repeat_of=None, defects=defects)
        self._advance(cohort, defects, stream)
        return ()

    def _repeat(self, ts: int, payload: Any) -> tuple[()]:
        unit, top, leaf, prior, defects = payload
        self._open_case(unit, top, ts, defect=None, repeat_of=(leaf, prior), defects=defects)
        return ()

    def _open_case(
        self,
        unit: Unit,
        top: TopComponent,
        ts: int,
        *,
        defect: tuple[str, float] | None,
        repeat_of: tuple[Leaf, PriorRepair] | None,
        defects: tuple[Defect, ...],
    ) -> None:
        outlets = self.world.dealers_by_outlet[
            (unit.cohort.market.country, unit.cohort.variant.spec.category)
        ]
        case = plan_case(
            unit,
            top,
            ts,
            defect=defect,
            repeat_of=repeat_of,
            outlets=outlets,
            rng=self._rng,
            ids=self._ids,
        )
        self._push(case.stages[0][0], _CASE, case)
        if case.repeat_ts is not None:
            again = PriorRepair(case.ticket_id, case.dealer, case.close_ts, case.repeat_depth)
            self._push(case.repeat_ts, _REPEAT, (unit, top, case.leaf, again, defects))

    def _schedule_recalls(self) -> None:
        """Each defect that ran long enough is recalled in every market it affects."""
        numbers = count(1)
        for defect in self.world.defects:
            if defect.recall_on is None:
                continue
            day_ts = epoch_seconds(defect.recall_on)
            for country in defect.markets:
                number = next(numbers)
                affected = sum(
                    c.units
                    for c in self.world.cohorts
                    if c.market.country == country
                    and defect.applies_to(c)
                    and c.sale_start_ts < day_ts
                )
                self._push(day_ts + 8 * HOUR, _RECALL, (defect, country, number, affected))

    def _recall(self, ts: int, payload: tuple[Defect, str, int, int]) -> tuple[InboundEvent]:
        defect, country, number, affected = payload
        return (recall(defect, country, ts, self._emit.event_id, number=number, units=affected),)

    def _action(self, ts: int, defect: Defect) -> tuple[InboundEvent]:
        return (corrective_action(defect, ts, self._emit.event_id),)


def _defect_leaf(defects: tuple[Defect, ...], component: str, ts: int) -> tuple[str, float] | None:
    """The part an active defect breaks, and the share of this signature's failures it causes."""
    for defect in defects:
        if defect.component == component and ts >= defect.onset_ts:
            return defect.leaf, (defect.multiplier - 1.0) / defect.multiplier
    return None

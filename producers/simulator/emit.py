"""Turn planned stages of a service episode into wire events (validated pydantic models)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from random import Random

from producers.simulator.catalogue import (
    AFTERMARKET_SUPPLIERS,
    GENUINE_SUPPLIERS,
    MARKET_BY_COUNTRY,
    NON_GENUINE_PRICE_FACTOR,
)
from producers.simulator.config import DAY
from producers.simulator.desk import reaction
from producers.simulator.feedback_events import FeedbackEmitter
from producers.simulator.service import HOUR, STAGES, Case, Ids
from producers.simulator.wire import local_time, money
from schemas.events import InboundEvent
from schemas.repairs import PartReplaced, RepairCompleted
from schemas.tickets import (
    TicketAssigned,
    TicketClosed,
    TicketEscalated,
    TicketOpened,
    TicketReopened,
    TicketResolved,
)

_ESCALATION_REASONS = {1: "First fix overdue; service manager involved", 2: "Safety-relevant fault"}


@lru_cache(maxsize=8_192)
def _part(
    number: str,
    description: str,
    supplier: str,
    genuine: bool,
    quantity: int,
    unit_eur: float,
    country: str,
) -> PartReplaced:
    # The same part is fitted again and again; building it once per market saves validation.
    return PartReplaced(
        part_number=number,
        description=description,
        supplier=supplier,
        genuine=genuine,
        quantity=quantity,
        unit_cost=money(unit_eur, MARKET_BY_COUNTRY[country]),
    )


class Emitter(FeedbackEmitter):
    """Builds every event of a service episode, one planned stage at a time."""

    def __init__(self, rng: Random, ids: Ids, idle_dealers: frozenset[str] = frozenset()) -> None:
        super().__init__(rng, ids)
        self._idle = idle_dealers
        self._builders: dict[str, Callable[[Case, int, int], InboundEvent]] = {
            name: getattr(self, f"_{name}") for name in STAGES
        }

    def stage(self, case: Case, ts: int, stage: str, argument: int) -> InboundEvent:
        """The event of one planned stage (``opened``, ``repaired``, ``survey``...), and the case
        desk's reaction to it planned as further stages of the episode."""
        event = self._builders[stage](case, ts, argument)
        idle = case.dealer.dealer_id in self._idle
        case.add_stages(reaction(case, ts, event, idle))
        return event

    def _ticket_common(self, case: Case, ts: int) -> dict[str, object]:
        return {
            "event_id": self.event_id(),
            "occurred_at": local_time(ts, case.unit.cohort.market),
            "source": f"sim:dealer:{case.dealer.dealer_id}",
            "ticket_id": case.ticket_id,
            "product": case.unit.product,
        }

    def _opened(self, case: Case, ts: int, _: int) -> TicketOpened:
        unit = case.unit
        common = self._ticket_common(case, ts)
        if case.channel in ("phone", "email", "chat"):
            common["source"] = "sim:callcentre"
        elif case.channel in ("web", "app"):
            common["source"] = "sim:web"
        return TicketOpened(
            **common,
            customer=unit.customer,
            market=unit.cohort.market.country,
            channel=case.channel,
            priority=case.priority,
            dealer_id=case.dealer.dealer_id,
            sla_due_at=local_time(ts + case.sla_hours * HOUR, unit.cohort.market),
            summary=case.summary,
            language=unit.language,
            component=case.top.code,
        )

    def _reopened(self, case: Case, ts: int, _: int) -> TicketReopened:
        return TicketReopened(**self._ticket_common(case, ts), reason=case.summary)

    def _assigned(self, case: Case, ts: int, _: int) -> TicketAssigned:
        return TicketAssigned(
            **self._ticket_common(case, ts),
            assignee=case.technician_id,
            dealer_id=case.dealer.dealer_id,
        )

    def _escalated(self, case: Case, ts: int, level: int) -> TicketEscalated:
        return TicketEscalated(
            **self._ticket_common(case, ts),
            level=level,
            reason=_ESCALATION_REASONS[level],
        )

    def _repaired(self, case: Case, ts: int, _: int) -> RepairCompleted:
        unit = case.unit
        market = unit.cohort.market
        parts = self._parts(case)
        hours = round(case.leaf.labour_hours * self._rng.uniform(0.8, 1.4), 1)
        labour_eur = hours * market.labour_eur_per_hour
        parts_eur = sum(eur for _, eur in parts)
        mode = case.mode.lower()
        diagnosis = (
            "Tested under load; no fault found."
            if case.outcome == "no_fault_found"
            else f"{case.leaf.name}: {mode.replace('_', ' ')}; replaced."
        )
        return RepairCompleted(
            event_id=self.event_id(),
            occurred_at=local_time(ts, market),
            source=f"sim:dealer:{case.dealer.dealer_id}",
            repair_id=case.repair_id,
            ticket_id=case.ticket_id,
            product=unit.product,
            customer_id=unit.customer.customer_id,
            market=market.country,
            dealer_id=case.dealer.dealer_id,
            technician_id=case.technician_id,
            diagnosis=diagnosis,
            failure_code=f"{case.leaf.abbreviation}-{case.mode}",
            component=case.leaf.code,
            failure_mode=mode,
            parts=[part for part, _ in parts],
            labour_hours=hours,
            labour_cost=money(labour_eur, market),
            total_cost=money(labour_eur + parts_eur, market),
            outcome=case.outcome,
            usage=round(max(0, ts - unit.sold_ts) / DAY * unit.usage_per_day, 1),
        )

    def _parts(self, case: Case) -> list[tuple[PartReplaced, float]]:
        """Parts fitted with their cost in EUR; non-genuine ones are cheaper, and come back."""
        if case.outcome == "no_fault_found":
            return []
        spec = case.unit.cohort.variant.spec
        country = case.unit.cohort.market.country
        if case.genuine:
            supplier = GENUINE_SUPPLIERS[spec.brand]
            number = f"{spec.brand_code}-{case.leaf.abbreviation}-{spec.model_code}"
            number += case.unit.cohort.variant.code
            leaf_eur = case.leaf.part_eur
        else:
            dealer_number = int(case.dealer.dealer_id[-3:])
            supplier = AFTERMARKET_SUPPLIERS[dealer_number % len(AFTERMARKET_SUPPLIERS)]
            number = f"AM-{case.leaf.abbreviation}-{dealer_number:03d}"
            leaf_eur = case.leaf.part_eur * NON_GENUINE_PRICE_FACTOR
        main = _part(number, case.leaf.name, supplier, case.genuine, 1, leaf_eur, country)
        parts = [(main, leaf_eur)]
        if case.top.consumable and self._rng.random() < 0.5:
            quantity = self._rng.randint(1, 2)
            number = f"{spec.brand_code}-CONS-{case.top.code[:4]}"
            supplier = GENUINE_SUPPLIERS[spec.brand]
            extra = _part(number, case.top.consumable, supplier, True, quantity, 15.0, country)
            parts.append((extra, 15.0 * quantity))
        return parts

    def _resolved(self, case: Case, ts: int, _: int) -> TicketResolved:
        resolution = {
            "fixed": f"Repaired: {case.leaf.name}",
            "partially_fixed": f"Partly repaired: {case.leaf.name}",
            "not_fixed": "Could not be repaired at this visit",
            "no_fault_found": "No fault found",
        }[case.outcome]
        return TicketResolved(
            **self._ticket_common(case, ts),
            resolution=resolution,
            repair_id=case.repair_id,
        )

    def _closed(self, case: Case, ts: int, rated: int) -> TicketClosed:
        rating = self._score(case.mood) if rated else None
        return TicketClosed(**self._ticket_common(case, ts), rating=rating)

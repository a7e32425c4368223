"""The enrichment step: market, dealer, warranty, costs and defect taxonomy; repeat repairs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from pipeline import enrichment
from pipeline.detection.repeats import repair_fact_from_event, repeated_repair
from pipeline.enrichment.enrich import DealerRecord, UnitRecord
from pipeline.jobs.batch.model import Batch
from schemas.events import FAMILY_OF_TYPE, InboundEvent
from schemas.reference import DealerRegistered, UnitSold
from schemas.repairs import RepairCompleted


@dataclass(frozen=True)
class EnrichStep:
    """Infer market, dealer, warranty, costs and defect taxonomy; find repeat repairs."""

    taxonomy: enrichment.Taxonomy
    terms: enrichment.WarrantyTerms
    rates: enrichment.Rates
    repeat_window_days: int = 90

    def __call__(self, batch: Batch) -> None:
        # Reference data describes the world; enrichment is about what happens in it.
        events = [a.event for a in batch.new if FAMILY_OF_TYPE[a.event.event_type] != "reference"]
        if not events:
            return
        serials, dealer_ids, models = set(), set(), set()
        for e in events:
            product = getattr(e, "product", None)
            if product is not None:
                models.add((product.brand, product.model))
                if product.serial:
                    serials.add(product.serial)
            dealer = getattr(e, "dealer_id", None)
            if dealer:
                dealer_ids.add(dealer)
        lookups = batch.uow.lookups.lookups(serials, dealer_ids, models)
        lookups = _with_batch_reference(lookups, [a.event for a in batch.new])
        repeats = self._repeats(batch, events)
        for e in events:
            found = enrichment.enrich(e, lookups, self.taxonomy, self.terms, self.rates)
            if e.id_text in repeats:
                found = replace(found, repeat_of=repeats[e.id_text])
            batch.enrichment[e.id_text] = found

    def _repeats(self, batch: Batch, events: Sequence[InboundEvent]) -> dict[str, str]:
        repairs = [e for e in events if isinstance(e, RepairCompleted) and e.product.serial]
        if not repairs:
            return {}
        window = timedelta(days=self.repeat_window_days)
        since = min(r.occurred_at for r in repairs) - window
        known = batch.uow.lookups.recent_repairs(
            {r.product.serial for r in repairs if r.product.serial}, since
        )
        event_of = {fact.repair_id: eid for eid, fact in known}
        facts = [fact for _, fact in known]
        found: dict[str, str] = {}
        for repair in repairs:
            fact = repair_fact_from_event(repair)
            earlier = repeated_repair(facts, fact, self.repeat_window_days)
            if earlier is not None:
                found[repair.id_text] = event_of[earlier.repair_id]
            facts.append(fact)
            event_of[fact.repair_id] = repair.id_text
        return found


def _with_batch_reference(
    lookups: enrichment.Lookups, events: Sequence[InboundEvent]
) -> enrichment.Lookups:
    """Reference events of this very batch count as known (they are archived in it)."""
    units = dict(lookups.units)
    dealers = dict(lookups.dealers)
    for e in events:
        if isinstance(e, UnitSold) and e.product.serial:
            units[e.product.serial] = UnitRecord(e.sold_on, e.market, e.dealer_id, e.product.lot)
        elif isinstance(e, DealerRegistered):
            dealers[e.dealer_id] = DealerRecord(e.ownership, e.group, e.country)
    return enrichment.Lookups(units=units, dealers=dealers, models=lookups.models)

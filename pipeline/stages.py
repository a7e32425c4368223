"""The stages each batch runs through after archiving, composed from Settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from pipeline import casebook, enrichment
from pipeline.common.config import Settings
from pipeline.common.tracing import Headers, cause_of, traced_inputs
from pipeline.detection import DetectionParams
from pipeline.detection.repeats import repair_fact_from_event, repeated_repair
from pipeline.detection_stage import DetectionStage
from pipeline.detector import Detector
from pipeline.enrichment.enrich import DealerRecord, UnitRecord
from pipeline.erasure_stage import ErasureStage, PseudonymiseStep
from pipeline.loop_stage import ProductLoopStage
from pipeline.warehouse import casebook_store as store
from pipeline.warehouse import lookups as lookups_store
from pipeline.warehouse.watermark import (
    advance_watermark,
    partition_clock_name,
    read_partition_clocks,
    read_watermark,
)
from pipeline.warehouse.writer import BatchContext, Stage, event_message
from schemas.events import FAMILY_OF_TYPE, InboundEvent
from schemas.feedback import ComplaintFiled, FollowUpCallMade, SurveyAnswered
from schemas.reference import DealerRegistered, UnitSold
from schemas.repairs import RepairCompleted
from schemas.tickets import TicketResolved


@dataclass(frozen=True)
class CaseBookStage:
    """Complaint cases, their timeline and escalations; follow-up calls after service.

    The batch's new events are folded in arrival order, each partition number on its own
    event-time clock (see casebook.apply_batch: the same cases whatever the batches, lanes or
    workers), over the cases they may concern and the overdue ones, loaded in one query each, and
    the sightings archived earlier of the units whose events may open a case (where the case
    belongs when its event names no dealer or market).

    Contacts for follow-ups are read from the warehouse after the batch's projections: a
    ticket.opened or unit.sold arriving later in the same batch than the service it names a
    customer for counts for it, where one event per batch would have found no contact yet.
    """

    rules: casebook.Rules
    followups_topic: str

    def __call__(self, ctx: BatchContext) -> None:
        if ctx.event_time is None:
            return
        events = [a.event for a in ctx.new]  # arrival order: the fold must not reorder them
        session = ctx.session
        # The watermark row moves only after the stages, so this is the clock before the batch.
        since = read_watermark(session)
        latest = max(e.occurred_at for e in events)
        until = latest if since is None or latest > since else since
        known = store.load_cases(session, [casebook.lookup_for(e) for e in events])
        sightings = self._sightings_before(ctx, events)
        partitions = [a.message.partition for a in ctx.new]
        mine = set(partitions)
        overdue = store.overdue_cases(session, until, partitions=mine)
        waited = store.unconfirmed_due(
            session, until, self.rules.closing.unconfirmed_after, partitions=mine
        )
        # Every event goes through the fold, even on units without a stored case: a case opened
        # earlier in this batch must see the service events that follow it.
        clocks = read_partition_clocks(session, partitions)
        decision = casebook.apply_batch(
            {c.case_id: c for c in (*known, *overdue, *waited)}.values(),
            events,
            self.rules,
            since=since,
            sightings=sightings,
            partitions=partitions,
            clocks=clocks,
        )
        latest_by_partition: dict[int, datetime] = {}
        for event, partition in zip(events, partitions, strict=True):
            seen = latest_by_partition.get(partition)
            if seen is None or event.occurred_at > seen:
                latest_by_partition[partition] = event.occurred_at
        for partition, latest_there in sorted(latest_by_partition.items()):
            advance_watermark(session, latest_there, partition_clock_name(partition))
        store.save_cases(session, decision.cases)
        store.append_timeline(session, decision.timeline)
        traced = traced_inputs(ctx.new)
        for escalated in decision.outputs:
            ctx.outbox.append(
                event_message(
                    self.followups_topic,
                    escalated.case_id.encode(),
                    escalated,
                    cause_of(escalated, traced),
                )
            )
        ctx.stats["cases_changed"] = len(decision.cases)
        ctx.stats["cases_escalated"] = len(decision.outputs)
        self._followups(ctx, events, traced)

    def _sightings_before(
        self, ctx: BatchContext, events: Sequence[InboundEvent]
    ) -> list[casebook.Sighting]:
        """Sightings archived before the batch of the units whose events may open a case: the
        batch's own are the fold's to take in order, so a case never sees a later one early."""
        serials = {
            e.product.serial
            for e in events
            if isinstance(e, ComplaintFiled | SurveyAnswered | FollowUpCallMade)
            and e.product.serial
        }
        skip = {e.id_text for e in events}
        archived = store.archived_sightings(ctx.session, serials, skip)
        found = (
            casebook.sighting_of(e) for e in archived if not self.rules.cases.is_public(e.source)
        )
        return [s for s in found if s is not None]

    def _followups(
        self,
        ctx: BatchContext,
        events: Sequence[InboundEvent],
        traced: Sequence[tuple[InboundEvent, Headers]],
    ) -> None:
        wanted: dict[UUID, tuple[str | None, str | None, str | None]] = {}
        dealers: dict[str, str] = {}
        for e in events:
            if isinstance(e, RepairCompleted):
                wanted[e.event_id] = (e.customer_id, e.ticket_id, e.product.serial)
                if e.dealer_id:
                    dealers[e.repair_id] = e.dealer_id
            elif isinstance(e, TicketResolved):
                wanted[e.event_id] = (None, e.ticket_id, e.product.serial)
        contacts = store.contacts_for(ctx.session, wanted) if wanted else {}
        lookup = casebook.lookup_followups(events, contacts)
        earliest = min(e.occurred_at for e in events)
        existing = store.load_followups(
            ctx.session,
            lookup.customer_ids,
            lookup.followup_ids,
            earliest - self.rules.followups.cap_window,
            lookup.ticket_ids,
            lookup.repair_ids,
        )
        plan = casebook.apply_followup_batch(existing, events, contacts, self.rules)
        store.save_followups(ctx.session, plan.followups, dealers)
        for scheduled in plan.outputs:
            ctx.outbox.append(
                event_message(
                    self.followups_topic,
                    scheduled.customer_id.encode(),
                    scheduled,
                    cause_of(scheduled, traced),
                )
            )
        ctx.stats["followups_scheduled"] = len(plan.outputs)


def build_stages(
    settings: Settings,
) -> tuple[Callable[[BatchContext], None] | None, Sequence[Stage]]:
    """The enrichment step and the post-archive stages for a worker with these settings."""
    key = settings.pseudonym_key.get_secret_value().encode()
    erase = ErasureStage(key, settings.topics.erasures, settings.topics.followups)
    if settings.stages == "archive":
        return PseudonymiseStep(key), (erase,)
    enrich = EnrichStep(
        enrichment.load_taxonomy(), enrichment.load_warranty_terms(), enrichment.load_rates()
    )
    stages: list[Stage] = [
        CaseBookStage(casebook.load_rules(), settings.topics.followups),
        erase,  # after the case book: it drops what that scheduled for erased customers
        DetectionStage(),
        ProductLoopStage(),
    ]
    return PseudonymiseStep(key, enrich), stages


def build_detector(settings: Settings) -> Detector:
    """The detector that evaluates what this worker's batches mark pending."""
    return Detector(DetectionParams(), settings.topics.defect_flags)


@dataclass(frozen=True)
class EnrichStep:
    """Infer market, dealer, warranty, costs and defect taxonomy; find repeat repairs."""

    taxonomy: enrichment.Taxonomy
    terms: enrichment.WarrantyTerms
    rates: enrichment.Rates
    repeat_window_days: int = 90

    def __call__(self, ctx: BatchContext) -> None:
        # Reference data describes the world; enrichment is about what happens in it.
        events = [a.event for a in ctx.new if FAMILY_OF_TYPE[a.event.event_type] != "reference"]
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
        lookups = lookups_store.load_lookups(ctx.session, serials, dealer_ids, models)
        lookups = _with_batch_reference(lookups, [a.event for a in ctx.new])
        repeats = self._repeats(ctx, events)
        for e in events:
            values = enrichment.enrich(e, lookups, self.taxonomy, self.terms, self.rates).as_dict()
            if e.id_text in repeats:
                values["repeat_of"] = repeats[e.id_text]
            ctx.enrichment[e.id_text] = values

    def _repeats(self, ctx: BatchContext, events: Sequence[InboundEvent]) -> dict[str, str]:
        repairs = [e for e in events if isinstance(e, RepairCompleted) and e.product.serial]
        if not repairs:
            return {}
        window = timedelta(days=self.repeat_window_days)
        since = min(r.occurred_at for r in repairs) - window
        known = lookups_store.recent_repairs(
            ctx.session, {r.product.serial for r in repairs if r.product.serial}, since
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

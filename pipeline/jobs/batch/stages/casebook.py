"""The case-book stage: complaint cases, their timelines and escalations, and follow-up calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from pipeline import casebook
from pipeline.common.records import Headers
from pipeline.common.tracing import cause_of, traced_inputs
from pipeline.jobs.batch.model import Batch, event_message
from schemas.events import InboundEvent
from schemas.feedback import ComplaintFiled, FollowUpCallMade, SurveyAnswered
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

    def __call__(self, batch: Batch) -> None:
        if batch.event_time is None:
            return
        events = [a.event for a in batch.new]  # arrival order: the fold must not reorder them
        uow = batch.uow
        # The watermark row moves only after the stages, so this is the clock before the batch.
        since = uow.clocks.watermark()
        latest = max(e.occurred_at for e in events)
        until = latest if since is None or latest > since else since
        known = uow.cases.load_cases([casebook.lookup_for(e) for e in events])
        sightings = self._sightings_before(batch, events)
        partitions = [a.message.partition for a in batch.new]
        mine = set(partitions)
        overdue = uow.cases.overdue_cases(until, mine)
        waited = uow.cases.unconfirmed_due(until, self.rules.closing.unconfirmed_after, mine)
        # Every event goes through the fold, even on units without a stored case: a case opened
        # earlier in this batch must see the service events that follow it.
        clocks = uow.clocks.partition_clocks(partitions)
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
            uow.clocks.advance_partition_clock(partition, latest_there)
        uow.cases.save_cases(decision.cases)
        uow.cases.append_timeline(decision.timeline)
        traced = traced_inputs(batch.new)
        for escalated in decision.outputs:
            batch.outbox.append(
                event_message(
                    self.followups_topic,
                    escalated.case_id.encode(),
                    escalated,
                    cause_of(escalated, traced),
                )
            )
        batch.stats.cases_changed += len(decision.cases)
        batch.stats.cases_escalated += len(decision.outputs)
        self._followups(batch, events, traced)

    def _sightings_before(
        self, batch: Batch, events: Sequence[InboundEvent]
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
        archived = batch.uow.cases.archived_sightings(serials, skip)
        found = (
            casebook.sighting_of(e) for e in archived if not self.rules.cases.is_public(e.source)
        )
        return [s for s in found if s is not None]

    def _followups(
        self,
        batch: Batch,
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
        contacts = batch.uow.cases.contacts_for(wanted) if wanted else {}
        lookup = casebook.lookup_followups(events, contacts)
        earliest = min(e.occurred_at for e in events)
        existing = batch.uow.cases.load_followups(
            lookup.customer_ids,
            lookup.followup_ids,
            earliest - self.rules.followups.cap_window,
            lookup.ticket_ids,
            lookup.repair_ids,
        )
        plan = casebook.apply_followup_batch(existing, events, contacts, self.rules)
        batch.uow.cases.save_followups(plan.followups, dealers)
        for scheduled in plan.outputs:
            batch.outbox.append(
                event_message(
                    self.followups_topic,
                    scheduled.customer_id.encode(),
                    scheduled,
                    cause_of(scheduled, traced),
                )
            )
        batch.stats.followups_scheduled += len(plan.outputs)

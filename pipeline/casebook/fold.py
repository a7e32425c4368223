"""The case book as a fold over a batch's events in arrival order, on an event-time clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from pipeline.casebook.book import BatchBook
from pipeline.casebook.cases import dispatch
from pipeline.casebook.rules import Rules
from pipeline.casebook.state import CaseState, Decision, OwnerHint, TimelineEntry
from schemas.base import Event
from schemas.outputs import CaseEscalated


def apply_batch(
    cases: Iterable[CaseState],
    events: Sequence[Event],
    rules: Rules,
    now: datetime | None = None,
    *,
    since: datetime | None = None,
    hints: Mapping[UUID, OwnerHint] | None = None,
) -> Decision:
    """Fold `events` into the case book in the order given (arrival order), event by event.

    The clock starts at `since`, the event-time watermark before the batch (None before the
    first event ever). Before event i it moves to max(since, occurred_at of events 0..i), and
    every open case whose SLA deadline it has passed is escalated and every resolved case whose
    wait for confirmation it has passed is closed unconfirmed, in deadline order, each dated at
    the deadline it crossed; then event i is applied to the cases it may concern. After the last
    event the clock moves to `now` if that is later (by default it stays at the watermark after
    the batch) and whatever is due then is done too.

    Pass the cases lookup_for() names for each event, plus the open cases past their SLA and the
    resolved cases past their confirmation wait at the final clock: cases the batch itself
    creates are found in memory, so no event needs a query of its own. `hints` gives, by event
    id, the market and dealer found for an event outside it (a case it opens takes its owner
    from them when the event names none).

    One writer: since the watermark before a batch is the latest occurred_at archived before it,
    the clock before event i is the latest occurred_at of the stream up to event i, whatever the
    batches. Each event meets the same cases at the same clock however the stream is cut, and
    each clock span escalates what a chain of shorter spans would (deadline order makes the
    outputs line up too): cases, timelines and outputs are those of one event per batch. A
    redelivered event is archived already and never reaches the fold again, so a replay after
    a crash changes nothing.

    Lanes (partitions written at once, sharing the watermark): a lane's batch starts from the
    watermark committed before it and does not see the events other lanes fold meanwhile, and
    an overdue case is escalated by whichever writer's clock passes its deadline first. Events
    are keyed by serial, so a case's events sit in one partition and are folded in partition
    order; only the clock differs from one writer. Every deadline is still escalated at most
    once, dated at the deadline, under the same message id. The cases, timelines and outputs
    equal one writer's, once a batch has started from the last watermark (a lane's clock stops
    at its own events), whenever each case's events are in one partition and no event is late
    for its case: no event of a case is folded, by any writer, after a clock that has passed a
    deadline of that case later than the event's occurred_at. A late event may find its case
    escalated under lanes and not under one writer, or the reverse: the case then has one
    escalation (timeline row, message, count) more or less for that deadline.
    """
    book = BatchBook(cases, rules)
    # Accumulated flat rather than with Decision.then, which copies everything so far per event;
    # a dict keeps each case where it first changed, like then() does, with its latest state.
    changed: dict[str, CaseState] = {}
    timeline: list[TimelineEntry] = []
    outputs: list[CaseEscalated] = []

    def record(decision: Decision) -> None:
        for case in decision.cases:
            changed[case.case_id] = case
            book.put(case)
        timeline.extend(decision.timeline)
        outputs.extend(decision.outputs)

    clock = since
    for event in events:
        clock = event.occurred_at if clock is None else max(clock, event.occurred_at)
        record(book.escalate_due(clock, rules))
        hint = hints.get(event.event_id) if hints else None
        record(dispatch(book.related(event), event, rules, hint))
    if now is not None and (clock is None or now > clock):
        clock = now
    if clock is not None:
        record(book.escalate_due(clock, rules))
    return Decision(cases=tuple(changed.values()), timeline=tuple(timeline), outputs=tuple(outputs))

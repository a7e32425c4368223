"""The case book as a fold over a batch's events in arrival order, on an event-time clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
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
    partitions: Sequence[int | None] | None = None,
    clocks: Mapping[int, datetime] | None = None,
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

    With `partitions` (the partition number of each event) and `clocks` (each partition's clock
    before the batch), every partition keeps a clock of its own and a case passes its deadlines
    on the clock of the partition that opened it (see _by_partition). A partition is read by
    one writer at a time, in order, so cases, timelines and outputs are then the same whatever
    the batches, the lanes, the workers and the way partitions interleave. The price: a case on
    a partition that receives no events waits for its next one to be escalated.
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

    if partitions is not None:
        return _by_partition(book, events, rules, now, since, hints, partitions, clocks or {})
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


def _by_partition(
    book: BatchBook,
    events: Sequence[Event],
    rules: Rules,
    now: datetime | None,
    since: datetime | None,
    hints: Mapping[UUID, OwnerHint] | None,
    partitions: Sequence[int | None],
    clocks: Mapping[int, datetime],
) -> Decision:
    """apply_batch with one clock per partition number: before event i of partition p the
    clock of p is max(its clock before the batch, occurred_at of p's events 0..i), and only the
    cases p's events opened pass their deadlines on it.

    A partition is read by one writer at a time, in order, so each case meets the same events
    at the same clock whatever the batches, the lanes or the workers, and however the
    partitions interleave. Cases stored before partitions were kept follow the shared clock.
    """
    changed: dict[str, CaseState] = {}
    timeline: list[TimelineEntry] = []
    outputs: list[CaseEscalated] = []

    def record(decision: Decision) -> None:
        for case in decision.cases:
            changed[case.case_id] = case
            book.put(case)
        timeline.extend(decision.timeline)
        outputs.extend(decision.outputs)

    shared = since
    clock: dict[int | None, datetime] = dict(clocks.items())
    for event, partition in zip(events, partitions, strict=True):
        at = event.occurred_at
        shared = at if shared is None else max(shared, at)
        mine = clock.get(partition)
        clock[partition] = at if mine is None else max(mine, at)
        record(book.escalate_due(clock[partition], rules, (partition,)))
        record(book.escalate_due(shared, rules, (None,)))
        hint = hints.get(event.event_id) if hints else None
        opened_before = set(book.cases)
        decision = dispatch(book.related(event), event, rules, hint)
        record(_opened_on(decision, partition, opened_before))
    touched = sorted({p for p in partitions if p is not None})
    for partition in touched:
        final = clock[partition] if now is None else max(clock[partition], now)
        record(book.escalate_due(final, rules, (partition,)))
    if shared is not None:
        record(book.escalate_due(shared if now is None else max(shared, now), rules, (None,)))
    return Decision(cases=tuple(changed.values()), timeline=tuple(timeline), outputs=tuple(outputs))


def _opened_on(decision: Decision, partition: int | None, known: set[str]) -> Decision:
    """``decision`` with the cases it opened marked as cases of ``partition``."""
    if partition is None or all(c.case_id in known for c in decision.cases):
        return decision
    cases = tuple(
        c if c.case_id in known or c.partition is not None else replace(c, partition=partition)
        for c in decision.cases
    )
    return replace(decision, cases=cases)

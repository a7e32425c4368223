"""The case book as a fold over a batch's events in arrival order, on an event-time clock."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import repeat

from pipeline.casebook.attribution import Sighting, sighting_of
from pipeline.casebook.book import BatchBook
from pipeline.casebook.cases import dispatch
from pipeline.casebook.rules import Rules
from pipeline.casebook.state import CaseState, Decision, TimelineEntry
from pipeline.casebook.transitions import sighted
from schemas.base import Event
from schemas.outputs import CaseEscalated


def apply_batch(
    cases: Iterable[CaseState],
    events: Sequence[Event],
    rules: Rules,
    now: datetime | None = None,
    *,
    since: datetime | None = None,
    sightings: Iterable[Sighting] = (),
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
    creates are found in memory, so no event needs a query of its own. `sightings` are those
    archived before the batch of the units whose events may open a case (the stage loads them);
    the batch's own are taken event by event. A case whose event names no dealer or market
    takes them from the best sighting of its unit so far, and a better one arriving later (a
    sale or repair on a slower topic) moves the case to that dealer and market and their
    owner: every case ends with the dealer and market of the best sighting of its unit,
    whatever order they arrived in.

    One writer: since the watermark before a batch is the latest occurred_at archived before it,
    the clock before event i is the latest occurred_at of the stream up to event i, whatever the
    batches. Each event meets the same cases at the same clock however the stream is cut, and
    each clock span escalates what a chain of shorter spans would (deadline order makes the
    outputs line up too): cases, timelines and outputs are those of one event per batch. A
    redelivered event is archived already and never reaches the fold again, so a replay after
    a crash changes nothing.

    With `partitions` (the partition number of each event) and `clocks` (each partition's clock
    before the batch), every partition keeps a clock of its own and a case passes its deadlines
    on the clock of the partition that opened it (cases stored before partitions were kept
    follow the shared clock). A partition is read by one writer at a time, in order, so cases,
    timelines and outputs are then the same whatever the batches, the lanes, the workers and
    the way partitions interleave. The price: a case on
    a partition that receives no events waits for its next one to be escalated.
    """
    book = BatchBook(cases, rules, sightings)
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

    # Without partitions every case follows the one shared clock.
    everyone = None if partitions is None else (None,)
    shared = since
    own: dict[int, datetime] = dict(clocks or {})
    for event, partition in zip(events, partitions or repeat(None), strict=False):
        at = event.occurred_at
        shared = at if shared is None else max(shared, at)
        if partition is not None:
            mine = own.get(partition)
            own[partition] = at if mine is None else max(mine, at)
            record(book.escalate_due(own[partition], rules, (partition,)))
        record(book.escalate_due(shared, rules, everyone))
        public = rules.cases.is_public(event.source)
        serial = getattr(getattr(event, "product", None), "serial", None)
        decision = dispatch(book.related(event), event, rules, book.sightings_of(serial))
        # Checked against the book before record() puts the decision's cases in it.
        record(_opened_on(decision, partition, book.cases))
        sighting = None if public else sighting_of(event)
        if sighting is not None:
            record(_sighted(book, sighting, rules))
    for partition in sorted({p for p in partitions or () if p is not None}):
        final = own[partition] if now is None else max(own[partition], now)
        record(book.escalate_due(final, rules, (partition,)))
    last = _later(shared, now)
    if last is not None:
        record(book.escalate_due(last, rules, everyone))
    return Decision(cases=tuple(changed.values()), timeline=tuple(timeline), outputs=tuple(outputs))


def _sighted(book: BatchBook, sighting: Sighting, rules: Rules) -> Decision:
    """Add a sighting to the book and move the unit's cases it tells better about."""
    book.see(sighting)
    moved = (sighted(case, sighting, rules) for case in book.on_serial(sighting.serial))
    return Decision(cases=tuple(case for case in moved if case is not None))


def _later(clock: datetime | None, now: datetime | None) -> datetime | None:
    if clock is None or (now is not None and now > clock):
        return now
    return clock


def _opened_on(decision: Decision, partition: int | None, known: Container[str]) -> Decision:
    """``decision`` with the cases it opened marked as cases of ``partition``."""
    if partition is None or all(c.case_id in known for c in decision.cases):
        return decision
    cases = tuple(
        c if c.case_id in known or c.partition is not None else replace(c, partition=partition)
        for c in decision.cases
    )
    return replace(decision, cases=cases)

"""The case book folds events in arrival order on an event-time clock, whatever the batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.casebook import CaseState, Decision, Rules, Sighting, apply_batch, sighting_of
from schemas.base import Event
from schemas.tickets import TicketResolved
from tests.unit.casebook.casebook_events import DAY, T0, complaint, confirmation, product, repair
from tests.unit.casebook.test_casebook_batch_equivalence import case_events


def _write(events: Sequence[Event], sizes: Sequence[int], rules: Rules) -> Decision:
    """What a single writer does: batch after batch, each from the watermark the last one left
    and with the sightings archived before it (as the stage loads them)."""
    book: dict[str, CaseState] = {}
    archived: list[Sighting] = []
    result = Decision()
    watermark: datetime | None = None
    start, i = 0, 0
    while start < len(events):
        batch = events[start : start + sizes[min(i, len(sizes) - 1)]]
        decision = apply_batch(book.values(), batch, rules, since=watermark, sightings=archived)
        book.update((c.case_id, c) for c in decision.cases)
        archived += _sightings(batch, rules)
        result = result.then(decision)
        latest = max(e.occurred_at for e in batch)
        watermark = latest if watermark is None else max(watermark, latest)
        start, i = start + len(batch), i + 1
    return result


def _sightings(events: Sequence[Event], rules: Rules) -> list[Sighting]:
    """What the stage loads for later batches: the sightings archived by these events."""
    found = (sighting_of(e) for e in events if not rules.cases.is_public(e.source))
    return [s for s in found if s is not None]


def _ticket_resolved(at: datetime) -> TicketResolved:
    return TicketResolved(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        ticket_id="T1",
        product=product(),
        resolution="pads replaced",
    )


def test_a_complaint_and_the_ticket_resolved_after_it_in_one_batch_resolve_the_case(
    rules: Rules,
) -> None:
    events = [complaint(), _ticket_resolved(T0 + DAY)]
    together = _write(events, [2], rules)
    apart = _write(events, [1], rules)
    assert together.cases == apart.cases
    assert [c.status for c in together.cases] == ["resolved"]


def test_a_late_resolution_meets_the_escalation_the_clock_already_passed_in_any_batch(
    rules: Rules,
) -> None:
    # The brake case is due at T0+5d. Another unit's event moves the clock to T0+6d before the
    # repair done at T0+4d arrives: the case was overdue when the repair reached the book, in
    # batches of one and of any size alike (event-time sorting used to hide the escalation).
    events = [
        complaint(),
        complaint("C9", at=T0 + 6 * DAY, serial="VIN9", component="BODY"),
        repair(T0 + 4 * DAY, component="BRAKES:PADS"),
    ]
    one = _write(events, [1], rules)
    for sizes in ([2], [3], [1, 2]):
        batched = _write(events, sizes, rules)
        assert batched.outputs == one.outputs
        assert batched.timeline == one.timeline
        assert batched.cases == one.cases
    brake = next(c for c in one.cases if c.serial == "VIN1")
    assert (brake.status, brake.escalations) == ("resolved", 1)
    assert [o.occurred_at for o in one.outputs] == [T0 + 5 * DAY]


def test_every_deadline_crossed_is_escalated_once_and_dated_at_the_deadline(
    rules: Rules,
) -> None:
    # Escalated at T0+5d, resolved, reopened at T0+8d (due T0+13d), then a far event: two
    # escalations in batches of one, and the same two when one batch spans both deadlines.
    events = [
        complaint(),
        repair(T0 + 7 * DAY, component="BRAKES:PADS"),
        confirmation(T0 + 8 * DAY, resolved=False),
        complaint("C9", at=T0 + 30 * DAY, serial="VIN9", component="BODY"),
    ]
    one = _write(events, [1], rules)
    assert [o.sla_due_at for o in one.outputs] == [T0 + 5 * DAY, T0 + 13 * DAY]
    assert [o.occurred_at for o in one.outputs] == [T0 + 5 * DAY, T0 + 13 * DAY]
    for sizes in ([4], [2], [3, 1], [1, 3]):
        assert _write(events, sizes, rules) == one


FOLDS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FOLDS
@given(
    events=st.lists(case_events(), max_size=40),
    sizes=st.lists(st.sampled_from([1, 2, 3, 5, 50, 2000]) | st.integers(1, 2000), min_size=1),
)
def test_any_batching_decides_what_one_event_per_batch_decides(
    rules: Rules, events: list[Event], sizes: list[int]
) -> None:
    one = _write(events, [1], rules)
    batched = _write(events, sizes, rules)
    # Same cases, same timeline and outputs in the same order (escalations by deadline).
    assert batched == one


@FOLDS
@given(
    events=st.lists(case_events(), max_size=40),
    lanes=st.integers(2, 3),
    sizes=st.lists(st.integers(1, 12), min_size=1),
)
def test_lanes_decide_what_one_writer_decides_when_no_event_is_late(
    rules: Rules, events: list[Event], lanes: int, sizes: list[int]
) -> None:
    # Events arrive in event-time order, a case's events share a lane (by serial), and every
    # round of lanes starts from the watermark the last round left: each lane folds each event
    # at its own occurred_at, so no event is late. A lane escalates its own cases, and overdue
    # cases of lanes idle in the round go to the first busy lane (the first to lock them).
    events = sorted(events, key=lambda e: e.occurred_at)
    lane_of = _partitions(events, lanes)
    book: dict[str, CaseState] = {}
    archived: list[Sighting] = []
    watermark: datetime | None = None
    outputs = []
    start, i = 0, 0
    while start < len(events):
        round_events = events[start : start + sizes[min(i, len(sizes) - 1)]]
        start, i = start + len(round_events), i + 1
        busy = sorted({lane_of(_keys(e)[0]) for e in round_events})
        decisions = []
        for lane in busy:
            mine = [e for e in round_events if lane_of(_keys(e)[0]) == lane]
            held = [
                c
                for c in book.values()
                if lane_of(_case_key(c)) == lane
                or (lane == busy[0] and lane_of(_case_key(c)) not in busy)
            ]
            decisions.append(apply_batch(held, mine, rules, since=watermark, sightings=archived))
        for decision in decisions:
            book.update((c.case_id, c) for c in decision.cases)
            outputs.extend(decision.outputs)
        archived += _sightings(round_events, rules)
        latest = round_events[-1].occurred_at
        watermark = latest if watermark is None else max(watermark, latest)
    # A lane's clock stops at its own events: what another lane's later events made overdue is
    # escalated by the next batch, which starts from the watermark all lanes left.
    settle = apply_batch(book.values(), [], rules, since=watermark)
    book.update((c.case_id, c) for c in settle.cases)
    outputs.extend(settle.outputs)
    one = _write(events, [1], rules)
    assert book == {c.case_id: c for c in one.cases}
    assert sorted(o.event_id for o in outputs) == sorted(o.event_id for o in one.outputs)


def _keys(event: Event) -> list[str]:
    """Every key by which an event finds its cases: one partition must hold them all."""
    product_ = getattr(event, "product", None)
    keys = [f"serial:{getattr(product_, 'serial', None)}"]
    for name in ("complaint_id", "call_id", "survey_id"):
        if value := getattr(event, name, None):
            keys.append(f"id:{value}")
    return keys


def _case_key(case: CaseState) -> str:
    return f"serial:{case.serial}"


def _partitions(events: Sequence[Event], lanes: int) -> Callable[[str], int]:
    """A partitioning that keeps each case's events together: keys met in one event share one."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for event in events:
        first, *others = _keys(event)
        for other in others:
            parent[root(other)] = root(first)
    return lambda key: sum(map(ord, root(key))) % lanes


def test_another_partitions_events_do_not_move_a_cases_clock(rules: Rules) -> None:
    # The brake case (partition 0) is due at T0+5d. A complaint on partition 1 at T0+6d arrives
    # before the brake repair done at T0+4d: on a shared clock the case would be escalated
    # first; on its own partition's clock it is repaired in time, whichever arrives first.
    brake = complaint()
    other = complaint("C9", at=T0 + 6 * DAY, serial="VIN9", component="BODY")
    fixed = repair(T0 + 4 * DAY, component="BRAKES:PADS")
    orders = ([brake, other, fixed], [brake, fixed, other])
    parts = {brake.event_id: 0, other.event_id: 1, fixed.event_id: 0}
    decided = [
        apply_batch([], events, rules, partitions=[parts[e.event_id] for e in events], clocks={})
        for events in orders
    ]
    assert decided[0].cases == decided[1].cases
    case = next(c for c in decided[0].cases if c.serial == "VIN1")
    assert (case.status, case.escalations, case.partition) == ("resolved", 0, 0)
    assert decided[0].outputs == ()
    shared = apply_batch([], orders[0], rules)
    assert next(c for c in shared.cases if c.serial == "VIN1").escalations == 1

"""The indexed batch functions of the case book decide exactly what the plain scans decide.

apply_batch and apply_followup_batch index the book instead of scanning it per event; the
reference functions below scan the whole book for every event, folding in arrival order on the
event-time clock, and random event sequences must give identical Decisions and FollowUpPlans
(same values, same order).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, get_args
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.casebook import (
    CaseState,
    Contact,
    Decision,
    FollowUp,
    FollowUpPlan,
    Rules,
    apply_batch,
    apply_followup_batch,
    due_escalations,
    plan_followups,
    record_call,
)
from pipeline.casebook.attribution import Sighting, sighting_of
from pipeline.casebook.cases import dispatch
from pipeline.casebook.rules import Severity
from pipeline.casebook.state import CaseOrigin, CaseStatus
from pipeline.casebook.transitions import close_unconfirmed, escalate, sighted
from pipeline.casebook.triage import stable_id
from schemas.base import Event
from schemas.feedback import (
    CallOutcome,
    CommentPosted,
    ComplaintFiled,
    ComplaintResolutionConfirmed,
    ComplaintUpdated,
    FollowUpCallMade,
    SurveyAnswered,
)
from schemas.outputs import FollowUpScheduled
from schemas.parts import Customer, ProductRef
from schemas.reference import RecallAnnounced
from schemas.repairs import Outcome, RepairCompleted
from schemas.tickets import TicketAssigned, TicketClosed, TicketOpened, TicketResolved
from tests.unit.casebook.casebook_events import DAY, T0

# --- The replaced implementations, verbatim: the reference the indexed ones must match. ---------


def reference_apply_batch(
    cases: Iterable[CaseState],
    events: Sequence[Event],
    rules: Rules,
    now: datetime | None = None,
    since: datetime | None = None,
    sightings: Iterable[Sighting] = (),
) -> Decision:
    """apply_batch without indexes: every event against every case of the book (and every
    sighting of every unit, scanned too)."""
    book = {case.case_id: case for case in cases}
    seen = list(sightings)
    result = Decision()

    def step(decision: Decision) -> None:
        nonlocal result
        book.update((case.case_id, case) for case in decision.cases)
        result = result.then(decision)

    clock = since
    for event in events:
        clock = event.occurred_at if clock is None else max(clock, event.occurred_at)
        step(reference_due_escalations(book.values(), clock, rules))
        serial = getattr(getattr(event, "product", None), "serial", None)
        on_unit = [s for s in seen if s.serial == serial]
        step(dispatch(sorted(book.values(), key=lambda c: c.case_id), event, rules, on_unit))
        sighting = None if rules.cases.is_public(event.source) else sighting_of(event)
        if sighting is not None:
            seen.append(sighting)
            for case in sorted(book.values(), key=lambda c: c.case_id):
                if case.serial == sighting.serial and (moved := sighted(case, sighting, rules)):
                    step(Decision(cases=(moved,)))
    if now is not None and (clock is None or now > clock):
        clock = now
    if clock is not None:
        step(reference_due_escalations(book.values(), clock, rules))
    return result


def reference_due_escalations(cases: Iterable[CaseState], now: datetime, rules: Rules) -> Decision:
    """due_escalations without the heap: a scan, by deadline then case id."""
    due: list[tuple[datetime, CaseState, Decision]] = []
    for case in cases:
        if (
            case.status == "open"
            and now > case.sla_due_at
            and case.escalated_sla_due_at != case.sla_due_at
        ):
            due.append((case.sla_due_at, case, escalate(case, rules)))
        elif case.status == "resolved" and case.resolved_at is not None:
            wait_over = case.resolved_at + rules.closing.unconfirmed_after
            if now > wait_over:
                due.append((wait_over, case, close_unconfirmed(case, rules)))
    due.sort(key=lambda d: (d[0], d[1].case_id))
    return Decision.combine(decision for _, _, decision in due)


def reference_apply_followup_batch(
    existing: Iterable[FollowUp],
    events: Sequence[Event],
    contacts: Mapping[UUID, Contact],
    rules: Rules,
) -> FollowUpPlan:
    """apply_followup_batch without indexes: every event scans the whole book."""
    book = {f.followup_id: f for f in existing}
    changed: dict[str, FollowUp] = {}
    outputs: list[FollowUpScheduled] = []
    for event in events:
        if rules.cases.is_public(event.source):
            continue
        if isinstance(event, TicketResolved | RepairCompleted):
            contact = contacts.get(event.event_id)
            if contact is None:
                continue
            mine = [f for f in book.values() if f.customer_id == contact.customer_id]
            plan = plan_followups(event, contact, mine, rules)
            outputs.extend(plan.outputs)
            updates = plan.followups
        elif isinstance(event, FollowUpCallMade):
            target = reference_called_followup(book.values(), event)
            updates = (record_call(target, event),) if target else ()
        else:
            continue
        for followup in updates:
            book[followup.followup_id] = changed[followup.followup_id] = followup
    return FollowUpPlan(followups=tuple(changed.values()), outputs=tuple(outputs))


def reference_called_followup(book: Iterable[FollowUp], call: FollowUpCallMade) -> FollowUp | None:
    """_called_followup without indexes."""
    followups = list(book)
    if call.followup_id:
        return next((f for f in followups if f.followup_id == call.followup_id), None)
    candidates = [
        f
        for f in followups
        if f.customer_id == call.customer_id
        and f.status in ("scheduled", "attempted")
        and (
            (call.ticket_id is not None and f.ticket_id == call.ticket_id)
            or (call.repair_id is not None and f.repair_id == call.repair_id)
        )
    ]
    return min(candidates, key=lambda f: (f.due_at, f.followup_id), default=None)


# --- Generators: few serials, components and ids, so events keep meeting the same cases. -------

SERIALS = ["VIN1", "VIN2", "VIN3", None]
COMPONENTS = ["BRAKES:PADS", "BRAKES:DISC", "BRAKES", "ENGINE", "ENGINE:COOLING", "BODY"]
COMPLAINT_IDS = [f"C{i}" for i in range(1, 7)]
CALL_IDS = [f"CALL{i}" for i in range(1, 5)]
SURVEY_IDS = [f"S{i}" for i in range(1, 4)]
TEXTS = [None, "grinding noise when braking", "smoke from the dashboard", "oil leak", "scratch"]
NOTES = ["Resolved: pads replaced", "parts ordered", "  fixed after second visit", "called back"]
SEVERITIES: list[Severity] = ["critical", "high", "medium", "low"]
STATUSES: list[CaseStatus] = ["open", "escalated", "resolved", "closed", "unconfirmed"]
ORIGINS: list[CaseOrigin] = ["complaint", "detractor", "followup"]
CUSTOMERS = [
    Customer(customer_id="K1", country="DE", language="de", timezone="Europe/Berlin"),
    Customer(customer_id="K2", country="CN", language="zh", timezone="Asia/Shanghai"),
]
HORIZON_HOURS = 150 * 24  # beyond the longest SLA plus the 90-day reopen window


def _product(serial: str | None) -> ProductRef:
    return ProductRef(brand="Acme", model="Roadster", serial=serial)


@st.composite
def case_events(draw: st.DrawFn) -> Event:
    """Any event the case book may see, on a few units, complaints, calls and surveys."""
    common: dict[str, Any] = {
        "event_id": draw(st.uuids()),
        "occurred_at": T0 + timedelta(hours=draw(st.integers(0, HORIZON_HOURS))),
        # Now and then a public complaint stream, which the case book must leave alone.
        "source": draw(st.sampled_from(["test", "test", "test", "nhtsa"])),
    }
    product = _product(draw(st.sampled_from(SERIALS)))
    component = draw(st.sampled_from(COMPONENTS))
    complaint_id = draw(st.sampled_from(COMPLAINT_IDS))
    scores = {
        "nps": draw(st.none() | st.integers(0, 10)),
        "csat": draw(st.none() | st.integers(1, 5)),
    }
    kind = draw(
        st.sampled_from(
            [
                "complaint",
                "complaint",
                "update",
                "confirmation",
                "repair",
                "repair",
                "ticket_opened",
                "ticket_resolved",
                "ticket_other",
                "comment",
                "call",
                "survey",
                "unrelated",
            ]
        )
    )
    if kind == "complaint":
        return ComplaintFiled(
            **common,
            product=product,
            complaint_id=complaint_id,
            customer=draw(st.none() | st.sampled_from(CUSTOMERS)),
            market=draw(st.sampled_from(["DE", "CN", "US", "FR"])),
            dealer_id=draw(st.none() | st.just("D-7")),
            component=draw(st.none() | st.just(component)),
            text=draw(st.sampled_from(TEXTS)),
            fire=draw(st.booleans()),
        )
    if kind == "update":
        note = draw(st.sampled_from(NOTES))
        return ComplaintUpdated(**common, product=product, complaint_id=complaint_id, note=note)
    if kind == "confirmation":
        return ComplaintResolutionConfirmed(
            **common,
            product=product,
            complaint_id=complaint_id,
            customer_id="K1",
            resolved=draw(st.booleans()),
        )
    if kind == "repair":
        return RepairCompleted(
            **common,
            repair_id=f"R{draw(st.integers(1, 5))}",
            product=product,
            market="DE",
            component=component,
            outcome=draw(st.sampled_from(get_args(Outcome))),
        )
    ticket: dict[str, Any] = {**common, "ticket_id": f"T{draw(st.integers(1, 5))}"}
    if kind == "ticket_opened":
        return TicketOpened(
            **ticket,
            product=product,
            customer=draw(st.sampled_from(CUSTOMERS)),
            market="DE",
            channel="phone",
            component=draw(st.none() | st.just(component)),
        )
    if kind == "ticket_resolved":
        return TicketResolved(**ticket, product=product, resolution="pads replaced")
    if kind == "ticket_other":
        if draw(st.booleans()):
            return TicketAssigned(**ticket, product=product, assignee="tech-1")
        return TicketClosed(**ticket, product=product)
    if kind == "comment":
        customer = draw(st.sampled_from(CUSTOMERS))
        return CommentPosted(
            **common, product=product, comment_id="X1", customer=customer, text="hi"
        )
    if kind == "call":
        return FollowUpCallMade(
            **common,
            product=product,
            call_id=draw(st.sampled_from(CALL_IDS)),
            customer_id="K1",
            reached=True,
            outcome=draw(st.sampled_from(get_args(CallOutcome))),
            **scores,
        )
    if kind == "survey":
        return SurveyAnswered(
            **common,
            product=product,
            survey_id=draw(st.sampled_from(SURVEY_IDS)),
            customer=draw(st.sampled_from(CUSTOMERS)),
            dealer_id=draw(st.none() | st.just("D-7")),
            **scores,
        )
    return RecallAnnounced(
        **common,
        recall_id="RC1",
        brand="Acme",
        model="Roadster",
        component=component,
        market="DE",
        announced_on=date(2024, 3, 1),
    )


@st.composite
def stored_cases(draw: st.DrawFn) -> CaseState:
    """A case as the warehouse may hand it over, in any status, sometimes already escalated."""
    origin = draw(st.sampled_from(ORIGINS))
    if origin == "complaint":
        origin_id = draw(st.sampled_from(COMPLAINT_IDS))
        extra = draw(st.lists(st.sampled_from(COMPLAINT_IDS), max_size=2, unique=True))
        complaint_ids = (origin_id, *(c for c in extra if c != origin_id))
    else:
        origin_id = draw(st.sampled_from(CALL_IDS + SURVEY_IDS))
        complaint_ids = ()
    status = draw(st.sampled_from(STATUSES))
    opened_at = T0 + timedelta(hours=draw(st.integers(-100 * 24, 60 * 24)))
    sla_due_at = opened_at + timedelta(days=draw(st.sampled_from([2, 5, 10, 20])))
    ended_at = opened_at + timedelta(hours=draw(st.integers(0, 30 * 24)))
    return CaseState(
        # Mostly the id apply would derive, so later events meet these cases as their own.
        case_id=draw(st.just(stable_id("case", origin, origin_id)) | st.just(f"case-{origin_id}")),
        origin=origin,
        origin_id=origin_id,
        complaint_ids=complaint_ids,
        owner="owner-1",
        severity=draw(st.sampled_from(SEVERITIES)),
        status=status,
        opened_at=opened_at,
        sla_due_at=sla_due_at,
        customer_id=draw(st.none() | st.just("K1")),
        serial=draw(st.sampled_from(SERIALS)),
        component=draw(st.none() | st.sampled_from(COMPONENTS)),
        market=draw(st.none() | st.just("DE")),
        resolved_at=ended_at if status in ("resolved", "closed", "unconfirmed") else None,
        closed_at=ended_at if status in ("closed", "unconfirmed") else None,
        reason=(
            "complaint"
            if origin == "complaint"
            else draw(st.sampled_from(["detractor", "problem_persists", "new_problem"]))
        ),
        escalated_sla_due_at=draw(st.none() | st.just(sla_due_at) | st.just(opened_at)),
        escalations=draw(st.integers(0, 2)),
    )


EQUIVALENCE = settings(
    max_examples=120,
    deadline=None,
    database=None,  # no .hypothesis directory in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@EQUIVALENCE
@given(
    stored=st.lists(stored_cases(), max_size=8),
    history=st.lists(case_events(), max_size=20),
    batches=st.lists(st.lists(case_events(), max_size=30), min_size=1, max_size=3),
    lag_hours=st.integers(-48, 30 * 24),
    lead_hours=st.none() | st.integers(0, 60 * 24),
)
def test_apply_batch_decides_exactly_what_the_full_scan_decided(
    rules: Rules,
    stored: list[CaseState],
    history: list[Event],
    batches: list[list[Event]],
    lag_hours: int,
    lead_hours: int | None,
) -> None:
    # Warehouse cases, then what earlier events made of them, then batches one after the other,
    # each starting from the cases the previous one left (as the stage loads them).
    book = {c.case_id: c for c in stored}
    archived: list[Sighting] = []
    since = None if lead_hours is None else T0 + timedelta(hours=lead_hours)
    for events in [history, *batches]:
        latest = max((e.occurred_at for e in events), default=T0)
        now = latest + timedelta(hours=lag_hours)
        expected = reference_apply_batch(book.values(), events, rules, now, since, archived)
        found = apply_batch(book.values(), events, rules, now, since=since, sightings=archived)
        assert found == expected
        book.update((c.case_id, c) for c in expected.cases)
        archived += [
            s for e in events if (s := sighting_of(e)) and not rules.cases.is_public(e.source)
        ]
    at = T0 + timedelta(hours=lag_hours * 5)
    assert due_escalations(book.values(), at, rules) == reference_due_escalations(
        book.values(), at, rules
    )


@EQUIVALENCE
@given(stored=st.lists(stored_cases(), max_size=8), events=st.lists(case_events(), max_size=30))
def test_apply_batch_keeps_the_full_scan_order_of_duplicated_input_cases(
    rules: Rules, stored: list[CaseState], events: list[Event]
) -> None:
    # The same case twice (an overdue case also found by lookup): first place, last value.
    doubled = [*stored, *reversed(stored)]
    now = T0 + 200 * DAY
    assert apply_batch(doubled, events, rules, now) == reference_apply_batch(
        doubled, events, rules, now
    )


def test_a_large_seeded_batch_decides_exactly_what_the_full_scan_decided(rules: Rules) -> None:
    # Hundreds of cases and events at once: many escalations fall between the same two events.
    generate = random.Random(20240304)
    stored = [_seeded_case(generate, i) for i in range(300)]
    events = [_seeded_event(generate, i) for i in range(1000)]
    first = reference_apply_batch(stored, events[:500], rules, T0 + 60 * DAY)
    assert apply_batch(stored, events[:500], rules, T0 + 60 * DAY) == first
    book = {c.case_id: c for c in (*stored, *first.cases)}
    now = T0 + 200 * DAY
    second = reference_apply_batch(book.values(), events[500:], rules, now)
    assert apply_batch(book.values(), events[500:], rules, now) == second
    assert len(second.outputs) > 10  # the batch did escalate, not only trivially agree


def _seeded_case(generate: random.Random, i: int) -> CaseState:
    """A stored complaint case on one of 60 units, in any status."""
    status = generate.choice(STATUSES)
    opened_at = T0 + timedelta(hours=generate.randrange(-100 * 24, 60 * 24))
    ended_at = opened_at + timedelta(hours=generate.randrange(30 * 24))
    return CaseState(
        case_id=stable_id("case", "complaint", f"C{1000 + i}"),
        origin="complaint",
        origin_id=f"C{1000 + i}",
        complaint_ids=(f"C{1000 + i}",),
        owner="owner-1",
        severity=generate.choice(SEVERITIES),
        status=status,
        opened_at=opened_at,
        sla_due_at=opened_at + timedelta(days=generate.choice([2, 5, 10, 20])),
        serial=f"VIN{generate.randrange(60)}",
        component=generate.choice(COMPONENTS),
        resolved_at=ended_at if status in ("resolved", "closed", "unconfirmed") else None,
        closed_at=ended_at if status in ("closed", "unconfirmed") else None,
    )


def _seeded_event(generate: random.Random, i: int) -> Event:
    """A complaint, repair, update, confirmation, call or survey on one of 60 units."""
    common: dict[str, Any] = {
        "event_id": UUID(int=i),
        "occurred_at": T0 + timedelta(hours=generate.randrange(HORIZON_HOURS)),
        "source": "test",
        "product": _product(f"VIN{generate.randrange(60)}"),
    }
    complaint_id = f"C{generate.randrange(200)}"
    kind = generate.choice(["complaint", "complaint", "repair", "update", "confirm", "call"])
    if kind == "complaint":
        return ComplaintFiled(
            **common,
            complaint_id=complaint_id,
            market="DE",
            component=generate.choice(COMPONENTS),
            text=generate.choice(TEXTS),
        )
    if kind == "repair":
        return RepairCompleted(
            **common, repair_id=f"R{i}", market="DE", component=generate.choice(COMPONENTS)
        )
    if kind == "update":
        return ComplaintUpdated(**common, complaint_id=complaint_id, note=generate.choice(NOTES))
    if kind == "confirm":
        resolved = generate.random() < 0.7
        return ComplaintResolutionConfirmed(
            **common, complaint_id=complaint_id, customer_id="K1", resolved=resolved
        )
    outcome: CallOutcome = generate.choice(["satisfied", "problem_persists", "new_problem"])
    return FollowUpCallMade(
        **common,
        call_id=f"CALL{generate.randrange(100)}",
        customer_id="K1",
        reached=True,
        outcome=outcome,
        nps=generate.randrange(11),
    )


# --- Follow-ups. ---------------------------------------------------------------------------------

CONTACTS = [
    Contact(customer_id="K1", language="de", timezone="Europe/Berlin"),
    Contact(customer_id="K2", language="zh", timezone="Asia/Shanghai"),
    Contact(customer_id="K3", language="en", timezone="America/New_York"),
]
REPAIR_IDS = ["R1", "R2", "R3"]
TICKET_IDS = ["T1", "T2", "T3"]
FOLLOWUP_IDS = [
    stable_id("fu", kind, service, f"{days}d")
    for kind, services in (("repair", REPAIR_IDS), ("ticket", TICKET_IDS))
    for service in services
    for days in (7, 30)
]


@st.composite
def service_events(draw: st.DrawFn) -> tuple[Event, Contact | None]:
    """A service, a call or an unrelated event, with the contact the glue found (if any)."""
    common: dict[str, Any] = {
        "event_id": draw(st.uuids()),
        "occurred_at": T0 + timedelta(hours=draw(st.integers(0, 90 * 24))),
        "source": "test",
        "product": _product("AC-1"),
    }
    ticket_id = draw(st.none() | st.sampled_from(TICKET_IDS))
    repair_id = draw(st.none() | st.sampled_from(REPAIR_IDS))
    contact = draw(st.none() | st.sampled_from(CONTACTS))
    kind = draw(st.sampled_from(["repair", "ticket", "call", "call", "comment"]))
    if kind == "repair":
        repair = RepairCompleted(
            **common,
            repair_id=repair_id or "R1",
            ticket_id=ticket_id,
            market="CN",
            component="COMPRESSOR",
        )
        return repair, contact
    if kind == "ticket":
        resolved = TicketResolved(
            **common, ticket_id=ticket_id or "T1", resolution="fixed", repair_id=repair_id
        )
        return resolved, contact
    if kind == "call":
        call = FollowUpCallMade(
            **common,
            call_id="CALL1",
            followup_id=draw(st.none() | st.sampled_from([*FOLLOWUP_IDS, "fu-unknown"])),
            customer_id=draw(st.sampled_from(CONTACTS)).customer_id,
            ticket_id=ticket_id,
            repair_id=repair_id,
            reached=draw(st.booleans()),
            outcome=draw(st.sampled_from(get_args(CallOutcome))),
        )
        return call, None
    comment = CommentPosted(**common, comment_id="X1", customer=CUSTOMERS[0], text="ok")
    return comment, contact


@st.composite
def stored_followups(draw: st.DrawFn) -> FollowUp:
    """A follow-up as loaded from the warehouse; ids may belong to another customer's service."""
    ticket_id = draw(st.none() | st.sampled_from(TICKET_IDS))
    repair_id = draw(st.none() | st.sampled_from(REPAIR_IDS))
    planned_at = T0 + timedelta(hours=draw(st.integers(-30 * 24, 30 * 24)))
    contact = draw(st.sampled_from(CONTACTS))
    return FollowUp(
        followup_id=draw(st.sampled_from(FOLLOWUP_IDS)),
        customer_id=contact.customer_id,
        due_at=planned_at + timedelta(hours=draw(st.integers(0, 40 * 24))),
        offset_days=draw(st.sampled_from([7, 30])),
        language=contact.language,
        timezone=contact.timezone,
        reason="post_service",
        status=draw(st.sampled_from(["scheduled", "dropped", "attempted", "reached"])),
        planned_at=planned_at,
        ticket_id=ticket_id,
        repair_id=repair_id,
    )


@EQUIVALENCE
@given(
    stored=st.lists(stored_followups(), max_size=8),
    history=st.lists(service_events(), max_size=12),
    batches=st.lists(st.lists(service_events(), max_size=25), min_size=1, max_size=3),
)
def test_apply_followup_batch_plans_exactly_what_the_full_scan_planned(
    rules: Rules,
    stored: list[FollowUp],
    history: list[tuple[Event, Contact | None]],
    batches: list[list[tuple[Event, Contact | None]]],
) -> None:
    book = {f.followup_id: f for f in stored}
    for batch in [history, *batches]:
        events = [event for event, _ in batch]
        contacts = {event.event_id: contact for event, contact in batch if contact is not None}
        expected = reference_apply_followup_batch(book.values(), events, contacts, rules)
        assert apply_followup_batch(book.values(), events, contacts, rules) == expected
        book.update((f.followup_id, f) for f in expected.followups)

"""The complaint case book: a case's life from complaint to customer confirmation and recurrence."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from pipeline.casebook import Decision, Rules, age, apply, apply_batch, due_escalations, next_action
from schemas.base import Event
from schemas.feedback import ComplaintUpdated
from schemas.parts import Customer
from schemas.tickets import TicketOpened, TicketResolved
from tests.unit.casebook.casebook_events import (
    DAY,
    T0,
    complaint,
    confirmation,
    only,
    product,
    repair,
)


def test_walks_a_complaint_through_escalation_resolution_confirmation_and_reopening(
    rules: Rules,
) -> None:
    opened = apply_batch([], [complaint()], rules, now=T0)
    case = only(opened)
    assert (case.status, case.severity, case.sla_due_at) == ("open", "high", T0 + 5 * DAY)
    assert case.owner in rules.assignment.markets["DE"]
    assert opened.outputs == ()

    escalated = due_escalations([case], T0 + 6 * DAY, rules)
    case = only(escalated)
    assert case.status == "escalated"
    assert [(o.case_id, o.sla_due_at, o.owner) for o in escalated.outputs] == [
        (case.case_id, T0 + 5 * DAY, case.owner)
    ]
    assert next_action(case, T0 + 6 * DAY).startswith(f"escalated: owner {case.owner}")
    assert due_escalations([case], T0 + 8 * DAY, rules) == Decision()

    case = only(apply([case], repair(T0 + 7 * DAY), rules))
    assert (case.status, case.resolved_at) == ("resolved", T0 + 7 * DAY)
    assert next_action(case, T0 + 8 * DAY).startswith("call customer to confirm resolution")

    case = only(apply([case], confirmation(T0 + 9 * DAY, resolved=True), rules))
    assert (case.status, case.closed_at) == ("closed", T0 + 9 * DAY)
    assert age(case, T0 + 50 * DAY) == 9 * DAY

    back = apply([case], complaint("C2", at=T0 + 40 * DAY), rules)
    case = only(back)
    assert (case.status, case.reopen_count) == ("open", 1)
    assert case.complaint_ids == ("C1", "C2")
    assert case.sla_due_at == T0 + 45 * DAY
    assert [e.kind for e in back.timeline] == ["reopened"]


def test_timeline_records_every_step_of_a_batch_in_event_order(rules: Rules) -> None:
    events = [
        complaint(),
        repair(T0 + 7 * DAY),
        confirmation(T0 + 9 * DAY, resolved=True),
    ]
    decision = apply_batch([], events, rules, now=T0 + 9 * DAY)
    assert [(e.kind, e.status_after) for e in decision.timeline] == [
        ("opened", "open"),
        ("escalated", "escalated"),
        ("resolved", "resolved"),
        ("confirmed", "closed"),
    ]
    assert len(decision.outputs) == 1
    assert only(decision).status == "closed"


def test_escalation_does_not_depend_on_how_events_are_batched(rules: Rules) -> None:
    events = [complaint(), repair(T0 + 7 * DAY)]
    together = apply_batch([], events, rules, now=T0 + 7 * DAY)
    first = apply_batch([], events[:1], rules, now=T0)
    second = apply_batch(first.cases, events[1:], rules, now=T0 + 7 * DAY)
    assert together.outputs == first.outputs + second.outputs
    assert together.cases == second.cases


def test_customer_saying_not_resolved_reopens_the_case_with_a_new_sla(rules: Rules) -> None:
    case = only(apply_batch([], [complaint(), repair(T0 + 2 * DAY)], rules, now=T0 + 2 * DAY))
    assert case.status == "resolved"
    decision = apply([case], confirmation(T0 + 3 * DAY, resolved=False), rules)
    case = only(decision)
    assert (case.status, case.sla_due_at, case.reopen_count) == ("open", T0 + 8 * DAY, 1)
    assert case.resolved_at is None
    # The new SLA gets its own escalation.
    assert len(due_escalations([case], T0 + 9 * DAY, rules).outputs) == 1


def test_a_resolved_case_waits_for_confirmation_and_then_closes_unconfirmed(
    rules: Rules,
) -> None:
    wait = rules.closing.unconfirmed_after
    waiting = T0 + DAY + wait
    case = only(apply_batch([], [complaint(), repair(T0 + DAY)], rules, now=waiting))
    assert case.status == "resolved"
    assert due_escalations([case], waiting, rules) == Decision()
    ended = only(due_escalations([case], waiting + timedelta(seconds=1), rules))
    assert (ended.status, ended.closed_at) == ("unconfirmed", waiting)


def test_same_fault_after_the_watch_window_opens_a_new_case(rules: Rules) -> None:
    events = [complaint(), repair(T0 + DAY), confirmation(T0 + 2 * DAY, resolved=True)]
    closed = only(apply_batch([], events, rules, now=T0 + 2 * DAY))
    late = apply([closed], complaint("C2", at=T0 + 2 * DAY + 91 * DAY), rules)
    assert only(late).case_id != closed.case_id
    other_component = apply([closed], complaint("C3", at=T0 + 10 * DAY, component="ENGINE"), rules)
    assert only(other_component).case_id != closed.case_id


def test_a_repair_of_the_same_fault_after_closing_reopens_and_awaits_confirmation(
    rules: Rules,
) -> None:
    events = [complaint(), repair(T0 + DAY), confirmation(T0 + 2 * DAY, resolved=True)]
    closed = only(apply_batch([], events, rules, now=T0 + 2 * DAY))
    decision = apply([closed], repair(T0 + 30 * DAY, component="BRAKES:CALIPER"), rules)
    assert [e.kind for e in decision.timeline] == ["reopened", "resolved"]
    case = only(decision)
    assert (case.status, case.reopen_count) == ("resolved", 1)


def test_a_ticket_on_the_same_fault_reopens_a_closed_case(rules: Rules) -> None:
    events = [complaint(), repair(T0 + DAY), confirmation(T0 + 2 * DAY, resolved=True)]
    closed = only(apply_batch([], events, rules, now=T0 + 2 * DAY))
    ticket = TicketOpened(
        event_id=uuid4(),
        occurred_at=T0 + 20 * DAY,
        source="test",
        ticket_id="T9",
        product=product(),
        customer=Customer(customer_id="K1", country="DE"),
        market="DE",
        channel="phone",
        component="BRAKES",
    )
    assert only(apply([closed], ticket, rules)).status == "open"


def test_ticket_resolution_on_the_unit_resolves_an_open_case(rules: Rules) -> None:
    case = only(apply([], complaint(), rules))
    resolved = TicketResolved(
        event_id=uuid4(),
        occurred_at=T0 + DAY,
        source="test",
        ticket_id="T1",
        product=product(),
        resolution="pads replaced",
    )
    assert only(apply([case], resolved, rules)).status == "resolved"
    on_other_unit = resolved.model_copy(update={"product": product("VIN9")})
    assert apply([case], on_other_unit, rules) == Decision()


def test_a_complaint_update_marking_resolution_resolves_the_case(rules: Rules) -> None:
    case = only(apply([], complaint(), rules))

    def update(note: str) -> Event:
        return ComplaintUpdated(
            event_id=uuid4(),
            occurred_at=T0 + DAY,
            source="test",
            product=product(),
            complaint_id="C1",
            note=note,
        )

    assert only(apply([case], update("Not resolved yet, parts ordered"), rules)).status == "open"
    assert only(apply([case], update("Resolved: pads replaced"), rules)).status == "resolved"


def test_next_action_warns_when_an_open_case_is_past_its_sla(rules: Rules) -> None:
    case = only(apply([], complaint(), rules))
    assert next_action(case, T0 + DAY).startswith(f"contact customer and fix: owner {case.owner}")
    assert next_action(case, T0 + 6 * DAY).startswith("overdue:")
    assert age(case, T0 + 6 * DAY) == 6 * DAY

"""Follow-up calls: local business hours, language, contact cap, deduplication and call outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from pipeline.casebook import (
    Contact,
    FollowUp,
    Rules,
    apply_followup_batch,
    business_time,
    plan_followups,
    record_call,
)
from pipeline.casebook.followups import _within_cap
from pipeline.casebook.rules import load_rules
from schemas.feedback import FollowUpCallMade
from schemas.parts import ProductRef
from schemas.repairs import RepairCompleted
from schemas.tickets import TicketResolved

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_EVENING = datetime(2024, 3, 8, 20, 0, tzinfo=SHANGHAI)
WANG = Contact(customer_id="K-CN-1", language="zh", timezone="Asia/Shanghai")


def repair(at: datetime, repair_id: str = "R1", ticket_id: str | None = None) -> RepairCompleted:
    return RepairCompleted(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        repair_id=repair_id,
        ticket_id=ticket_id,
        product=ProductRef(brand="Acme", model="Cool 9", serial="AC-1"),
        customer_id=WANG.customer_id,
        market="CN",
        component="COMPRESSOR",
    )


def ticket_resolved(at: datetime, ticket_id: str, repair_id: str | None) -> TicketResolved:
    return TicketResolved(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        ticket_id=ticket_id,
        product=ProductRef(brand="Acme", model="Cool 9", serial="AC-1"),
        resolution="compressor replaced",
        repair_id=repair_id,
    )


def call(at: datetime, followup_id: str | None, reached: bool, outcome: Any) -> FollowUpCallMade:
    return FollowUpCallMade(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        product=ProductRef(brand="Acme", model="Cool 9", serial="AC-1"),
        call_id=f"CALL-{at:%j%H}",
        followup_id=followup_id,
        customer_id=WANG.customer_id,
        repair_id="R1",
        reached=reached,
        outcome=outcome,
    )


def test_a_repair_resolved_friday_evening_in_shanghai_is_called_back_on_weekdays_in_office_hours(
    rules: Rules,
) -> None:
    plan = plan_followups(repair(FRIDAY_EVENING), WANG, [], rules)
    due = [o.due_at.astimezone(SHANGHAI) for o in plan.outputs]
    # +7 days is Friday 20:00, after hours: the next Monday at opening time.
    # +30 days is Sunday 7 April, 20:00: Monday 8 April at opening time.
    assert due == [
        datetime(2024, 3, 18, 9, 0, tzinfo=SHANGHAI),
        datetime(2024, 4, 8, 9, 0, tzinfo=SHANGHAI),
    ]
    assert all(d.weekday() < 5 and 9 <= d.hour < 18 for d in due)
    assert {(o.language, o.timezone, o.customer_id) for o in plan.outputs} == {
        ("zh", "Asia/Shanghai", "K-CN-1")
    }
    assert [f.status for f in plan.followups] == ["scheduled", "scheduled"]


def test_business_time_keeps_office_hours_and_moves_early_mornings_to_opening(
    rules: Rules,
) -> None:
    hours = rules.followups
    inside = datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)  # Tuesday
    assert business_time(inside, "Asia/Shanghai", hours) == inside
    early = datetime(2024, 3, 5, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai, 07:00 in Berlin
    assert business_time(early, "Asia/Shanghai", hours) == early
    berlin = business_time(early, "Europe/Berlin", hours)
    assert berlin == datetime(2024, 3, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_business_time_lands_on_a_real_local_hour_across_a_daylight_saving_change(
    rules: Rules,
) -> None:
    # Saturday night before the US switches to summer time (Sunday 10 March 2024).
    moment = datetime(2024, 3, 9, 23, 0, tzinfo=ZoneInfo("America/New_York"))
    due = business_time(moment, "America/New_York", rules.followups)
    assert due.astimezone(UTC) == datetime(2024, 3, 11, 13, 0, tzinfo=UTC)  # 09:00 EDT


def test_follow_ups_are_deterministic_and_not_planned_twice(rules: Rules) -> None:
    event = repair(FRIDAY_EVENING)
    first = plan_followups(event, WANG, [], rules)
    again = plan_followups(event, WANG, [], rules)
    assert [f.followup_id for f in first.followups] == [f.followup_id for f in again.followups]
    assert [o.event_id for o in first.outputs] == [o.event_id for o in again.outputs]
    assert plan_followups(event, WANG, first.followups, rules).followups == ()


def test_a_resolved_ticket_and_its_repair_get_one_set_of_follow_ups(rules: Rules) -> None:
    events = [
        repair(FRIDAY_EVENING, ticket_id="T1"),
        ticket_resolved(FRIDAY_EVENING + timedelta(minutes=5), "T1", repair_id=None),
    ]
    contacts = {e.event_id: WANG for e in events}
    plan = apply_followup_batch([], events, contacts, rules)
    assert len(plan.outputs) == 2
    assert [f.offset_days for f in plan.followups] == [7, 30]


def test_the_contact_cap_drops_follow_ups_beyond_two_in_thirty_days(rules: Rules) -> None:
    events = [
        repair(FRIDAY_EVENING, repair_id="R1"),
        repair(FRIDAY_EVENING + timedelta(days=3), repair_id="R2"),
        repair(FRIDAY_EVENING + timedelta(days=60), repair_id="R3"),
    ]
    contacts = {e.event_id: WANG for e in events}
    plan = apply_followup_batch([], events, contacts, rules)
    by_repair = {(f.repair_id, f.offset_days): f.status for f in plan.followups}
    assert by_repair == {
        ("R1", 7): "scheduled",
        ("R1", 30): "scheduled",
        ("R2", 7): "dropped",
        ("R2", 30): "dropped",
        ("R3", 7): "scheduled",  # 30 days after R1's last call
        ("R3", 30): "scheduled",
    }
    assert {o.repair_id for o in plan.outputs} == {"R1", "R3"}
    due = sorted(o.due_at for o in plan.outputs)
    window = rules.followups.cap_window
    assert all(sum(1 for d in due if s <= d < s + window) <= 2 for s in due)


def test_a_service_without_a_known_contact_gets_no_follow_up(rules: Rules) -> None:
    assert apply_followup_batch([], [repair(FRIDAY_EVENING)], {}, rules).followups == ()


def test_calls_record_whether_the_customer_was_reached(rules: Rules) -> None:
    planned = plan_followups(repair(FRIDAY_EVENING), WANG, [], rules).followups
    first = planned[0]
    later = FRIDAY_EVENING + timedelta(days=11)
    no_answer = call(later, first.followup_id, reached=False, outcome="no_answer")
    answered = call(later + timedelta(hours=2), None, reached=True, outcome="satisfied")
    plan = apply_followup_batch(planned, [no_answer, answered], {}, rules)
    (updated,) = plan.followups
    assert (updated.followup_id, updated.status, updated.outcome) == (
        first.followup_id,
        "reached",
        "satisfied",
    )
    assert updated.attempts == 2
    assert plan.outputs == ()


def test_a_late_unanswered_call_does_not_undo_a_reached_follow_up(rules: Rules) -> None:
    followup = plan_followups(repair(FRIDAY_EVENING), WANG, [], rules).followups[0]
    reached: FollowUp = replace(followup, status="reached", outcome="satisfied")
    after = record_call(reached, call(FRIDAY_EVENING, followup.followup_id, False, "no_answer"))
    assert (after.status, after.outcome, after.attempts) == ("reached", "satisfied", 1)


@given(
    history=st.lists(st.integers(min_value=0, max_value=200 * 24), max_size=30),
    candidate=st.integers(min_value=0, max_value=200 * 24),
)
def test_the_cap_looks_only_at_windows_holding_the_candidate(
    history: list[int], candidate: int
) -> None:
    rules = load_rules().followups
    start = datetime(2024, 1, 1, tzinfo=UTC)
    due = [start + timedelta(hours=h) for h in history]
    at = start + timedelta(hours=candidate)
    points = sorted([*due, at])
    window = rules.cap_window
    holding = [s for s in points if s <= at < s + window]
    expected = all(sum(1 for q in points if s <= q < s + window) <= rules.cap for s in holding)
    assert _within_cap(due, at, rules) is expected

"""Every reason a case opens for has a way to close: confirmed, reopened, or closed unconfirmed.

Each path is folded over its events cut into batches at random, carrying the cases and the
event-time watermark from batch to batch as the stage does: the end must not depend on the cuts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.casebook import CaseState, Rules, apply_batch
from schemas.base import Event
from schemas.feedback import ComplaintFiled, FollowUpCallMade
from tests.unit.casebook.casebook_events import (
    DAY,
    T0,
    call,
    complaint,
    confirmation,
    product,
    repair,
    survey,
)

REASONS = ["complaint", "detractor", "problem_persists", "new_problem"]
CUTS = settings(max_examples=25, deadline=None, database=None)


def opening(reason: str) -> Event:
    """The event that opens a case for `reason` on VIN1."""
    if reason == "complaint":
        return complaint("C1", T0)
    if reason == "detractor":
        return survey(T0, nps=3, serial="VIN1")
    return call(T0, reason, call_id="CALL-OPEN")


def confirmations(reason: str) -> list[Callable[[datetime], Event]]:
    """Every way the customer can confirm a case opened for `reason`."""
    ways: list[Callable[[datetime], Event]] = [
        lambda at: call(at, "satisfied", call_id="CALL-OK"),
        lambda at: survey(at, nps=9, serial="VIN1"),
    ]
    if reason == "complaint":
        ways.append(lambda at: confirmation(at, resolved=True))
    return ways


def fold(
    events: Sequence[Event], rules: Rules, cuts: Sequence[bool], now: datetime | None = None
) -> dict[str, CaseState]:
    """The case book after `events`, cut into a new batch wherever `cuts` says True."""
    batches: list[list[Event]] = [[]]
    for i, event in enumerate(events):
        if i and i <= len(cuts) and cuts[i - 1]:
            batches.append([])
        batches[-1].append(event)
    book: dict[str, CaseState] = {}
    since: datetime | None = None
    for n, batch in enumerate(batches):
        last = n == len(batches) - 1
        decision = apply_batch(book.values(), batch, rules, now if last else None, since=since)
        book.update((c.case_id, c) for c in decision.cases)
        latest = max(e.occurred_at for e in batch)
        since = latest if since is None else max(since, latest)
    return book


def the_case(book: dict[str, CaseState]) -> CaseState:
    assert len(book) == 1, book
    return next(iter(book.values()))


def cut_lists() -> st.SearchStrategy[list[bool]]:
    return st.lists(st.booleans(), max_size=6)


@pytest.mark.parametrize("reason", REASONS)
@CUTS
@given(cuts=cut_lists(), way=st.integers(0, 2))
def test_a_resolved_case_of_every_reason_closes_on_the_customers_confirmation(
    rules: Rules, reason: str, cuts: list[bool], way: int
) -> None:
    ways = confirmations(reason)
    confirm = ways[way % len(ways)]
    events = [opening(reason), repair(T0 + DAY), confirm(T0 + 3 * DAY)]
    case = the_case(fold(events, rules, cuts))
    assert case.reason == reason
    assert (case.status, case.resolved_at, case.closed_at) == ("closed", T0 + DAY, T0 + 3 * DAY)


@pytest.mark.parametrize("reason", REASONS)
@CUTS
@given(cuts=cut_lists())
def test_a_resolved_case_of_every_reason_reopens_when_the_problem_persists(
    rules: Rules, reason: str, cuts: list[bool]
) -> None:
    events = [opening(reason), repair(T0 + DAY), call(T0 + 3 * DAY, "problem_persists", "CALL-2")]
    case = the_case(fold(events, rules, cuts))
    assert (case.status, case.reopen_count, case.resolved_at) == ("open", 1, None)
    assert case.sla_due_at == T0 + 3 * DAY + rules.cases.sla[case.severity]


@pytest.mark.parametrize("reason", REASONS)
@CUTS
@given(cuts=cut_lists())
def test_a_resolved_case_of_every_reason_closes_unconfirmed_when_the_wait_runs_out(
    rules: Rules, reason: str, cuts: list[bool]
) -> None:
    wait = rules.closing.unconfirmed_after
    # A later event moves the clock past the wait; the closing is dated at the deadline.
    later = repair(T0 + DAY + wait + 5 * DAY, component="ENGINE", serial="VIN9")
    events = [opening(reason), repair(T0 + DAY), later]
    book = fold(events, rules, cuts)
    case = book[next(i for i, c in book.items() if c.serial == "VIN1")]
    assert (case.status, case.closed_at) == ("unconfirmed", T0 + DAY + wait)


@pytest.mark.parametrize("reason", REASONS)
@CUTS
@given(cuts=cut_lists())
def test_a_late_confirmation_closes_an_unconfirmed_case_as_confirmed(
    rules: Rules, reason: str, cuts: list[bool]
) -> None:
    wait = rules.closing.unconfirmed_after
    late = T0 + DAY + wait + 2 * DAY
    events = [opening(reason), repair(T0 + DAY), survey(late, nps=10, serial="VIN1")]
    case = the_case(fold(events, rules, cuts))
    assert (case.status, case.closed_at) == ("closed", late)


@pytest.mark.parametrize("reason", REASONS)
def test_a_resolved_case_closed_unconfirmed_reopens_when_the_problem_persists(
    rules: Rules, reason: str
) -> None:
    wait = rules.closing.unconfirmed_after
    persists = call(T0 + DAY + wait + 2 * DAY, "problem_persists", "CALL-2")
    case = the_case(fold([opening(reason), repair(T0 + DAY), persists], rules, []))
    assert (case.status, case.reopen_count) == ("open", 1)


def test_a_complaint_the_customer_says_is_not_resolved_reopens(rules: Rules) -> None:
    events = [complaint(), repair(T0 + DAY), confirmation(T0 + 2 * DAY, resolved=False)]
    case = the_case(fold(events, rules, []))
    assert (case.status, case.reopen_count) == ("open", 1)


@pytest.mark.parametrize("reason", ["detractor", "problem_persists", "new_problem"])
def test_a_satisfied_call_closes_a_feedback_case_nobody_marked_resolved(
    rules: Rules, reason: str
) -> None:
    events = [opening(reason), call(T0 + 2 * DAY, "satisfied", call_id="CALL-OK")]
    case = the_case(fold(events, rules, []))
    assert (case.status, case.resolved_at, case.closed_at) == ("closed", T0 + 2 * DAY, T0 + 2 * DAY)


def test_a_satisfied_call_does_not_close_a_complaint_before_it_is_resolved(rules: Rules) -> None:
    case = the_case(fold([complaint(), call(T0 + 2 * DAY, "satisfied", "CALL-OK")], rules, []))
    assert case.status == "open"


def test_a_detractor_score_is_no_confirmation(rules: Rules) -> None:
    events = [complaint(), repair(T0 + DAY), survey(T0 + 2 * DAY, nps=4, serial="VIN1")]
    assert the_case(fold(events, rules, [])).status == "resolved"


def test_a_call_that_did_not_reach_the_customer_is_no_confirmation(rules: Rules) -> None:
    unanswered = call(T0 + 2 * DAY, "satisfied").model_copy(update={"reached": False})
    events = [complaint(), repair(T0 + DAY), unanswered]
    assert the_case(fold(events, rules, [])).status == "resolved"


def test_a_confirmation_from_before_the_resolution_does_not_close_the_case(rules: Rules) -> None:
    events = [complaint(), survey(T0 + DAY, nps=9, serial="VIN1"), repair(T0 + 2 * DAY)]
    assert the_case(fold(events, rules, [])).status == "resolved"


@pytest.mark.parametrize("source", ["nhtsa", "cn-car-complaints", "nhtsa:flat-files"])
def test_public_complaint_streams_open_no_case(rules: Rules, source: str) -> None:
    public = complaint().model_copy(update={"source": source})
    persists = FollowUpCallMade(
        event_id=uuid4(),
        occurred_at=T0 + DAY,
        source=source,
        product=product(),
        call_id="CALL-PUB",
        customer_id="K9",
        reached=True,
        outcome="problem_persists",
    )
    assert apply_batch([], [public, persists], rules).cases == ()


def test_a_source_left_off_the_public_list_counts_as_our_customers(rules: Rules) -> None:
    ours = complaint().model_copy(update={"source": "nhtsa-portal-of-our-customers"})
    assert len(apply_batch([], [ours], rules).cases) == 1


def test_a_public_complaint_does_not_reopen_a_customers_closed_case(rules: Rules) -> None:
    events = [complaint(), repair(T0 + DAY), confirmation(T0 + 2 * DAY, resolved=True)]
    closed = the_case(fold(events, rules, []))
    public: ComplaintFiled = complaint("C-PUB", T0 + 5 * DAY).model_copy(update={"source": "nhtsa"})
    assert apply_batch([closed], [public], rules).cases == ()


def test_a_case_with_no_market_anywhere_falls_back_to_the_desk_and_says_so(rules: Rules) -> None:
    case = the_case(fold([call(T0, "new_problem", call_id="CALL-NEW")], rules, []))
    assert case.owner in rules.assignment.default_team
    assert case.owner_fallback

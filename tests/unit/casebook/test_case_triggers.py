"""What opens a case and how severe it is: safety signals, owners, detractors, follow-up calls."""

from __future__ import annotations

from pipeline.casebook import Decision, Rules, apply, apply_batch
from tests.unit.casebook.casebook_events import DAY, T0, call, complaint, only, repair, survey


def test_safety_signals_make_a_case_critical_with_a_two_day_sla(rules: Rules) -> None:
    by_flag = only(apply([], complaint(fire=True, component=None, text=None), rules))
    by_text = only(apply([], complaint(text="Smoke from the dashboard", component="BODY"), rules))
    for case in (by_flag, by_text):
        assert (case.severity, case.sla_due_at) == ("critical", T0 + 2 * DAY)


def test_severity_without_safety_signals_follows_component_and_words(rules: Rules) -> None:
    def severity(text: str, component: str | None) -> str:
        return only(apply([], complaint(text=text, component=component), rules)).severity

    assert severity("cosmetic scratch on the door", None) == "low"
    assert severity("engine misfire at idle", None) == "medium"  # misfire is not fire
    assert severity("coolant leak", "BODY") == "high"
    assert severity("strange behaviour", None) == "medium"


def test_the_owner_is_chosen_deterministically_from_the_market_team(rules: Rules) -> None:
    owners = {only(apply([], complaint(f"C{i}"), rules)).owner for i in range(40)}
    assert owners == set(rules.assignment.markets["DE"])
    again = only(apply([], complaint("C7"), rules)).owner
    assert again == only(apply([], complaint("C7"), rules)).owner


def test_a_replayed_complaint_opens_no_second_case(rules: Rules) -> None:
    case = only(apply([], complaint(), rules))
    assert apply([case], complaint(), rules) == Decision()


def test_a_detractor_survey_opens_a_case(rules: Rules) -> None:
    case = only(apply([], survey(T0, nps=3), rules))
    assert (case.origin, case.reason, case.status) == ("detractor", "detractor", "open")
    assert (case.customer_id, case.dealer_id, case.market) == ("K2", "D-7", "CN")
    assert case.owner in rules.assignment.markets["CN"]
    assert only(apply([], survey(T0, nps=None, csat=2), rules)).reason == "detractor"
    assert apply([], survey(T0, nps=7, csat=3), rules) == Decision()


def test_a_detractor_on_a_unit_with_an_open_case_joins_that_case(rules: Rules) -> None:
    case = only(apply([], complaint(serial="VIN2"), rules))
    decision = apply([case], survey(T0 + DAY, nps=0), rules)
    assert only(decision).case_id == case.case_id
    assert [(e.kind, e.note) for e in decision.timeline] == [("related", "detractor score")]


def test_a_follow_up_call_finding_the_problem_persists_reopens_the_resolved_case(
    rules: Rules,
) -> None:
    case = only(apply_batch([], [complaint(), repair(T0 + DAY)], rules, now=T0 + DAY))
    reopened = only(apply([case], call(T0 + 8 * DAY, "problem_persists"), rules))
    assert (reopened.case_id, reopened.status, reopened.reopen_count) == (case.case_id, "open", 1)


def test_a_follow_up_call_with_a_new_problem_or_a_detractor_score_opens_a_case(
    rules: Rules,
) -> None:
    new_problem = only(apply([], call(T0, "new_problem"), rules))
    assert (new_problem.origin, new_problem.reason) == ("followup", "new_problem")
    detractor = only(apply([], call(T0, "satisfied", call_id="CALL2", nps=5), rules))
    assert detractor.reason == "detractor"
    assert apply([], call(T0, "satisfied", call_id="CALL3", nps=9), rules) == Decision()

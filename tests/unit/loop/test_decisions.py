"""A flag's standing with the product team: triage, inherited dismissals, actions, verdicts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from pipeline.detection.params import DetectionParams
from pipeline.loop.decisions import (
    ActionFacts,
    DecisionFacts,
    FlagFacts,
    RecallFacts,
    SignatureRef,
    flag_loops,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
SIG = SignatureRef("Acme", "Roadster", "2020", "ENGINE")


def flag(flag_id: str, day: int, observed: float = 10.0, status: str = "open") -> FlagFacts:
    return FlagFacts(
        flag_id, "Acme", "Roadster", "2020", "ENGINE", status, T0 + timedelta(days=day), observed
    )


def decision(
    event_id: str,
    day: int,
    what: str,
    flag_id: str | None = "F1",
    signature: SignatureRef | None = None,
) -> DecisionFacts:
    return DecisionFacts(
        event_id, what, "quality", T0 + timedelta(days=day), "why", flag_id, signature
    )


def action(action_id: str, day: int, verdict: str, flag_id: str | None = None) -> ActionFacts:
    return ActionFacts(action_id, T0 + timedelta(days=day), (SIG,), "part", flag_id, verdict)


def test_an_untriaged_flag_follows_the_detector() -> None:
    [loop] = flag_loops([flag("F1", 0, status="closed")], [], [])
    assert (loop.triage, loop.state, loop.status) == ("untriaged", "untriaged", "closed")


def test_the_latest_decision_taken_wins_whatever_the_arrival_order() -> None:
    decisions = [decision("e2", 5, "confirm"), decision("e1", 2, "dismiss")]
    [loop] = flag_loops([flag("F1", 0)], decisions, [])
    assert loop.triage == "confirmed"
    assert [d.decision for d in loop.decisions] == ["dismiss", "confirm"]


def test_a_confirmed_flag_stays_open_until_its_action_is_verified() -> None:
    closed = flag("F1", 0, status="closed")
    confirmed = [decision("e1", 1, "confirm")]
    assert flag_loops([closed], confirmed, [])[0].state == "confirmed, no action"
    assert flag_loops([closed], confirmed, [])[0].status == "open"
    waiting = flag_loops([closed], confirmed, [action("A1", 9, "not yet known")])[0]
    assert (waiting.state, waiting.status) == ("awaiting evidence", "open")
    verified = flag_loops([flag("F1", 0)], confirmed, [action("A1", 9, "effective")])[0]
    assert (verified.state, verified.status) == ("verified", "closed")
    failed = flag_loops([closed], confirmed, [action("A1", 9, "not effective")])[0]
    assert (failed.state, failed.status) == ("reopened", "open")


def test_an_action_released_before_the_flag_is_not_its_action_unless_it_names_it() -> None:
    early = action("A0", -5, "effective")
    named = action("A1", -5, "effective", flag_id="F1")
    assert flag_loops([flag("F1", 0)], [], [early])[0].actions == ()
    assert [a.action_id for a in flag_loops([flag("F1", 0)], [], [named])[0].actions] == ["A1"]


def test_a_later_flag_inherits_a_dismissal_until_its_evidence_doubles() -> None:
    flags = [flag("F1", 0, observed=10), flag("F2", 200, observed=19), flag("F3", 400, observed=20)]
    loops = flag_loops(flags, [decision("e1", 3, "dismiss")], [])
    assert [(lp.triage, lp.status) for lp in loops] == [
        ("dismissed", "closed"),
        ("dismissed", "closed"),
        ("untriaged", "open"),
    ]
    assert loops[1].dismissed_with == "F1"
    assert loops[2].dismissed_with is None


def test_the_return_factor_is_a_detection_parameter() -> None:
    flags = [flag("F1", 0, observed=10), flag("F2", 200, observed=19)]
    loops = flag_loops(
        flags,
        [decision("e1", 3, "dismiss")],
        [],
        params=DetectionParams(dismissed_return_factor=1.5),
    )
    assert loops[1].triage == "untriaged"


def test_a_dismissal_after_a_flag_was_raised_does_not_reach_back_to_it() -> None:
    flags = [flag("F1", 0), flag("F2", 10)]
    loops = flag_loops(flags, [decision("e1", 30, "dismiss")], [])
    # Decided on day 30, while F2 (raised day 10) was already out: F1 alone is dismissed.
    assert [lp.triage for lp in loops] == ["dismissed", "untriaged"]


def test_a_decision_by_signature_reaches_the_latest_flag_raised_before_it() -> None:
    flags = [flag("F1", 0), flag("F2", 10)]
    wide = SignatureRef("Acme", "Roadster", None, "ENGINE:COOLING")
    loops = flag_loops(flags, [decision("e1", 20, "confirm", flag_id=None, signature=wide)], [])
    assert [lp.triage for lp in loops] == ["untriaged", "confirmed"]


def test_recalls_link_by_signature() -> None:
    recall = RecallFacts("RCL-1", T0, SignatureRef("Acme", "Roadster", None, "ENGINE"))
    other = RecallFacts("RCL-2", T0, SignatureRef("Acme", "Roadster", None, "BRAKES"))
    assert flag_loops([flag("F1", 0)], [], [], [recall, other])[0].recalls == ("RCL-1",)


@given(st.integers(0, 10_000))
def test_the_states_do_not_depend_on_the_order_facts_are_read_in(seed: int) -> None:
    rng = random.Random(seed)
    flags = [flag(f"F{i}", 100 * i, observed=rng.choice([5, 10, 25])) for i in range(4)]
    decisions = [
        decision(
            f"e{i}",
            rng.randint(0, 400),
            rng.choice(["ack", "confirm", "dismiss"]),
            f"F{rng.randint(0, 3)}",
        )
        for i in range(5)
    ]
    actions = [
        action(f"A{i}", rng.randint(0, 400), rng.choice(["effective", "not effective"]))
        for i in range(2)
    ]
    expected = [lp.as_dict() for lp in flag_loops(flags, decisions, actions)]
    for items in (flags, decisions, actions):
        rng.shuffle(items)
    assert [lp.as_dict() for lp in flag_loops(flags, decisions, actions)] == expected

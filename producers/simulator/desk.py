"""Service desks working their cases: call-backs, second fixes, confirmations, by diligence."""

from __future__ import annotations

from random import Random

from producers.simulator.config import DAY
from producers.simulator.entities import Dealer
from producers.simulator.service import Case, business_time
from schemas.events import InboundEvent
from schemas.feedback import ComplaintResolutionConfirmed, FollowUpCallMade, SurveyAnswered

DETRACTOR_NPS = 6
DETRACTOR_CSAT = 2
"""Scores a customer gives when unhappy (NPS 0-6, CSAT 1-2): what brings a desk to call back."""
DESK_SOURCE = "sim:casebook"
"""The `source` of what the desks publish."""
MAX_ROUNDS = 3
"""A desk tries at most this many times per case before it stops acting on it."""
Stage = tuple[int, str, int]


def diligence(dealer: Dealer, idle: bool = False) -> float:
    """The chance that the dealer's desk acts on a case at each step.

    The group's own dealers work their cases almost always; franchised dealers, outside the
    group's control, act as often as their service quality makes them (a weak one lets about a
    third of its cases lie). An idle desk (a dealer that stopped acting) never does.
    """
    if idle:
        return 0.0
    if dealer.ownership == "owned":
        return 0.97
    return 0.3 + 0.6 * dealer.quality


def desk_rng(case: Case, ts: int, what: str = "plan") -> Random:
    """The desk's own generator for one step: desk events draw nothing from the world's
    generator, so the rest of the world is what it would be without them."""
    return Random(f"desk:{what}:{case.repair_id}:{case.failure_ts}:{ts}")


def reaction(case: Case, ts: int, event: InboundEvent, idle: bool) -> list[Stage]:
    """What the case's desk does after `event`: stages to add to the episode (maybe none)."""
    if case.desk_rounds >= MAX_ROUNDS:
        return []
    if isinstance(event, ComplaintResolutionConfirmed):
        # The customer's own word that it is not solved, first or after a second fix.
        return _fix_again(case, ts, idle) if not event.resolved else []
    if isinstance(event, SurveyAnswered | FollowUpCallMade) and _unhappy(event):
        return _call_back(case, ts, idle)
    if (
        isinstance(event, FollowUpCallMade)
        and event.source == DESK_SOURCE
        and event.outcome == "callback_requested"
    ):
        return _call_back(case, ts, idle)  # not solved yet: the desk tries again
    return []


def _unhappy(event: SurveyAnswered | FollowUpCallMade) -> bool:
    if isinstance(event, FollowUpCallMade) and event.outcome in ("problem_persists", "new_problem"):
        return True
    return (event.nps is not None and event.nps <= DETRACTOR_NPS) or (
        event.csat is not None and event.csat <= DETRACTOR_CSAT
    )


def _desk_acts(case: Case, ts: int, idle: bool) -> tuple[Random, float, int] | None:
    """Whether the dealer's desk takes the case up at ``ts``: its random numbers, its diligence
    and the market's UTC offset if it does (a round counted), None if it lets the case lie."""
    rng = desk_rng(case, ts)
    care = diligence(case.dealer, idle)
    if rng.random() >= care:
        return None
    case.desk_rounds += 1
    return rng, care, case.unit.cohort.market.utc_offset_hours


def _call_back(case: Case, ts: int, idle: bool) -> list[Stage]:
    """Call the unhappy customer back, sort the problem out, and hear whether it is solved."""
    turn = _desk_acts(case, ts, idle)
    if turn is None:
        return []
    rng, care, offset = turn
    # Careless desks are also slow ones.
    at = business_time(ts + rng.uniform(1, 4 + 12 * (1 - care)) * DAY, offset, rng)
    solved = rng.random() < 0.55 + 0.4 * care
    return [(at, "desk_call", int(solved))]


def _fix_again(case: Case, ts: int, idle: bool) -> list[Stage]:
    """The customer says the complaint is not solved: fix it again and ask for confirmation."""
    turn = _desk_acts(case, ts, idle)
    if turn is None:
        return []
    rng, care, offset = turn
    fixed = business_time(ts + rng.uniform(2, 6 + 12 * (1 - care)) * DAY, offset, rng)
    confirmed = fixed + int(rng.uniform(1, 7) * DAY)
    return [
        (fixed, "desk_resolved", 0),
        (confirmed, "desk_confirmed", int(rng.random() < 0.9)),
    ]

"""The simulated service desks: they act on unhappy customers, by dealer diligence, and add only
their own events to the world."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from producers.simulator import SimulationConfig, simulate
from producers.simulator.desk import DESK_SOURCE, diligence
from producers.simulator.entities import Dealer
from producers.simulator.world import build_world
from schemas.events import InboundEvent
from schemas.feedback import FollowUpCallMade
from schemas.reference import DealerRegistered

SMALL = SimulationConfig(seed=11, days=120, rate=10, defects=0)


def dealer(ownership: str, quality: float) -> Dealer:
    return replace(build_world(SMALL).dealers[0], ownership=ownership, quality=quality)


def desk_calls(events: list[InboundEvent]) -> list[FollowUpCallMade]:
    return [e for e in events if isinstance(e, FollowUpCallMade) and e.source == DESK_SOURCE]


def test_owned_desks_act_almost_always_and_franchised_ones_as_their_quality_allows() -> None:
    owned = diligence(dealer("owned", 0.8))
    strong, weak = diligence(dealer("franchised", 0.9)), diligence(dealer("franchised", 0.5))
    assert owned > strong > weak
    assert weak < 0.7
    assert diligence(dealer("owned", 0.97), idle=True) == 0


@pytest.fixture(scope="module")
def worlds() -> tuple[list[InboundEvent], list[InboundEvent]]:
    """The same small world with working desks and with every desk idle."""
    working = list(simulate(SMALL))
    ids = frozenset(e.dealer_id for e in working if isinstance(e, DealerRegistered))
    idle_config = SimulationConfig(seed=11, days=120, rate=10, defects=0, idle_dealers=ids)
    return working, list(simulate(idle_config))


def test_desks_call_unhappy_customers_back_and_most_calls_solve_the_problem(
    worlds: tuple[list[InboundEvent], list[InboundEvent]],
) -> None:
    working, _ = worlds
    calls = desk_calls(working)
    assert len(calls) > 50
    outcomes = Counter(call.outcome for call in calls)
    assert set(outcomes) <= {"satisfied", "callback_requested"}
    assert outcomes["satisfied"] > 2 * outcomes["callback_requested"]
    # A solved call carries the scores of a customer won back: no detractor scores.
    solved = [c for c in calls if c.outcome == "satisfied"]
    assert all(c.nps is not None and c.nps >= 7 and (c.csat or 0) >= 4 for c in solved)


def test_idle_desks_add_nothing_and_working_desks_add_only_their_own_events(
    worlds: tuple[list[InboundEvent], list[InboundEvent]],
) -> None:
    working, idle = worlds
    assert desk_calls(idle) == []
    # The idle world is the working one without the desks' events, in the same order: desk
    # events draw nothing from the world's generator.
    kept = {e.event_id for e in idle}
    assert [e for e in working if e.event_id in kept] == idle
    extra = [e for e in working if e.event_id not in kept]
    assert extra
    assert {e.source for e in extra} == {DESK_SOURCE}

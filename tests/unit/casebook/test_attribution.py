"""A case's dealer and market: from its own event, else the best sighting of its unit, in any order.

A unit's sale, tickets and repairs can arrive after the call or survey that opens its case (they
sit on other topics and partitions). Whatever the order and the batches, every case must end with
the dealer, market and owner the best sighting of its unit gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.casebook import CaseState, Rules, Sighting, apply_batch, sighting_of
from schemas.base import Event
from schemas.reference import UnitSold
from schemas.tickets import TicketAssigned
from tests.unit.casebook.casebook_events import DAY, T0, call, complaint, product, repair, survey

ORDERS = settings(max_examples=40, deadline=None, database=None)


def sold(dealer_id: str = "D-SALE", market: str = "CN", at: datetime = T0 - 300 * DAY) -> Event:
    return UnitSold(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        product=product(),
        market=market,
        dealer_id=dealer_id,
        sold_on=date(2023, 5, 2),
    )


def serviced(at: datetime, dealer_id: str, market: str, repair_id: str) -> Event:
    return repair(at, repair_id=repair_id, dealer_id=dealer_id, outcome="not_fixed").model_copy(
        update={"market": market}
    )


def assigned(at: datetime, dealer_id: str) -> Event:
    return TicketAssigned(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        ticket_id="T-LATER",
        product=product(),
        assignee="tech-1",
        dealer_id=dealer_id,
    )


def fold(events: Sequence[Event], rules: Rules, cuts: Sequence[bool]) -> dict[str, CaseState]:
    """The case book after `events` in batches cut where `cuts` says, each batch given the
    sightings archived before it, as the stage loads them."""
    book: dict[str, CaseState] = {}
    archived: list[Sighting] = []
    since: datetime | None = None
    start = 0
    bounds = [i + 1 for i, cut in enumerate(cuts[: len(events) - 1]) if cut] + [len(events)]
    for end in bounds:
        batch = list(events[start:end])
        decision = apply_batch(book.values(), batch, rules, since=since, sightings=archived)
        book.update((c.case_id, c) for c in decision.cases)
        archived += [s for e in batch if (s := sighting_of(e)) is not None]
        latest = max(e.occurred_at for e in batch)
        since = latest if since is None else max(since, latest)
        start = end
    return book


def the_case(book: dict[str, CaseState], origin: str = "followup") -> CaseState:
    cases = [c for c in book.values() if c.origin == origin]
    assert len(cases) == 1, book
    return cases[0]


def test_a_call_on_a_sold_unit_takes_the_dealer_and_market_of_the_sale(rules: Rules) -> None:
    case = the_case(fold([sold(), call(T0, "new_problem")], rules, []))
    assert (case.dealer_id, case.market) == ("D-SALE", "CN")
    assert case.owner in rules.assignment.markets["CN"]
    assert not case.owner_fallback


def test_a_sale_arriving_after_the_call_moves_its_case_to_the_sales_dealer_and_owner(
    rules: Rules,
) -> None:
    alone = the_case(fold([call(T0, "new_problem")], rules, []))
    assert (alone.dealer_id, alone.owner_fallback) == (None, True)
    late = the_case(fold([call(T0, "new_problem"), sold()], rules, [True]))
    assert (late.dealer_id, late.market, late.owner_fallback) == ("D-SALE", "CN", False)
    assert late.owner in rules.assignment.markets["CN"]


def test_the_repair_a_call_names_beats_the_sale_and_the_latest_service_beats_older_ones(
    rules: Rules,
) -> None:
    older = serviced(T0 - 40 * DAY, "D-OLD", "FR", "R-OLD")
    recent = serviced(T0 - 5 * DAY, "D-RECENT", "ES", "R-RECENT")
    named = serviced(T0 - 60 * DAY, "D-NAMED", "GB", "R-NAMED")
    unnamed = the_case(fold([sold(), older, recent, call(T0, "new_problem")], rules, []))
    assert (unnamed.dealer_id, unnamed.market) == ("D-RECENT", "ES")
    opens = call(T0, "new_problem", repair_id="R-NAMED")
    case = the_case(fold([sold(), older, recent, named, opens], rules, []))
    assert (case.dealer_id, case.market) == ("D-NAMED", "GB")


def test_a_service_only_after_the_opening_still_gives_a_dealer(rules: Rules) -> None:
    case = the_case(fold([call(T0, "new_problem"), assigned(T0 + 2 * DAY, "D-LATER")], rules, []))
    assert (case.dealer_id, case.market) == ("D-LATER", None)


def test_a_dealer_and_market_the_event_names_are_never_replaced(rules: Rules) -> None:
    events = [complaint("C1", T0, dealer_id="D-OWN"), sold(), serviced(T0, "D-X", "FR", "R-X")]
    case = the_case(fold(events, rules, [True, True]), origin="complaint")
    assert (case.dealer_id, case.market) == ("D-OWN", "DE")


def test_a_survey_keeps_its_dealer_and_takes_the_units_market_before_the_customers_country(
    rules: Rules,
) -> None:
    opens = survey(T0, nps=2, serial="VIN1")  # names D-7; the customer lives in CN
    alone = the_case(fold([opens], rules, []), origin="detractor")
    assert (alone.dealer_id, alone.market) == ("D-7", "CN")
    later = the_case(fold([opens, serviced(T0 - DAY, "D-X", "FR", "R-X")], rules, []), "detractor")
    assert (later.dealer_id, later.market) == ("D-7", "FR")


def test_a_case_stored_before_attributions_were_kept_is_left_as_it_is(rules: Rules) -> None:
    stored = the_case(fold([call(T0, "new_problem")], rules, []))
    legacy = CaseState(**{**_fields(stored), "attribution": None})
    after = apply_batch([legacy], [sold(at=T0 + DAY)], rules, since=T0)
    assert after.cases == ()


@ORDERS
@given(data=st.data())
def test_cases_end_with_the_same_dealer_market_and_owner_whatever_the_order_and_batches(
    rules: Rules, data: st.DataObject
) -> None:
    sightings = [
        sold(),
        serviced(T0 - 40 * DAY, "D-OLD", "FR", "R-OLD"),
        serviced(T0 - 5 * DAY, "D-RECENT", "ES", "R-RECENT"),
        serviced(T0 - 60 * DAY, "D-NAMED", "GB", "R-NAMED"),
        assigned(T0 + 2 * DAY, "D-LATER"),
    ]
    openings = [
        call(T0, "new_problem", call_id="CALL-A", repair_id="R-NAMED"),
        call(T0 + DAY, "new_problem", call_id="CALL-B"),
    ]
    in_order = sorted([*sightings, *openings], key=lambda e: e.occurred_at)
    expected = fold(in_order, rules, [True] * len(in_order))
    # The unit's calls keep their order (one partition of one topic); its sale and services,
    # on other topics, come before, between or after them in any order.
    shuffled = data.draw(st.permutations(sightings))
    slots = sorted(data.draw(st.lists(st.integers(0, len(shuffled)), min_size=2, max_size=2)))
    arrival = [*shuffled[: slots[0]], openings[0], *shuffled[slots[0] : slots[1]], openings[1]]
    arrival += shuffled[slots[1] :]
    cuts = data.draw(st.lists(st.booleans(), max_size=len(arrival)))
    found = fold(arrival, rules, cuts)
    assert _attributions(found) == _attributions(expected)
    assert {c.dealer_id for c in found.values()} == {"D-NAMED", "D-RECENT"}


def _attributions(book: dict[str, CaseState]) -> dict[str, tuple[object, ...]]:
    return {
        i: (c.dealer_id, c.market, c.owner, c.owner_fallback, c.attribution)
        for i, c in sorted(book.items())
    }


def _fields(case: CaseState) -> dict[str, object]:
    return {name: getattr(case, name) for name in CaseState.__slots__}

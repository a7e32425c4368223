"""Where a case's dealer and market come from: its own event, else the unit's sale and services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from schemas.base import Event
from schemas.feedback import ComplaintFiled, SurveyAnswered
from schemas.reference import UnitSold
from schemas.repairs import RepairCompleted
from schemas.tickets import TicketAssigned, TicketOpened

SIGHTING_TYPES = (
    "unit.sold",
    "ticket.opened",
    "ticket.assigned",
    "repair.completed",
    "complaint.filed",
    "survey.answered",
)
"""Event types that can place a unit at a dealer or in a market (see sighting_of)."""


@dataclass(frozen=True, slots=True)
class Sighting:
    """One event placing a unit at a dealer or in a market: its sale, a ticket, a repair, a
    complaint or survey naming the dealer."""

    serial: str
    event_id: str
    occurred_at: datetime
    dealer_id: str | None = None
    market: str | None = None
    refs: tuple[str, ...] = ()
    """The ticket and repair ids the event belongs to."""


@dataclass(frozen=True, slots=True)
class Attribution:
    """What a case's dealer and market are made of, kept so that a sighting arriving later
    (another partition, a slower topic) can still give them, whatever the arrival order.

    The case's own event wins; otherwise the best sighting of the unit (see rank); the market
    falls back to the customer's country last.
    """

    own_dealer: str | None = None
    own_market: str | None = None
    home_market: str | None = None
    """The customer's country: the market of last resort."""
    refs: tuple[str, ...] = ()
    """The ticket and repair ids the case's own event names: sightings of those rank first."""
    dealer_from: Sighting | None = None
    market_from: Sighting | None = None

    @property
    def dealer_id(self) -> str | None:
        return self.own_dealer or (self.dealer_from.dealer_id if self.dealer_from else None)

    @property
    def market(self) -> str | None:
        sighted = self.market_from.market if self.market_from else None
        return self.own_market or sighted or self.home_market


def sighting_of(event: Event) -> Sighting | None:
    """The dealer and market `event` places its unit at, if it names a unit and either."""
    refs: tuple[str | None, ...]
    market: str | None = None
    if isinstance(event, UnitSold):
        refs, market = (), event.market
    elif isinstance(event, TicketOpened):
        refs, market = (event.ticket_id,), event.market
    elif isinstance(event, TicketAssigned):
        refs = (event.ticket_id,)
    elif isinstance(event, RepairCompleted):
        refs, market = (event.repair_id, event.ticket_id), event.market
    elif isinstance(event, ComplaintFiled):
        refs, market = (), event.market
    elif isinstance(event, SurveyAnswered):
        # The customer's country is theirs, not necessarily where the unit is serviced.
        refs = (event.ticket_id, event.repair_id)
    else:
        return None
    serial = event.product.serial
    dealer_id = getattr(event, "dealer_id", None)
    if not serial or not (dealer_id or market):
        return None
    return Sighting(
        serial=serial,
        event_id=str(event.event_id),
        occurred_at=event.occurred_at,
        dealer_id=dealer_id,
        market=market,
        refs=tuple(r for r in refs if r),
    )


def rank(sighting: Sighting, opened_at: datetime, refs: tuple[str, ...]) -> tuple[object, ...]:
    """How well `sighting` tells the dealer of a case opened at `opened_at` naming `refs`:
    a sighting of the same ticket or repair first, then the latest one up to the opening, then
    the earliest one after it; the event id breaks ties. A total order on values of the
    sightings alone, so the best of a set is the same whatever order they arrived in."""
    named = not set(refs).isdisjoint(sighting.refs)
    before = sighting.occurred_at <= opened_at
    seconds = sighting.occurred_at.timestamp()
    return (named, before, seconds if before else -seconds, sighting.event_id)


def seen(
    attribution: Attribution, sightings: Iterable[Sighting], opened_at: datetime
) -> Attribution:
    """``attribution`` after the case has also seen ``sightings`` of its unit."""
    dealer_from, market_from = attribution.dealer_from, attribution.market_from

    def better(current: Sighting | None, candidate: Sighting) -> bool:
        if current is None:
            return True
        refs = attribution.refs
        return rank(candidate, opened_at, refs) > rank(current, opened_at, refs)

    for s in sightings:
        if not attribution.own_dealer and s.dealer_id and better(dealer_from, s):
            dealer_from = s
        if not attribution.own_market and s.market and better(market_from, s):
            market_from = s
    if dealer_from is attribution.dealer_from and market_from is attribution.market_from:
        return attribution
    return replace(attribution, dealer_from=dealer_from, market_from=market_from)

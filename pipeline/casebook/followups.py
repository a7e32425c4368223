"""Follow-up calls after service: when to call, in which language, within the contact cap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from pipeline.casebook.rules import FollowUpRules, Rules, RulesError
from pipeline.casebook.transitions import SOURCE
from pipeline.casebook.triage import output_event_id, stable_id
from schemas.base import Event
from schemas.feedback import FollowUpCallMade
from schemas.outputs import FollowUpScheduled
from schemas.repairs import RepairCompleted
from schemas.tickets import TicketResolved

FollowUpStatus = Literal["scheduled", "dropped", "attempted", "reached"]
COUNTS_AGAINST_CAP: frozenset[FollowUpStatus] = frozenset({"scheduled", "attempted", "reached"})


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach a customer; the glue finds it (ticket.opened customer, customer archive)."""

    customer_id: str
    language: str = "en"
    timezone: str = "UTC"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One planned call-back and what became of it."""

    followup_id: str
    customer_id: str
    due_at: datetime
    offset_days: int
    language: str
    timezone: str
    reason: str
    status: FollowUpStatus
    planned_at: datetime
    serial: str | None = None
    ticket_id: str | None = None
    repair_id: str | None = None
    case_id: str | None = None
    outcome: str | None = None
    attempts: int = 0
    last_call_at: datetime | None = None
    csat: int | None = None
    nps: int | None = None


@dataclass(frozen=True, slots=True)
class FollowUpPlan:
    """Follow-ups to upsert (new, dropped by the cap, updated by a call) and events to publish."""

    followups: tuple[FollowUp, ...] = ()
    outputs: tuple[FollowUpScheduled, ...] = ()


@dataclass(frozen=True, slots=True)
class FollowUpLookup:
    """Which stored follow-ups the glue must load: these customers' (due within the contact cap's
    reach of the batch), these ids, and every follow-up of these tickets and repairs whenever due.

    The ticket and repair ids make a batch load what each of its events would load alone: a
    service is planned once and a call finds its follow-up however long ago they were due.
    """

    customer_ids: frozenset[str]
    followup_ids: frozenset[str]
    ticket_ids: frozenset[str] = frozenset()
    repair_ids: frozenset[str] = frozenset()


def needs_contact(event: Event) -> bool:
    """Whether `event` triggers follow-ups, so the glue must find the customer's Contact."""
    return isinstance(event, TicketResolved | RepairCompleted)


def lookup_followups(events: Iterable[Event], contacts: Mapping[UUID, Contact]) -> FollowUpLookup:
    """What to load before apply_followup_batch(events, ...)."""
    events = list(events)
    calls = [e for e in events if isinstance(e, FollowUpCallMade)]
    services = [e for e in events if needs_contact(e) and e.event_id in contacts]
    named = [*calls, *services]
    return FollowUpLookup(
        customer_ids=frozenset(c.customer_id for c in contacts.values())
        | frozenset(c.customer_id for c in calls),
        followup_ids=frozenset(c.followup_id for c in calls if c.followup_id),
        ticket_ids=frozenset(t for e in named if (t := getattr(e, "ticket_id", None))),
        repair_ids=frozenset(r for e in named if (r := getattr(e, "repair_id", None))),
    )


def apply_followup_batch(
    existing: Iterable[FollowUp],
    events: Sequence[Event],
    contacts: Mapping[UUID, Contact],
    rules: Rules,
) -> FollowUpPlan:
    """Plan follow-ups for resolved tickets and completed repairs and record calls, in the order
    given (arrival order), so a batch plans what its events would plan one batch each.

    `contacts` maps the event_id of each triggering event to its customer's Contact; a service
    event without one gets no follow-up (nobody to call), nor does one from a public source.
    """
    book = _FollowUpBook(existing)
    changed: dict[str, FollowUp] = {}
    outputs: list[FollowUpScheduled] = []
    for event in events:
        if rules.cases.is_public(event.source):
            continue  # a public complaint stream's authors are not ours to call
        if isinstance(event, TicketResolved | RepairCompleted):
            contact = contacts.get(event.event_id)
            if contact is None:
                continue
            plan = plan_followups(event, contact, book.of_customer(contact.customer_id), rules)
            outputs.extend(plan.outputs)
            updates = plan.followups
        elif isinstance(event, FollowUpCallMade):
            target = _called_followup(book.callable_by(event), event)
            updates = (record_call(target, event),) if target else ()
        else:
            continue
        for followup in updates:
            book.put(followup)
            changed[followup.followup_id] = followup
    return FollowUpPlan(followups=tuple(changed.values()), outputs=tuple(outputs))


class _FollowUpBook:
    """The follow-ups of one batch, by id and by customer, so an event costs its customer's.

    Positions record first insertion, as a plain dict by followup_id would, so a customer's
    follow-ups come out in the order a scan of the whole book would give them.
    """

    def __init__(self, followups: Iterable[FollowUp]) -> None:
        self._by_id: dict[str, FollowUp] = {}
        self._position: dict[str, int] = {}
        self._by_customer: defaultdict[str, set[str]] = defaultdict(set)
        for followup in followups:
            self.put(followup)

    def put(self, followup: FollowUp) -> None:
        """Add or replace a follow-up (by followup_id, keeping its place), re-indexed."""
        followup_id = followup.followup_id
        old = self._by_id.get(followup_id)
        if old is None:
            self._position[followup_id] = len(self._position)
        elif old.customer_id != followup.customer_id:
            # Follow-up ids derive from the service, not the customer, so another customer's
            # event for the same service can take an id over.
            self._by_customer[old.customer_id].discard(followup_id)
        self._by_customer[followup.customer_id].add(followup_id)
        self._by_id[followup_id] = followup

    def of_customer(self, customer_id: str) -> list[FollowUp]:
        """The customer's follow-ups, in book order."""
        ids = sorted(self._by_customer.get(customer_id, ()), key=self._position.__getitem__)
        return [self._by_id[i] for i in ids]

    def callable_by(self, call: FollowUpCallMade) -> list[FollowUp]:
        """What _called_followup can pick for `call`: the named follow-up or the customer's."""
        if call.followup_id:
            named = self._by_id.get(call.followup_id)
            return [named] if named is not None else []
        return self.of_customer(call.customer_id)


def plan_followups(
    event: TicketResolved | RepairCompleted,
    contact: Contact,
    existing: Sequence[FollowUp],
    rules: Rules,
) -> FollowUpPlan:
    """Call-backs at each configured offset after the service, within business hours and the cap.

    A follow-up already planned for the same service is not planned again; one that would break
    the contact cap is kept as `dropped` (so replays decide the same) and not published.
    """
    config = rules.followups
    repair_id = event.repair_id
    ticket_id = event.ticket_id
    service = ("repair", repair_id) if repair_id else ("ticket", str(ticket_id))
    kept = [f for f in existing if f.status in COUNTS_AGAINST_CAP]
    known_ids = {f.followup_id for f in existing}
    planned: list[FollowUp] = []
    outputs: list[FollowUpScheduled] = []
    for offset in config.offsets:
        days = offset.days
        followup_id = stable_id("fu", *service, f"{days}d")
        if followup_id in known_ids or _same_service_planned(existing, ticket_id, repair_id, days):
            continue
        local_start = event.occurred_at.astimezone(ZoneInfo(contact.timezone))
        due = business_time(local_start + offset, contact.timezone, config)
        fits = _within_cap([f.due_at for f in kept], due, config)
        followup = FollowUp(
            followup_id=followup_id,
            customer_id=contact.customer_id,
            due_at=due,
            offset_days=days,
            language=contact.language,
            timezone=contact.timezone,
            reason=config.reason,
            status="scheduled" if fits else "dropped",
            planned_at=event.occurred_at,
            serial=event.product.serial,
            ticket_id=ticket_id,
            repair_id=repair_id,
        )
        planned.append(followup)
        if fits:
            kept.append(followup)
            outputs.append(_scheduled_event(followup))
    return FollowUpPlan(followups=tuple(planned), outputs=tuple(outputs))


def record_call(followup: FollowUp, call: FollowUpCallMade) -> FollowUp:
    """The follow-up after a call: reached with its outcome, or one more unanswered attempt."""
    attempted = replace(
        followup,
        attempts=followup.attempts + 1,
        last_call_at=max(followup.last_call_at or call.occurred_at, call.occurred_at),
    )
    if call.reached:
        return replace(
            attempted, status="reached", outcome=call.outcome, csat=call.csat, nps=call.nps
        )
    if followup.status == "reached":
        return attempted  # a late unanswered call does not undo a conversation already held
    return replace(attempted, status="attempted", outcome=call.outcome)


def business_time(moment: datetime, timezone: str, rules: FollowUpRules) -> datetime:
    """The first moment at or after `moment` inside business hours in `timezone`, local time."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    for _ in range(8):  # a week and a day always reach a business day; rules forbid none
        if local.weekday() in rules.business_days:
            start = _wall_clock(local, rules.business_start, zone)
            end = _wall_clock(local, rules.business_end, zone)
            if local < start:
                return start
            if local < end:
                return local
        local = _wall_clock(local + timedelta(days=1), time(0), zone)
    raise RulesError("followups.business_days names no day of the week; name at least one")


def _wall_clock(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    # Round trip through UTC so a wall time inside a DST gap becomes a real instant.
    naive = day.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0, fold=0)
    return naive.astimezone(UTC).astimezone(zone)


def _within_cap(due_times: Sequence[datetime], candidate: datetime, rules: FollowUpRules) -> bool:
    """True when no window of cap_window length holding `candidate` would exceed the cap."""
    window = rules.cap_window
    # Only windows starting in (candidate - window, candidate] hold it, and they reach no
    # point a window or more away: a customer's long history costs nothing here.
    points = [p for p in (*due_times, candidate) if candidate - window < p < candidate + window]
    starts = [p for p in points if p <= candidate]
    return all(sum(1 for q in points if s <= q < s + window) <= rules.cap for s in starts)


def _same_service_planned(
    existing: Iterable[FollowUp], ticket_id: str | None, repair_id: str | None, days: int
) -> bool:
    # A repair and the ticket it resolved are one service: one call per offset, not two.
    return any(
        f.offset_days == days
        and (
            (ticket_id is not None and f.ticket_id == ticket_id)
            or (repair_id is not None and f.repair_id == repair_id)
        )
        for f in existing
    )


def _called_followup(book: Iterable[FollowUp], call: FollowUpCallMade) -> FollowUp | None:
    followups = list(book)
    if call.followup_id:
        return next((f for f in followups if f.followup_id == call.followup_id), None)
    # Without an id, the call answers the earliest open follow-up of the same service.
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


def _scheduled_event(followup: FollowUp) -> FollowUpScheduled:
    return FollowUpScheduled(
        event_id=output_event_id("followup.scheduled", followup.followup_id),
        occurred_at=followup.planned_at,
        source=SOURCE,
        followup_id=followup.followup_id,
        customer_id=followup.customer_id,
        serial=followup.serial,
        ticket_id=followup.ticket_id,
        repair_id=followup.repair_id,
        case_id=followup.case_id,
        reason=followup.reason,
        due_at=followup.due_at,
        language=followup.language,
        timezone=followup.timezone,
    )

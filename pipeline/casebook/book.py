"""The case book of one batch, indexed by every key an event can find its cases by."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime

from pipeline.casebook.attribution import Sighting
from pipeline.casebook.rules import Rules
from pipeline.casebook.state import CaseState, Decision
from pipeline.casebook.transitions import close_unconfirmed, confirmation_due, escalate
from schemas.base import Event
from schemas.feedback import (
    ComplaintFiled,
    ComplaintResolutionConfirmed,
    ComplaintUpdated,
    FeedbackEvent,
    FollowUpCallMade,
    SurveyAnswered,
)
from schemas.repairs import RepairCompleted
from schemas.tickets import TicketEvent, TicketOpened, TicketResolved


def breached(case: CaseState, now: datetime) -> bool:
    """Open past its SLA at `now`, and this deadline not escalated yet."""
    return may_breach(case) and now > case.sla_due_at


def may_breach(case: CaseState) -> bool:
    """Open with a deadline not escalated yet: breached as soon as the deadline passes."""
    return case.status == "open" and case.escalated_sla_due_at != case.sla_due_at


def next_deadline(case: CaseState, rules: Rules) -> datetime | None:
    """When the clock alone next changes the case: its SLA breach or its confirmation wait."""
    if may_breach(case):
        return case.sla_due_at
    return confirmation_due(case, rules)


def transition(case: CaseState, rules: Rules) -> Decision:
    """The time-based transition at the case's next deadline."""
    return escalate(case, rules) if may_breach(case) else close_unconfirmed(case, rules)


class BatchBook:
    """The cases of one batch, indexed for apply_batch.

    Every case _dispatch can read for an event is found through one of three exact indexes,
    because every branch selects cases by one of these keys before looking at anything else
    (see lookup_keys). Cases never leave the book; a changed case is re-indexed under its new
    keys. Whatever the book hands out is ordered by values of the cases (case id, deadline), never
    by when a case entered the book: which cases a batch loads from the warehouse and which it
    creates itself depends on where the batch starts, and the order of timeline entries and
    outputs must not.
    """

    def __init__(
        self, cases: Iterable[CaseState], rules: Rules, sightings: Iterable[Sighting] = ()
    ) -> None:
        self.rules = rules
        self._sightings: defaultdict[str, list[Sighting]] = defaultdict(list)
        for sighting in sightings:
            self.see(sighting)
        self.cases: dict[str, CaseState] = {}
        self._by_serial: defaultdict[str, set[str]] = defaultdict(set)
        self._by_complaint: defaultdict[str, set[str]] = defaultdict(set)
        self._by_origin_id: defaultdict[str, set[str]] = defaultdict(set)
        # (deadline, case_id) of every case that may breach its SLA or wait for confirmation,
        # pushed again on each change; entries of cases that changed since are checked against
        # the current state when popped, so stale ones cost a pop and nothing else.
        self._deadlines: defaultdict[int | None, list[tuple[datetime, str]]] = defaultdict(list)
        for case in cases:
            self.put(case)

    def put(self, case: CaseState) -> None:
        """Add or replace a case (by case_id), re-indexed."""
        case_id = case.case_id
        old = self.cases.get(case_id)
        if old is None:
            self._index(case)
        elif _keys_of(old) != _keys_of(case):
            self._unindex(old)
            self._index(case)
        self.cases[case_id] = case
        deadline = next_deadline(case, self.rules)
        if deadline is not None:
            heapq.heappush(self._deadlines[case.partition], (deadline, case_id))

    def see(self, sighting: Sighting) -> None:
        """Remember a sighting of a unit for the cases it opens later."""
        self._sightings[sighting.serial].append(sighting)

    def sightings_of(self, serial: str | None) -> list[Sighting]:
        """The unit's sightings so far (none without a serial)."""
        return list(self._sightings.get(serial, ())) if serial is not None else []

    def on_serial(self, serial: str) -> list[CaseState]:
        """The cases on a unit, by case id."""
        return [self.cases[i] for i in sorted(self._by_serial.get(serial, ()))]

    def escalate_due(
        self, now: datetime, rules: Rules, partitions: Collection[int | None] | None = None
    ) -> Decision:
        """Every time-based transition the clock has passed, by deadline, then case id: SLA
        breaches (escalated) and resolved cases whose wait for confirmation ran out (closed
        unconfirmed), each dated at its deadline.

        ``partitions`` limits it to the cases of those partitions (None: every case).
        Neither transition sets a new deadline, so one pass finds everything due; going in
        deadline order makes the outputs of one clock step the concatenation of those of any
        smaller steps covering the same span, so batch size cannot reorder them.
        """
        due: dict[str, datetime] = {}
        for partition in sorted(
            self._deadlines if partitions is None else partitions, key=_partition_order
        ):
            deadlines = self._deadlines.get(partition)
            while deadlines and now > deadlines[0][0]:
                at, case_id = heapq.heappop(deadlines)
                # Every case with a deadline has an entry under its current deadline (pushed by
                # put), so checking the current state finds each due case exactly once.
                if next_deadline(self.cases[case_id], rules) == at:
                    due[case_id] = at
        ordered = sorted(due, key=lambda i: (due[i], i))
        return Decision.combine(transition(self.cases[case_id], rules) for case_id in ordered)

    def related(self, event: Event) -> list[CaseState]:
        """The cases `event` can concern, by case id: what _dispatch needs of the book."""
        serial, complaint_id, origin_id = lookup_keys(event)
        ids: set[str] = set()
        if serial is not None:
            ids.update(self._by_serial.get(serial, ()))
        if complaint_id is not None:
            ids.update(self._by_complaint.get(complaint_id, ()))
        if origin_id is not None:
            ids.update(self._by_origin_id.get(origin_id, ()))
        return [self.cases[i] for i in sorted(ids)]

    def _index(self, case: CaseState) -> None:
        if case.serial is not None:
            self._by_serial[case.serial].add(case.case_id)
        for complaint_id in case.complaint_ids:
            self._by_complaint[complaint_id].add(case.case_id)
        self._by_origin_id[case.origin_id].add(case.case_id)

    def _unindex(self, case: CaseState) -> None:
        if case.serial is not None:
            self._by_serial[case.serial].discard(case.case_id)
        for complaint_id in case.complaint_ids:
            self._by_complaint[complaint_id].discard(case.case_id)
        self._by_origin_id[case.origin_id].discard(case.case_id)


def _keys_of(case: CaseState) -> tuple[str | None, tuple[str, ...], str]:
    """What BatchBook indexes a case by; re-indexing is needed only when this changes."""
    return case.serial, case.complaint_ids, case.origin_id


def lookup_keys(event: Event) -> tuple[str | None, str | None, str | None]:
    """(serial, complaint id, origin id): the keys of every case _dispatch may read for `event`.

    Mirrors _dispatch branch by branch. Each branch reads cases only through these filters:
    - complaint filed: a case holding the complaint id (replay), same_fault on the serial;
    - complaint updated, resolution confirmed: by_complaint, the complaint id alone;
    - repair, ticket opened or resolved: active_on and same_fault, both on the serial;
    - call, survey: active_on and recently closed cases on the serial, and in _feedback_case the
      replay check on the call or survey id and the latest case on the serial (a case on
      serial None is never used: active_on gives none, the reopen needs a serial and the
      earlier case a non-empty one);
    - any other ticket or feedback event: active_on on the serial; anything else reads nothing.
    None means no lookup by that key.
    """
    if isinstance(event, ComplaintFiled):
        return event.product.serial, event.complaint_id, None
    if isinstance(event, ComplaintUpdated | ComplaintResolutionConfirmed):
        return None, event.complaint_id, None
    if isinstance(event, RepairCompleted | TicketOpened | TicketResolved):
        return event.product.serial, None, None
    if isinstance(event, FollowUpCallMade):
        return event.product.serial, None, event.call_id
    if isinstance(event, SurveyAnswered):
        return event.product.serial, None, event.survey_id
    if isinstance(event, TicketEvent | FeedbackEvent):
        product = getattr(event, "product", None)
        return (product.serial if product is not None else None), None, None
    return None, None, None


def _partition_order(partition: int | None) -> int:
    return -1 if partition is None else partition

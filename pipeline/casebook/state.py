"""The values of the case book: a case, a timeline entry, a decision, and what to do next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from pipeline.casebook.attribution import Attribution
from pipeline.casebook.rules import Severity
from schemas.outputs import CaseEscalated

CaseStatus = Literal["open", "escalated", "resolved", "closed", "unconfirmed"]
"""closed: the customer confirmed the fix; unconfirmed: resolved, but no confirmation came within
the wait (closing.unconfirmed_after_days), so the case left the book without one."""
CaseOrigin = Literal["complaint", "detractor", "followup"]
ACTIVE_STATUSES: frozenset[CaseStatus] = frozenset({"open", "escalated", "resolved"})
"""Statuses of a case still in the book: everything but closed (closing needs the customer) and
unconfirmed (the wait for the customer's word ran out)."""
ENDED_STATUSES: frozenset[CaseStatus] = frozenset({"closed", "unconfirmed"})
"""Statuses of a case out of the book: the same fault coming back reopens it."""


@dataclass(frozen=True, slots=True)
class CaseState:
    """One case as the warehouse stores it; every change produces a new value."""

    case_id: str
    origin: CaseOrigin
    origin_id: str
    """The complaint, survey or call id that opened the case."""
    complaint_ids: tuple[str, ...]
    """Every complaint folded into this case (the first one opened it, later ones reopened it)."""
    owner: str
    severity: Severity
    status: CaseStatus
    opened_at: datetime
    sla_due_at: datetime
    customer_id: str | None = None
    serial: str | None = None
    component: str | None = None
    market: str | None = None
    dealer_id: str | None = None
    reason: str = "complaint"
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    escalated_sla_due_at: datetime | None = None
    """The SLA deadline already escalated, so each breach is escalated once."""
    escalations: int = 0
    reopen_count: int = 0
    last_event_at: datetime | None = None
    owner_fallback: bool = False
    """No dealer or market team applied, so the owner came from the default desk."""
    partition: int | None = None
    """The partition number of the events that opened it: its deadlines pass on that partition's
    event-time clock (None: cases from before partitions were kept, on the shared clock)."""
    attribution: Attribution | None = None
    """Where dealer_id and market came from, so sightings of the unit arriving later still give
    them (None: cases stored before attributions were kept, left as they are)."""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a case's history; append it, deduplicated on (case_id, event_id, kind)."""

    case_id: str
    occurred_at: datetime
    event_type: str
    event_id: UUID | None
    kind: str
    """What it meant for the case: opened, related, resolved, confirmed, reopened, escalated, ..."""
    status_after: CaseStatus
    note: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """What applying events did: cases to upsert, timeline lines to append, events to publish."""

    cases: tuple[CaseState, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    outputs: tuple[CaseEscalated, ...] = ()

    def then(self, other: Decision) -> Decision:
        """Both decisions in order; a case changed twice keeps only its latest state."""
        latest = {case.case_id: case for case in (*self.cases, *other.cases)}
        return Decision(
            cases=tuple(latest.values()),
            timeline=self.timeline + other.timeline,
            outputs=self.outputs + other.outputs,
        )

    @staticmethod
    def combine(decisions: Iterable[Decision]) -> Decision:
        result = Decision()
        for decision in decisions:
            result = result.then(decision)
        return result


@dataclass(frozen=True, slots=True)
class CaseLookup:
    """Which stored cases an event may concern: load every case with one of these complaint ids
    or on this serial (closed ones too, at least those closed within the reopen window)."""

    complaint_id: str | None = None
    serial: str | None = None


def age(case: CaseState, now: datetime) -> timedelta:
    """How long the case has been in the book (until closing, if closed)."""
    end = case.closed_at if case.status in ENDED_STATUSES and case.closed_at else now
    return max(end - case.opened_at, timedelta(0))


def is_overdue(case: CaseState, now: datetime) -> bool:
    """Past its SLA while nobody has fixed it yet."""
    return case.status in ("open", "escalated") and now > case.sla_due_at


def next_action(case: CaseState, now: datetime) -> str:
    """A short instruction for the case owner, in event time."""
    due = f"{case.sla_due_at:%Y-%m-%d %H:%M %Z}".strip()
    if case.status == "escalated":
        return f"escalated: owner {case.owner} to act, SLA was due {due}"
    if case.status == "open" and now > case.sla_due_at:
        return f"overdue: owner {case.owner} to act now, SLA was due {due}"
    if case.status == "open":
        verb = "call customer and fix again" if case.reopen_count else "contact customer and fix"
        return f"{verb}: owner {case.owner}, due {due}"
    if case.status == "resolved":
        return f"call customer to confirm resolution: owner {case.owner}"
    if case.status == "unconfirmed":
        return "none: closed without the customer's confirmation; reopens if the fault returns"
    return "none: closed on customer confirmation"

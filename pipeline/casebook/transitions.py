"""Primitive steps of the case book: open, touch, resolve, reopen, escalate, and case finders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from pipeline.casebook.attribution import Attribution, Sighting, seen
from pipeline.casebook.rules import Rules, Severity
from pipeline.casebook.state import (
    ACTIVE_STATUSES,
    ENDED_STATUSES,
    CaseOrigin,
    CaseState,
    Decision,
    TimelineEntry,
)
from pipeline.casebook.triage import choose_owner_team, output_event_id, stable_id, top_component
from schemas.base import Event
from schemas.outputs import CaseEscalated

SOURCE = "casebook"
"""The `source` of every event the case book publishes."""


def open_case(
    rules: Rules,
    *,
    origin: CaseOrigin,
    origin_id: str,
    at: datetime,
    severity: Severity,
    customer_id: str | None,
    serial: str | None,
    component: str | None,
    attribution: Attribution,
    sightings: Sequence[Sighting],
    reason: str,
) -> CaseState:
    """A new open case; its dealer and market from its own event, else the unit's sightings."""
    case = CaseState(
        case_id=stable_id("case", origin, origin_id),
        origin=origin,
        origin_id=origin_id,
        complaint_ids=(origin_id,) if origin == "complaint" else (),
        owner="",
        severity=severity,
        status="open",
        opened_at=at,
        sla_due_at=at + rules.cases.sla[severity],
        customer_id=customer_id,
        serial=serial,
        component=component,
        reason=reason,
    )
    return attributed(case, seen(attribution, sightings, at), rules)


def attributed(case: CaseState, attribution: Attribution, rules: Rules) -> CaseState:
    """``case`` with the dealer, market and owner ``attribution`` gives it."""
    dealer_id, market = attribution.dealer_id, attribution.market
    owner, fallback = choose_owner_team(
        rules.assignment, case_key=case.case_id, market=market, dealer_id=dealer_id
    )
    return replace(
        case,
        attribution=attribution,
        dealer_id=dealer_id,
        market=market,
        owner=owner,
        owner_fallback=fallback,
    )


def sighted(case: CaseState, sighting: Sighting, rules: Rules) -> CaseState | None:
    """``case`` after a sighting of its unit, if that changes where the case belongs."""
    if case.attribution is None:
        return None
    attribution = seen(case.attribution, (sighting,), case.opened_at)
    if attribution is case.attribution:
        return None
    # Saved even when the values stay: a later sighting is compared with the best one so far.
    return attributed(case, attribution, rules)


def confirmation_due(case: CaseState, rules: Rules) -> datetime | None:
    """When a resolved case closes unconfirmed if no confirmation reaches it first."""
    if case.status != "resolved" or case.resolved_at is None:
        return None
    return case.resolved_at + rules.closing.unconfirmed_after


def close_unconfirmed(case: CaseState, rules: Rules) -> Decision:
    """Close a resolved case whose wait for confirmation ran out, dated at the deadline."""
    due = confirmation_due(case, rules)
    if due is None:
        return Decision()
    days = rules.closing.unconfirmed_after.days
    closed = replace(case, status="unconfirmed", closed_at=due)
    entry = TimelineEntry(
        case_id=case.case_id,
        occurred_at=due,
        event_type="case.unconfirmed",
        event_id=output_event_id("case.unconfirmed", case.case_id, due.isoformat()),
        kind="unconfirmed",
        status_after="unconfirmed",
        note=f"no confirmation from the customer within {days} days of the resolution",
    )
    return Decision(cases=(closed,), timeline=(entry,))


def confirm(case: CaseState, at: datetime) -> CaseState:
    """Closed on the customer's confirmation (resolved at the same moment if nobody had)."""
    return replace(case, status="closed", closed_at=at, resolved_at=case.resolved_at or at)


def escalate(case: CaseState, rules: Rules) -> Decision:
    days = rules.cases.sla[case.severity].days
    escalated = replace(
        case,
        status="escalated",
        escalated_sla_due_at=case.sla_due_at,
        escalations=case.escalations + 1,
    )
    # Dated at the breach, not at detection, so replays and batch sizes give the same event.
    output = CaseEscalated(
        event_id=output_event_id("case.escalated", case.case_id, case.sla_due_at.isoformat()),
        occurred_at=case.sla_due_at,
        source=SOURCE,
        case_id=case.case_id,
        complaint_id=case.origin_id,
        owner=case.owner,
        severity=case.severity,
        sla_due_at=case.sla_due_at,
        reason=f"{case.severity} case not resolved within its {days}-day SLA",
    )
    entry = TimelineEntry(
        case_id=case.case_id,
        occurred_at=case.sla_due_at,
        event_type=output.event_type,
        event_id=output.event_id,
        kind="escalated",
        status_after="escalated",
        note=output.reason,
    )
    return Decision(cases=(escalated,), timeline=(entry,), outputs=(output,))


def touch(case: CaseState, event: Event, kind: str, note: str = "") -> Decision:
    last = max(case.last_event_at or event.occurred_at, event.occurred_at)
    updated = replace(case, last_event_at=last)
    entry = TimelineEntry(
        case_id=case.case_id,
        occurred_at=event.occurred_at,
        event_type=str(getattr(event, "event_type", "unknown")),
        event_id=event.event_id,
        kind=kind,
        status_after=updated.status,
        note=note,
    )
    return Decision(cases=(updated,), timeline=(entry,))


def resolve(case: CaseState, at: datetime) -> CaseState:
    return replace(case, status="resolved", resolved_at=at)


def reopen(case: CaseState, at: datetime, rules: Rules) -> CaseState:
    return replace(
        case,
        status="open",
        sla_due_at=at + rules.cases.sla[case.severity],
        resolved_at=None,
        closed_at=None,
        reopen_count=case.reopen_count + 1,
    )


def by_complaint(cases: Sequence[CaseState], complaint_id: str) -> CaseState | None:
    return latest([case for case in cases if complaint_id in case.complaint_ids])


def active_on(cases: Sequence[CaseState], serial: str | None) -> list[CaseState]:
    if serial is None:
        return []
    return [c for c in cases if c.serial == serial and c.status in ACTIVE_STATUSES]


def fits(case: CaseState, component: str | None) -> bool:
    """An event fits a case unless both name different top-level components."""
    return (
        case.component is None
        or component is None
        or (top_component(case.component) == top_component(component))
    )


def same_fault(
    cases: Sequence[CaseState], serial: str | None, component: str | None
) -> list[CaseState]:
    top = top_component(component)
    if serial is None or top is None:
        return []
    return [c for c in cases if c.serial == serial and top_component(c.component) == top]


def recently_closed(cases: Sequence[CaseState], at: datetime, rules: Rules) -> CaseState | None:
    window = rules.cases.reopen_window
    closed = [
        c
        for c in cases
        if c.status in ENDED_STATUSES
        and c.closed_at is not None
        and c.closed_at <= at <= c.closed_at + window
    ]
    return max(closed, key=lambda c: (c.closed_at, c.case_id), default=None)


def latest(cases: Sequence[CaseState]) -> CaseState | None:
    return max(cases, key=lambda c: (c.opened_at, c.case_id), default=None)

"""Load and save the case book's state (cases, timeline, follow-ups) and find customer contacts."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from pipeline.casebook import CaseLookup, CaseState, Contact, FollowUp, TimelineEntry
from pipeline.casebook.attribution import SIGHTING_TYPES
from pipeline.warehouse.tables import (
    ArchivedEvent,
    CaseRow,
    CaseTimelineRow,
    CustomerRow,
    FollowUpRow,
    TicketRow,
    UnitRow,
)
from pipeline.warehouse.upsert import insert_ignore, upsert
from schemas.codec import Rejected, decode
from schemas.events import InboundEvent

_CASE: Final = TypeAdapter(CaseState)
_FOLLOWUP: Final = TypeAdapter(FollowUp)


def load_cases(session: Session, lookups: Iterable[CaseLookup]) -> list[CaseState]:
    """Every stored case named by complaint id or on a serial the lookups mention."""
    lookups = list(lookups)
    complaints = {lk.complaint_id for lk in lookups if lk.complaint_id}
    serials = {lk.serial for lk in lookups if lk.serial}
    if not complaints and not serials:
        return []
    rows = session.scalars(
        select(CaseRow.state)
        .where(or_(CaseRow.complaint_id.in_(complaints), CaseRow.serial.in_(serials)))
        .order_by(CaseRow.case_id)
        # Writers running at once (lanes, workers) take a case in turn, in one order.
        .with_for_update()
    )
    return [_CASE.validate_python(state) for state in rows]


def archived_sightings(
    session: Session, serials: Collection[str], skip: Collection[str]
) -> list[InboundEvent]:
    """The archived events of these units that may tell where they were sold or serviced
    (casebook.sighting_of), but those whose id is in ``skip`` (the batch's own), by event id."""
    if not serials:
        return []
    rows = session.execute(
        select(ArchivedEvent.event_id, ArchivedEvent.payload)
        .where(ArchivedEvent.key.in_(serials), ArchivedEvent.event_type.in_(SIGHTING_TYPES))
        .order_by(ArchivedEvent.event_id)
    )
    found: list[InboundEvent] = []
    for event_id, payload in rows:
        if event_id in skip:
            continue
        # Archived as validated; a body retention or erasure made unreadable is skipped.
        found.extend(e for e in decode(payload.encode()) if not isinstance(e, Rejected))
    return found


def overdue_cases(
    session: Session,
    now: datetime,
    limit: int = 5_000,
    partitions: Collection[int] | None = None,
) -> list[CaseState]:
    """Open cases past their SLA at ``now`` (event time), earliest deadline first.

    Beyond ``limit`` the latest deadlines wait for a later batch; their escalations are dated
    at the deadline all the same, and a case an event concerns is loaded by load_cases anyway.
    With ``partitions``, only cases that pass their deadlines on one of those partitions'
    clocks (and cases on the shared clock): see _on_clocks.
    """
    rows = session.scalars(
        _on_clocks(select(CaseRow.state), partitions)
        .where(CaseRow.status == "open", CaseRow.sla_due_at < now)
        .order_by(CaseRow.sla_due_at)
        .limit(limit)
        # A case another writer holds is skipped: that writer escalates it if it is due.
        .with_for_update(skip_locked=True)
    )
    return [_CASE.validate_python(state) for state in rows]


def unconfirmed_due(
    session: Session,
    now: datetime,
    wait: timedelta,
    limit: int = 5_000,
    partitions: Collection[int] | None = None,
) -> list[CaseState]:
    """Resolved cases whose wait for the customer's confirmation has run out at ``now``.

    Beyond ``limit`` the rest wait for a later batch; their closing is dated at the deadline all
    the same. ``partitions`` as for overdue_cases.
    """
    rows = session.scalars(
        _on_clocks(select(CaseRow.state), partitions)
        .where(CaseRow.status == "resolved", CaseRow.resolved_at < now - wait)
        .order_by(CaseRow.resolved_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_CASE.validate_python(state) for state in rows]


def _on_clocks(query: Select[Any], partitions: Collection[int] | None) -> Select[Any]:
    """``query`` limited to cases on these partitions' clocks or on the shared clock.

    A batch moves only its own partitions' clocks, so only their cases can fall due in it.
    Loading (and locking) the due cases of other partitions would let a writer of other
    partitions hold a case while the writer of its partition looks for it and skips it.
    """
    if partitions is None:
        return query
    on = CaseRow.state["partition"].as_integer()
    return query.where(or_(on.is_(None), on.in_(sorted(partitions))))


def save_cases(session: Session, cases: Sequence[CaseState]) -> None:
    rows = [
        {
            "case_id": c.case_id,
            "complaint_id": c.complaint_ids[0] if c.complaint_ids else c.origin_id,
            "serial": c.serial,
            "customer_id": c.customer_id,
            "dealer_id": c.dealer_id,
            "market": c.market,
            "component": c.component,
            "owner": c.owner,
            "severity": c.severity,
            "status": c.status,
            "reason": c.reason,
            "opened_at": c.opened_at,
            "sla_due_at": c.sla_due_at,
            "resolved_at": c.resolved_at,
            # Only a case the customer confirmed has a confirmation date.
            "confirmed_at": c.closed_at if c.status == "closed" else None,
            "reopen_count": c.reopen_count,
            "escalations": c.escalations,
            "state": _CASE.dump_python(c, mode="json"),
        }
        for c in cases
    ]
    upsert(session, CaseRow.__table__, rows, ("case_id",))  # type: ignore[arg-type]


def append_timeline(session: Session, entries: Sequence[TimelineEntry]) -> None:
    rows = [
        {
            "case_id": e.case_id,
            "event_id": str(e.event_id) if e.event_id else f"{e.kind}@{e.occurred_at.isoformat()}",
            "kind": e.kind,
            "at": e.occurred_at,
            "event_type": e.event_type,
            "status_after": e.status_after,
            "note": e.note or None,
        }
        for e in entries
    ]
    insert_ignore(session, CaseTimelineRow.__table__, rows)  # type: ignore[arg-type]


def load_followups(
    session: Session,
    customer_ids: Collection[str],
    followup_ids: Collection[str],
    due_since: datetime,
    ticket_ids: Collection[str] = (),
    repair_ids: Collection[str] = (),
) -> list[FollowUp]:
    """The customers' follow-ups due since ``due_since`` (what the contact cap looks at), the
    follow-ups named by id (calls that report on them), and every follow-up of these tickets and
    repairs (services planned already, calls that name only their service)."""
    if not customer_ids and not followup_ids and not ticket_ids and not repair_ids:
        return []
    rows = session.scalars(
        select(FollowUpRow.state).where(
            or_(
                and_(
                    FollowUpRow.customer_id.in_(list(customer_ids)),
                    FollowUpRow.due_at >= due_since,
                ),
                FollowUpRow.followup_id.in_(list(followup_ids)),
                FollowUpRow.ticket_id.in_(list(ticket_ids)),
                FollowUpRow.repair_id.in_(list(repair_ids)),
            )
        )
    )
    return [_FOLLOWUP.validate_python(state) for state in rows]


def save_followups(
    session: Session, followups: Sequence[FollowUp], dealers: Mapping[str, str]
) -> None:
    rows = [
        {
            "followup_id": f.followup_id,
            "customer_id": f.customer_id,
            "serial": f.serial,
            "ticket_id": f.ticket_id,
            "repair_id": f.repair_id,
            "case_id": f.case_id,
            "dealer_id": dealers.get(f.repair_id or f.ticket_id or ""),
            "reason": f.reason,
            "due_at": f.due_at,
            "language": f.language,
            "timezone": f.timezone,
            "status": f.status,
            "outcome": f.outcome,
            "created_at": f.planned_at,
            "state": _FOLLOWUP.dump_python(f, mode="json"),
        }
        for f in followups
    ]
    upsert(session, FollowUpRow.__table__, rows, ("followup_id",))  # type: ignore[arg-type]


def contacts_for(
    session: Session, wanted: Mapping[UUID, tuple[str | None, str | None, str | None]]
) -> dict[UUID, Contact]:
    """Contact per triggering event from (customer_id, ticket_id, serial), whichever is known."""
    tickets = {t for _, t, _ in wanted.values() if t}
    serials = {s for _, _, s in wanted.values() if s}
    by_ticket: dict[str, str] = {}
    if tickets:
        by_ticket = {
            r.ticket_id: r.customer_id
            for r in session.execute(
                select(TicketRow.ticket_id, TicketRow.customer_id).where(
                    TicketRow.ticket_id.in_(tickets)
                )
            )
            if r.customer_id
        }
    by_serial: dict[str, str] = {}
    if serials:
        by_serial = {
            r.serial: r.customer_id
            for r in session.execute(
                select(UnitRow.serial, UnitRow.customer_id).where(UnitRow.serial.in_(serials))
            )
            if r.customer_id
        }
    resolved: dict[UUID, str] = {}
    for event_id, (customer, ticket, serial) in wanted.items():
        found = customer or by_ticket.get(ticket or "") or by_serial.get(serial or "")
        if found:
            resolved[event_id] = found
    customers: dict[str, Any] = {}
    if resolved:
        customers = {
            r.customer_id: r
            for r in session.execute(
                select(CustomerRow.customer_id, CustomerRow.language, CustomerRow.timezone).where(
                    CustomerRow.customer_id.in_(set(resolved.values()))
                )
            )
        }
    return {
        event_id: Contact(cid, customers[cid].language, customers[cid].timezone)
        for event_id, cid in resolved.items()
        if cid in customers
    }

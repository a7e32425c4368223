"""Read models for the CLI: flags, cases, a unit's or customer's service story."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.casebook import (
    ACTIVE_STATUSES,
    CaseState,
    Rules,
    age,
    is_overdue,
    load_rules,
    next_action,
)
from pipeline.casebook.facts import CaseFacts
from pipeline.casebook.kpis import stalled_dealers as find_stalled
from pipeline.warehouse.tables import (
    CaseRow,
    ComplaintRow,
    DefectFlagRow,
    FeedbackRow,
    RepairPartRow,
    RepairRow,
    TicketRow,
    TicketStatusRow,
    UnitRow,
)
from pipeline.warehouse.watermark import read_watermark

_CASE = TypeAdapter(CaseState)


def flags(session: Session, status: str) -> list[dict[str, Any]]:
    query = select(DefectFlagRow).order_by(DefectFlagRow.score.desc())
    if status != "all":
        query = query.where(DefectFlagRow.status == status)
    return [
        {
            "flag_id": f.flag_id,
            "brand": f.brand,
            "model": f.model,
            "variant": f.variant,
            "component": f.component,
            "status": f.status,
            "severity": f.severity,
            "score": round(f.score, 3),
            "method": f.method,
            "first_raised_at": f.first_raised_at,
            "closed_at": f.closed_at,
            "evidence": f.evidence,
        }
        for f in session.scalars(query)
    ]


CASE_FILTERS: dict[str, tuple[str, ...] | None] = {
    "open": tuple(sorted(ACTIVE_STATUSES)),
    "overdue": ("open", "escalated"),
    "escalated": ("escalated",),
    "resolved": ("resolved",),
    "closed": ("closed",),
    "unconfirmed": ("unconfirmed",),
    "all": None,
}
"""What each ``cases`` status filter shows: open is every case still in the book (open, escalated
or resolved and waiting for the customer), overdue those of them nobody fixed by the SLA, closed
those the customer confirmed, unconfirmed those closed when the wait for confirmation ran out."""


def cases(session: Session, status: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Cases with owner, age and next action at ``now`` (default: the event-time watermark),
    filtered by ``status`` (a key of CASE_FILTERS)."""
    at = now or read_watermark(session)
    query = select(CaseRow.state).order_by(CaseRow.sla_due_at, CaseRow.case_id)
    statuses = CASE_FILTERS[status]
    if statuses is not None:
        query = query.where(CaseRow.status.in_(statuses))
    out = []
    for state in session.scalars(query):
        case = _CASE.validate_python(state)
        if at is None:
            at = case.opened_at
        if status == "overdue" and not is_overdue(case, at):
            continue
        out.append(
            {
                "case_id": case.case_id,
                "status": case.status,
                "severity": case.severity,
                "owner": case.owner,
                "dealer_id": case.dealer_id,
                "market": case.market,
                "serial": case.serial,
                "component": case.component,
                "age_days": round(age(case, at).total_seconds() / 86400, 1),
                "sla_due_at": case.sla_due_at,
                "reopened": case.reopen_count,
                "closed_at": case.closed_at,
                "next_action": next_action(case, at),
            }
        )
    return out


def stalled_dealers(session: Session, now: datetime, rules: Rules | None = None) -> list[str]:
    """Dealers whose desks stopped working their cases at ``now`` (see kpis.stalled_dealers)."""
    kpis = (rules or load_rules()).kpis
    since = now - kpis.stalled_window
    rows = session.execute(
        select(CaseRow.case_id, CaseRow.dealer_id, CaseRow.status, CaseRow.sla_due_at).where(
            CaseRow.sla_due_at >= since, CaseRow.sla_due_at < now
        )
    )
    facts = [CaseFacts(c, d, s, due) for c, d, s, due in rows]
    return find_stalled(
        facts,
        now,
        window=kpis.stalled_window,
        min_cases=kpis.stalled_min_cases,
        share=kpis.stalled_share,
    )


def history(session: Session, *, serial: str | None, customer: str | None) -> list[dict[str, Any]]:
    """Every ticket step, repair (with parts), feedback and complaint of a unit or a customer."""
    serials: set[str] = {serial} if serial else set()
    if customer:
        serials |= set(
            session.scalars(select(UnitRow.serial).where(UnitRow.customer_id == customer))
        )
        serials |= {
            s
            for s in session.scalars(
                select(TicketRow.serial).where(TicketRow.customer_id == customer)
            )
            if s
        }
    tickets = {
        t.ticket_id: t
        for t in session.scalars(
            select(TicketRow).where(
                or_(TicketRow.serial.in_(serials), TicketRow.customer_id == (customer or ""))
            )
        )
    }
    story: list[dict[str, Any]] = []
    for step in session.scalars(
        select(TicketStatusRow).where(TicketStatusRow.ticket_id.in_(list(tickets)))
    ):
        t = tickets[step.ticket_id]
        story.append(_line(step.at, f"ticket {step.status}", t.serial, step.ticket_id, step.detail))
    repairs = session.scalars(
        select(RepairRow).where(
            or_(RepairRow.serial.in_(serials), RepairRow.customer_id == (customer or ""))
        )
    ).all()
    parts = _parts(session, [r.event_id for r in repairs])
    for r in repairs:
        note = f"{r.component} {r.outcome}; parts: {parts.get(r.event_id, '-')}"
        if r.repeat_of:
            note += " (repeat repair)"
        story.append(_line(r.occurred_at, "repair", r.serial, r.repair_id, note))
    for f in session.scalars(
        select(FeedbackRow).where(
            or_(FeedbackRow.serial.in_(serials), FeedbackRow.customer_id == (customer or ""))
        )
    ):
        score = " ".join(
            x
            for x in (
                f"CSAT {f.csat}" if f.csat else "",
                f"NPS {f.nps}" if f.nps is not None else "",
            )
            if x
        )
        story.append(
            _line(
                f.occurred_at,
                f.kind,
                f.serial,
                f.complaint_id or f.ticket_id,
                " ".join(filter(None, (score, f.outcome, f.text))),
            )
        )
    for c in session.scalars(
        select(ComplaintRow).where(
            or_(ComplaintRow.serial.in_(serials), ComplaintRow.customer_id == (customer or ""))
        )
    ):
        story.append(
            _line(
                c.occurred_at,
                "complaint",
                c.serial,
                c.complaint_id,
                f"{c.component or c.component_inferred or ''} {c.text or ''}".strip(),
            )
        )
    return sorted(story, key=lambda line: (line["at"], line["what"]))


def _line(
    at: datetime, what: str, serial: str | None, ref: str | None, note: str | None
) -> dict[str, Any]:
    return {"at": at, "what": what, "serial": serial, "ref": ref, "note": (note or "")[:160]}


def _parts(session: Session, repair_event_ids: Sequence[str]) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    if repair_event_ids:
        for p in session.scalars(
            select(RepairPartRow).where(RepairPartRow.repair_event_id.in_(list(repair_event_ids)))
        ):
            tag = "genuine" if p.genuine else "non-genuine"
            out.setdefault(p.repair_event_id, []).append(
                f"{p.part_number} x{p.quantity} ({p.supplier}, {tag})"
            )
    return {k: ", ".join(v) for k, v in out.items()}

"""A unit's or a customer's service story: ticket steps, repairs and parts, feedback, complaints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.warehouse.tables import (
    ComplaintRow,
    FeedbackRow,
    RepairPartRow,
    RepairRow,
    TicketRow,
    TicketStatusRow,
    UnitRow,
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

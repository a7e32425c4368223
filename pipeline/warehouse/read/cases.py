"""Complaint cases as the CLI lists them, and the dealers whose desks stopped working theirs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
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
from pipeline.warehouse.tables import CaseRow
from pipeline.warehouse.watermark import read_watermark

_CASE = TypeAdapter(CaseState)

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

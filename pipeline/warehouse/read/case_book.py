"""The cases a report's case book counts: opened in its period, or still open."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.reports.readings import CaseLine
from pipeline.reports.scope import Scope
from pipeline.reports.voice import OPEN_STATUSES
from pipeline.warehouse.read.scope import of_products
from pipeline.warehouse.tables import CaseRow, ComplaintRow, UnitRow


def case_book_lines(session: Session, scope: Scope) -> list[CaseLine]:
    """Cases opened in the period plus every case still open, whenever it was opened."""
    query = select(
        CaseRow.status, CaseRow.opened_at, CaseRow.sla_due_at, CaseRow.confirmed_at,
        CaseRow.reopen_count, CaseRow.state,
    )  # fmt: skip
    if scope.since_at is not None:
        query = query.where(
            or_(CaseRow.opened_at >= scope.since_at, CaseRow.status.in_(OPEN_STATUSES))
        )
    if scope.brand is not None or scope.model is not None:
        complaints = of_products(
            scope, select(ComplaintRow.complaint_id), ComplaintRow.brand, ComplaintRow.model
        )
        units = of_products(scope, select(UnitRow.serial), UnitRow.brand, UnitRow.model)
        query = query.where(or_(CaseRow.complaint_id.in_(complaints), CaseRow.serial.in_(units)))
    return [
        CaseLine(
            status=r.status,
            opened_at=r.opened_at,
            sla_due_at=r.sla_due_at,
            confirmed_at=r.confirmed_at,
            reopen_count=r.reopen_count,
            owner_fallback=bool((r.state or {}).get("owner_fallback")),
        )
        for r in session.execute(query)
    ]

"""Rows per warehouse table and the counts behind the ops gauges."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline.warehouse.tables import Base


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per warehouse table, in table-name order."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            out[name] = int(conn.scalar(select(func.count()).select_from(table)) or 0)
    return out


SEVERITIES = ("low", "medium", "high", "critical")


def state_gauges(session: Session) -> dict[str, Any]:
    """Counts for ops gauges, judged at the event-time watermark."""
    from pipeline.warehouse.read.cases import stalled_dealers
    from pipeline.warehouse.tables import CaseRow, DefectFlagRow, FollowUpRow, OutboxRow
    from pipeline.warehouse.watermark import read_watermark

    now = read_watermark(session)
    flags = dict.fromkeys(SEVERITIES, 0)
    for severity, n in session.execute(
        select(DefectFlagRow.severity, func.count())
        .where(DefectFlagRow.status == "open")
        .group_by(DefectFlagRow.severity)
    ):
        flags[severity] = int(n)
    open_cases = CaseRow.status.in_(("open", "escalated", "resolved"))
    overdue = 0
    due = 0
    if now is not None:
        overdue = int(
            session.scalar(
                select(func.count()).where(
                    CaseRow.status.in_(("open", "escalated")), CaseRow.sla_due_at < now
                )
            )
            or 0
        )
        due = int(
            session.scalar(
                select(func.count()).where(
                    FollowUpRow.status == "scheduled", FollowUpRow.due_at <= now
                )
            )
            or 0
        )
    return {
        "flags_open": flags,
        "cases_open": int(session.scalar(select(func.count()).where(open_cases)) or 0),
        "cases_overdue": overdue,
        "dealers_stalled": len(stalled_dealers(session, now)) if now is not None else 0,
        "followups_due": due,
        "outbox_pending": int(session.scalar(select(func.count()).select_from(OutboxRow)) or 0),
    }

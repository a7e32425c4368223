"""Dealer, country, group and ownership KPIs: warehouse rows -> casebook facts -> compute_kpis."""

from __future__ import annotations

from typing import Final, Literal, cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pipeline.casebook.facts import (
    CaseFacts,
    DealerInfo,
    FeedbackFacts,
    FollowUpFacts,
    RepairFacts,
    TicketFacts,
)
from pipeline.casebook.kpis import GroupBy, KpiRow, compute_kpis
from pipeline.reports.model import KpiLine
from pipeline.reports.scope import Scope
from pipeline.warehouse.tables import (
    CaseRow,
    DealerRow,
    FeedbackRow,
    FollowUpRow,
    RepairRow,
    TicketRow,
)

ROLL_UPS: Final[tuple[GroupBy, ...]] = ("dealer", "country", "group", "ownership")


def dealer_kpis(session: Session, scope: Scope) -> list[KpiLine]:
    """KPIs per dealer and rolled up per country, group and ownership, franchisees included."""
    dealer_rows = session.execute(select(DealerRow).order_by(DealerRow.dealer_id)).scalars().all()
    dealers = [
        DealerInfo(
            dealer_id=d.dealer_id,
            country=d.country,
            ownership=cast(Literal["owned", "franchised"], d.ownership),
            group=d.group,
            region=d.region,
        )
        for d in dealer_rows
    ]
    names = {d.dealer_id: d.name for d in dealer_rows}
    tickets, repairs = _tickets(session, scope), _repairs(session, scope)
    feedback, cases, followups = (
        _feedback(session, scope),
        _cases(session, scope),
        _followups(session),
    )
    lines: list[KpiLine] = []
    for by in ROLL_UPS:
        rows = compute_kpis(
            dealers,
            tickets=tickets,
            repairs=repairs,
            feedback=feedback,
            cases=cases,
            followups=followups,
            by=by,
            now=scope.now,
        )
        lines += [_line(row, names) for row in rows]
    return lines


def _line(row: KpiRow, names: dict[str, str]) -> KpiLine:
    label = f"{names[row.key]} ({row.key})" if row.by == "dealer" and row.key in names else row.key
    return KpiLine(
        by=row.by,
        key=row.key,
        label=label,
        dealers=row.dealers,
        repairs=row.repairs,
        repairs_with_serial=row.repairs_with_serial,
        repeat_repair_rate=row.repeat_repair_rate,
        first_time_fix_rate=row.first_time_fix_rate,
        genuine_parts_ratio=row.genuine_parts_ratio,
        csat_mean=row.csat_mean,
        nps=row.nps,
        responses=row.responses,
        open_cases=row.open_cases,
        overdue_cases=row.overdue_cases,
        cases=row.cases,
        confirmed_share=row.confirmed_share,
        median_days_to_confirmed_fix=row.median_days_to_confirmed_fix,
        unconfirmed_cases=row.unconfirmed_cases,
        owner_fallbacks=row.owner_fallbacks,
    )


def _tickets(session: Session, scope: Scope) -> list[TicketFacts]:
    query = select(TicketRow).where(TicketRow.opened_at.is_not(None))
    query = scope.period(
        scope.products(query, TicketRow.brand, TicketRow.model), TicketRow.opened_at
    )
    return [
        TicketFacts(
            ticket_id=t.ticket_id,
            dealer_id=t.dealer_id,
            opened_at=t.opened_at,
            assigned_at=t.first_response_at,
            resolved_at=t.resolved_at,
        )
        for t in session.execute(query).scalars()
        if t.opened_at is not None
    ]


def _repairs(session: Session, scope: Scope) -> list[RepairFacts]:
    query = scope.period(
        scope.products(select(RepairRow), RepairRow.brand, RepairRow.model), RepairRow.occurred_at
    )
    return [
        RepairFacts(
            repair_id=r.repair_id,
            dealer_id=r.dealer_id,
            serial=r.serial,
            component=r.component,
            completed_at=r.occurred_at,
            outcome=r.outcome,
            genuine_parts=r.genuine_parts or 0,
            other_parts=r.non_genuine_parts or 0,
            ticket_id=r.ticket_id,
        )
        for r in session.execute(query).scalars()
    ]


def _feedback(session: Session, scope: Scope) -> list[FeedbackFacts]:
    query = select(
        FeedbackRow.dealer_id, FeedbackRow.occurred_at, FeedbackRow.csat, FeedbackRow.nps
    ).where(or_(FeedbackRow.csat.is_not(None), FeedbackRow.nps.is_not(None)))
    query = scope.period(
        scope.products(query, FeedbackRow.brand, FeedbackRow.model), FeedbackRow.occurred_at
    )
    return [
        FeedbackFacts(dealer_id=d, answered_at=at, csat=c, nps=n)
        for d, at, c, n in session.execute(query)
    ]


def _cases(session: Session, scope: Scope) -> list[CaseFacts]:
    query = select(
        CaseRow.case_id, CaseRow.dealer_id, CaseRow.status, CaseRow.sla_due_at, CaseRow.opened_at,
        CaseRow.confirmed_at, CaseRow.state,
    )  # fmt: skip
    query = scope.period(query, CaseRow.opened_at)
    return [
        CaseFacts(
            case_id=c,
            dealer_id=d,
            status=s,
            sla_due_at=due,
            opened_at=opened,
            confirmed_at=confirmed,
            owner_fallback=bool((state or {}).get("owner_fallback")),
        )
        for c, d, s, due, opened, confirmed, state in session.execute(query)
    ]


def _followups(session: Session) -> list[FollowUpFacts]:
    query = select(
        FollowUpRow.followup_id, FollowUpRow.status, FollowUpRow.ticket_id, FollowUpRow.repair_id
    )
    return [
        FollowUpFacts(followup_id=f, reached=status == "reached", ticket_id=t, repair_id=r)
        for f, status, t, r in session.execute(query)
    ]

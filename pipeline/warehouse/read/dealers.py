"""Dealers and their tickets, repairs, scored answers, cases and call-backs: the KPIs' facts."""

from __future__ import annotations

from typing import Literal, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.casebook.facts import (
    CaseFacts,
    DealerInfo,
    FeedbackFacts,
    FollowUpFacts,
    RepairFacts,
    TicketFacts,
)
from pipeline.reports.readings import DealerFacts
from pipeline.reports.scope import Scope
from pipeline.warehouse.read.answers import scored_answers
from pipeline.warehouse.read.scope import in_period, in_scope
from pipeline.warehouse.tables import (
    CaseRow,
    DealerRow,
    FeedbackRow,
    FollowUpRow,
    RepairRow,
    TicketRow,
)


def dealer_facts(session: Session, scope: Scope) -> DealerFacts:
    """Every dealer, with the period's services, answers and cases and every call that reached
    a customer."""
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
    return DealerFacts(
        dealers=dealers,
        names={d.dealer_id: d.name for d in dealer_rows},
        tickets=_tickets(session, scope),
        repairs=_repairs(session, scope),
        feedback=_feedback(session, scope),
        cases=_cases(session, scope),
        followups=_followups(session),
    )


def _tickets(session: Session, scope: Scope) -> list[TicketFacts]:
    query = select(TicketRow).where(TicketRow.opened_at.is_not(None))
    query = in_scope(scope, query, TicketRow.brand, TicketRow.model, TicketRow.opened_at)
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
    query = in_scope(
        scope, select(RepairRow), RepairRow.brand, RepairRow.model, RepairRow.occurred_at
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
    answers = scored_answers(session, since=scope.since_at, brand=scope.brand, model=scope.model)
    return [FeedbackFacts(a.dealer_id, a.answered_at, csat=a.csat, nps=a.nps) for a in answers]


def _cases(session: Session, scope: Scope) -> list[CaseFacts]:
    query = select(
        CaseRow.case_id, CaseRow.dealer_id, CaseRow.status, CaseRow.sla_due_at, CaseRow.opened_at,
        CaseRow.confirmed_at, CaseRow.state,
    )  # fmt: skip
    query = in_period(scope, query, CaseRow.opened_at)
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
    """Call-backs that reached the customer: scheduled ones marked reached, and every call made
    about a ticket or repair, whether or not it named a follow-up the worker had scheduled."""
    scheduled = select(FollowUpRow.followup_id, FollowUpRow.ticket_id, FollowUpRow.repair_id).where(
        FollowUpRow.status == "reached"
    )
    calls = select(FeedbackRow.event_id, FeedbackRow.ticket_id, FeedbackRow.repair_id).where(
        FeedbackRow.kind == "followup_call", FeedbackRow.reached.is_(True)
    )
    return [
        FollowUpFacts(followup_id=f, reached=True, ticket_id=t, repair_id=r)
        for query in (scheduled, calls)
        for f, t, r in session.execute(query)
    ]

"""Defect flags: the CLI's list, and the report's flags with their daily failures and complaints."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from pipeline.detection.model import ANY
from pipeline.reports.flags import TREND_LOOKBACK
from pipeline.reports.model import FlagTotals
from pipeline.reports.readings import ComplaintText, FlagReading, StoredFlag
from pipeline.reports.scope import Scope
from pipeline.warehouse.read.recalls import matching_recalls
from pipeline.warehouse.read.scope import of_products, under
from pipeline.warehouse.tables import ComplaintRow, DefectFlagRow, SignatureCountRow

RECENT_WHEN_NO_PERIOD: Final = timedelta(days=90)
SERIOUS: Final = ("high", "critical")
RECENT_COMPLAINTS: Final = 20
"""The latest complaints (after the detector's samples) that the report's verbatims come from."""


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


def report_flags(
    session: Session, scope: Scope, limit: int | None
) -> tuple[list[FlagReading], FlagTotals]:
    """The ``limit`` top flags (open ones first, each by score; None: all) and the true totals.

    Flags are the open ones and those closed within the period (the last 90 days without one).
    """
    closed_since = scope.since_at or scope.now - RECENT_WHEN_NO_PERIOD
    is_open = DefectFlagRow.status == "open"
    wanted = or_(is_open, DefectFlagRow.closed_at >= closed_since)
    query = of_products(
        scope, select(DefectFlagRow).where(wanted), DefectFlagRow.brand, DefectFlagRow.model
    )
    counted = of_products(
        scope,
        select(
            func.count().filter(is_open),
            func.count().filter(is_open, DefectFlagRow.severity.in_(SERIOUS)),
            func.count().filter(~is_open),
        ).where(wanted),
        DefectFlagRow.brand,
        DefectFlagRow.model,
    )
    open_, serious, closed = session.execute(counted).one()
    query = query.order_by(
        case((is_open, 0), else_=1), DefectFlagRow.score.desc(), DefectFlagRow.flag_id
    ).limit(limit)
    readings = [_reading(session, flag, scope.now) for flag in session.execute(query).scalars()]
    return readings, FlagTotals(open=open_ or 0, open_serious=serious or 0, closed=closed or 0)


def stored_flag(row: DefectFlagRow) -> StoredFlag:
    return StoredFlag(
        flag_id=row.flag_id,
        brand=row.brand,
        model=row.model,
        variant=row.variant,
        component=row.component,
        method=row.method,
        status=row.status,
        score=row.score,
        severity=row.severity,
        first_raised_at=row.first_raised_at,
        closed_at=row.closed_at,
        evidence=dict(row.evidence or {}),
    )


def _reading(session: Session, row: DefectFlagRow, now: datetime) -> FlagReading:
    flag = stored_flag(row)
    return FlagReading(
        flag=flag,
        daily=_daily(session, flag, now),
        variants_seen=_variants_seen(session, flag, now) if flag.variant == ANY else [],
        complaints=_complaints(session, flag, now),
        recalls=matching_recalls(
            session,
            flag.brand,
            flag.model,
            flag.component,
            None if flag.variant == ANY else flag.variant,
        ),
    )


def signature_days(
    session: Session, flag: StoredFlag, last: date, first: date | None = None
) -> list[tuple[date, int]]:
    """The flag's signature's failures per day from ``first`` (None: its first) to ``last``:
    the series its detector reads."""
    query = select(SignatureCountRow.day, SignatureCountRow.n).where(
        SignatureCountRow.brand == flag.brand,
        SignatureCountRow.model == flag.model,
        SignatureCountRow.variant == flag.variant,
        SignatureCountRow.component == flag.component,
        SignatureCountRow.day <= last,
    )
    if first is not None:
        query = query.where(SignatureCountRow.day >= first)
    return [(day, n) for day, n in session.execute(query)]


def _daily(session: Session, flag: StoredFlag, now: datetime) -> dict[date, int]:
    daily: dict[date, int] = defaultdict(int)
    for day, n in signature_days(session, flag, now.date()):
        daily[day] += n
    return dict(daily)


def _variants_seen(session: Session, flag: StoredFlag, now: datetime) -> list[str]:
    """Variants with failures on the flag's component since the trend window opened, most first."""
    total = func.sum(SignatureCountRow.n)
    rows = session.execute(
        select(SignatureCountRow.variant, total)
        .where(
            SignatureCountRow.brand == flag.brand,
            SignatureCountRow.model == flag.model,
            SignatureCountRow.variant != ANY,
            SignatureCountRow.component == flag.component,
            SignatureCountRow.day >= flag.first_raised_at.date() - TREND_LOOKBACK,
            SignatureCountRow.day <= now.date(),
        )
        .group_by(SignatureCountRow.variant)
        .order_by(total.desc(), SignatureCountRow.variant)
    ).all()
    return [variant for variant, n in rows if n]


def _complaints(session: Session, flag: StoredFlag, now: datetime) -> list[ComplaintText]:
    """Complaint texts on the signature: the detector's samples first, then the latest."""
    component = func.coalesce(ComplaintRow.component, ComplaintRow.component_inferred)
    query = select(
        ComplaintRow.text, ComplaintRow.customer_id, ComplaintRow.serial, ComplaintRow.market
    ).where(
        ComplaintRow.brand == flag.brand,
        ComplaintRow.model == flag.model,
        ComplaintRow.text.is_not(None),
        ComplaintRow.occurred_at <= now,
        under(component, flag.component),
    )
    if flag.variant != ANY:
        query = query.where(ComplaintRow.variant == flag.variant)
    samples = [str(s) for s in flag.evidence.get("sample_event_ids") or [] if s]
    recent = query.order_by(ComplaintRow.occurred_at.desc(), ComplaintRow.event_id)
    queries = [query.where(ComplaintRow.event_id.in_(samples))] if samples else []
    return [
        (text, customer_id, serial, market)
        for q in (*queries, recent.limit(RECENT_COMPLAINTS))
        for text, customer_id, serial, market in session.execute(q)
    ]

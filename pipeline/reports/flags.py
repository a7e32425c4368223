"""Defect flags of the report: weekly trend, affected markets/variants/lots, verbatims, recalls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pipeline.reports.model import FlagSection, RecallMatch, TrendPoint
from pipeline.reports.scope import Scope, under
from pipeline.reports.scrub import scrub_personal_data
from pipeline.warehouse.tables import (
    ComplaintRow,
    DefectFlagRow,
    RecallRow,
    SignatureCountRow,
)

ANY: Final = "*"
MAX_FLAGS: Final = 25
MAX_VERBATIMS: Final = 3
RECENT_WHEN_NO_PERIOD: Final = timedelta(days=90)
TREND_LOOKBACK: Final = timedelta(weeks=26)
LEAD_IN: Final = timedelta(weeks=3)
BASELINE_WEEKS: Final = 8
MIN_BASELINE_WEEKS: Final = 4
# A complaint as verbatims need it: text, customer id, serial, market.
Verbatim = tuple[str | None, str | None, str | None, str | None]


def flag_sections(session: Session, scope: Scope) -> list[FlagSection]:
    """Open flags and flags closed within the period (90 days without one), highest score first."""
    closed_since = scope.since_at or scope.now - RECENT_WHEN_NO_PERIOD
    query = select(DefectFlagRow).where(
        or_(DefectFlagRow.status == "open", DefectFlagRow.closed_at >= closed_since)
    )
    query = scope.products(query, DefectFlagRow.brand, DefectFlagRow.model)
    query = query.order_by(DefectFlagRow.score.desc(), DefectFlagRow.flag_id).limit(MAX_FLAGS)
    return [_section(session, flag, scope) for flag in session.execute(query).scalars()]


def _section(session: Session, flag: DefectFlagRow, scope: Scope) -> FlagSection:
    evidence = dict(flag.evidence or {})
    observed, expected = _number(evidence.get("observed")), _number(evidence.get("expected"))
    window = _number(evidence.get("window_days"))
    window_days = int(window) if window else None
    weekly_expected = expected * 7 / window_days if expected is not None and window_days else None
    trend = _trend(session, flag, scope.now, weekly_expected)
    variants = (
        [flag.variant]
        if flag.variant != ANY
        else _names(evidence.get("variants")) or _variants_seen(session, flag, scope.now)
    )
    return FlagSection(
        flag_id=flag.flag_id,
        brand=flag.brand,
        model=flag.model,
        variant=flag.variant,
        component=flag.component,
        method=flag.method,
        status=flag.status,
        score=flag.score,
        severity=flag.severity,
        first_raised_at=flag.first_raised_at,
        closed_at=flag.closed_at,
        observed=observed,
        expected=expected,
        window_days=window_days,
        markets=_names(evidence.get("markets")),
        variants=variants,
        lots=_names(evidence.get("lots")),
        evidence=evidence,
        expected_source="evidence" if weekly_expected is not None else "baseline",
        trend=trend,
        verbatims=_verbatims(session, flag, evidence, scope.now),
        recalls=_recalls(session, flag),
    )


def week_of(day: date) -> date:
    """The Monday starting the week of ``day``."""
    return day - timedelta(days=day.weekday())


def weekly_trend(
    daily: Mapping[date, int], start: date, end: date, weekly_expected: float | None
) -> list[TrendPoint]:
    """Observations per week from ``start`` to ``end``, empty weeks included.

    Without an expected rate from the detector, each week is compared with the mean of the
    signature's own previous ``BASELINE_WEEKS`` weeks (none until ``MIN_BASELINE_WEEKS`` exist).
    """
    weeks: dict[date, int] = {}
    week = week_of(start)
    while week <= week_of(end):
        weeks[week] = 0
        week += timedelta(weeks=1)
    for day, n in daily.items():
        if week_of(day) in weeks:
            weeks[week_of(day)] += n
    counts = list(weeks.values())
    points = []
    for i, (week_start, observed) in enumerate(weeks.items()):
        expected = weekly_expected
        if expected is None:
            prior = counts[max(0, i - BASELINE_WEEKS) : i]
            expected = sum(prior) / len(prior) if len(prior) >= MIN_BASELINE_WEEKS else None
        points.append(TrendPoint(week_start=week_start, observed=observed, expected=expected))
    return points


def _trend(
    session: Session, flag: DefectFlagRow, now: datetime, weekly_expected: float | None
) -> list[TrendPoint]:
    raised = flag.first_raised_at.date()
    start = raised - TREND_LOOKBACK
    rows = session.execute(
        select(SignatureCountRow.day, SignatureCountRow.n).where(
            SignatureCountRow.brand == flag.brand,
            SignatureCountRow.model == flag.model,
            SignatureCountRow.variant == flag.variant,
            SignatureCountRow.component == flag.component,
            SignatureCountRow.day >= start,
            SignatureCountRow.day <= now.date(),
        )
    ).all()
    daily: dict[date, int] = defaultdict(int)
    for day, n in rows:
        daily[day] += n
    # Start a few weeks before the first failure rather than on an empty half-year.
    start = max(start, min(daily, default=raised) - LEAD_IN)
    end = max([raised, *daily])
    return weekly_trend(daily, start, end, weekly_expected)


def _variants_seen(session: Session, flag: DefectFlagRow, now: datetime) -> list[str]:
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


def _verbatims(
    session: Session, flag: DefectFlagRow, evidence: Mapping[str, Any], now: datetime
) -> list[str]:
    """Up to three distinct complaint texts on the signature, the detector's samples first."""
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
    samples = [str(s) for s in evidence.get("sample_event_ids") or [] if s]
    found: list[Verbatim] = []
    if samples:
        found += session.execute(query.where(ComplaintRow.event_id.in_(samples))).all()
    recent = query.order_by(ComplaintRow.occurred_at.desc(), ComplaintRow.event_id).limit(20)
    found += session.execute(recent).all()
    return scrubbed_verbatims(found)


def scrubbed_verbatims(complaints: Iterable[Verbatim]) -> list[str]:
    """Distinct texts of (text, customer id, serial, market) complaints, personal data removed.

    Each text loses its own complaint's customer id and serial, and phone numbers are read as
    written in its market first.
    """
    texts: list[str] = []
    for text, customer_id, serial, market in complaints:
        clean = scrub_personal_data(
            text or "", identifiers=(customer_id, serial), regions=(market,)
        )
        if clean and clean not in texts:
            texts.append(clean)
        if len(texts) == MAX_VERBATIMS:
            break
    return texts


def _recalls(session: Session, flag: DefectFlagRow) -> list[RecallMatch]:
    rows = session.execute(
        select(RecallRow)
        .where(
            RecallRow.brand == flag.brand,
            RecallRow.model == flag.model,
            under(RecallRow.component, flag.component),
        )
        .order_by(RecallRow.announced_on, RecallRow.recall_id)
    ).scalars()
    matches: dict[str, RecallMatch] = {}
    for row in rows:
        variants = _names(row.variants)
        if flag.variant != ANY and variants and flag.variant not in variants:
            continue
        matches.setdefault(
            row.recall_id,
            RecallMatch(
                recall_id=row.recall_id,
                kind=row.kind,
                market=row.market,
                announced_on=row.announced_on,
                variants=variants,
                component=row.component,
                units_affected=row.units_affected,
                summary=row.summary,
            ),
        )
    return list(matches.values())


def _names(value: object) -> list[str]:
    """A list of names from evidence: a list of names, a mapping name -> count, or None."""
    if isinstance(value, Mapping):
        ranked = sorted(value.items(), key=lambda kv: (-(_number(kv[1]) or 0), str(kv[0])))
        return [f"{k} ({_count(v)})" if _number(v) is not None else str(k) for k, v in ranked]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [str(v) for v in value if v is not None and str(v) != ""]
    return [str(value)] if value else []


def _count(value: object) -> str:
    number = _number(value) or 0.0
    return str(int(number)) if float(number).is_integer() else f"{number:.1f}"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)

"""Defect flags of the report: weekly trend, affected markets/variants/lots, verbatims, recalls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from pipeline.detection.model import ANY
from pipeline.enrichment.taxonomy import Taxonomy
from pipeline.reports.model import FlagSection, FlagTotals, TrendPoint
from pipeline.reports.recalls import matching_recalls
from pipeline.reports.scope import Scope, under
from pipeline.reports.scrub import scrub_personal_data
from pipeline.reports.words import component_name, flag_sentence, variant_text
from pipeline.warehouse.tables import (
    ComplaintRow,
    DefectFlagRow,
    SignatureCountRow,
)

MAX_FLAGS: Final = 25
MAX_VERBATIMS: Final = 3
RECENT_WHEN_NO_PERIOD: Final = timedelta(days=90)
TREND_LOOKBACK: Final = timedelta(weeks=26)
LEAD_IN: Final = timedelta(weeks=3)
SERIOUS: Final = ("high", "critical")
BASELINE_WEEKS: Final = 8
MIN_BASELINE_WEEKS: Final = 4
# A complaint as verbatims need it: text, customer id, serial, market.
Verbatim = tuple[str | None, str | None, str | None, str | None]


def flag_sections(
    session: Session,
    scope: Scope,
    taxonomy: Taxonomy | None = None,
    limit: int | None = MAX_FLAGS,
) -> tuple[list[FlagSection], FlagTotals]:
    """The ``limit`` top flags (open ones first, each by score; None: all) and the true totals.

    Flags are the open ones and those closed within the period (the last 90 days without one).
    """
    closed_since = scope.since_at or scope.now - RECENT_WHEN_NO_PERIOD
    is_open = DefectFlagRow.status == "open"
    wanted = or_(is_open, DefectFlagRow.closed_at >= closed_since)
    query = scope.products(
        select(DefectFlagRow).where(wanted), DefectFlagRow.brand, DefectFlagRow.model
    )
    counted = scope.products(
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
    sections = [
        _section(session, flag, scope, taxonomy) for flag in session.execute(query).scalars()
    ]
    return sections, FlagTotals(open=open_ or 0, open_serious=serious or 0, closed=closed or 0)


def _section(
    session: Session, flag: DefectFlagRow, scope: Scope, taxonomy: Taxonomy | None
) -> FlagSection:
    evidence = dict(flag.evidence or {})
    observed, expected = _number(evidence.get("observed")), _number(evidence.get("expected"))
    window = _number(evidence.get("window_days"))
    window_days = int(window) if window else None
    weekly_expected = expected * 7 / window_days if expected is not None and window_days else None
    window_end = _day(evidence.get("peak_day"))
    window_start = (
        window_end - timedelta(days=window_days - 1) if window_end and window_days else None
    )
    daily = _daily(session, flag, scope.now)
    trend = flag_trend(
        daily, flag.first_raised_at.date(), weekly_expected, window_start, window_end
    )
    window_observed = (
        sum(n for day, n in daily.items() if window_start <= day <= window_end)
        if window_start and window_end
        else None
    )
    variants = (
        [flag.variant]
        if flag.variant != ANY
        else _names(evidence.get("variants")) or _variants_seen(session, flag, scope.now)
    )
    markets = _names(evidence.get("markets"))
    units = _units(evidence)
    name = component_name(flag.component, taxonomy)
    variant = variant_text(flag.variant)
    shown = window_observed if window_observed is not None else observed
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
        markets=markets,
        variants=variants,
        lots=_names(evidence.get("lots")),
        evidence=evidence,
        expected_source="evidence" if weekly_expected is not None else "baseline",
        trend=trend,
        verbatims=_verbatims(session, flag, evidence, scope.now),
        recalls=matching_recalls(
            session,
            flag.brand,
            flag.model,
            flag.component,
            None if flag.variant == ANY else flag.variant,
        ),
        component_name=name,
        window_start=window_start,
        window_end=window_end,
        window_observed=window_observed,
        units_in_service=units,
        summary=flag_sentence(
            component=name,
            product=f"{flag.brand} {flag.model} ({variant})",
            noun="complaint" if flag.method == "complaint_signal" else "failure",
            observed=shown,
            expected=expected,
            window_days=window_days,
            window_end=window_end,
            since=flag.first_raised_at.date(),
            markets=markets,
            evidence=evidence,
            units=units,
        ),
    )


def _units(evidence: Mapping[str, Any]) -> float | None:
    """Units in service on the peak day, from the exposure detector's unit-days."""
    exposure = _number(evidence.get("exposure_unit_days"))
    return exposure if exposure else None


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def week_of(day: date) -> date:
    """The Monday starting the week of ``day``."""
    return day - timedelta(days=day.weekday())


def weekly_trend(
    daily: Mapping[date, int],
    start: date,
    end: date,
    weekly_expected: float | None,
    window: tuple[date, date] | None = None,
) -> list[TrendPoint]:
    """Observations per week from ``start`` to ``end``, empty weeks included; ``in_window``
    counts those on days within ``window`` (first and last day, inclusive).

    Without an expected rate from the detector, each week is compared with the mean of the
    signature's own previous ``BASELINE_WEEKS`` weeks (none until ``MIN_BASELINE_WEEKS`` exist).
    """
    weeks: dict[date, int] = {}
    inside: dict[date, int] = {}
    week = week_of(start)
    while week <= week_of(end):
        weeks[week] = inside[week] = 0
        week += timedelta(weeks=1)
    for day, n in daily.items():
        if week_of(day) in weeks:
            weeks[week_of(day)] += n
            if window is not None and window[0] <= day <= window[1]:
                inside[week_of(day)] += n
    counts = list(weeks.values())
    points = []
    for i, (week_start, observed) in enumerate(weeks.items()):
        expected = weekly_expected
        if expected is None:
            prior = counts[max(0, i - BASELINE_WEEKS) : i]
            expected = sum(prior) / len(prior) if len(prior) >= MIN_BASELINE_WEEKS else None
        points.append(
            TrendPoint(
                week_start=week_start,
                observed=observed,
                expected=expected,
                in_window=inside[week_start],
            )
        )
    return points


def flag_trend(
    daily: Mapping[date, int],
    raised: date,
    weekly_expected: float | None,
    window_start: date | None,
    window_end: date | None,
) -> list[TrendPoint]:
    """Weeks from a few before the first failure (at most half a year before the flag) to the
    last failure, and back further if the detector's window holds earlier failures: its dark
    bars then add up to the window's count."""
    window = (window_start, window_end) if window_start and window_end else None
    start = max(raised - TREND_LOOKBACK, min(daily, default=raised) - LEAD_IN)
    if window is not None:
        start = min([start, *(day for day in daily if window[0] <= day <= window[1])])
    end = max([raised, *daily, *([window_end] if window_end else [])])
    return weekly_trend(daily, start, end, weekly_expected, window)


def _daily(session: Session, flag: DefectFlagRow, now: datetime) -> dict[date, int]:
    """The signature's failures per day up to ``now``: the series its detector reads."""
    rows = session.execute(
        select(SignatureCountRow.day, SignatureCountRow.n).where(
            SignatureCountRow.brand == flag.brand,
            SignatureCountRow.model == flag.model,
            SignatureCountRow.variant == flag.variant,
            SignatureCountRow.component == flag.component,
            SignatureCountRow.day <= now.date(),
        )
    ).all()
    daily: dict[date, int] = defaultdict(int)
    for day, n in rows:
        daily[day] += n
    return dict(daily)


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

"""Defect flags of the report: weekly trend, affected markets/variants/lots, verbatims, recalls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

from pipeline.detection.model import ANY
from pipeline.enrichment.taxonomy import Taxonomy
from pipeline.reports.model import FlagSection, TrendPoint
from pipeline.reports.readings import ComplaintText, FlagReading
from pipeline.reports.scrub import scrub_personal_data
from pipeline.reports.words import component_name, flag_sentence, variant_text

MAX_FLAGS: Final = 25
MAX_VERBATIMS: Final = 3
TREND_LOOKBACK: Final = timedelta(weeks=26)
LEAD_IN: Final = timedelta(weeks=3)
BASELINE_WEEKS: Final = 8
MIN_BASELINE_WEEKS: Final = 4


def flag_sections(
    readings: Iterable[FlagReading], taxonomy: Taxonomy | None = None
) -> list[FlagSection]:
    """The report's section for each flag read, in the order read."""
    return [_section(reading, taxonomy) for reading in readings]


def _section(reading: FlagReading, taxonomy: Taxonomy | None) -> FlagSection:
    flag = reading.flag
    evidence = dict(flag.evidence)
    observed, expected = _number(evidence.get("observed")), _number(evidence.get("expected"))
    window = _number(evidence.get("window_days"))
    window_days = int(window) if window else None
    weekly_expected = expected * 7 / window_days if expected is not None and window_days else None
    window_end = _day(evidence.get("peak_day"))
    window_start = (
        window_end - timedelta(days=window_days - 1) if window_end and window_days else None
    )
    daily = reading.daily
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
        else _names(evidence.get("variants")) or reading.variants_seen
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
        verbatims=scrubbed_verbatims(reading.complaints),
        recalls=reading.recalls,
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


def scrubbed_verbatims(complaints: Iterable[ComplaintText]) -> list[str]:
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

"""Customer voice (CSAT, NPS, complaint themes by market, dealer, month) and the case book."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from statistics import fmean, median
from typing import Final

from pipeline.enrichment.taxonomy import Taxonomy, top_level
from pipeline.reports.model import AgeBucket, CaseBookSection, CustomerVoice, Theme, VoicePoint
from pipeline.reports.readings import Answer, CaseLine, ThemeCount
from pipeline.reports.words import component_name

THEMES_PER_LANGUAGE: Final = 5
AGE_BUCKETS: Final = ((7, "< 7 days"), (30, "7–30 days"), (90, "30–90 days"), (None, "> 90 days"))
OPEN_STATUSES: Final = ("open", "escalated")
Score = tuple[str, str, int | None, int | None]


def customer_voice(
    answers: Sequence[Answer], themes: Iterable[ThemeCount], taxonomy: Taxonomy | None = None
) -> CustomerVoice:
    """CSAT and NPS overall, per market and dealer by month, and the complaint themes.

    ``answers`` are placed by their service, unit or dealer when they name no market or dealer.
    """
    by_market = [
        (a.market or "unknown", a.answered_at.strftime("%Y-%m"), a.csat, a.nps) for a in answers
    ]
    by_dealer = [
        (a.dealer_id or "unknown", a.answered_at.strftime("%Y-%m"), a.csat, a.nps) for a in answers
    ]
    csat = [c for *_, c, _ in by_market if c is not None]
    nps = [n for *_, n in by_market if n is not None]
    return CustomerVoice(
        responses=len(answers),
        csat_mean=fmean(csat) if csat else None,
        nps=net_promoter_score(nps),
        by_market=monthly_scores(by_market),
        by_dealer=monthly_scores(by_dealer),
        themes=_themes(themes, taxonomy),
    )


def net_promoter_score(scores: Sequence[int]) -> float | None:
    """Percentage of promoters (9-10) minus percentage of detractors (0-6); None without answers."""
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100.0 * (promoters - detractors) / len(scores)


def monthly_scores(scores: Iterable[Score]) -> list[VoicePoint]:
    """CSAT mean and NPS per (key, month) from (key, month, csat, nps) answers."""
    grouped: dict[tuple[str, str], list[tuple[int | None, int | None]]] = defaultdict(list)
    for key, month, csat_answer, nps_answer in scores:
        grouped[(key, month)].append((csat_answer, nps_answer))
    points = []
    for (key, month), answers in sorted(grouped.items()):
        csat = [c for c, _ in answers if c is not None]
        nps = [n for _, n in answers if n is not None]
        points.append(
            VoicePoint(
                key=key,
                month=month,
                responses=len(answers),
                csat_mean=fmean(csat) if csat else None,
                nps=net_promoter_score(nps),
            )
        )
    return points


def _themes(themes: Iterable[ThemeCount], taxonomy: Taxonomy | None) -> list[Theme]:
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for language, comp, mode, n in themes:
        counts[
            (language or "unknown", top_level(comp) if comp else "UNKNOWN", mode or "unspecified")
        ] += n
    per_language: dict[str, list[Theme]] = defaultdict(list)
    for (language, comp, mode), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(per_language[language]) < THEMES_PER_LANGUAGE:
            per_language[language].append(
                Theme(
                    language=language,
                    component=comp,
                    failure_mode=mode,
                    count=n,
                    component_name=component_name(comp, taxonomy),
                )
            )
    by_volume = sorted(per_language.items(), key=lambda kv: (-sum(t.count for t in kv[1]), kv[0]))
    return [theme for _, themes in by_volume for theme in themes]


def case_book(rows: Sequence[CaseLine], now: datetime) -> CaseBookSection:
    """The case book's totals, ages and confirmations at ``now``, from the cases it counts."""
    open_cases = [r for r in rows if r.status in OPEN_STATUSES]
    days_to_confirm = [
        (r.confirmed_at - r.opened_at) / timedelta(days=1) for r in rows if r.confirmed_at
    ]
    return CaseBookSection(
        total=len(rows),
        open=len(open_cases),
        overdue=sum(1 for r in open_cases if r.sla_due_at < now),
        open_by_age=age_buckets((r.opened_at for r in open_cases), now),
        reopened_cases=sum(1 for r in rows if (r.reopen_count or 0) > 0),
        reopen_events=sum(r.reopen_count or 0 for r in rows),
        confirmed=len(days_to_confirm),
        median_days_to_confirmed=median(days_to_confirm) if days_to_confirm else None,
        unconfirmed=sum(1 for r in rows if r.status == "unconfirmed"),
        owner_fallbacks=sum(1 for r in rows if r.owner_fallback),
    )


def age_buckets(opened: Iterable[datetime], now: datetime) -> list[AgeBucket]:
    """Open cases per age bucket, every bucket present (zero when empty)."""
    counts = dict.fromkeys((label for _, label in AGE_BUCKETS), 0)
    for at in opened:
        age = (now - at) / timedelta(days=1)
        label = next(lbl for limit, lbl in AGE_BUCKETS if limit is None or age < limit)
        counts[label] += 1
    return [AgeBucket(label=label, count=n) for label, n in counts.items()]

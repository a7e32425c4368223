"""The small summary of a report that travels on the bus as a ReportPublished event."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, Final
from uuid import UUID

from pipeline.reports.model import ReportData
from schemas.outputs import ReportPublished

TOP_FLAGS: Final = 5


def report_summary(data: ReportData) -> dict[str, Any]:
    """Counts and the top flags: JSON-safe, a few hundred bytes, no customer data."""
    repeats = data.repeat_repairs
    return {
        "report_id": data.report_id,
        "brand": data.brand,
        "model": data.model,
        "flags": data.flag_totals.open + data.flag_totals.closed,
        "flags_open": data.flag_totals.open,
        "flags_open_serious": data.flag_totals.open_serious,
        "top_flags": [
            {
                "flag_id": f.flag_id,
                "signature": f"{f.brand}/{f.model}/{f.variant}/{f.component}",
                "severity": f.severity,
                "status": f.status,
                "score": round(f.score, 3),
                "recalls": [r.recall_id for r in f.recalls],
            }
            for f in data.flags[:TOP_FLAGS]
        ],
        "models": data.pareto_totals.models,
        "repairs_with_parts": repeats.repairs_with_parts,
        "repeat_repairs": repeats.repeated,
        "cases_open": data.case_book.open,
        "cases_overdue": data.case_book.overdue,
        "median_days_to_confirmed": _rounded(data.case_book.median_days_to_confirmed),
        "cases_confirmed_share": _rounded(data.case_book.confirmed_share),
        "cases_unconfirmed": data.case_book.unconfirmed,
        "cases_owner_fallbacks": data.case_book.owner_fallbacks,
        "responses": data.voice.responses,
        "csat_mean": _rounded(data.voice.csat_mean),
        "nps": _rounded(data.voice.nps),
    }


def report_published(data: ReportData, *, event_id: UUID, source: str) -> ReportPublished:
    """The event announcing ``data``; occurred_at is the report's as-of time."""
    start = data.period_start
    return ReportPublished(
        event_id=event_id,
        occurred_at=data.generated_at,
        source=source,
        report_id=data.report_id,
        period_start=datetime.combine(start, time(), tzinfo=UTC) if start else None,
        period_end=data.generated_at,
        summary=report_summary(data),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

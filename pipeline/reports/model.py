"""The product-improvement report as plain, frozen, JSON-serialisable values (no customer data)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.flag_detail import Recall


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrendPoint(_Value):
    """Failure observations in the event-time week starting ``week_start`` (a Monday)."""

    week_start: date
    observed: int
    expected: float | None
    in_window: int = 0
    """Of ``observed``, those on days inside the detector's window (see FlagSection.window)."""


RecallMatch = Recall
"""A recall announced for a flag's product and component (the per-flag document's own)."""


class FlagSection(_Value):
    """One defect flag with what a product team needs to act on it."""

    flag_id: str
    brand: str
    model: str
    variant: str
    component: str
    method: str
    status: str
    score: float
    severity: str
    first_raised_at: datetime
    closed_at: datetime | None
    observed: float | None
    expected: float | None
    window_days: int | None
    markets: list[str]
    variants: list[str]
    lots: list[str]
    evidence: dict[str, Any]
    expected_source: Literal["evidence", "baseline"]
    trend: list[TrendPoint]
    verbatims: list[str] = Field(description="Complaint texts with personal data removed.")
    recalls: list[RecallMatch]
    component_name: str = ""
    """The component in words, from the defect taxonomy."""
    window_start: date | None = None
    window_end: date | None = None
    """The detector's window: ``window_days`` days ending on the day it judged most unusual."""
    window_observed: int | None = None
    """Failures in the window on the chart's series (the signature's daily counts)."""
    units_in_service: float | None = None
    summary: str = ""
    """One plain sentence: what fails, where, since when, how unusual, how many."""

    @property
    def shown_observed(self) -> float | None:
        """The observed count the report states: the chart's, else the detector's."""
        return self.window_observed if self.window_observed is not None else self.observed


class ParetoBar(_Value):
    component: str
    failure_mode: str
    count: int
    cumulative_share: float
    component_name: str = ""


class ModelPareto(_Value):
    """Failures (repairs and complaints) of one model, most frequent first."""

    brand: str
    model: str
    total: int
    bars: list[ParetoBar]
    kinds: int = 0
    """Distinct (component, failure mode) pairs; ``bars`` holds the most frequent of them."""


class FlagTotals(_Value):
    """True counts behind the ranked flags the report lists."""

    open: int = 0
    open_serious: int = 0
    """Open flags of high or critical severity."""
    closed: int = 0
    """Flags closed within the period (the last 90 days without one)."""


class ParetoTotals(_Value):
    models: int = 0
    failures: int = 0


class RepeatRate(_Value):
    """Repairs fitted with ``key`` and how many of them had to be repeated."""

    key: str
    repairs: int
    repeated: int
    rate: float


class RepeatRepairs(_Value):
    repairs_with_parts: int
    repeated: int
    by_part: list[RepeatRate]
    by_supplier: list[RepeatRate]
    by_genuine: list[RepeatRate]
    parts: int = 0
    """Part numbers in all; ``by_part`` holds the worst of them."""
    suppliers: int = 0


class AgeBucket(_Value):
    label: str
    count: int


class CaseBookSection(_Value):
    total: int
    open: int
    overdue: int
    open_by_age: list[AgeBucket]
    reopened_cases: int
    reopen_events: int
    confirmed: int
    median_days_to_confirmed: float | None
    unconfirmed: int = 0
    """Resolved cases closed without the customer's confirmation when the wait ran out."""
    owner_fallbacks: int = 0
    """Cases whose owner came from the default desk (no dealer or market team applied)."""

    @property
    def confirmed_share(self) -> float | None:
        """Share of the cases closed on the customer's confirmation."""
        return self.confirmed / self.total if self.total else None


class VoicePoint(_Value):
    """Survey and call-back scores of one market or dealer in one month (YYYY-MM)."""

    key: str
    month: str
    responses: int
    csat_mean: float | None
    nps: float | None


class Theme(_Value):
    language: str
    component: str
    failure_mode: str
    count: int
    component_name: str = ""


class CustomerVoice(_Value):
    responses: int
    csat_mean: float | None
    nps: float | None
    by_market: list[VoicePoint]
    by_dealer: list[VoicePoint]
    themes: list[Theme]


class KpiLine(_Value):
    """After-sales KPIs of one dealer, country or dealer group (franchisees included)."""

    by: str
    key: str
    label: str
    dealers: int
    tickets: int = 0
    median_first_response_hours: float | None = None
    median_resolution_hours: float | None = None
    followup_coverage: float | None = None
    repairs: int
    repairs_with_serial: int
    repeat_repair_rate: float | None
    first_time_fix_rate: float | None
    genuine_parts_ratio: float | None
    csat_mean: float | None
    nps: float | None
    responses: int
    open_cases: int
    overdue_cases: int
    cases: int = 0
    confirmed_share: float | None = None
    median_days_to_confirmed_fix: float | None = None
    unconfirmed_cases: int = 0
    owner_fallbacks: int = 0


class ReportData(_Value):
    report_id: str
    generated_at: datetime
    period_start: date | None
    brand: str | None
    model: str | None
    flags: list[FlagSection]
    pareto: list[ModelPareto]
    repeat_repairs: RepeatRepairs
    case_book: CaseBookSection
    voice: CustomerVoice
    kpis: list[KpiLine]
    flag_totals: FlagTotals = FlagTotals()
    pareto_totals: ParetoTotals = ParetoTotals()
    corrective_actions: dict[str, Any] = {}
    """The product loop (see pipeline.loop.section.corrective_actions); empty: not read."""

    def kpis_by(self, by: str) -> list[KpiLine]:
        return [k for k in self.kpis if k.by == by]

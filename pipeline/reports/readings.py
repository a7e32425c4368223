"""What the report and the per-flag document read from the warehouse, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pipeline.casebook.facts import (
    CaseFacts,
    DealerInfo,
    FeedbackFacts,
    FollowUpFacts,
    RepairFacts,
    TicketFacts,
)
from pipeline.reports.flag_evidence import Said
from pipeline.reports.model import FlagTotals
from pipeline.reports.scope import Scope
from schemas.flag_detail import Breakdown, Dealer, Part, Recall

ComplaintText = tuple[str | None, str | None, str | None, str | None]
"""A complaint as the report's verbatims need it: text, customer id, serial, market."""
FailureCount = tuple[str, str, str | None, str | None, int]
"""Repairs or complaints of one (brand, model, component, failure mode), and how many."""
FittedPart = tuple[str, str, str, bool]
"""A part a repair fitted: the repair's event id, part number, supplier, genuine or not."""
ThemeCount = tuple[str | None, str | None, str | None, int]
"""Complaints of one (language, component, failure mode), and how many."""


@dataclass(frozen=True, slots=True)
class StoredFlag:
    """A defect flag as the warehouse keeps it."""

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
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FlagReading:
    """A flag with the failures, complaints and recalls its report section shows."""

    flag: StoredFlag
    daily: dict[date, int]
    """The signature's failures per day up to the report's time: the series its detector reads."""
    variants_seen: list[str]
    """For a flag on every variant: variants with failures on its component, most first."""
    complaints: list[ComplaintText]
    """The detector's sample complaints, then the latest ones, newest first."""
    recalls: list[Recall]


@dataclass(frozen=True, slots=True)
class Answer:
    """One CSAT and/or NPS answer with the market and dealer it counts toward (None: unknown)."""

    market: str | None
    dealer_id: str | None
    answered_at: datetime
    csat: int | None
    nps: int | None


@dataclass(frozen=True, slots=True)
class CaseLine:
    """A complaint case as the report's case book counts it."""

    status: str
    opened_at: datetime
    sla_due_at: datetime
    confirmed_at: datetime | None
    reopen_count: int | None
    owner_fallback: bool


@dataclass(frozen=True, slots=True)
class DealerFacts:
    """Dealers and their services, answers, cases and call-backs, for the KPIs."""

    dealers: list[DealerInfo]
    names: dict[str, str]
    tickets: list[TicketFacts]
    repairs: list[RepairFacts]
    feedback: list[FeedbackFacts]
    cases: list[CaseFacts]
    followups: list[FollowUpFacts]


@dataclass(frozen=True, slots=True)
class RepairsWithParts:
    """Parts fitted by the period's repairs, and the repairs a later repair repeated."""

    parts: list[FittedPart]
    repeated: set[str]


@dataclass(frozen=True, slots=True)
class ReportReadings:
    """Everything the report is built from, read in one pass."""

    scope: Scope
    complete: bool
    """Every entry of every ranking (the JSON report), not only the top ones."""
    flags: list[FlagReading]
    flag_totals: FlagTotals
    failures: list[FailureCount]
    repairs_with_parts: RepairsWithParts
    cases: list[CaseLine]
    answers: list[Answer]
    themes: list[ThemeCount]
    corrective_actions: dict[str, Any]
    dealers: DealerFacts


@dataclass(frozen=True, slots=True)
class FlagDetailReadings:
    """One flag with the complaints, repairs and recalls of its signature over its period."""

    as_of: datetime
    flag: StoredFlag
    variant: str | None
    market: str | None
    start: datetime
    end: datetime
    registered_name: str | None
    """The product registration's name for the component, if it has one."""
    daily: list[tuple[date, int]]
    complaints: list[Said]
    markets: list[Breakdown]
    lots: list[Breakdown]
    dealers: list[Dealer]
    parts: list[Part]
    recalls: list[Recall]

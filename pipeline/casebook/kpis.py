"""Dealer after-sales KPIs, rolled up by country, group and region from pooled facts."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean, median
from typing import Literal, Protocol, TypeVar

from pipeline.casebook.facts import (
    CaseFacts,
    DealerInfo,
    FeedbackFacts,
    FollowUpFacts,
    RepairFacts,
    TicketFacts,
)
from pipeline.casebook.triage import top_component

GroupBy = Literal["dealer", "country", "group", "region", "ownership"]
UNKNOWN = "unknown"
"""Key of facts whose dealer is not registered (or has no value for the grouping)."""
_F = TypeVar("_F")


@dataclass(frozen=True, slots=True)
class KpiRow:
    """The after-sales KPIs of one dealer or one roll-up; None where there is nothing to measure."""

    by: GroupBy
    key: str
    dealers: int
    tickets: int
    repairs: int
    median_first_response_hours: float | None
    median_resolution_hours: float | None
    first_time_fix_rate: float | None
    repeat_repair_rate: float | None
    repairs_with_serial: int
    """Denominator of the fix rates: repairs on a known unit, where a repeat can be seen."""
    genuine_parts_ratio: float | None
    followup_coverage: float | None
    csat_mean: float | None
    nps: float | None
    responses: int
    open_cases: int
    overdue_cases: int
    """Open or escalated past the SLA: nobody has fixed them in time."""
    cases: int = 0
    confirmed_cases: int = 0
    """Closed on the customer's confirmation."""
    unconfirmed_cases: int = 0
    """Resolved, but closed without a confirmation when the wait ran out."""
    confirmed_share: float | None = None
    """Share of all cases closed on the customer's confirmation."""
    median_days_to_confirmed_fix: float | None = None
    owner_fallbacks: int = 0
    """Cases whose owner came from the default desk (no dealer or market team applied)."""
    label: str = ""
    """How a reader knows the row: "name (id)" for a named dealer, else the key."""


def compute_kpis(
    dealers: Sequence[DealerInfo],
    *,
    tickets: Iterable[TicketFacts] = (),
    repairs: Iterable[RepairFacts] = (),
    feedback: Iterable[FeedbackFacts] = (),
    cases: Iterable[CaseFacts] = (),
    followups: Iterable[FollowUpFacts] = (),
    by: GroupBy = "dealer",
    now: datetime,
    repeat_window: timedelta = timedelta(days=90),
    names: Mapping[str, str] | None = None,
) -> list[KpiRow]:
    """One row per dealer (or per country, group, region, ownership), sorted by key.

    ``names`` (dealer id -> registered name) label the dealer rows.

    Roll-ups pool the facts of their dealers and compute each metric once, so a big dealer
    weighs as much as its volume; averages of dealer averages would not.
    """
    tickets, repairs, feedback = list(tickets), list(repairs), list(feedback)
    cases, followups = list(cases), list(followups)
    info = {d.dealer_id: d for d in dealers}

    def key_of(dealer_id: str | None) -> str:
        dealer = info.get(dealer_id) if dealer_id else None
        if dealer is None:
            return UNKNOWN
        value = dealer.dealer_id if by == "dealer" else getattr(dealer, by)
        return str(value) if value is not None else UNKNOWN

    repeated = _repeated_repairs(repairs, repeat_window)
    covered = _covered_services(repairs, followups)
    grouped_tickets = _group(tickets, lambda t: key_of(t.dealer_id))
    grouped_repairs = _group(repairs, lambda r: key_of(r.dealer_id))
    grouped_feedback = _group(feedback, lambda f: key_of(f.dealer_id))
    grouped_cases = _group(cases, lambda c: key_of(c.dealer_id))
    dealer_counts = _group(dealers, lambda d: key_of(d.dealer_id))
    keys = set(dealer_counts) | set(grouped_tickets) | set(grouped_repairs)
    keys |= set(grouped_feedback) | set(grouped_cases)
    return [
        _row(
            by,
            key,
            dealers=len(dealer_counts.get(key, [])),
            tickets=grouped_tickets.get(key, []),
            repairs=grouped_repairs.get(key, []),
            feedback=grouped_feedback.get(key, []),
            cases=grouped_cases.get(key, []),
            repeated=repeated,
            covered=covered,
            now=now,
            label=f"{names[key]} ({key})" if by == "dealer" and names and key in names else key,
        )
        for key in sorted(keys)
    ]


def stalled_dealers(
    cases: Iterable[CaseFacts], now: datetime, *, window: timedelta, min_cases: int, share: float
) -> list[str]:
    """Dealers whose desks have stopped working their cases, by id.

    Of a dealer's cases whose SLA deadline fell within `window` before `now` (event time), at
    least `share` are still open or escalated past it, and there are at least `min_cases` of
    them. A recent window, not the whole book, so an old tail of overdue cases does not keep a
    dealer on the list once its desk acts again, and a fresh stop shows within one window.
    """
    due: defaultdict[str, int] = defaultdict(int)
    overdue: defaultdict[str, int] = defaultdict(int)
    for case in cases:
        if case.dealer_id is None or not now - window <= case.sla_due_at < now:
            continue
        due[case.dealer_id] += 1
        if case.status in ("open", "escalated"):
            overdue[case.dealer_id] += 1
    return sorted(
        dealer for dealer, n in due.items() if n >= min_cases and overdue[dealer] >= share * n
    )


class Ranked(Protocol):
    """What a dealer ranking reads of a KPI row (the warehouse's rows and the report's lines)."""

    @property
    def key(self) -> str: ...

    @property
    def repeat_repair_rate(self) -> float | None: ...

    @property
    def repairs_with_serial(self) -> int: ...


_R = TypeVar("_R", bound=Ranked)


def worst_dealers(rows: Iterable[_R], n: int, *, min_repairs: int = 10) -> list[_R]:
    """The first `n` rows ranked by repeat-repair rate, worst first, among those with enough
    repairs to judge; rows with too few follow, busiest first. The demo's summary and the
    report rank dealers with this one rule."""

    def judged(r: _R) -> bool:
        return r.repeat_repair_rate is not None and r.repairs_with_serial >= max(min_repairs, 1)

    ranked = sorted(
        rows,
        key=lambda r: (
            not judged(r),
            -(r.repeat_repair_rate or 0.0) if judged(r) else 0.0,
            -r.repairs_with_serial,
            r.key,
        ),
    )
    return ranked[: max(n, 0)]


def _row(
    by: GroupBy,
    key: str,
    *,
    dealers: int,
    tickets: Sequence[TicketFacts],
    repairs: Sequence[RepairFacts],
    feedback: Sequence[FeedbackFacts],
    cases: Sequence[CaseFacts],
    repeated: set[str],
    covered: set[str],
    now: datetime,
    label: str,
) -> KpiRow:
    on_units = [r for r in repairs if r.serial]
    repeats = sum(1 for r in on_units if r.repair_id in repeated)
    first_time = sum(1 for r in on_units if r.outcome == "fixed" and r.repair_id not in repeated)
    genuine = sum(r.genuine_parts for r in repairs)
    parts = genuine + sum(r.other_parts for r in repairs)
    services = _services(tickets, repairs)
    csat = [f.csat for f in feedback if f.csat is not None]
    nps = [f.nps for f in feedback if f.nps is not None]
    confirmed = [c for c in cases if c.status == "closed"]
    days_to_fix = [
        (c.confirmed_at - c.opened_at) / timedelta(days=1)
        for c in confirmed
        if c.confirmed_at is not None and c.opened_at is not None
    ]
    return KpiRow(
        by=by,
        key=key,
        dealers=dealers,
        tickets=len(tickets),
        repairs=len(repairs),
        median_first_response_hours=_median_hours((t.opened_at, t.assigned_at) for t in tickets),
        median_resolution_hours=_median_hours((t.opened_at, t.resolved_at) for t in tickets),
        first_time_fix_rate=_share(first_time, len(on_units)),
        repeat_repair_rate=_share(repeats, len(on_units)),
        repairs_with_serial=len(on_units),
        genuine_parts_ratio=_share(genuine, parts),
        followup_coverage=_share(sum(1 for s in services if s in covered), len(services)),
        csat_mean=fmean(csat) if csat else None,
        nps=_net_promoter(nps),
        responses=len(feedback),
        open_cases=sum(1 for c in cases if c.status not in ("closed", "unconfirmed")),
        overdue_cases=sum(
            1 for c in cases if c.status in ("open", "escalated") and now > c.sla_due_at
        ),
        cases=len(cases),
        confirmed_cases=len(confirmed),
        unconfirmed_cases=sum(1 for c in cases if c.status == "unconfirmed"),
        confirmed_share=_share(len(confirmed), len(cases)),
        median_days_to_confirmed_fix=median(days_to_fix) if days_to_fix else None,
        owner_fallbacks=sum(1 for c in cases if c.owner_fallback),
        label=label,
    )


def _repeated_repairs(repairs: Sequence[RepairFacts], window: timedelta) -> set[str]:
    """Repairs followed, within `window`, by another on the same unit and top-level component.

    The repeat counts against the repair that did not hold, whichever dealer came next.
    """
    by_fault: dict[tuple[str, str | None], list[RepairFacts]] = defaultdict(list)
    for repair in repairs:
        if repair.serial:
            by_fault[(repair.serial, top_component(repair.component))].append(repair)
    repeated: set[str] = set()
    for group in by_fault.values():
        times = sorted(r.completed_at for r in group)
        for repair in group:
            later = bisect.bisect_right(times, repair.completed_at)
            if later < len(times) and times[later] <= repair.completed_at + window:
                repeated.add(repair.repair_id)
    return repeated


def _services(tickets: Sequence[TicketFacts], repairs: Sequence[RepairFacts]) -> list[str]:
    """Resolved tickets, plus repairs that no resolved ticket of the same facts covers."""
    resolved = {t.ticket_id for t in tickets if t.resolved_at is not None}
    return [f"ticket:{t}" for t in sorted(resolved)] + [
        f"repair:{r.repair_id}" for r in repairs if r.ticket_id not in resolved
    ]


def _covered_services(
    repairs: Sequence[RepairFacts],
    followups: Sequence[FollowUpFacts],
) -> set[str]:
    """Services (as _services names them) with a follow-up that reached the customer."""
    reached = [f for f in followups if f.reached]
    covered = {f"ticket:{f.ticket_id}" for f in reached if f.ticket_id}
    covered |= {f"repair:{f.repair_id}" for f in reached if f.repair_id}
    # A call about the repair also covers the ticket the repair resolved.
    covered |= {
        f"ticket:{r.ticket_id}"
        for r in repairs
        if r.ticket_id and f"repair:{r.repair_id}" in covered
    }
    return covered


def _median_hours(spans: Iterable[tuple[datetime, datetime | None]]) -> float | None:
    hours = [(end - start) / timedelta(hours=1) for start, end in spans if end and end >= start]
    return median(hours) if hours else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _net_promoter(scores: Sequence[int]) -> float | None:
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return 100.0 * (promoters - detractors) / len(scores)


def _group(items: Iterable[_F], key: Callable[[_F], str]) -> dict[str, list[_F]]:
    grouped: dict[str, list[_F]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return dict(grouped)

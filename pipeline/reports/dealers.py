"""Dealer, country, group and ownership KPIs from the dealers' facts (see casebook.kpis)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pipeline.casebook.kpis import GroupBy, KpiRow, compute_kpis
from pipeline.reports.readings import DealerFacts

ROLL_UPS: Final[tuple[GroupBy, ...]] = ("dealer", "country", "group", "ownership")


def dealer_kpis(facts: DealerFacts, now: datetime) -> list[KpiRow]:
    """KPIs per dealer, then rolled up per country, group and ownership, franchisees included.

    One plain row per dealer or roll-up (``row.by`` says which), as the CLI, the demo and the
    report show them: time to first response and to resolution, follow-up coverage, fix and
    repeat rates, genuine parts, CSAT, NPS and the case book.
    """
    return [
        row
        for by in ROLL_UPS
        for row in compute_kpis(
            facts.dealers,
            tickets=facts.tickets,
            repairs=facts.repairs,
            feedback=facts.feedback,
            cases=facts.cases,
            followups=facts.followups,
            by=by,
            now=now,
            names=facts.names,
        )
    ]

"""Closing the loop: the complaint case book, follow-up calls and dealer after-sales KPIs."""

from pipeline.casebook.attribution import Attribution, Sighting, sighting_of
from pipeline.casebook.cases import apply, dispatch, due_escalations, is_detractor, lookup_for
from pipeline.casebook.facts import (
    CaseFacts,
    DealerInfo,
    FeedbackFacts,
    FollowUpFacts,
    RepairFacts,
    TicketFacts,
)
from pipeline.casebook.fold import apply_batch
from pipeline.casebook.followups import (
    Contact,
    FollowUp,
    FollowUpLookup,
    FollowUpPlan,
    apply_followup_batch,
    business_time,
    lookup_followups,
    needs_contact,
    plan_followups,
    record_call,
)
from pipeline.casebook.kpis import KpiRow, compute_kpis, worst_dealers
from pipeline.casebook.rules import Rules, RulesError, load_rules, parse_rules
from pipeline.casebook.state import (
    ACTIVE_STATUSES,
    CaseLookup,
    CaseState,
    Decision,
    TimelineEntry,
    age,
    is_overdue,
    next_action,
)

__all__ = [
    "ACTIVE_STATUSES",
    "Attribution",
    "CaseFacts",
    "CaseLookup",
    "CaseState",
    "Contact",
    "DealerInfo",
    "Decision",
    "FeedbackFacts",
    "FollowUp",
    "FollowUpFacts",
    "FollowUpLookup",
    "FollowUpPlan",
    "KpiRow",
    "RepairFacts",
    "Rules",
    "RulesError",
    "Sighting",
    "TicketFacts",
    "TimelineEntry",
    "age",
    "apply",
    "apply_batch",
    "apply_followup_batch",
    "business_time",
    "compute_kpis",
    "dispatch",
    "due_escalations",
    "is_detractor",
    "is_overdue",
    "load_rules",
    "lookup_followups",
    "lookup_for",
    "needs_contact",
    "next_action",
    "parse_rules",
    "plan_followups",
    "record_call",
    "sighting_of",
    "worst_dealers",
]

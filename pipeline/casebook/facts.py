"""Plain rows the dealer KPIs are computed from; the warehouse fills them, tests build them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from schemas.repairs import RepairCompleted


@dataclass(frozen=True, slots=True)
class DealerInfo:
    """A dealer and where it rolls up; franchised dealers count in their group like owned ones."""

    dealer_id: str
    country: str
    ownership: Literal["owned", "franchised"]
    group: str
    region: str | None = None


@dataclass(frozen=True, slots=True)
class TicketFacts:
    ticket_id: str
    dealer_id: str | None
    opened_at: datetime
    assigned_at: datetime | None = None
    """First assignment: the first response to the customer."""
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RepairFacts:
    repair_id: str
    dealer_id: str | None
    serial: str | None
    component: str
    completed_at: datetime
    outcome: str = "fixed"
    genuine_parts: int = 0
    """Quantity of the maker's genuine parts fitted."""
    other_parts: int = 0
    """Quantity of non-genuine parts fitted."""
    ticket_id: str | None = None

    @classmethod
    def of(cls, event: RepairCompleted) -> RepairFacts:
        """The facts of one repair event."""
        return cls(
            repair_id=event.repair_id,
            dealer_id=event.dealer_id,
            serial=event.product.serial,
            component=event.component,
            completed_at=event.occurred_at,
            outcome=event.outcome,
            genuine_parts=sum(p.quantity for p in event.parts if p.genuine),
            other_parts=sum(p.quantity for p in event.parts if not p.genuine),
            ticket_id=event.ticket_id,
        )


@dataclass(frozen=True, slots=True)
class FeedbackFacts:
    """One survey answer or follow-up call score about a dealer's service."""

    dealer_id: str | None
    answered_at: datetime
    csat: int | None = None
    nps: int | None = None


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case_id: str
    dealer_id: str | None
    status: str
    sla_due_at: datetime
    opened_at: datetime | None = None
    confirmed_at: datetime | None = None
    """When the customer confirmed the fix (status closed); None otherwise."""
    owner_fallback: bool = False
    """The owner came from the default desk: no dealer or market team applied."""


@dataclass(frozen=True, slots=True)
class FollowUpFacts:
    followup_id: str
    reached: bool
    ticket_id: str | None = None
    repair_id: str | None = None

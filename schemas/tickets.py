"""Ticket events: one service request from opening to closing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import InboundBase, LongText, ShortText
from schemas.limits import DATE_RANGE_TEXT
from schemas.parts import (
    BoundedDatetime,
    ComponentCode,
    CountryCode,
    Customer,
    Identifier,
    LanguageTag,
    ProductRef,
)

Channel = Literal["phone", "email", "web", "app", "dealer", "chat", "social", "other"]
Priority = Literal["low", "normal", "high", "urgent"]


class TicketEvent(InboundBase):
    """Every ticket event names its ticket and the unit it concerns (the message key)."""

    ticket_id: Identifier
    product: ProductRef


class TicketOpened(TicketEvent):
    event_type: Literal["ticket.opened"] = "ticket.opened"
    customer: Customer
    market: CountryCode
    channel: Channel
    priority: Priority = "normal"
    dealer_id: Identifier | None = None
    sla_due_at: BoundedDatetime | None = Field(
        default=None, description=f"When a first fix is due; {DATE_RANGE_TEXT} in UTC."
    )
    summary: ShortText | None = None
    description: LongText | None = None
    language: LanguageTag | None = None
    failure_code: Identifier | None = None
    component: ComponentCode | None = None


class TicketAssigned(TicketEvent):
    event_type: Literal["ticket.assigned"] = "ticket.assigned"
    assignee: Identifier
    dealer_id: Identifier | None = None


class TicketEscalated(TicketEvent):
    event_type: Literal["ticket.escalated"] = "ticket.escalated"
    level: int = Field(ge=1, le=10)
    reason: ShortText


class TicketResolved(TicketEvent):
    event_type: Literal["ticket.resolved"] = "ticket.resolved"
    resolution: ShortText
    repair_id: Identifier | None = None


class TicketClosed(TicketEvent):
    event_type: Literal["ticket.closed"] = "ticket.closed"
    rating: int | None = Field(default=None, ge=1, le=5, description="Rating given on close (1-5).")


class TicketReopened(TicketEvent):
    event_type: Literal["ticket.reopened"] = "ticket.reopened"
    reason: ShortText


TICKET_EVENTS = (
    TicketOpened,
    TicketAssigned,
    TicketEscalated,
    TicketResolved,
    TicketClosed,
    TicketReopened,
)

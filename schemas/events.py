"""The union of every inbound event type and the family (topic) each belongs to."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, Field, TypeAdapter

from schemas.customers import CUSTOMER_EVENTS, CustomerErased, CustomerErasureRequested
from schemas.feedback import (
    FEEDBACK_EVENTS,
    CommentPosted,
    ComplaintFiled,
    ComplaintResolutionConfirmed,
    ComplaintUpdated,
    FollowUpCallMade,
    SurveyAnswered,
)
from schemas.outputs import CaseEscalated, DefectFlagChanged, FollowUpScheduled, ReportPublished
from schemas.product import PRODUCT_EVENTS, CorrectiveActionReleased, FlagTriaged
from schemas.reference import (
    REFERENCE_EVENTS,
    DealerRegistered,
    ProductModelRegistered,
    RecallAnnounced,
    UnitSold,
    UnitsSold,
)
from schemas.repairs import REPAIR_EVENTS, RepairCompleted
from schemas.tickets import (
    TICKET_EVENTS,
    TicketAssigned,
    TicketClosed,
    TicketEscalated,
    TicketOpened,
    TicketReopened,
    TicketResolved,
)

InboundEvent = Annotated[
    (
        TicketOpened
        | TicketAssigned
        | TicketEscalated
        | TicketResolved
        | TicketClosed
        | TicketReopened
        | RepairCompleted
        | SurveyAnswered
        | FollowUpCallMade
        | CommentPosted
        | ComplaintFiled
        | ComplaintUpdated
        | ComplaintResolutionConfirmed
        | ProductModelRegistered
        | DealerRegistered
        | UnitsSold
        | UnitSold
        | RecallAnnounced
        | CustomerErasureRequested
        | FlagTriaged
        | CorrectiveActionReleased
    ),
    Field(discriminator="event_type"),
]

OutboundEvent = Annotated[
    DefectFlagChanged | FollowUpScheduled | CaseEscalated | ReportPublished | CustomerErased,
    Field(discriminator="event_type"),
]

INBOUND: Final = TypeAdapter(InboundEvent)
OUTBOUND: Final = TypeAdapter(OutboundEvent)

FAMILIES: Final[dict[str, tuple[type[BaseModel], ...]]] = {
    "tickets": TICKET_EVENTS,
    "repairs": REPAIR_EVENTS,
    "feedback": FEEDBACK_EVENTS,
    "reference": REFERENCE_EVENTS,
    "customers": CUSTOMER_EVENTS,
    "product": PRODUCT_EVENTS,
}
"""Inbound topic family -> the event classes that may be published on it."""

FAMILY_OF_TYPE: Final[dict[str, str]] = {
    cls.model_fields["event_type"].default: family
    for family, classes in FAMILIES.items()
    for cls in classes
}
"""event_type -> inbound topic family."""

OUTBOUND_TYPES: Final = (
    DefectFlagChanged,
    FollowUpScheduled,
    CaseEscalated,
    ReportPublished,
    CustomerErased,
)


def event_type_of(cls: type[BaseModel]) -> str:
    """The literal event_type of an event class."""
    return str(cls.model_fields["event_type"].default)

"""Customer events: a request to erase one customer's personal data, and its confirmation."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.base import Event, InboundBase, ShortText
from schemas.parts import Identifier


class CustomerErasureRequested(InboundBase):
    """The customer asked to have their personal data erased (GDPR art. 17, PIPL, CCPA)."""

    event_type: Literal["customer.erasure_requested"] = "customer.erasure_requested"
    customer_id: Identifier
    request_id: Identifier | None = Field(
        default=None, description="The request's id in the system that took it (a ticket, say)."
    )
    reason: ShortText | None = Field(
        default=None, description="Why, for the record: the law or channel (e.g. gdpr-art17)."
    )


class CustomerErased(Event):
    """A customer's personal data was erased from the warehouse; downstream systems follow suit.

    ``customer_id`` is the id the request named, so that other systems can find the customer;
    the warehouse itself keeps only ``pseudonym``, which stands in for it in counts and KPIs.
    """

    event_type: Literal["customer.erased"] = "customer.erased"
    customer_id: Identifier
    pseudonym: Identifier = Field(description="What the warehouse stores in place of the id.")
    request_event_id: str = Field(description="event_id of the customer.erasure_requested.")
    request_id: Identifier | None = None
    erased_at: AwareDatetime = Field(description="When the warehouse erased it (wall clock).")
    rows: dict[str, int] = Field(
        default_factory=dict, description="Rows changed or removed, by warehouse table."
    )


CUSTOMER_EVENTS = (CustomerErasureRequested,)

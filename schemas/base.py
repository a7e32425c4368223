"""The envelope every event carries: id, type, version, event time and source."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.limits import DATE_RANGE_TEXT, MAX_SHORT_TEXT, MAX_TEXT
from schemas.parts import NO_NUL, BoundedDatetime, Contract, Name

ShortText = Annotated[str, StringConstraints(max_length=MAX_SHORT_TEXT, pattern=NO_NUL)]
LongText = Annotated[str, StringConstraints(max_length=MAX_TEXT, pattern=NO_NUL)]


class Event(Contract):
    """Fields common to every event on every topic."""

    event_type: str = Field(description="What happened; selects the schema (e.g. ticket.opened).")
    event_id: UUID = Field(description="Unique id of this event; the idempotency key.")
    schema_version: Literal[1] = Field(
        default=1, description="Version of this event type's schema."
    )
    occurred_at: AwareDatetime = Field(
        description="When it happened (event time), with UTC offset."
    )
    source: Name = Field(description="Who published it: system, service centre, importer.")

    @cached_property
    def id_text(self) -> str:
        """``event_id`` as text, the warehouse's key: worked out once per event."""
        return str(self.event_id)


class InboundBase(Event):
    """Every event the pipeline receives: its event time lies within the warehouse's range.

    Events the pipeline publishes keep the plain envelope: their times are worked out from
    inbound ones (an SLA past an event time, say) and may lie a little beyond the range.
    """

    occurred_at: BoundedDatetime = Field(
        description=f"When it happened (event time), with UTC offset; {DATE_RANGE_TEXT} in UTC."
    )

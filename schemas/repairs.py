"""Repair events: work done on a unit, with the parts that went into it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from schemas.base import InboundBase, LongText
from schemas.limits import (
    MAX_LABOUR_HOURS,
    MAX_PART_QUANTITY,
    MAX_PARTS_PER_REPAIR,
    MAX_USAGE,
)
from schemas.parts import (
    ComponentCode,
    Contract,
    CountryCode,
    Identifier,
    Money,
    Name,
    ProductRef,
)

Outcome = Literal["fixed", "partially_fixed", "not_fixed", "no_fault_found"]


class PartReplaced(Contract):
    part_number: Identifier
    description: Name | None = None
    supplier: Name
    genuine: bool = Field(description="True for the maker's genuine part, False for any other.")
    quantity: int = Field(default=1, ge=1, le=MAX_PART_QUANTITY)
    unit_cost: Money | None = None


class RepairCompleted(InboundBase):
    event_type: Literal["repair.completed"] = "repair.completed"
    repair_id: Identifier
    ticket_id: Identifier | None = None
    product: ProductRef
    customer_id: Identifier | None = None
    market: CountryCode
    dealer_id: Identifier | None = None
    technician_id: Identifier | None = None
    diagnosis: LongText | None = None
    failure_code: Identifier | None = None
    component: ComponentCode
    failure_mode: Identifier | None = None
    parts: Annotated[list[PartReplaced], Field(max_length=MAX_PARTS_PER_REPAIR)] = []
    labour_hours: float = Field(default=0.0, ge=0, le=MAX_LABOUR_HOURS, allow_inf_nan=False)
    labour_cost: Money | None = None
    total_cost: Money | None = None
    outcome: Outcome = "fixed"
    usage: float | None = Field(
        default=None,
        ge=0,
        le=MAX_USAGE,
        allow_inf_nan=False,
        description="Odometer km or operating hours at repair.",
    )


REPAIR_EVENTS = (RepairCompleted,)

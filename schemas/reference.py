"""Reference events: product models, dealers, units sold (installed base), recalls."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from schemas.base import InboundBase, LongText
from schemas.limits import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_COMPONENTS_PER_MODEL,
    MAX_UNITS_AFFECTED,
    MAX_UNITS_SOLD,
    MAX_VARIANTS_PER_RECALL,
)
from schemas.parts import (
    BoundedDate,
    ComponentCode,
    Contract,
    CountryCode,
    Customer,
    Identifier,
    Name,
    ProductRef,
)


def _check_month(month: str) -> str:
    if not EARLIEST_YEAR <= int(month[:4]) <= LATEST_YEAR:
        raise ValueError(f"month {month} is not between {EARLIEST_YEAR}-01 and {LATEST_YEAR}-12")
    return month


YearMonth = Annotated[
    str,
    # ASCII digits only: a Unicode digit would pass int() yet key a different warehouse row.
    StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
    AfterValidator(_check_month),
    Field(description=f"A calendar month, YYYY-MM, {EARLIEST_YEAR}-01 to {LATEST_YEAR}-12."),
]


class ComponentNode(Contract):
    code: ComponentCode
    name: Name | None = None


class ProductModelRegistered(InboundBase):
    event_type: Literal["product_model.registered"] = "product_model.registered"
    brand: Name
    model: Name
    variant: Name | None = None
    category: Identifier = "vehicle"
    components: Annotated[list[ComponentNode], Field(max_length=MAX_COMPONENTS_PER_MODEL)] = []


class DealerRegistered(InboundBase):
    event_type: Literal["dealer.registered"] = "dealer.registered"
    dealer_id: Identifier
    name: Name
    country: CountryCode
    ownership: Literal["owned", "franchised"]
    group: Name = Field(description="The sales group or importer the dealer reports to.")


class UnitsSold(InboundBase):
    event_type: Literal["units_sold.reported"] = "units_sold.reported"
    brand: Name
    model: Name
    variant: Name | None = None
    market: CountryCode
    month: YearMonth
    count: int = Field(ge=0, le=MAX_UNITS_SOLD)


class UnitSold(InboundBase):
    event_type: Literal["unit.sold"] = "unit.sold"
    product: ProductRef = Field(description="The unit; serial is required.")
    market: CountryCode
    dealer_id: Identifier | None = None
    customer: Customer | None = None
    sold_on: BoundedDate

    @model_validator(mode="after")
    def _serial_given(self) -> UnitSold:
        if not self.product.serial:
            raise ValueError("unit.sold needs product.serial")
        return self


class RecallAnnounced(InboundBase):
    event_type: Literal["recall.announced"] = "recall.announced"
    recall_id: Identifier
    kind: Literal["recall", "field_action", "service_bulletin"] = "recall"
    brand: Name
    model: Name
    variants: Annotated[list[Name], Field(max_length=MAX_VARIANTS_PER_RECALL)] = []
    component: ComponentCode
    market: CountryCode
    announced_on: BoundedDate
    units_affected: int | None = Field(default=None, ge=0, le=MAX_UNITS_AFFECTED)
    summary: LongText | None = None


REFERENCE_EVENTS = (
    ProductModelRegistered,
    DealerRegistered,
    UnitsSold,
    UnitSold,
    RecallAnnounced,
)

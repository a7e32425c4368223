"""Reference events: product models, dealers, units sold (installed base), recalls."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from schemas.base import Event, LongText
from schemas.limits import MAX_COMPONENTS_PER_MODEL
from schemas.parts import (
    ComponentCode,
    Contract,
    CountryCode,
    Customer,
    Identifier,
    Name,
    ProductRef,
)

YearMonth = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class ComponentNode(Contract):
    code: ComponentCode
    name: Name | None = None


class ProductModelRegistered(Event):
    event_type: Literal["product_model.registered"] = "product_model.registered"
    brand: Name
    model: Name
    variant: Name | None = None
    category: Identifier = "vehicle"
    components: Annotated[list[ComponentNode], Field(max_length=MAX_COMPONENTS_PER_MODEL)] = []


class DealerRegistered(Event):
    event_type: Literal["dealer.registered"] = "dealer.registered"
    dealer_id: Identifier
    name: Name
    country: CountryCode
    ownership: Literal["owned", "franchised"]
    group: Name = Field(description="The sales group or importer the dealer reports to.")


class UnitsSold(Event):
    event_type: Literal["units_sold.reported"] = "units_sold.reported"
    brand: Name
    model: Name
    variant: Name | None = None
    market: CountryCode
    month: YearMonth
    count: int = Field(ge=0, le=100_000_000)


class UnitSold(Event):
    event_type: Literal["unit.sold"] = "unit.sold"
    product: ProductRef = Field(description="The unit; serial is required.")
    market: CountryCode
    dealer_id: Identifier | None = None
    customer: Customer | None = None
    sold_on: date

    @model_validator(mode="after")
    def _serial_given(self) -> UnitSold:
        if not self.product.serial:
            raise ValueError("unit.sold needs product.serial")
        return self


class RecallAnnounced(Event):
    event_type: Literal["recall.announced"] = "recall.announced"
    recall_id: Identifier
    kind: Literal["recall", "field_action", "service_bulletin"] = "recall"
    brand: Name
    model: Name
    variants: Annotated[list[Name], Field(max_length=200)] = []
    component: ComponentCode
    market: CountryCode
    announced_on: date
    units_affected: int | None = Field(default=None, ge=0)
    summary: LongText | None = None


REFERENCE_EVENTS = (
    ProductModelRegistered,
    DealerRegistered,
    UnitsSold,
    UnitSold,
    RecallAnnounced,
)

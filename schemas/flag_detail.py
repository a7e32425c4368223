"""One defect flag as a self-contained JSON document that an issue tracker or service can take."""

from __future__ import annotations

from datetime import date
from typing import Any, Final, Literal

from pydantic import AwareDatetime, Field

from schemas.outputs import Severity
from schemas.parts import Contract

FLAG_DETAIL_FORMAT: Final = "aftersales.flag-detail.v1"


class Component(Contract):
    code: str = Field(description="Top-level component code, e.g. COMPRESSOR or BRAKES.")
    name: str = Field(description="What the code means, for a reader: e.g. 'Service brakes'.")


class Flag(Contract):
    """What is failing, where, since when and how unusual that is."""

    flag_id: str
    signature: str = Field(description="brand/model/variant/component as the detector keys it.")
    brand: str
    model: str
    variant: str | None = Field(description="The variant (model year, revision); None: all.")
    product: str = Field(description="Brand, model and variant for a reader.")
    component: Component
    market: str | None = Field(description="The one market the flag is limited to; None: all.")
    severity: Severity
    status: Literal["open", "closed"]
    first_seen: AwareDatetime = Field(description="When the flag was first raised (event time).")
    closed_at: AwareDatetime | None
    method: str = Field(description="The detector that raised it.")
    method_explained: str
    observed: float | None = Field(description="Failures in the detector's window at its peak.")
    expected: float | None = Field(description="What the detector expected in that window.")
    window_days: int | None
    score: float = Field(description="The strongest test over its alarm threshold: 1 = just at.")
    score_explained: str


class WeekCount(Contract):
    week_start: date = Field(description="Monday of the week (UTC event days).")
    observed: int = Field(description="Complaints and repairs counted toward the signature.")


class Evidence(Contract):
    """The counts the detector read, week by week, over the period of this document."""

    period_start: date
    period_end: date
    weekly: list[WeekCount]
    total: int
    detector: dict[str, Any] = Field(description="The detector's own evidence, as published.")


class Verbatim(Contract):
    text: str = Field(description="A complaint's text with personal data removed.")
    language: str | None = Field(description="BCP 47 tag of the text's language, if known.")
    filed_on: date = Field(description="Day the first of these complaints was filed.")
    copies: int = Field(description="Further complaints with the same or nearly the same text.")


class Breakdown(Contract):
    """Complaints and repairs on the flag's signature in the period, by one key."""

    key: str
    complaints: int
    repairs: int


class Dealer(Contract):
    dealer_id: str
    name: str | None
    country: str | None
    complaints: int
    repairs: int


class Part(Contract):
    part_number: str
    supplier: str
    genuine: bool
    repairs: int
    quantity: int


class Recall(Contract):
    recall_id: str
    kind: str
    market: str
    announced_on: date
    variants: list[str]
    component: str
    units_affected: int | None
    summary: str | None


class FlagDetail(Contract):
    """A defect flag with its evidence, verbatims, markets, lots, dealers, parts and recalls."""

    format: Literal["aftersales.flag-detail.v1"] = FLAG_DETAIL_FORMAT
    as_of: AwareDatetime = Field(description="Event time the warehouse had reached when exported.")
    flag: Flag
    evidence: Evidence
    verbatims: list[Verbatim]
    markets: list[Breakdown]
    lots: list[Breakdown] = Field(description="Production lots of the units concerned.")
    dealers: list[Dealer]
    parts: list[Part] = Field(description="Parts fitted by the repairs on the signature.")
    recalls: list[Recall] = Field(description="Recalls announced for the product and component.")

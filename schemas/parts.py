"""Shared parts of every event: product identity, customer, market, money, component codes."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from schemas.limits import MAX_CODE, MAX_ID, MAX_NAME


class Contract(BaseModel):
    """Base of every wire model: immutable, unknown fields rejected, strings trimmed."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


Identifier = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME)]
CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code, upper case (e.g. DE, CN, US)."),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217 currency code (e.g. EUR, CNY, USD)."),
]
LanguageTag = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35),
    Field(description="BCP 47 language tag (e.g. en, zh, de, es-MX)."),
]
ComponentCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z0-9_]+(:[A-Z0-9_]+)*$", max_length=MAX_CODE),
    Field(
        description="Hierarchical component code, levels joined by ':', most general first "
        "(e.g. ENGINE:COOLING:PUMP)."
    ),
]


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_zone(name: str) -> str:
    if not _known_zone(name):
        raise ValueError(f"unknown IANA time zone {name!r}")
    return name


TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_check_zone),
    Field(description="IANA time zone name (e.g. Europe/Berlin)."),
]


class Money(Contract):
    """An amount in one currency; amounts are never negative on our wire."""

    amount: Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), decimal_places=4)]
    currency: CurrencyCode


class ProductRef(Contract):
    """What was built and, when known, which physical unit."""

    brand: Name
    model: Name
    variant: Name | None = Field(
        default=None,
        description="Variant, model year, hardware revision or trim (vehicles: the model year).",
    )
    serial: Identifier | None = Field(default=None, description="Serial number or VIN of the unit.")
    lot: Identifier | None = Field(default=None, description="Production lot or batch.")


class Customer(Contract):
    """Who the unit belongs to. Contact details never travel here (personal data stays apart)."""

    customer_id: Identifier
    country: CountryCode
    language: LanguageTag = "en"
    timezone: TimeZoneName = "UTC"

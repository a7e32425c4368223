"""Shared parts of every event: text, bounded times, product, customer, money and codes."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Final
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from schemas.limits import (
    AMOUNT_DECIMAL_PLACES,
    DATE_RANGE_TEXT,
    EARLIEST_DATE,
    EARLIEST_INSTANT,
    LATEST_DATE,
    LATEST_INSTANT,
    MAX_AMOUNT,
    MAX_CODE,
    MAX_ID,
    MAX_NAME,
)

NO_NUL: Final = r"^[^\x00]*$"
"""Pattern of free text: anything but NUL (\\u0000), which no PostgreSQL text or JSON column
holds. Tabs and line breaks are text."""
NO_CONTROL: Final = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
"""Pattern of identifiers and names: no control character (NUL included), no line or paragraph
separator, since they become message keys, primary keys and log fields."""


class Contract(BaseModel):
    """Base of every wire model: immutable, strings trimmed, unknown fields ignored.

    Ignored, not refused: a producer that adds an optional field before we know it must not
    have its events dead-lettered (see the schema evolution policy in the README).
    """

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


Identifier = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=NO_CONTROL)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME, pattern=NO_CONTROL)]
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


BoundedDatetime = Annotated[
    AwareDatetime,
    # Compared with the offset applied (in the validator's core, without converting to UTC, so
    # year 9999 at -05:00 is refused rather than overflowing).
    Field(
        ge=EARLIEST_INSTANT,
        le=LATEST_INSTANT,
        description=f"A datetime with UTC offset, {DATE_RANGE_TEXT} in UTC.",
    ),
]
"""Every datetime of an inbound event: aware, within EARLIEST_YEAR..LATEST_YEAR in UTC (see
schemas.limits), so converting it to UTC or shifting it by a window never overflows."""
BoundedDate = Annotated[
    date,
    Field(ge=EARLIEST_DATE, le=LATEST_DATE, description=f"A calendar date {DATE_RANGE_TEXT}."),
]
"""Every date of an inbound event, within EARLIEST_YEAR..LATEST_YEAR."""


_ZONE_NAME: Final = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    """The IANA zones of the installed database, read once, at first use."""
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    if name in _zone_names():
        return True
    # A zone the listing missed (another tzdata build) still loads: try it, but only for names
    # shaped like a zone, since a loader given "America", "../x" or "a\\b" can raise anything.
    if not _ZONE_NAME.fullmatch(name):
        return False
    try:
        ZoneInfo(name)
    except Exception:  # noqa: BLE001 - any failure to load means the zone is unknown here
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


def _plain_amount(value: Decimal) -> Decimal:
    # "0E+1000000" passes every bound yet no SQL numeric column reads it, and "-0" is no amount
    # of ours: spell both plainly. Other amounts keep the digits they came with.
    exponent = value.as_tuple().exponent
    if value.is_signed() or (isinstance(exponent, int) and exponent > 0):
        return Decimal(0) if value.is_zero() else value.quantize(Decimal(1))
    return value


class Money(Contract):
    """An amount in one currency; amounts are never negative on our wire."""

    amount: Annotated[
        Decimal,
        Field(ge=0, le=MAX_AMOUNT, decimal_places=AMOUNT_DECIMAL_PLACES, allow_inf_nan=False),
        AfterValidator(_plain_amount),
    ]
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

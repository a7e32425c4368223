"""Individual units: serial, owner, selling dealer, usage; derived from cohort and unit number."""

from __future__ import annotations

from dataclasses import dataclass

from producers.simulator.catalogue import VEHICLE
from producers.simulator.entities import Cohort, Dealer, World
from schemas.parts import Customer, ProductRef

_MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Unit:
    """One physical product and its owner; the same (cohort, number) always gives the same unit."""

    cohort: Cohort
    number: int
    sold_ts: int
    dealer: Dealer
    language: str
    usage_per_day: float
    product: ProductRef
    customer: Customer

    @property
    def serial(self) -> str:
        return self.product.serial or ""


def mix(value: int) -> int:
    """SplitMix64 finaliser: a cheap, stable hash, so unit traits need no random draws."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def unit_of(world: World, cohort: Cohort, number: int) -> Unit:
    variant = cohort.variant
    market = cohort.market
    spec = variant.spec
    hashed = mix(cohort.seed ^ number)
    dealers = world.dealers_by_outlet[(market.country, spec.category)]
    language = _language(market.languages, (hashed >> 20) % 1000 / 1000)
    # Vehicles: km per day; air conditioners: operating hours per day.
    usage = 15.0 + (hashed >> 40) % 60 if spec.category == VEHICLE else 3.0 + (hashed >> 40) % 12
    tag = f"{spec.brand_code}{spec.model_code}{variant.code}{market.country}"
    return Unit(
        cohort=cohort,
        number=number,
        sold_ts=cohort.sale_ts(number),
        dealer=dealers[hashed % len(dealers)],
        language=language,
        usage_per_day=usage,
        product=ProductRef(
            brand=spec.brand,
            model=spec.model,
            variant=variant.name,
            serial=f"{tag}-{cohort.index:04d}-{number:05d}",
            lot=cohort.lot,
        ),
        customer=Customer(
            customer_id=f"CU-{market.country}-{cohort.index:04d}-{number:05d}",
            country=market.country,
            language=language,
            timezone=market.timezone,
        ),
    )


def _language(weighted: tuple[tuple[str, float], ...], draw: float) -> str:
    for language, share in weighted:
        if draw < share:
            return language
        draw -= share
    return weighted[-1][0]

"""Build the world from the seed: dealers, variants, monthly sales cohorts sized to the rate."""

from __future__ import annotations

import math
from datetime import date
from random import Random

from producers.simulator.catalogue import (
    AIR_CONDITIONER,
    IMPORTERS,
    MAKER_GROUPS,
    MARKET_BY_COUNTRY,
    MARKETS,
    MODELS,
    VEHICLE,
    ModelSpec,
)
from producers.simulator.config import (
    SimulationConfig,
    SimulationConfigError,
    add_months,
    epoch_seconds,
)
from producers.simulator.defects import choose_defects, choose_fixes
from producers.simulator.entities import Cohort, Dealer, Variant, World
from producers.simulator.hazard import SECONDS_PER_MONTH, SERVICE_MONTHS, expected_failures

HISTORY_MONTHS = int(SERVICE_MONTHS)
"""Sales this long before the start make up the installed base on day one."""
REPEAT_INFLATION = 1.12
"""Repeat repairs add about 12% to first failures; the calibration leaves room for them."""
_SALES_MONTHS = {VEHICLE: 14, AIR_CONDITIONER: 20}
_LAUNCH_EVERY = {VEHICLE: 12, AIR_CONDITIONER: 18}
_OUTLETS = {VEHICLE: 4, AIR_CONDITIONER: 3}


def seeded(seed: int, purpose: str) -> Random:
    """An independent generator per purpose, so changing one part of the world leaves the rest."""
    return Random(f"aftersales-sim:{seed}:{purpose}")


def build_world(config: SimulationConfig) -> World:
    rng = seeded(config.seed, "world")
    dealers = _dealers(rng)
    by_outlet: dict[tuple[str, str], tuple[Dealer, ...]] = {}
    for dealer in dealers:
        key = (dealer.market.country, dealer.category)
        by_outlet[key] = (*by_outlet.get(key, ()), dealer)
    specs = [m for m in MODELS if not config.models or m.model in config.models]
    if not specs:
        raise SimulationConfigError(
            f"no model named {', '.join(sorted(config.models))}; "
            f"choose among {', '.join(m.model for m in MODELS)}"
        )
    variants = tuple(v for spec in specs for v in _variants(spec, config))
    cohorts = _cohorts(variants, config, rng)
    sold = {c.variant.key for c in cohorts}
    variants = tuple(v for v in variants if v.key in sold)
    defects = choose_defects(config, variants, cohorts, seeded(config.seed, "defects"))
    if config.fixes:
        defects = choose_fixes(config, defects, cohorts, seeded(config.seed, "fixes"))
    return World(config, dealers, by_outlet, variants, cohorts, defects)


def _dealers(rng: Random) -> tuple[Dealer, ...]:
    dealers: list[Dealer] = []
    for market in MARKETS:
        number = 0
        for category in (VEHICLE, AIR_CONDITIONER):
            if not any(m.category == category and market.country in m.markets for m in MODELS):
                continue
            for slot in range(_OUTLETS[category]):
                number += 1
                owned = slot == 0 or (slot > 1 and rng.random() < 0.5)
                city = market.cities[(number - 1) % len(market.cities)]
                dealers.append(
                    Dealer(
                        dealer_id=f"{market.country}-{number:03d}",
                        name=_dealer_name(category, owned, city),
                        market=market,
                        ownership="owned" if owned else "franchised",
                        group=MAKER_GROUPS[category]
                        if owned
                        else IMPORTERS[(market.region, category)],
                        category=category,
                        quality=rng.uniform(0.75, 0.97) if owned else rng.uniform(0.5, 0.9),
                        technicians=rng.randint(3, 8),
                    )
                )
    return tuple(dealers)


def _dealer_name(category: str, owned: bool, city: str) -> str:
    if category == VEHICLE:
        return f"Northwind Motors {city}" if owned else f"{city} Auto Centre"
    return f"Arctiq Service {city}" if owned else f"{city} Cooling Service"


def _variants(spec: ModelSpec, config: SimulationConfig) -> list[Variant]:
    history_from = add_months(config.start.replace(day=1), -HISTORY_MONTHS)
    every = _LAUNCH_EVERY[spec.category]
    launch = date(history_from.year, spec.launch_month, 1)
    while launch > history_from:
        launch = add_months(launch, -every)
    variants: list[Variant] = []
    revision = 0
    while launch < config.end:
        until = add_months(launch, _SALES_MONTHS[spec.category])
        if spec.category == VEHICLE:
            year = launch.year + (1 if launch.month >= 7 else 0)
            variants.append(Variant(spec, str(year), f"{year % 100:02d}", launch, until))
        else:
            letter = "ABCDEFGHJK"[revision % 10]
            variants.append(Variant(spec, f"rev {letter}", letter, launch, until))
        revision += 1
        launch = add_months(launch, every)
    return variants


def _cohorts(
    variants: tuple[Variant, ...], config: SimulationConfig, rng: Random
) -> tuple[Cohort, ...]:
    """Monthly sales cohorts, sized so that the run sees about ``rate`` new tickets per day."""
    first_month = config.start.replace(day=1)
    history_from = add_months(first_month, -HISTORY_MONTHS)
    drafts: list[tuple[Variant, str, date, int, int, float, float]] = []
    month = history_from
    while month < config.end:
        next_month = add_months(month, 1)
        sale_from = max(epoch_seconds(month), config.start_ts) if month == first_month else None
        start_ts = sale_from if sale_from is not None else epoch_seconds(month)
        sale_days = (epoch_seconds(next_month) - start_ts) // 86_400
        for variant in variants:
            if not variant.sales_from <= month < variant.sales_until:
                continue
            for country in variant.spec.markets:
                weight = _sales_weight(variant, country, month) * math.exp(rng.gauss(0.0, 0.15))
                middle = start_ts + sale_days * 43_200
                exposure = expected_failures(
                    variant.tree,
                    max(0.0, (config.start_ts - middle) / SECONDS_PER_MONTH),
                    max(0.0, (config.end_ts - middle) / SECONDS_PER_MONTH),
                )
                drafts.append((variant, country, month, start_ts, sale_days, weight, exposure))
        month = next_month
    target = config.rate * config.days / REPEAT_INFLATION
    scale = target / sum(weight * exposure for *_, weight, exposure in drafts)
    cohorts: list[Cohort] = []
    for variant, country, month, start_ts, sale_days, weight, _ in drafts:
        # Rounding at random keeps the expected installed base right even at tiny rates.
        exact = weight * scale
        units = int(exact) + (rng.random() < exact - int(exact))
        if units < 1:
            continue
        built = add_months(month, -1)
        cohorts.append(
            Cohort(
                index=len(cohorts),
                variant=variant,
                market=MARKET_BY_COUNTRY[country],
                month=month,
                lot=f"{variant.spec.model_code}{variant.code}-{built.year}{built.month:02d}",
                sale_start_ts=start_ts,
                sale_days=sale_days,
                units=units,
                seed=rng.getrandbits(64),
            )
        )
    return tuple(cohorts)


def _sales_weight(variant: Variant, country: str, month: date) -> float:
    market = MARKET_BY_COUNTRY[country]
    since_launch = (
        (month.year - variant.sales_from.year) * 12 + month.month - variant.sales_from.month
    )
    until_end = (
        (variant.sales_until.year - month.year) * 12 + variant.sales_until.month - month.month
    )
    ramp = min(1.0, 0.4 + 0.3 * since_launch, 0.3 + 0.35 * until_end)
    weight = market.size * variant.spec.popularity * ramp
    if variant.spec.category == AIR_CONDITIONER:
        peak = 12 if market.southern else 6
        weight *= 1.0 + 0.6 * math.cos(2.0 * math.pi * (month.month - peak) / 12.0)
    return weight

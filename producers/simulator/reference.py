"""Reference events: product models, dealers, installed base, units sold, recalls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from producers.simulator.catalogue import MARKET_BY_COUNTRY
from producers.simulator.entities import Cohort, Dealer, Defect, Variant
from producers.simulator.units import Unit
from producers.simulator.wire import local_time
from schemas.product import CorrectiveActionReleased, DefectSignature, EffectiveFrom
from schemas.reference import (
    ComponentNode,
    DealerRegistered,
    ProductModelRegistered,
    RecallAnnounced,
    UnitSold,
    UnitsSold,
)

NewId = Callable[[], UUID]


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def product_model(variant: Variant, ts: int, new_id: NewId) -> ProductModelRegistered:
    nodes: list[ComponentNode] = []
    for top in variant.tree:
        nodes.append(ComponentNode(code=top.code, name=top.name))
        nodes.extend(ComponentNode(code=leaf.code, name=leaf.name) for leaf in top.leaves)
    return ProductModelRegistered(
        event_id=new_id(),
        occurred_at=utc(ts),
        source="sim:factory",
        brand=variant.spec.brand,
        model=variant.spec.model,
        variant=variant.name,
        category=variant.spec.category,
        components=nodes,
    )


def dealer_registered(dealer: Dealer, ts: int, new_id: NewId) -> DealerRegistered:
    return DealerRegistered(
        event_id=new_id(),
        occurred_at=local_time(ts, dealer.market),
        source=f"sim:sales:{dealer.market.country}",
        dealer_id=dealer.dealer_id,
        name=dealer.name,
        country=dealer.market.country,
        ownership=dealer.ownership,
        group=dealer.group,
    )


def units_sold(cohort: Cohort, ts: int, new_id: NewId) -> UnitsSold:
    spec = cohort.variant.spec
    return UnitsSold(
        event_id=new_id(),
        occurred_at=local_time(ts, cohort.market),
        source=f"sim:sales:{cohort.market.country}",
        brand=spec.brand,
        model=spec.model,
        variant=cohort.variant.name,
        market=cohort.market.country,
        month=f"{cohort.month.year}-{cohort.month.month:02d}",
        count=cohort.units,
    )


def unit_sold(unit: Unit, ts: int, new_id: NewId) -> UnitSold:
    market = unit.cohort.market
    return UnitSold(
        event_id=new_id(),
        occurred_at=local_time(ts, market),
        source=f"sim:dealer:{unit.dealer.dealer_id}",
        product=unit.product,
        market=market.country,
        dealer_id=unit.dealer.dealer_id,
        customer=unit.customer,
        sold_on=local_time(unit.sold_ts, market).date(),
    )


def recall(
    defect: Defect, country: str, ts: int, new_id: NewId, *, number: int, units: int
) -> RecallAnnounced:
    safety = defect.component in ("BRAKES", "ELECTRICAL", "ENGINE")
    leaf = defect.leaf.rsplit(":", 1)[-1].replace("_", " ").lower()
    return RecallAnnounced(
        event_id=new_id(),
        occurred_at=local_time(ts, MARKET_BY_COUNTRY[country]),
        source=f"sim:oem:{defect.variant.spec.brand}",
        recall_id=f"RCL-{country}-{utc(ts).year}-{number:03d}",
        kind="recall" if safety else "service_bulletin",
        brand=defect.variant.spec.brand,
        model=defect.variant.spec.model,
        variants=[defect.variant.name],
        component=defect.component,
        market=country,
        announced_on=utc(ts).date(),
        units_affected=units,
        summary=f"{defect.variant.spec.model} {defect.variant.name}: {leaf} may fail early; "
        "dealers will inspect and replace it free of charge.",
    )


def corrective_action(defect: Defect, ts: int, new_id: NewId) -> CorrectiveActionReleased:
    """The maker's corrective action against a defect, from the fix's first lot on."""
    fix = defect.fix
    if fix is None:
        raise ValueError("the defect has no fix")
    spec = defect.variant.spec
    leaf = defect.leaf.rsplit(":", 1)[-1].replace("_", " ").lower()
    return CorrectiveActionReleased(
        event_id=new_id(),
        occurred_at=utc(ts),
        source=f"sim:oem:{spec.brand}",
        action_id=fix.action_id,
        signatures=[
            DefectSignature(
                brand=spec.brand,
                model=spec.model,
                variant=defect.variant.name,
                component=defect.component,
            )
        ],
        change=fix.change,
        description=f"{spec.model} {defect.variant.name}: {fix.change} change against early "
        f"{leaf} failures.",
        effective_from=EffectiveFrom(lot=fix.lot),
        released_by=f"sim:engineering:{spec.brand}",
    )

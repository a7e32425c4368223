"""Reference lookups for enrichment, loaded per batch for the units, dealers and models it names."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from pipeline.detection.repeats import PartUsed, RepairFact
from pipeline.enrichment import Lookups
from pipeline.enrichment.enrich import DealerRecord, ModelRecord, UnitRecord
from pipeline.warehouse.tables import (
    ComponentRow,
    DealerRow,
    ProductModelRow,
    RepairPartRow,
    RepairRow,
    UnitRow,
)


def load_lookups(
    session: Session,
    serials: Collection[str],
    dealer_ids: Collection[str],
    brand_models: Collection[tuple[str, str]],
) -> Lookups:
    units = {
        r.serial: UnitRecord(r.sold_on, r.market, r.dealer_id, r.lot)
        for r in (
            session.execute(
                select(
                    UnitRow.serial, UnitRow.sold_on, UnitRow.market, UnitRow.dealer_id, UnitRow.lot
                ).where(UnitRow.serial.in_(list(serials)))
            )
            if serials
            else []
        )
    }
    dealers = {
        r.dealer_id: DealerRecord(r.ownership, r.group, r.country)
        for r in (
            session.execute(
                select(
                    DealerRow.dealer_id, DealerRow.ownership, DealerRow.group, DealerRow.country
                ).where(DealerRow.dealer_id.in_(list(dealer_ids)))
            )
            if dealer_ids
            else []
        )
    }
    return Lookups(units=units, dealers=dealers, models=_models(session, brand_models))


def _models(
    session: Session, brand_models: Collection[tuple[str, str]]
) -> dict[tuple[str, str, str | None], ModelRecord]:
    """The named models' categories and known components (plain rows: no ORM objects)."""
    if not brand_models:
        return {}
    pairs = list(brand_models)
    comps: dict[tuple[str, str, str], set[str]] = {}
    for brand, model, variant, code in session.execute(
        select(
            ComponentRow.brand, ComponentRow.model, ComponentRow.variant, ComponentRow.code
        ).where(tuple_(ComponentRow.brand, ComponentRow.model).in_(pairs))
    ):
        comps.setdefault((brand, model, variant), set()).add(code)
    models: dict[tuple[str, str, str | None], ModelRecord] = {}
    for brand, model, variant, category in session.execute(
        select(
            ProductModelRow.brand,
            ProductModelRow.model,
            ProductModelRow.variant,
            ProductModelRow.category,
        ).where(tuple_(ProductModelRow.brand, ProductModelRow.model).in_(pairs))
    ):
        models[(brand, model, variant or None)] = ModelRecord(
            category, frozenset(comps.get((brand, model, variant), ()))
        )
    return models


def recent_repairs(
    session: Session, serials: Collection[str], since: datetime
) -> list[tuple[str, RepairFact]]:
    """(event id, repair) for earlier repairs of these units since ``since``."""
    if not serials:
        return []
    rows = session.execute(
        select(
            RepairRow.event_id,
            RepairRow.repair_id,
            RepairRow.serial,
            RepairRow.component,
            RepairRow.occurred_at,
            RepairRow.dealer_id,
            RepairRow.technician_id,
        ).where(RepairRow.serial.in_(list(serials)), RepairRow.occurred_at >= since)
    ).all()
    parts: dict[str, list[PartUsed]] = {}
    if rows:
        ids = [r.event_id for r in rows]
        for event_id, part_number, supplier, genuine in session.execute(
            select(
                RepairPartRow.repair_event_id,
                RepairPartRow.part_number,
                RepairPartRow.supplier,
                RepairPartRow.genuine,
            ).where(RepairPartRow.repair_event_id.in_(ids))
        ):
            parts.setdefault(event_id, []).append(PartUsed(part_number, supplier, genuine))
    return [
        (
            r.event_id,
            RepairFact(
                repair_id=r.repair_id,
                serial=r.serial,
                component=r.component,
                at=r.occurred_at,
                dealer_id=r.dealer_id,
                technician_id=r.technician_id,
                parts=tuple(parts.get(r.event_id, ())),
            ),
        )
        for r in rows
    ]

"""Reference lookups for enrichment, loaded per batch for the units, dealers and models it names."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
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
            session.scalars(select(DealerRow).where(DealerRow.dealer_id.in_(list(dealer_ids))))
            if dealer_ids
            else []
        )
    }
    models: dict[tuple[str, str, str | None], ModelRecord] = {}
    brands = {b for b, _ in brand_models}
    if brands:
        wanted = set(brand_models)
        comps: dict[tuple[str, str, str], set[str]] = {}
        for c in session.scalars(select(ComponentRow).where(ComponentRow.brand.in_(brands))):
            comps.setdefault((c.brand, c.model, c.variant), set()).add(c.code)
        for m in session.scalars(select(ProductModelRow).where(ProductModelRow.brand.in_(brands))):
            if (m.brand, m.model) in wanted:
                key = (m.brand, m.model, m.variant or None)
                models[key] = ModelRecord(
                    m.category, frozenset(comps.get((m.brand, m.model, m.variant), ()))
                )
    return Lookups(units=units, dealers=dealers, models=models)


def recent_repairs(
    session: Session, serials: Collection[str], since: datetime
) -> list[tuple[str, RepairFact]]:
    """(event id, repair) for earlier repairs of these units since ``since``."""
    if not serials:
        return []
    rows = session.scalars(
        select(RepairRow).where(RepairRow.serial.in_(list(serials)), RepairRow.occurred_at >= since)
    ).all()
    parts: dict[str, list[PartUsed]] = {}
    if rows:
        ids = [r.event_id for r in rows]
        for p in session.scalars(
            select(RepairPartRow).where(RepairPartRow.repair_event_id.in_(ids))
        ):
            parts.setdefault(p.repair_event_id, []).append(
                PartUsed(p.part_number, p.supplier, p.genuine)
            )
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

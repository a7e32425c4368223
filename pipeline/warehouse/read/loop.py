"""The product loop: every flag's standing and every corrective action's verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from pipeline.detection.params import DetectionParams
from pipeline.loop.decisions import flag_loops
from pipeline.loop.effectiveness import (
    Assessment,
    EffectivenessParams,
    compare_builds,
    compare_builds_by_market,
    compare_field_fix,
    judge,
)
from pipeline.loop.section import ActionStanding, ProductLoop, corrective_actions
from pipeline.warehouse import loop_store
from pipeline.warehouse.tables import CorrectiveActionRow
from pipeline.warehouse.watermark import read_watermark


def read_product_loop(
    session: Session,
    as_of: datetime | None = None,
    params: EffectivenessParams | None = None,
    detection: DetectionParams | None = None,
) -> ProductLoop:
    """Everything as of ``as_of``: actions judged on the claims and sales stored by then.

    By default the claims' own clock, the latest repair archived (so a replay reads the same,
    and a decision made today does not count the months since the last claim arrived as
    months without claims), else the event-time watermark.
    """
    at = as_of or loop_store.latest_claim_at(session) or read_watermark(session)
    at = at or datetime.now(UTC)
    day = at.astimezone(UTC).date()
    rules = params or EffectivenessParams()
    rows = loop_store.load_actions(session)
    assessed = [(row, assess_action(session, row, day, rules)) for row in rows]
    loops = flag_loops(
        loop_store.load_flags(session),
        loop_store.load_decisions(session),
        [loop_store.action_facts(row, a.verdict) for row, a in assessed],
        loop_store.load_recalls(session),
        detection,
    )
    linked = loop_store.grouped(
        (a.action_id, loop.flag.flag_id) for loop in loops for a in loop.actions
    )
    actions = [
        ActionStanding(
            row.action_id,
            row.released_at,
            row.change,
            row.description,
            [_label(s) for s in row.signatures],
            _where(row),
            assessment,
            linked.get(row.action_id, []),
        )
        for row, assessment in assessed
    ]
    return ProductLoop(day, loops, actions)


def assess_action(
    session: Session, row: CorrectiveActionRow, as_of: date, params: EffectivenessParams
) -> Assessment:
    """Builds from the cutover on against earlier builds; a field campaign without a build
    cutover compares the units it repaired with those it has not reached yet."""
    products, components = loop_store.products_of(loop_store.signatures_of(row))
    claims = loop_store.claims(session, products, components)
    released = row.released_at.astimezone(UTC).date()
    cutover = row.build_date
    if cutover is None and row.lot:
        cutover = loop_store.lot_cutover(session, products, row.lot)
    if cutover is None and row.serial_from:
        cutover = loop_store.serial_cutover(session, row.serial_from)
    if cutover is None and row.campaign_id:
        population, unit_claims = loop_store.field_population(
            session, products, released, row.campaign_id, claims
        )
        return judge(compare_field_fix(population, unit_claims, released, as_of, params), params)
    if cutover is None:
        where = row.lot or row.serial_from or "its cutover"
        return Assessment("not yet known", f"too few units: none from {where} sold yet")
    cohorts = loop_store.cohorts(session, products)
    failures = loop_store.build_claims(claims)
    comparison = compare_builds(cohorts, failures, cutover, as_of, params)
    by_market = compare_builds_by_market(cohorts, failures, cutover, as_of, params)
    return judge(comparison, params, by_market)


def _label(signature: dict[str, str | None]) -> str:
    variant = signature.get("variant") or "*"
    return f"{signature['brand']} {signature['model']} {variant} {signature['component']}"


def _where(row: CorrectiveActionRow) -> dict[str, str]:
    found = {
        "lot": row.lot,
        "build_date": row.build_date.isoformat() if row.build_date else None,
        "serial_from": row.serial_from,
        "serial_to": row.serial_to,
        "campaign_id": row.campaign_id,
    }
    return {k: v for k, v in found.items() if v}


def read_corrective_actions(session: Session) -> dict[str, Any]:
    """The report's "Corrective actions" section, read from the warehouse (see
    pipeline.loop.section.corrective_actions)."""
    return corrective_actions(read_product_loop(session))

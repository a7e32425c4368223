"""Failures per product, component and failure mode, and the parts the period's repairs fitted."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.reports.readings import FailureCount, RepairsWithParts
from pipeline.reports.scope import Scope
from pipeline.warehouse.read.scope import in_scope
from pipeline.warehouse.tables import ComplaintRow, RepairPartRow, RepairRow


def failure_counts(session: Session, scope: Scope) -> list[FailureCount]:
    """Repairs, then complaints, counted per (brand, model, component, failure mode)."""
    repair_q = select(
        RepairRow.brand, RepairRow.model, RepairRow.component, RepairRow.failure_mode, func.count()
    ).group_by(RepairRow.brand, RepairRow.model, RepairRow.component, RepairRow.failure_mode)
    repair_q = in_scope(scope, repair_q, RepairRow.brand, RepairRow.model, RepairRow.occurred_at)
    component = func.coalesce(ComplaintRow.component, ComplaintRow.component_inferred)
    complaint_q = select(
        ComplaintRow.brand, ComplaintRow.model, component, ComplaintRow.failure_mode, func.count()
    ).group_by(ComplaintRow.brand, ComplaintRow.model, component, ComplaintRow.failure_mode)
    complaint_q = in_scope(
        scope, complaint_q, ComplaintRow.brand, ComplaintRow.model, ComplaintRow.occurred_at
    )
    return [
        (brand, model, comp, mode, int(n))
        for query in (repair_q, complaint_q)
        for brand, model, comp, mode, n in session.execute(query)
    ]


def repairs_with_parts(session: Session, scope: Scope) -> RepairsWithParts:
    """The parts the period's repairs fitted, and every repair a later one names in ``repeat_of``
    (at any time: a repeat after the period still tells)."""
    parts_q = select(
        RepairPartRow.repair_event_id,
        RepairPartRow.part_number,
        RepairPartRow.supplier,
        RepairPartRow.genuine,
    ).join(RepairRow, RepairRow.event_id == RepairPartRow.repair_event_id)
    parts_q = in_scope(scope, parts_q, RepairRow.brand, RepairRow.model, RepairRow.occurred_at)
    parts = [(str(e), p, s, bool(g)) for e, p, s, g in session.execute(parts_q)]
    repeated_q = select(RepairRow.repeat_of).where(RepairRow.repeat_of.is_not(None)).distinct()
    repeated = {str(r) for r in session.execute(repeated_q).scalars()}
    return RepairsWithParts(parts=parts, repeated=repeated)

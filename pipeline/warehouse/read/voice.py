"""What customers complain about: complaints per language, component and failure mode."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.reports.readings import ThemeCount
from pipeline.reports.scope import Scope
from pipeline.warehouse.read.scope import in_scope
from pipeline.warehouse.tables import ComplaintRow


def complaint_themes(session: Session, scope: Scope) -> list[ThemeCount]:
    """Complaints of the period counted per (language, component, failure mode)."""
    component = func.coalesce(ComplaintRow.component, ComplaintRow.component_inferred)
    query = select(ComplaintRow.language, component, ComplaintRow.failure_mode, func.count())
    query = query.group_by(ComplaintRow.language, component, ComplaintRow.failure_mode)
    query = in_scope(scope, query, ComplaintRow.brand, ComplaintRow.model, ComplaintRow.occurred_at)
    return [(language, comp, mode, int(n)) for language, comp, mode, n in session.execute(query)]

"""Recalls matching a flag: the same product, the component or one of its parts, the variant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.warehouse.read.scope import under
from pipeline.warehouse.tables import RecallRow
from schemas.flag_detail import Recall


def matching_recalls(
    session: Session, brand: str, model: str, component: str, variant: str | None
) -> list[Recall]:
    """Recalls announced for the product on the component (or one of its parts), oldest first;
    with a ``variant``, only those naming it or no variant at all."""
    query = select(RecallRow).where(
        RecallRow.brand == brand,
        RecallRow.model == model,
        under(RecallRow.component, component),
    )
    recalls: dict[str, Recall] = {}
    for row in session.scalars(query.order_by(RecallRow.announced_on, RecallRow.recall_id)):
        stored: Any = row.variants
        variants = [str(v) for v in stored if v] if isinstance(stored, list) else []
        if variant is not None and variants and variant not in variants:
            continue
        recalls.setdefault(
            row.recall_id,
            Recall(
                recall_id=row.recall_id,
                kind=row.kind,
                market=row.market,
                announced_on=row.announced_on,
                variants=variants,
                component=row.component,
                units_affected=row.units_affected,
                summary=row.summary,
            ),
        )
    return list(recalls.values())

"""The outbox relay's storage side: claim pending messages, forget them once delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from pipeline.deadletters import headers_from_json
from pipeline.warehouse.tables import OutboxRow
from pipeline.warehouse.writer import Outgoing

CLAIM_TIMEOUT = timedelta(seconds=60)


def claim(
    session: Session, worker: str, now: datetime, limit: int = 500
) -> list[tuple[int, Outgoing]]:
    """Claim up to ``limit`` pending messages in creation order; stale claims are taken over."""
    pending = (
        select(OutboxRow.id)
        .where(or_(OutboxRow.claimed_at.is_(None), OutboxRow.claimed_at < now - CLAIM_TIMEOUT))
        .order_by(OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(pending))
    if not ids:
        return []
    session.execute(
        update(OutboxRow).where(OutboxRow.id.in_(ids)).values(claimed_by=worker, claimed_at=now)
    )
    rows = session.execute(
        select(OutboxRow.id, OutboxRow.topic, OutboxRow.key, OutboxRow.value, OutboxRow.headers)
        .where(OutboxRow.id.in_(ids))
        .order_by(OutboxRow.id)
    )
    return [(r.id, Outgoing(r.topic, r.key, r.value, headers_from_json(r.headers))) for r in rows]


def forget(session: Session, ids: Sequence[int]) -> None:
    """Drop delivered messages: the state they announce lives in its own tables."""
    if ids:
        session.execute(delete(OutboxRow).where(OutboxRow.id.in_(list(ids))))

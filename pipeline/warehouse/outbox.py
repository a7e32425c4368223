"""The outbox relay's storage side: claim pending messages, forget them once delivered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session

from pipeline.common.records import Claimed, Outgoing, headers_from_json, headers_to_json
from pipeline.warehouse.tables import OutboxRow

CLAIM_TIMEOUT = timedelta(seconds=60)


def claim(session: Session, worker: str, now: datetime, limit: int = 500) -> list[Claimed]:
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


def add(
    session: Session, outgoing: Sequence[Outgoing], now: datetime, claimant: str | None = None
) -> list[Claimed]:
    """Store messages to publish after commit; claimed for ``claimant`` (and returned with their
    ids, in order) when one is given, else left for any relay to claim."""
    if not outgoing:
        return []
    table: Table = OutboxRow.__table__  # type: ignore[assignment]
    rows = [
        {
            "topic": o.topic,
            "key": o.key,
            "value": o.value,
            "headers": headers_to_json(o.headers),
            "created_at": now,
            "claimed_by": claimant,
            "claimed_at": now if claimant else None,
        }
        for o in outgoing
    ]
    if claimant is None:
        session.execute(table.insert(), rows)
        return []
    ids = session.scalars(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(zip(ids, outgoing, strict=True))

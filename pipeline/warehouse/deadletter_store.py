"""Dead letters as operators see them: listed by reason and time, marked once replayed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline.common.records import (
    DEAD_LETTER_KEY_BYTES,
    DEAD_LETTER_VALUE_BYTES,
    Headers,
    headers_from_json,
)
from pipeline.warehouse.tables import DeadLetterRow


@dataclass(frozen=True, slots=True)
class StoredDeadLetter:
    dead_letter_id: str
    reason: str
    error: str
    topic: str
    partition: int
    offset: int
    item_index: int | None
    received_at: datetime
    replayed_at: datetime | None
    key: bytes | None
    value: bytes | None
    headers: Headers

    @property
    def replayable(self) -> bool:
        """Whether the stored bytes are the whole original (nothing was cut)."""
        return (
            self.value is not None
            and len(self.value) < DEAD_LETTER_VALUE_BYTES
            and (self.key is None or len(self.key) < DEAD_LETTER_KEY_BYTES)
        )

    def summary(self) -> dict[str, object]:
        return {
            "dead_letter_id": self.dead_letter_id,
            "reason": self.reason,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "item_index": self.item_index,
            "received_at": self.received_at,
            "replayed_at": self.replayed_at,
            "bytes": len(self.value or b""),
            "error": self.error,
        }


def find(
    session: Session,
    *,
    reason: str | None = None,
    since: datetime | None = None,
    replayed: bool | None = None,
    limit: int | None = None,
) -> list[StoredDeadLetter]:
    """Dead letters in the order they were received, filtered as asked."""
    query = select(DeadLetterRow).order_by(
        DeadLetterRow.received_at,
        DeadLetterRow.topic,
        DeadLetterRow.partition,
        DeadLetterRow.offset,
    )
    if reason is not None:
        query = query.where(DeadLetterRow.reason == reason)
    if since is not None:
        query = query.where(DeadLetterRow.received_at >= since)
    if replayed is not None:
        query = query.where(
            DeadLetterRow.replayed_at.is_not(None)
            if replayed
            else DeadLetterRow.replayed_at.is_(None)
        )
    if limit is not None:
        query = query.limit(limit)
    return [_stored(row) for row in session.scalars(query)]


def count_by_reason(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(DeadLetterRow.reason, func.count()).group_by(DeadLetterRow.reason)
    )
    return {str(reason): int(n) for reason, n in rows.tuples()}


def mark_replayed(session: Session, ids: Sequence[str], at: datetime) -> None:
    if ids:
        session.execute(
            update(DeadLetterRow)
            .where(DeadLetterRow.dead_letter_id.in_(list(ids)))
            .values(replayed_at=at)
        )


def _stored(row: DeadLetterRow) -> StoredDeadLetter:
    return StoredDeadLetter(
        dead_letter_id=row.dead_letter_id,
        reason=row.reason,
        error=row.error,
        topic=row.topic,
        partition=row.partition,
        offset=row.offset,
        item_index=row.item_index,
        received_at=row.received_at,
        replayed_at=row.replayed_at,
        key=row.key,
        value=row.value,
        headers=headers_from_json(row.headers),
    )

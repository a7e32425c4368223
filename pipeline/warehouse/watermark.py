"""The event-time watermark: the latest occurred_at archived so far, shared by all workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.warehouse.tables import PipelineStateRow

WATERMARK = "event_time_watermark"


def advance_watermark(session: Session, candidate: datetime) -> datetime:
    """Move the watermark forward to ``candidate`` if it is later; return the watermark."""
    row = session.scalar(
        select(PipelineStateRow).where(PipelineStateRow.name == WATERMARK).with_for_update()
    )
    if row is None:
        session.add(PipelineStateRow(name=WATERMARK, value={"at": candidate.isoformat()}))
        return candidate
    current = datetime.fromisoformat(row.value["at"])
    if candidate > current:
        row.value = {"at": candidate.isoformat()}
        return candidate
    return current


def read_watermark(session: Session) -> datetime | None:
    return read_named_time(session, WATERMARK)


def read_named_time(session: Session, name: str) -> datetime | None:
    value = session.scalar(select(PipelineStateRow.value).where(PipelineStateRow.name == name))
    return datetime.fromisoformat(value["at"]) if value else None


def write_named_time(session: Session, name: str, at: datetime) -> None:
    row = session.get(PipelineStateRow, name)
    if row is None:
        session.add(PipelineStateRow(name=name, value={"at": at.isoformat()}))
    else:
        row.value = {"at": at.isoformat()}

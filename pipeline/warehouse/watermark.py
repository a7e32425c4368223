"""The event-time watermark: the latest occurred_at archived so far, shared by all workers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.warehouse.tables import PipelineStateRow
from pipeline.warehouse.upsert import insert_ignore

WATERMARK = "event_time_watermark"


def watermark_after(session: Session, candidate: datetime) -> datetime:
    """The watermark once ``candidate`` is archived, read without a lock (see advance_watermark)."""
    current = read_watermark(session)
    return candidate if current is None or candidate > current else current


def advance_watermark(session: Session, candidate: datetime, name: str = WATERMARK) -> datetime:
    """Move the watermark (or another named event time) forward to ``candidate`` if it is
    later; return it.

    The row stays locked until the transaction ends, so writers that run at once (lanes,
    workers) call this last: they wait for each other only for the commit.
    """
    row = _locked(session, name)
    if row is None:
        insert_ignore(session, PipelineStateRow.__table__, [_row(candidate, name)])  # type: ignore[arg-type]
        row = _locked(session, name)
        assert row is not None
    current = datetime.fromisoformat(row.value["at"])
    if candidate > current:
        row.value = {"at": candidate.isoformat()}
        return candidate
    return current


def _locked(session: Session, name: str) -> PipelineStateRow | None:
    return session.scalar(
        select(PipelineStateRow).where(PipelineStateRow.name == name).with_for_update()
    )


def _row(at: datetime, name: str) -> dict[str, object]:
    return {"name": name, "value": {"at": at.isoformat()}}


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


def partition_clock_name(partition: int) -> str:
    """The named event time of one partition number (its case book's clock)."""
    return f"case_clock:{partition}"


def read_partition_clocks(session: Session, partitions: Iterable[int]) -> dict[int, datetime]:
    """The stored event-time clocks of these partition numbers (absent: none yet)."""
    names = {partition_clock_name(p): p for p in set(partitions)}
    if not names:
        return {}
    rows = session.execute(
        select(PipelineStateRow.name, PipelineStateRow.value).where(
            PipelineStateRow.name.in_(list(names))
        )
    )
    return {names[name]: datetime.fromisoformat(value["at"]) for name, value in rows}

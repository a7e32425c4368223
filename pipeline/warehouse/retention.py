"""Retention: archived event bodies lose their personal data, old dead letters go."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.privacy import pseudonym, scrub_body
from pipeline.warehouse.tables import ArchivedEvent, DeadLetterRow, PipelineStateRow
from pipeline.warehouse.upsert import upsert

STATE: Final = "retention"
CHUNK: Final = 500
LATE_COMMIT_MARGIN: Final = timedelta(hours=1)
"""How far before the previous run an event archived then is looked at again: a batch that
started before that run may have committed after it. Scrubbing twice changes nothing."""


@dataclass(frozen=True, slots=True)
class RetentionOutcome:
    events_scrubbed: int
    dead_letters_deleted: int


def apply_retention(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    event_body_days: int,
    dead_letter_days: int,
    key: bytes,
) -> RetentionOutcome:
    """Scrub the bodies of events older than ``event_body_days`` (by event time) and delete dead
    letters received more than ``dead_letter_days`` before ``now``.

    Typed tables, signature counts, cases and KPIs are not touched: only the raw copies. Each
    chunk is its own transaction, so a large first run does not hold the archive locked.
    """
    cutoff = now - timedelta(days=event_body_days)
    with sessions() as session:
        state = session.get(PipelineStateRow, STATE)
        previous = dict(state.value) if state is not None else {}
    scrubbed = 0
    after = ""
    while True:
        with sessions.begin() as session:
            done, after = _scrub_chunk(session, cutoff, previous, after, key)
        scrubbed += done
        if not after:
            break
    with sessions.begin() as session:
        gone = session.execute(
            delete(DeadLetterRow).where(
                DeadLetterRow.received_at < now - timedelta(days=dead_letter_days)
            )
        )
        value = {"cutoff": cutoff.isoformat(), "run_at": now.isoformat()}
        upsert(session, PipelineStateRow.__table__, [{"name": STATE, "value": value}], ("name",))  # type: ignore[arg-type]
    return RetentionOutcome(scrubbed, int(gone.rowcount))  # type: ignore[attr-defined]


def _scrub_chunk(
    session: Session, cutoff: datetime, previous: dict[str, str], after: str, key: bytes
) -> tuple[int, str]:
    """Scrub one chunk of event bodies past ``cutoff``, ids above ``after``; how many changed,
    and the id to go on after ('' when none are left)."""
    due = ArchivedEvent.occurred_at < cutoff
    if previous:
        # Older bodies were scrubbed by earlier runs, but for events archived since.
        since = datetime.fromisoformat(previous["run_at"]) - LATE_COMMIT_MARGIN
        due = due & or_(
            ArchivedEvent.occurred_at >= datetime.fromisoformat(previous["cutoff"]),
            ArchivedEvent.archived_at >= since,
        )
    rows = session.scalars(
        select(ArchivedEvent)
        .where(due, ArchivedEvent.event_id > after)
        .order_by(ArchivedEvent.event_id)
        .limit(CHUNK)
    ).all()
    pseudonym_of = partial(pseudonym, key=key)
    changed = 0
    for row in rows:
        body = scrub_body(json.loads(row.payload), pseudonym_of)
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if payload != row.payload:
            row.payload = payload
            changed += 1
    return changed, rows[-1].event_id if len(rows) == CHUNK else ""

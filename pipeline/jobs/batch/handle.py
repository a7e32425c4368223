"""A batch, top to bottom: dead letters, enrichment, archive, projections, stages, outbox, clock.

Read this first to follow a batch; each line below names the module that does the work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline.common.records import Outgoing, headers_to_json
from pipeline.enrichment import Enrichment
from pipeline.jobs.batch.deadletters import connect_headers
from pipeline.jobs.batch.decode import Accepted, DeadLettered, Triaged
from pipeline.jobs.batch.model import Batch, BatchOutcome, Stage
from pipeline.jobs.batch.ports import Row, UnitOfWork
from pipeline.jobs.batch.projections import fold_tickets, new_rows, project
from schemas.codec import encode
from schemas.keys import event_key
from schemas.tickets import TicketEvent


@dataclass(frozen=True)
class Steps:
    """What a worker does to a batch besides archiving it, in order."""

    before_archive: Sequence[Stage] = ()
    """Run on the new events before they are written (enrichment, pseudonymisation): each
    event row is written once, with what they found."""
    after_archive: Sequence[Stage] = ()
    """Run on the events the archive took (a redelivered event never reaches them)."""


def handle_batch(
    uow: UnitOfWork,
    batch: Triaged,
    steps: Steps,
    *,
    now: datetime,
    deadletter_topic: str,
    claimant: str | None = None,
) -> BatchOutcome:
    """Write one decoded batch through ``uow``, idempotently: the stages see only events never
    archived before, in arrival order (never event-time order: a batch decides what its events
    would decide in batches of one, and those see the stream in the order it arrives).

    With ``claimant``, the outbox messages the batch writes are claimed for it at once and
    returned in the outcome, so its relay publishes them without claiming them first.
    """
    outbox = _dead_letters(uow, batch.dead, deadletter_topic)
    work = Batch(uow=uow, now=now, new=_first_of_each(batch.accepted), outbox=outbox)
    if work.new:
        for step in steps.before_archive:
            step(work)
    _archive(work)
    latest = max((a.event.occurred_at for a in work.new), default=None)
    if latest is not None:
        work.event_time = uow.clocks.watermark_after(latest)
    _project(work)
    for stage in steps.after_archive:
        stage(work)
    claimed = uow.outbox.add(work.outbox, now, claimant)
    if latest is not None:
        uow.clocks.advance_watermark(latest)
    return BatchOutcome(
        archived=len(work.new),
        duplicates=len(batch.accepted) - len(work.new),
        dead_letters=len(batch.dead),
        dead_by_reason=dict(Counter(d.record.reason for d in batch.dead)),
        by_type=dict(Counter(a.event.event_type for a in work.new)),
        stats=work.stats,
        claimed=claimed,
    )


def _dead_letters(uow: UnitOfWork, dead: Sequence[DeadLettered], topic: str) -> list[Outgoing]:
    """Store the dead letters; the ones never stored before are published too."""
    new = uow.archive.add_dead_letters([_dead_letter_row(d) for d in dead])
    return [
        Outgoing(topic, d.key, encode(d.record), connect_headers(d))
        for d in dead
        if d.dead_letter_id in new
    ]


def _first_of_each(accepted: Sequence[Accepted]) -> list[Accepted]:
    """One item per event id, the first to arrive, in arrival order."""
    unique: dict[str, Accepted] = {}
    for item in accepted:
        unique.setdefault(item.event.id_text, item)
    return list(unique.values())


def _archive(work: Batch) -> None:
    """Archive the events; those archived before drop out of the batch."""
    # Read after the steps before archiving: pseudonymisation may have replaced events.
    rows = [_archive_row(a, work.now, work.enrichment.get(a.event.id_text)) for a in work.new]
    new_ids = work.uow.archive.add_events(rows)
    work.new = [a for a in work.new if a.event.id_text in new_ids]


def _project(work: Batch) -> None:
    """The typed tables (repairs, complaints, units, ...) from the new events."""
    rows = new_rows()
    tickets: list[TicketEvent] = []
    for item in work.new:
        event = item.event
        project(event, work.enrichment.get(event.id_text), rows)
        if isinstance(event, TicketEvent):
            tickets.append(event)
    work.uow.archive.add_rows(rows)
    if tickets:
        current = work.uow.archive.tickets({e.ticket_id for e in tickets})
        work.uow.archive.save_tickets(list(fold_tickets(current, tickets).values()))


_ROW_COLUMNS = frozenset({"event_id", "event_type"})


def _archive_row(item: Accepted, now: datetime, enrichment: Enrichment | None) -> Row:
    event, message = item.event, item.message
    return {
        "event_id": event.id_text,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at,
        "archived_at": now,
        "source": event.source,
        "key": event_key(event).decode(errors="replace")[:200],
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "published_at": (
            datetime.fromtimestamp(message.timestamp_ms / 1000, UTC)
            if message.timestamp_ms
            else None
        ),
        "payload": event.model_dump_json(exclude_none=True),
        # What the row's own columns say is not repeated in the stored enrichment.
        "enrichment": (
            None
            if enrichment is None
            else {k: v for k, v in enrichment.as_dict().items() if k not in _ROW_COLUMNS}
        ),
    }


def _dead_letter_row(d: DeadLettered) -> Row:
    return {
        "dead_letter_id": d.dead_letter_id,
        **d.record.model_dump(
            exclude={
                "key_b64",
                "key_size",
                "key_truncated",
                "value_b64",
                "value_size",
                "value_truncated",
            }
        ),
        "key": d.key,
        "value": d.value,
        "headers": headers_to_json(d.headers),
    }

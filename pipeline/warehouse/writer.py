"""Write one triaged batch in one transaction: dead letters, archive, projections, outbox."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from pipeline.deadletters import connect_headers, headers_to_json
from pipeline.projections import Row, Rows, fold_tickets, new_rows, project
from pipeline.triage import Accepted, Headers, Triaged
from pipeline.warehouse import tables as t
from pipeline.warehouse.upsert import insert_ignore, insert_new, upsert
from pipeline.warehouse.watermark import advance_watermark, watermark_after
from schemas.cloudevents import event_headers
from schemas.codec import encode
from schemas.keys import event_key
from schemas.tickets import TicketEvent

TABLES: dict[str, Table] = {m.__tablename__: m.__table__ for m in t.Base.__subclasses__()}  # type: ignore[misc]

# Append-only tables keyed by event id or natural key: a replay leaves them as they are.
_INSERT_ONLY = (
    "customers",
    "ticket_status_history",
    "repairs",
    "repair_parts",
    "feedback",
    "complaints",
    "recalls",
    "product_components",
)
# Reference tables where the latest registration wins.
_UPSERT_KEYS: dict[str, tuple[str, ...]] = {
    "dealers": ("dealer_id",),
    "product_models": ("brand", "model", "variant"),
    "units": ("serial",),
    "units_sold": ("brand", "model", "variant", "market", "month"),
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


def event_message(topic: str, key: bytes | None, event: BaseModel, cause: Headers = ()) -> Outgoing:
    """One of our events for the outbox: its JSON, its CloudEvents headers (the relay adds
    ``ce_source`` as it sends) and the trace context of the input that caused it."""
    return Outgoing(topic, key, encode(event), (*event_headers(event, None), *cause))


Claimed = tuple[int, Outgoing]
"""An outbox row id and its message, claimed by one worker to publish and then forget."""


@dataclass
class BatchContext:
    """What stages share while one batch is written."""

    session: Session
    now: datetime
    new: list[Accepted]
    event_time: datetime | None = None
    """The event-time watermark after this batch (None when the batch had no new event)."""
    enrichment: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: list[Outgoing] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    erasures: dict[str, str] = field(default_factory=dict)
    """Erasure requests of this batch: event id -> the customer id their archived copy no longer
    names (the enrich step stores them pseudonymised; the erasure stage needs the id)."""


class Stage(Protocol):
    """A step run inside the batch transaction after the events are archived."""

    def __call__(self, ctx: BatchContext) -> None: ...


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    archived: int
    duplicates: int
    dead_letters: int
    dead_by_reason: Mapping[str, int]
    by_type: Mapping[str, int]
    stats: Mapping[str, int]
    claimed: Sequence[Claimed] = ()
    """Outbox messages this batch wrote, already claimed for the caller to publish."""


def write_batch(
    session: Session,
    batch: Triaged,
    *,
    now: datetime,
    deadletter_topic: str,
    enrich: Callable[[BatchContext], None] | None = None,
    stages: Sequence[Stage] = (),
    claimant: str | None = None,
) -> BatchOutcome:
    """Archive a batch idempotently; stages see only events never archived before.

    With ``claimant``, the outbox messages the batch writes are claimed for it at once and
    returned in the outcome, so its relay publishes them without claiming them first.
    """
    dead_rows = [
        {
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
        for d in batch.dead
    ]
    new_dead = insert_new(session, TABLES["dead_letters"], dead_rows, "dead_letter_id")
    outbox = [
        Outgoing(deadletter_topic, d.key, encode(d.record), connect_headers(d))
        for d in batch.dead
        if d.dead_letter_id in new_dead
    ]

    unique: dict[str, Accepted] = {}
    for item in batch.accepted:
        unique.setdefault(item.event.id_text, item)
    # Arrival order, never event-time order: a batch must decide what its events would decide
    # in batches of one, and those see the stream in the order it arrives.
    candidates = list(unique.values())
    ctx = BatchContext(session=session, now=now, new=candidates, outbox=outbox)
    if enrich is not None and candidates:
        # Enriched before the insert so each event row is written once, enrichment included.
        enrich(ctx)
        # The enrich step stands an erased customer's events in for their pseudonymised copies.
        unique = {a.event.id_text: a for a in ctx.new}
        candidates = list(unique.values())
    archive_rows = [_archive_row(a, now, ctx.enrichment.get(eid)) for eid, a in unique.items()]
    new_ids = insert_new(session, TABLES["events"], archive_rows, "event_id")
    new = [a for a in candidates if a.event.id_text in new_ids]
    ctx.new = new
    latest = max((a.event.occurred_at for a in new), default=None)
    if latest is not None:
        ctx.event_time = watermark_after(session, latest)
    _project(session, ctx)
    for stage in stages:
        stage(ctx)
    claimed = write_outbox(session, ctx.outbox, now, claimant)
    if latest is not None:
        advance_watermark(session, latest)
    by_type: dict[str, int] = {}
    for a in new:
        by_type[a.event.event_type] = by_type.get(a.event.event_type, 0) + 1
    return BatchOutcome(
        archived=len(new),
        duplicates=len(batch.accepted) - len(new),
        dead_letters=len(batch.dead),
        dead_by_reason=dict(Counter(d.record.reason for d in batch.dead)),
        by_type=by_type,
        stats=ctx.stats,
        claimed=claimed,
    )


def _archive_row(item: Accepted, now: datetime, enrichment: dict[str, Any] | None) -> Row:
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
        "enrichment": _without_row_columns(enrichment),
    }


_ROW_COLUMNS = frozenset({"event_id", "event_type"})


def _without_row_columns(enrichment: dict[str, Any] | None) -> dict[str, Any] | None:
    """The enrichment as stored: what the row's own columns say is not repeated in it."""
    if enrichment is None:
        return None
    return {k: v for k, v in enrichment.items() if k not in _ROW_COLUMNS}


def _project(session: Session, ctx: BatchContext) -> None:
    rows: Rows = new_rows()
    tickets: list[TicketEvent] = []
    for item in ctx.new:
        event = item.event
        project(event, ctx.enrichment.get(event.id_text, {}), rows)
        if isinstance(event, TicketEvent):
            tickets.append(event)
    for name, keys in _UPSERT_KEYS.items():
        upsert(session, TABLES[name], _last_per_key(rows.get(name, []), keys), keys)
    for name in _INSERT_ONLY:
        insert_ignore(session, TABLES[name], rows.get(name, []))
    if tickets:
        _merge_tickets(session, tickets)


def _last_per_key(rows: list[Row], keys: Sequence[str]) -> list[Row]:
    """One row per key (the last to arrive, as batches of one would leave it): upserts touch a
    row once."""
    return list({tuple(r[k] for k in keys): r for r in rows}.values())


def _merge_tickets(session: Session, events: list[TicketEvent]) -> None:
    table = TABLES["tickets"]
    ids = {e.ticket_id for e in events}
    current = {
        r["ticket_id"]: dict(r)
        for r in session.execute(select(table).where(table.c.ticket_id.in_(ids))).mappings()
    }
    merged = fold_tickets(current, events)
    upsert(session, table, list(merged.values()), ("ticket_id",))


def write_outbox(
    session: Session, outgoing: Sequence[Outgoing], now: datetime, claimant: str | None = None
) -> list[Claimed]:
    """Store messages to publish after commit; claimed for ``claimant`` (and returned with their
    ids, in order) when one is given, else left for any relay to claim."""
    if not outgoing:
        return []
    table = TABLES["outbox"]
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

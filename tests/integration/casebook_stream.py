"""A random after-sales stream and a driver that writes it through the case book in any batching."""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select

from pipeline.casebook import load_rules
from pipeline.common.records import Message
from pipeline.jobs.batch.decode import decode_batch
from pipeline.jobs.batch.handle import Steps
from pipeline.jobs.batch.stages.casebook import CaseBookStage
from pipeline.warehouse import tables as t
from pipeline.warehouse.engine import session_factory
from schemas.events import FAMILY_OF_TYPE, InboundEvent
from schemas.keys import event_key
from schemas.topics import Topics
from tests.helpers import make, raw, write_batch

T = TypeVar("T")
TOPICS = Topics()
T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday
PRODUCT = {"brand": "Acme", "model": "Cool 3000", "variant": "2024"}
# Two units of one customer (so the contact cap matters) and one of another.
OWNERS = {"SN-1": "C-1", "SN-2": "C-1", "SN-3": "C-2"}
CUSTOMERS = {
    "C-1": {"customer_id": "C-1", "country": "DE", "language": "de", "timezone": "Europe/Berlin"},
    "C-2": {"customer_id": "C-2", "country": "CN", "language": "zh", "timezone": "Asia/Shanghai"},
}
COMPONENTS = ["HVAC:COMPRESSOR", "HVAC:FAN", "ELECTRICAL", "BODY"]
TEXTS = ["Kompressor laut", "smoke from the unit", "scratch on the panel", "water leak"]
KINDS = [
    "complaint",
    "complaint",
    "complaint_updated",
    "confirmation",
    "ticket_opened",
    "ticket_assigned",
    "ticket_resolved",
    "ticket_closed",
    "ticket_reopened",
    "repair",
    "repair",
    "survey",
    "survey",
    "call",
    "call",
    "public_complaint",
]
DEALERS = [None, "D-1", "D-2"]
SERVICE_MARKETS = ["DE", "FR"]
"""Services name dealers and markets at random, arriving in any order around the calls and
surveys that open cases on their units: where a case belongs must not depend on that order."""
HORIZON_HOURS = 40 * 24
"""Several SLAs (2 to 20 days) and the 21-day wait for confirmation pass within the stream, so
cases escalate, reopen, are confirmed and close unconfirmed, at clocks any batch may carry."""


def _product(serial: str) -> dict[str, Any]:
    return {**PRODUCT, "serial": serial}


class Choices(Protocol):
    """Where the stream's random choices come from: hypothesis draws or a seeded generator."""

    def one(self, options: Sequence[T]) -> T: ...

    def number(self, low: int, high: int) -> int: ...


@dataclass(frozen=True)
class _Drawn:
    draw: st.DrawFn

    def one(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))

    def number(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


@dataclass(frozen=True)
class Seeded:
    generate: random.Random

    def one(self, options: Sequence[T]) -> T:
        return self.generate.choice(options)

    def number(self, low: int, high: int) -> int:
        return self.generate.randint(low, high)


@st.composite
def streams(draw: st.DrawFn, max_events: int = 80) -> list[InboundEvent]:
    """A random stream (see stream)."""
    choices = _Drawn(draw)
    return stream(choices, choices.number(1, max_events))


def stream(choices: Choices, count: int) -> list[InboundEvent]:
    """Units sold (so every unit has a contact), then `count` events in random event-time order."""
    sold = [
        make(
            "unit.sold",
            n + 1,
            T0 - timedelta(days=300),
            product=_product(serial),
            market="DE",
            customer=CUSTOMERS[owner],
            sold_on="2023-05-02",
        )
        for n, (serial, owner) in enumerate(OWNERS.items())
    ]
    return sold + [_event(choices, 100 + n) for n in range(count)]


def _event(choices: Choices, n: int) -> InboundEvent:
    serial = choices.one(sorted(OWNERS))
    owner = OWNERS[serial]
    at = T0 + timedelta(hours=choices.number(0, HORIZON_HOURS))
    product = _product(serial)
    k = choices.number(1, 2)
    complaint_id, ticket_id, repair_id = f"CMP-{serial}-{k}", f"T-{serial}-{k}", f"R-{serial}-{k}"
    kind = choices.one(KINDS)
    if kind == "public_complaint":
        # A regulator's complaint about the same unit: detection's, never the case book's.
        return make(
            "complaint.filed",
            n,
            at,
            source="nhtsa",
            complaint_id=f"NHTSA-{n}",
            product=product,
            market="US",
            text=choices.one(TEXTS),
            component=choices.one(COMPONENTS),
        )
    if kind == "complaint":
        return make(
            "complaint.filed",
            n,
            at,
            complaint_id=complaint_id,
            product=product,
            customer=CUSTOMERS[owner],
            market="DE",
            text=choices.one(TEXTS),
            component=choices.one(COMPONENTS),
        )
    if kind == "complaint_updated":
        note = choices.one(["Resolved: compressor replaced", "visit booked"])
        return make(
            "complaint.updated", n, at, complaint_id=complaint_id, product=product, note=note
        )
    if kind == "confirmation":
        return make(
            "complaint.resolution_confirmed",
            n,
            at,
            complaint_id=complaint_id,
            product=product,
            customer_id=owner,
            resolved=choices.one([True, False]),
        )
    if kind == "ticket_opened":
        return make(
            "ticket.opened",
            n,
            at,
            ticket_id=ticket_id,
            product=product,
            customer=CUSTOMERS[owner],
            market=choices.one(SERVICE_MARKETS),
            dealer_id=choices.one(DEALERS),
            channel="phone",
            component=choices.one(COMPONENTS),
        )
    if kind == "ticket_assigned":
        return make(
            "ticket.assigned",
            n,
            at,
            ticket_id=ticket_id,
            product=product,
            assignee="tech-1",
            dealer_id=choices.one(DEALERS),
        )
    if kind == "ticket_resolved":
        return make(
            "ticket.resolved", n, at, ticket_id=ticket_id, product=product, resolution="fixed"
        )
    if kind == "ticket_closed":
        return make("ticket.closed", n, at, ticket_id=ticket_id, product=product)
    if kind == "ticket_reopened":
        return make(
            "ticket.reopened", n, at, ticket_id=ticket_id, product=product, reason="noise again"
        )
    if kind == "repair":
        return make(
            "repair.completed",
            n,
            at,
            repair_id=repair_id,
            ticket_id=choices.one([None, ticket_id]),
            product=product,
            customer_id=choices.one([None, owner]),
            market=choices.one(SERVICE_MARKETS),
            dealer_id=choices.one(DEALERS),
            component=choices.one(COMPONENTS),
            outcome=choices.one(["fixed", "fixed", "not_fixed"]),
        )
    if kind == "survey":
        return make(
            "survey.answered",
            n,
            at,
            survey_id=f"S-{serial}-{k}",
            product=product,
            customer=CUSTOMERS[owner],
            nps=choices.number(0, 10),
            csat=choices.one([None, choices.number(1, 5)]),
        )
    return make(
        "followup_call.made",
        n,
        at,
        call_id=f"CALL-{serial}-{k}",
        product=product,
        customer_id=owner,
        repair_id=choices.one([None, repair_id]),
        ticket_id=choices.one([None, ticket_id]),
        reached=choices.one([True, False]),
        outcome=choices.one(["satisfied", "problem_persists", "new_problem"]),
    )


BATCH_SIZES = st.sampled_from([1, 2, 3, 7, 50, 2000]) | st.integers(1, 2000)


@dataclass(frozen=True)
class Delivery:
    """How a stream reaches the writer: batch sizes, and optionally a crash and a redelivery.

    With ``kill_batch``, that batch is written but rolled back (the worker died before the
    commit), and delivery starts again at offset ``rewind`` (at most where that batch began, so
    committed events may come again) with ``after`` as the new batch sizes.
    """

    sizes: Sequence[int]
    kill_batch: int | None = None
    rewind: int = 0
    after: Sequence[int] = ()


@st.composite
def deliveries(draw: st.DrawFn, length: int) -> Delivery:
    sizes = draw(st.lists(BATCH_SIZES, min_size=1, max_size=12))
    starts = _starts(sizes, length)
    if not draw(st.booleans()):
        return Delivery(sizes)
    kill = draw(st.integers(0, len(starts) - 1))
    rewind = draw(st.integers(0, starts[kill]))
    return Delivery(sizes, kill, rewind, draw(st.lists(BATCH_SIZES, min_size=1, max_size=12)))


def _starts(sizes: Sequence[int], length: int, start: int = 0) -> list[int]:
    """Where each batch starts when a stream from ``start`` is cut by ``sizes`` (the last size
    repeats until the stream ends)."""
    starts, i, position = [], 0, start
    while position < length:
        starts.append(position)
        position += sizes[min(i, len(sizes) - 1)]
        i += 1
    return starts


def messages(events: Sequence[InboundEvent]) -> list[Message]:
    """The stream as one partition would deliver it."""
    return [
        Message(TOPICS.name(FAMILY_OF_TYPE[e.event_type]), 0, offset, event_key(e), raw(e))
        for offset, e in enumerate(events)
    ]


def deliver(engine: Engine, stream: Sequence[Message], delivery: Delivery) -> None:
    """Write the stream batch by batch as ``delivery`` says, one transaction per batch."""
    stage = CaseBookStage(load_rules(), TOPICS.followups)
    factory = session_factory(engine)

    def write(start: int, end: int, commit: bool) -> None:
        session = factory()
        try:
            write_batch(
                session,
                decode_batch(stream[start:end], TOPICS, T0),
                now=T0,
                deadletter_topic=TOPICS.deadletter,
                steps=Steps(after_archive=[stage]),
            )
            if commit:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    starts = _starts(delivery.sizes, len(stream))
    bounds = list(zip(starts, [*starts[1:], len(stream)], strict=True))
    if delivery.kill_batch is None:
        for start, end in bounds:
            write(start, end, commit=True)
        return
    for index, (start, end) in enumerate(bounds[: delivery.kill_batch + 1]):
        write(start, end, commit=index < delivery.kill_batch)
    again = _starts(delivery.after, len(stream), delivery.rewind)
    for start, end in zip(again, [*again[1:], len(stream)], strict=True):
        write(start, end, commit=True)


def one_by_one(length: int) -> Delivery:
    return Delivery([1] * length)


@dataclass(frozen=True)
class Outcome:
    """What the case book left in the warehouse, in forms that compare by content."""

    cases: list[dict[str, Any]]
    timeline: list[tuple[Any, ...]]
    followups: list[dict[str, Any]]
    outputs: list[str]


def outcome(engine: Engine) -> Outcome:
    with session_factory(engine)() as session:
        cases = [
            {
                **r.state,
                "row": _row(r, ("status", "owner", "reason", "resolved_at", "confirmed_at")),
            }
            for r in session.scalars(select(t.CaseRow).order_by(t.CaseRow.case_id))
        ]
        timeline = sorted(
            (r.case_id, r.event_id, r.kind, _utc(r.at), r.event_type, r.status_after, r.note)
            for r in session.scalars(select(t.CaseTimelineRow))
        )
        followups = [
            r.state
            for r in session.scalars(select(t.FollowUpRow).order_by(t.FollowUpRow.followup_id))
        ]
        outputs = sorted(
            json.dumps(json.loads(v), sort_keys=True)
            for v in session.scalars(select(t.OutboxRow.value))
        )
    return Outcome(cases, timeline, followups, outputs)


CASE_COLUMNS = ("status", "owner", "reason", "resolved_at", "confirmed_at", "escalations")


def _row(row: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {c: _utc(getattr(row, c)) for c in columns}


def _utc(value: Any) -> Any:
    # SQLite hands timestamps back naive (UTC), PostgreSQL aware: compare them as UTC text.
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return value


def reset(engine: Engine) -> None:
    """Empty every table, as a fresh warehouse would be (the schema stays)."""
    with engine.begin() as connection:
        for table in reversed(t.Base.metadata.sorted_tables):
            connection.execute(delete(table))


def partitioned(events: Sequence[InboundEvent], partitions: int) -> list[list[Message]]:
    """The stream as ``partitions`` partitions would hold it: by key, each in arrival order."""
    held: list[list[Message]] = [[] for _ in range(partitions)]
    for e in events:
        key = event_key(e)
        partition = zlib.crc32(key) % partitions
        topic = TOPICS.name(FAMILY_OF_TYPE[e.event_type])
        held[partition].append(Message(topic, partition, len(held[partition]), key, raw(e)))
    return held


def by_topic(held: Sequence[Sequence[Message]]) -> list[list[Message]]:
    """Each partition of each topic apart: what a consumer fetches at its own pace per topic, so
    a unit's sale, tickets and repairs can come before or after its feedback."""
    return [
        [m for m in partition if m.topic == topic]
        for partition in held
        for topic in sorted({m.topic for m in partition})
    ]


def interleaved(held: Sequence[Sequence[Message]], picks: Sequence[int]) -> list[Message]:
    """One consumer's view of the partitions: each in its order, merged as ``picks`` says
    (which partition the next message comes from, among those with messages left)."""
    left = [list(p) for p in held if p]
    out: list[Message] = []
    for pick in picks:
        if not left:
            break
        source = left[pick % len(left)]
        out.append(source.pop(0))
        if not source:
            left.remove(source)
    for rest in left:
        out.extend(rest)
    return out

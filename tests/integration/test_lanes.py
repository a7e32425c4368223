"""Lanes on PostgreSQL: batches of disjoint partitions written at once leave the warehouse as one
writer would, without deadlocks or key races between their transactions."""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from consumers.handoff import by_lane
from pipeline.bootstrap import build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.read.counts import table_counts
from pipeline.warehouse.tables import CaseRow, CaseTimelineRow, FollowUpRow, SignatureCountRow
from pipeline.warehouse.watermark import read_watermark
from producers.simulator import SimulationConfig, simulate
from schemas.codec import encode
from schemas.events import FAMILY_OF_TYPE
from schemas.keys import event_key
from schemas.topics import Topics
from tests.conftest import create_pg_database, drop_pg_database

TOPICS = Topics()
PARTITIONS = 4
ROUND = 2_000


def _stream(n: int) -> list[Message]:
    """A simulated world's events, partitioned by key as a Kafka producer would."""
    out: list[Message] = []
    for offset, event in enumerate(itertools.islice(simulate(SimulationConfig(3, 365, 12)), n)):
        key = event_key(event)
        partition = zlib.crc32(key) % PARTITIONS
        topic = TOPICS.name(FAMILY_OF_TYPE[event.event_type])
        out.append(Message(topic, partition, offset, key, encode(event)))
    return out


def _processor(engine: Engine) -> BatchProcessor:
    steps = build_steps(Settings())
    return BatchProcessor(
        engine=engine,
        topics=TOPICS,
        steps=steps,
    )


def _write(engine: Engine, messages: Sequence[Message], lanes: int) -> None:
    processors = [_processor(engine) for _ in range(lanes)]
    with ThreadPoolExecutor(max_workers=lanes) as pool:
        for start in range(0, len(messages), ROUND):
            split = by_lane(messages[start : start + ROUND], lambda m: m.partition, lanes)
            # Each lane in its own transaction, at once; the round ends when all have committed.
            list(
                pool.map(lambda work: work[0].process(work[1]), zip(processors, split, strict=True))
            )


def _state(engine: Engine) -> dict[str, object]:
    counts = table_counts(engine)
    # Outbox rows are forgotten once published, whenever the relay gets to them.
    counts.pop("outbox")
    with session_factory(engine)() as session:
        return {
            "counts": counts,
            "cases": _cases(session),
            "timeline": _timeline(session),
            "signatures": tuple(
                session.execute(
                    select(func.sum(SignatureCountRow.n), func.sum(SignatureCountRow.severe))
                ).one()
            ),
            "followups": _by_status(session, FollowUpRow.status),
            "watermark": read_watermark(session),
        }


def _cases(session: Session) -> list[tuple[Any, ...]]:
    """Every case with what a lane could decide differently: status, escalations, dates."""
    query = select(
        CaseRow.case_id,
        CaseRow.status,
        CaseRow.escalations,
        CaseRow.reopen_count,
        CaseRow.resolved_at,
        CaseRow.confirmed_at,
    ).order_by(CaseRow.case_id)
    return [tuple(row) for row in session.execute(query)]


def _timeline(session: Session) -> list[tuple[Any, ...]]:
    query = select(
        CaseTimelineRow.case_id, CaseTimelineRow.kind, CaseTimelineRow.at, CaseTimelineRow.event_id
    ).order_by(
        CaseTimelineRow.case_id, CaseTimelineRow.at, CaseTimelineRow.event_id, CaseTimelineRow.kind
    )
    return [tuple(row) for row in session.execute(query)]


def _by_status(session: Session, column: Any) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    return {str(status): int(n) for status, n in session.execute(query)}


@pytest.fixture
def two_warehouses() -> Iterator[tuple[Engine, Engine]]:
    urls = [create_pg_database(), create_pg_database()]
    engines = [make_engine(url) for url in urls]
    for engine in engines:
        upgrade(engine)
    try:
        yield engines[0], engines[1]
    finally:
        for engine, url in zip(engines, urls, strict=True):
            engine.dispose()
            drop_pg_database(url)


def test_two_lanes_write_what_one_writer_writes(two_warehouses: tuple[Engine, Engine]) -> None:
    one, two = two_warehouses
    messages = _stream(15_000)
    assert len({m.partition for m in messages}) == PARTITIONS
    _write(one, messages, lanes=1)
    _write(two, messages, lanes=2)
    state = _state(two)
    assert state == _state(one)
    counts = state["counts"]
    assert isinstance(counts, dict)
    assert counts["events"] == len(messages)
    assert counts["cases"] > 0
    assert counts["followups"] > 0

"""No single event stops a batch: events the warehouse or a stage cannot take become dead
letters, the rest is written once, and only an unreachable warehouse makes a batch wait."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text

from pipeline.common.records import Message
from pipeline.jobs.batch.handle import Steps
from pipeline.jobs.batch.model import Batch
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.jobs.batch.quarantine import WarehouseUnreachable
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.read.counts import table_counts
from pipeline.warehouse.tables import ArchivedEvent, DeadLetterRow
from pipeline.warehouse.unit_of_work import SqlUnitOfWork
from schemas.codec import encode_batch
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import event_id, raw, ticket_opened

TOPICS = Topics()
NOW = datetime(2024, 3, 5, tzinfo=UTC)
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


class FailsOn:
    """A stage that fails on chosen events: in Python, or inside the warehouse."""

    def __init__(self, python: set[str] = frozenset(), sql: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.python, self.sql = set(python), set(sql)

    def __call__(self, batch: Batch) -> None:
        for item in batch.new:
            eid = item.event.id_text
            if eid in self.python:
                raise ValueError(f"cannot take {eid}")
            if eid in self.sql:
                # A NOT NULL column left empty: an error raised by the database itself.
                assert isinstance(batch.uow, SqlUnitOfWork)
                batch.uow.session.execute(
                    text("INSERT INTO pipeline_state (name, value) VALUES (NULL, NULL)")
                )


def _messages(ids: Sequence[int], first_offset: int = 0) -> list[Message]:
    return [
        Message(TOPICS.tickets, 0, first_offset + i, b"SN-1", raw(ticket_opened(n, f"T-{n}")))
        for i, n in enumerate(ids)
    ]


def _processor(engine: Engine, stage: FailsOn) -> BatchProcessor:
    return BatchProcessor(
        engine=engine, topics=TOPICS, steps=Steps(after_archive=[stage]), clock=lambda: NOW
    )


def _archived(engine: Engine) -> set[str]:
    with session_factory(engine)() as session:
        return set(session.scalars(select(ArchivedEvent.event_id)))


def _dead(engine: Engine) -> list[DeadLetterRow]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(DeadLetterRow).order_by(DeadLetterRow.offset)))


@both_warehouses()
def test_an_event_a_stage_fails_on_is_set_aside_and_the_rest_of_its_batch_is_archived(
    warehouse: Engine,
) -> None:
    bad_python, bad_sql = event_id(7), event_id(13)
    processor = _processor(warehouse, FailsOn(python={bad_python}, sql={bad_sql}))
    outcome = processor.process(_messages(range(1, 21)))
    assert outcome.archived == 18
    assert outcome.dead_by_reason == {"unprocessable": 2}
    assert _archived(warehouse) == {event_id(n) for n in range(1, 21)} - {bad_python, bad_sql}
    dead = _dead(warehouse)
    assert [d.offset for d in dead] == [6, 12]
    assert "ValueError" in dead[0].error
    assert dead[0].value == _messages([7])[0].value, "the original bytes are kept"
    assert table_counts(warehouse)["outbox"] == 2, "each dead letter is published"


@both_warehouses()
def test_one_bad_event_in_a_batch_message_is_set_aside_alone(warehouse: Engine) -> None:
    bad = event_id(3)
    batch = encode_batch([ticket_opened(n, f"T-{n}") for n in range(1, 6)])
    processor = _processor(warehouse, FailsOn(python={bad}))
    processor.process([Message(TOPICS.tickets, 0, 0, b"SN-1", batch)])
    assert _archived(warehouse) == {event_id(n) for n in (1, 2, 4, 5)}
    (dead,) = _dead(warehouse)
    assert dead.item_index == 2
    assert dead.value == raw(ticket_opened(3, "T-3")), "the event alone, so a replay sends it"


@both_warehouses()
def test_a_redelivered_batch_with_a_bad_event_changes_nothing(warehouse: Engine) -> None:
    processor = _processor(warehouse, FailsOn(python={event_id(2)}))
    messages = _messages(range(1, 6))
    processor.process(messages)
    before = table_counts(warehouse)
    again = processor.process(messages)
    assert again.archived == 0
    assert table_counts(warehouse) == before


@both_warehouses()
def test_events_dated_past_the_allowed_skew_are_dead_letters_and_leave_event_time_alone(
    warehouse: Engine,
) -> None:
    processor = BatchProcessor(
        engine=warehouse, topics=TOPICS, clock=lambda: NOW, max_future=timedelta(days=1)
    )
    future = ticket_opened(2, "T-2", at=datetime(2030, 1, 1, tzinfo=UTC))
    messages = [
        Message(TOPICS.tickets, 0, 0, b"SN-1", raw(ticket_opened(1, at=T0))),
        Message(TOPICS.tickets, 0, 1, b"SN-1", raw(future)),
    ]
    outcome = processor.process(messages)
    assert outcome.dead_by_reason == {"future_event_time": 1}
    with session_factory(warehouse)() as session:
        watermark = session.execute(
            text("SELECT value FROM pipeline_state WHERE name = 'event_time_watermark'")
        ).scalar_one()
    assert "2024-03-01" in str(watermark)


def test_an_unreachable_warehouse_makes_the_batch_wait_instead_of_dead_lettering_it() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    processor = _processor(engine, FailsOn())
    with pytest.raises(WarehouseUnreachable):
        processor.process(_messages([1]))


@both_warehouses()
def test_any_set_of_bad_events_in_any_batching_leaves_exactly_the_good_ones_archived(
    warehouse: Engine,
) -> None:
    @settings(
        max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    @given(
        bad=st.sets(st.integers(1, 40), max_size=8),
        cuts=st.lists(st.integers(1, 40), max_size=4),
    )
    def check(bad: set[int], cuts: list[int]) -> None:
        with session_factory(warehouse).begin() as session:
            for name in ("events", "tickets", "ticket_status_history", "customers"):
                session.execute(text(f"DELETE FROM {name}"))
            for name in ("dead_letters", "outbox", "pipeline_state", "product_models", "units"):
                session.execute(text(f"DELETE FROM {name}"))
        ids = [event_id(n) for n in bad]
        half = len(ids) // 2
        processor = _processor(warehouse, FailsOn(python=set(ids[:half]), sql=set(ids[half:])))
        messages = _messages(range(1, 41))
        edges = [0, *sorted(set(cuts)), 40]
        for start, end in itertools.pairwise(edges):
            if start < end:
                processor.process(messages[start:end])
        assert _archived(warehouse) == {event_id(n) for n in range(1, 41)} - set(ids)
        dead = _dead(warehouse)
        assert sorted(d.offset + 1 for d in dead) == sorted(bad)
        assert all(d.reason == "unprocessable" for d in dead)

    check()

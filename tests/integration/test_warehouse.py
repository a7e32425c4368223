"""The warehouse archives batches idempotently on SQLite and PostgreSQL, and guards its schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from pipeline.common.records import Message
from pipeline.jobs.batch.decode import decode_batch
from pipeline.jobs.batch.model import BatchOutcome
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.migrate import SchemaOutOfDate, require_current
from pipeline.warehouse.read.counts import table_counts
from pipeline.warehouse.tables import DeadLetterRow, TicketRow
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import PRODUCT, make, raw, ticket_opened, write_batch

TOPICS = Topics()
NOW = datetime(2024, 3, 5, tzinfo=UTC)
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _write(engine: Engine, values: list[bytes], first_offset: int = 0) -> BatchOutcome:
    messages = [
        Message(TOPICS.tickets, 0, first_offset + i, b"SN-1", v) for i, v in enumerate(values)
    ]
    with session_factory(engine).begin() as session:
        return write_batch(
            session,
            decode_batch(messages, TOPICS, NOW),
            now=NOW,
            deadletter_topic=TOPICS.deadletter,
        )


def _resolved() -> bytes:
    return raw(
        make(
            "ticket.resolved",
            2,
            T0 + timedelta(days=1),
            ticket_id="T-1",
            product=PRODUCT,
            resolution="fixed",
        )
    )


@both_warehouses()
def test_a_redelivered_batch_leaves_one_row_per_event(warehouse: Engine) -> None:
    batch = [raw(ticket_opened(1, at=T0)), _resolved(), b"{broken"]
    first = _write(warehouse, batch)
    again = _write(warehouse, batch)
    assert (first.archived, first.duplicates, first.dead_letters) == (2, 0, 1)
    assert (again.archived, again.duplicates) == (0, 2)
    counts = table_counts(warehouse)
    assert counts["events"] == 2
    assert counts["tickets"] == 1
    assert counts["ticket_status_history"] == 2
    assert counts["dead_letters"] == 1
    assert counts["outbox"] == 1, "a redelivered dead letter is published once"


@both_warehouses()
def test_events_arriving_out_of_order_are_linked_when_the_rest_arrives(warehouse: Engine) -> None:
    _write(warehouse, [_resolved()], first_offset=0)
    _write(warehouse, [raw(ticket_opened(1, at=T0))], first_offset=1)
    with session_factory(warehouse)() as session:
        ticket = session.scalars(select(TicketRow)).one()
    assert ticket.status == "resolved"
    assert ticket.opened_at == T0
    assert ticket.resolved_at == T0 + timedelta(days=1)
    assert ticket.customer_id == "C-1"


@both_warehouses()
def test_a_dead_letter_keeps_its_reason_and_original_bytes(warehouse: Engine) -> None:
    _write(warehouse, [b"\xff\xfenot utf8"])
    with session_factory(warehouse)() as session:
        dead = session.scalars(select(DeadLetterRow)).one()
    assert dead.reason == "bad_encoding"
    assert dead.value == b"\xff\xfenot utf8"
    assert (dead.topic, dead.partition, dead.offset) == (TOPICS.tickets, 0, 0)


@both_warehouses()
def test_timestamps_come_back_aware_in_utc(warehouse: Engine) -> None:
    _write(warehouse, [raw(ticket_opened(1, at=T0.astimezone()))])
    with session_factory(warehouse)() as session:
        ticket = session.scalars(select(TicketRow)).one()
    assert ticket.opened_at is not None
    assert ticket.opened_at.tzinfo is not None
    assert ticket.opened_at == T0


@pytest.mark.parametrize("warehouse_url", ["sqlite", "postgresql"], indirect=True)
def test_an_unmigrated_warehouse_is_refused_with_the_command_to_run(warehouse_url: str) -> None:
    engine = make_engine(warehouse_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="aftersales db upgrade"):
            require_current(engine)
    finally:
        engine.dispose()


@both_warehouses()
def test_a_migrated_warehouse_passes_the_schema_check(warehouse: Engine) -> None:
    require_current(warehouse)
    with warehouse.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 0

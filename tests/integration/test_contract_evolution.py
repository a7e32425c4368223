"""Producers may run ahead of us: an event with fields we do not know yet is archived, not refused;
the outbox keeps each message's CloudEvents and trace headers for the relay."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from pipeline.common.records import Message, headers_from_json
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.read.counts import table_counts
from pipeline.warehouse.tables import ArchivedEvent, OutboxRow
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import raw, ticket_opened

TOPICS = Topics()
NOW = datetime(2024, 3, 5, tzinfo=UTC)
TRACE = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@both_warehouses()
def test_an_event_with_fields_added_later_is_archived_and_a_bad_one_dead_lettered_with_headers(
    warehouse: Engine,
) -> None:
    event = ticket_opened(1)
    newer = json.loads(raw(event))
    newer["loyalty_tier"] = "gold"
    newer["product"]["firmware"] = "4.2.1"
    processor = BatchProcessor(engine=warehouse, topics=TOPICS, clock=lambda: NOW)
    outcome = processor.process(
        [
            Message(TOPICS.tickets, 0, 0, b"SN-1", json.dumps(newer).encode()),
            Message(TOPICS.tickets, 0, 1, b"SN-1", b"{broken", headers=(("traceparent", TRACE),)),
        ],
        claimant="w",
    )
    assert (outcome.archived, outcome.dead_letters) == (1, 1)
    with session_factory(warehouse)() as session:
        archived = session.scalars(select(ArchivedEvent)).one()
        (stored,) = session.scalars(select(OutboxRow.headers)).all()
    assert archived.event_id == str(event.event_id)
    assert "loyalty_tier" not in archived.payload, "unknown fields are ignored, not archived"
    headers = dict(headers_from_json(stored))
    assert headers["ce_type"] == b"deadletter"
    assert headers["traceparent"] == TRACE
    assert "ce_source" not in headers, "the relay names the sending service as it sends"
    assert table_counts(warehouse)["dead_letters"] == 1

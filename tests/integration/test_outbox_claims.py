"""A batch claims the outbox rows it writes for its worker, and a later batch forgets them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from pipeline.common.records import Message
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.operations import WarehouseOps
from pipeline.warehouse.outbox import CLAIM_TIMEOUT
from pipeline.warehouse.tables import OutboxRow
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import raw, ticket_opened

TOPICS = Topics()
NOW = datetime(2024, 3, 5, tzinfo=UTC)


def _bad(offsets: range) -> list[Message]:
    return [Message(TOPICS.tickets, 0, i, b"k", b"{broken %d" % i) for i in offsets]


def _outbox(engine: Engine) -> list[tuple[int, str | None]]:
    with session_factory(engine)() as session:
        return [
            (r.id, r.claimed_by)
            for r in session.execute(select(OutboxRow.id, OutboxRow.claimed_by).order_by("id"))
        ]


@both_warehouses()
def test_a_batch_returns_its_outbox_rows_claimed_in_order(warehouse: Engine) -> None:
    processor = BatchProcessor(engine=warehouse, topics=TOPICS, clock=lambda: NOW)
    outcome = processor.process(_bad(range(3)), claimant="worker-a")
    assert [o.topic for _, o in outcome.claimed] == [TOPICS.deadletter] * 3
    originals = [base64.b64decode(json.loads(o.value)["value_b64"]) for _, o in outcome.claimed]
    assert originals == [b"{broken 0", b"{broken 1", b"{broken 2"]
    assert _outbox(warehouse) == [(i, "worker-a") for i, _ in outcome.claimed]
    # Fresh claims are nobody else's to take; expired ones are.
    assert WarehouseOps(warehouse, lambda: NOW).claim_outbox("worker-b") == []
    later = WarehouseOps(warehouse, lambda: NOW + CLAIM_TIMEOUT + timedelta(seconds=1))
    assert [i for i, _ in later.claim_outbox("worker-b")] == [i for i, _ in outcome.claimed]


@both_warehouses()
def test_delivered_rows_are_forgotten_by_the_next_batch_or_on_their_own(warehouse: Engine) -> None:
    processor = BatchProcessor(engine=warehouse, topics=TOPICS, clock=lambda: NOW)
    first = processor.process(_bad(range(2)), claimant="w")
    second = processor.process(
        [Message(TOPICS.tickets, 0, 2, b"SN-1", raw(ticket_opened(1)))],
        claimant="w",
        delivered=[first.claimed[0][0]],
    )
    assert list(second.claimed) == []
    assert second.archived == 1
    assert [i for i, _ in _outbox(warehouse)] == [first.claimed[1][0]]
    WarehouseOps(warehouse).forget_outbox([first.claimed[1][0]])
    assert _outbox(warehouse) == []


@both_warehouses()
def test_without_a_claimant_rows_wait_for_any_relay(warehouse: Engine) -> None:
    processor = BatchProcessor(engine=warehouse, topics=TOPICS, clock=lambda: NOW)
    outcome = processor.process(_bad(range(2)))
    assert list(outcome.claimed) == []
    assert [c for _, c in _outbox(warehouse)] == [None, None]
    assert len(WarehouseOps(warehouse, lambda: NOW).claim_outbox("w")) == 2

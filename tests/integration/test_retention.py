"""Retention: bodies past their days lose personal data, old dead letters go, counts stay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from pipeline.bootstrap import build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.decode import decode_batch
from pipeline.privacy import pseudonym
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.retention import apply_retention
from pipeline.warehouse.tables import ArchivedEvent, ComplaintRow, DeadLetterRow
from schemas.events import InboundEvent
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import CUSTOMER, PRODUCT, make, write_batch

TOPICS = Topics()
SETTINGS = Settings(detection_interval_s=0)
KEY = SETTINGS.pseudonym_key.get_secret_value().encode()
T0 = datetime(2022, 3, 1, 9, 0, tzinfo=UTC)
EMAIL = "anna.kowalska@example.com"


def _complaint(n: int, at: datetime) -> InboundEvent:
    return make(
        "complaint.filed",
        n,
        at,
        complaint_id=f"CMP-{n}",
        product=PRODUCT,
        customer=CUSTOMER,
        market="DE",
        component="HVAC:COMPRESSOR",
        text=f"compressor loud, write to {EMAIL}",
    )


def _write(engine: Engine, events: list[InboundEvent], received: datetime) -> None:
    steps = build_steps(SETTINGS)
    messages = [Message(TOPICS.feedback, 0, e.event_id.int, b"SN-1", e.model_dump_json().encode())
                for e in events]  # fmt: skip
    messages.append(
        Message(TOPICS.feedback, 1, received.toordinal(), b"SN-1", b"{broken " + EMAIL.encode())
    )
    with session_factory(engine).begin() as session:
        write_batch(
            session,
            decode_batch(messages, TOPICS, received),
            now=received,
            deadletter_topic=TOPICS.deadletter,
            steps=steps,
        )


def _bodies(engine: Engine) -> dict[int, str]:
    with session_factory(engine)() as session:
        rows = session.execute(select(ArchivedEvent.event_id, ArchivedEvent.payload)).all()
    return {int(eid.replace("-", ""), 16): payload for eid, payload in rows}


def _run(engine: Engine, now: datetime) -> tuple[int, int]:
    outcome = apply_retention(
        session_factory(engine), now=now, event_body_days=730, dead_letter_days=30, key=KEY
    )
    return outcome.events_scrubbed, outcome.dead_letters_deleted


@both_warehouses()
def test_bodies_and_dead_letters_past_their_days_lose_personal_data(warehouse: Engine) -> None:
    _write(warehouse, [_complaint(1, T0), _complaint(2, T0 + timedelta(days=400))], T0)
    assert _run(warehouse, T0 + timedelta(days=29)) == (0, 0), "nothing is old enough yet"

    assert _run(warehouse, T0 + timedelta(days=731)) == (1, 1)

    bodies = _bodies(warehouse)
    old, young = json.loads(bodies[1]), json.loads(bodies[2])
    assert old["customer"]["customer_id"] == pseudonym("C-1", KEY)
    assert EMAIL not in bodies[1]
    assert "compressor loud" in old["text"]
    assert young["customer"]["customer_id"] == "C-1", "a younger body keeps its data"
    with session_factory(warehouse)() as session:
        assert session.scalar(select(func.count()).select_from(DeadLetterRow)) == 0
        assert session.scalar(select(func.count()).select_from(ComplaintRow)) == 2


@both_warehouses()
def test_a_late_arrival_older_than_the_limit_is_scrubbed_by_the_next_run(warehouse: Engine) -> None:
    _write(warehouse, [_complaint(1, T0 + timedelta(days=400))], T0 + timedelta(days=400))
    now = T0 + timedelta(days=1200)
    assert _run(warehouse, now) == (1, 1)
    _write(warehouse, [_complaint(3, T0)], now)  # an import of old history

    assert _run(warehouse, now + timedelta(hours=1)) == (1, 0)
    assert _run(warehouse, now + timedelta(hours=2)) == (0, 0)
    assert all(EMAIL not in body for body in _bodies(warehouse).values())

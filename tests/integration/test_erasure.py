"""Erasure in the batch: every trace of a customer goes, counts stay, later events come erased."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text

from pipeline.bootstrap import build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.decode import decode_batch
from pipeline.privacy import pseudonym
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.erasure import export_customer
from pipeline.warehouse.tables import TABLES, ComplaintRow, FeedbackRow, FollowUpRow, OutboxRow
from schemas.events import InboundEvent
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import PRODUCT, make, raw, ticket_opened, write_batch

TOPICS = Topics()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SETTINGS = Settings(detection_interval_s=0)
KEY = SETTINGS.pseudonym_key.get_secret_value().encode()

CUSTOMER_ID = "CUS-DE-88341"
NAME = "Anna Kowalska"
EMAIL = "anna.kowalska@example.com"
PHONE = "+49 171 2345678"
TRACES = (CUSTOMER_ID, NAME, EMAIL, PHONE, "Europe/Berlin")
CUSTOMER = {
    "customer_id": CUSTOMER_ID,
    "country": "DE",
    "language": "de",
    "timezone": "Europe/Berlin",
}
OTHER = {"customer_id": "CUS-DE-10001", "country": "DE", "language": "de", "timezone": "UTC"}
OTHER_PRODUCT = {**PRODUCT, "serial": "SN-2"}
CONTACT = f"{NAME}, {EMAIL}, {PHONE}"


def _history() -> list[tuple[str, InboundEvent]]:
    at = [T0 + timedelta(hours=h) for h in range(12)]
    return [
        ("tickets", ticket_opened(1, "T-1", customer=CUSTOMER, description=f"Call {CONTACT}")),
        ("tickets", ticket_opened(2, "T-2", product=OTHER_PRODUCT, customer=OTHER)),
        (
            "repairs",
            make(
                "repair.completed",
                3,
                at[1],
                repair_id="R-1",
                ticket_id="T-1",
                product=PRODUCT,
                customer_id=CUSTOMER_ID,
                market="DE",
                component="HVAC:COMPRESSOR",
                diagnosis=f"{NAME} says it rattles",
            ),
        ),
        (
            "tickets",
            make(
                "ticket.resolved",
                4,
                at[2],
                ticket_id="T-1",
                product=PRODUCT,
                resolution=f"fixed, told {NAME}",
            ),
        ),
        (
            "feedback",
            make(
                "survey.answered",
                5,
                at[3],
                survey_id="S-1",
                product=PRODUCT,
                customer=CUSTOMER,
                csat=2,
                nps=3,
                comment=f"write to {EMAIL}",
            ),
        ),
        (
            "feedback",
            make(
                "complaint.filed",
                6,
                at[4],
                complaint_id="CMP-1",
                product=PRODUCT,
                customer=CUSTOMER,
                market="DE",
                component="HVAC:COMPRESSOR",
                text=f"Compressor loud again. {CONTACT}",
            ),
        ),
        (
            "feedback",
            make(
                "complaint.updated",
                7,
                at[5],
                complaint_id="CMP-1",
                product=PRODUCT,
                note=f"left a message on {PHONE}",
            ),
        ),
        (
            "feedback",
            make(
                "complaint.filed",
                8,
                at[6],
                complaint_id="CMP-2",
                product=OTHER_PRODUCT,
                customer=OTHER,
                market="DE",
                component="HVAC:COMPRESSOR",
                text="Loud",
            ),
        ),
    ]


def _erasure(n: int, at: datetime = T0 + timedelta(days=1)) -> tuple[str, InboundEvent]:
    return "customers", make(
        "customer.erasure_requested", n, at, customer_id=CUSTOMER_ID, reason="gdpr-art17"
    )


def _write(engine: Engine, events: list[tuple[str, Any]], offset: int) -> None:
    steps = build_steps(SETTINGS)
    messages = [
        Message(
            TOPICS.name(family),
            0,
            offset + i,
            b"SN-1",
            value if isinstance(value, bytes) else raw(value),
        )
        for i, (family, value) in enumerate(events)
    ]
    with session_factory(engine).begin() as session:
        write_batch(
            session,
            decode_batch(messages, TOPICS, T0 + timedelta(days=30)),
            now=T0 + timedelta(days=2),
            deadletter_topic=TOPICS.deadletter,
            steps=steps,
        )


def _dead_letter() -> tuple[str, bytes]:
    return "feedback", f'{{"event_type": "complaint.filed", "text": "{CONTACT}", '.encode() + (
        f'"customer": {{"customer_id": "{CUSTOMER_ID}"'.encode()
    )


def _traces(engine: Engine) -> list[str]:
    """Every table and column, as text, where a trace of the customer is found."""
    found = []
    with engine.connect() as conn:
        for name, table in TABLES.items():
            for row in conn.execute(select(table)).mappings():
                if name == "outbox" and row["topic"] == TOPICS.erasures:
                    continue  # the confirmation downstream systems need, published and forgotten
                for column, value in row.items():
                    as_text = (
                        value.decode(errors="replace")
                        if isinstance(value, bytes)
                        else json.dumps(value, default=str, ensure_ascii=False)
                    )
                    found += [f"{name}.{column}: {t}" for t in TRACES if t in as_text]
    return found


def _aggregates(engine: Engine) -> dict[str, Any]:
    queries = {
        "signature_counts": "SELECT component, day, n, severe FROM signature_counts",
        "cases": "SELECT status, reason, severity, count(*) FROM cases GROUP BY 1, 2, 3",
        "tickets": "SELECT status, count(*), count(customer_id) FROM tickets GROUP BY 1",
        "repairs": "SELECT component, outcome, count(*), count(customer_id) FROM repairs "
        "GROUP BY 1, 2",
        "feedback": "SELECT kind, count(*), avg(csat), avg(nps) FROM feedback GROUP BY 1",
        "complaints": "SELECT component, count(*), count(customer_id) FROM complaints GROUP BY 1",
        "customers": "SELECT country, language, count(*) FROM customers GROUP BY 1, 2",
        "units": "SELECT count(*), count(customer_id) FROM units",
    }
    with engine.connect() as conn:
        return {k: sorted(map(tuple, conn.execute(text(q)).all())) for k, q in queries.items()}


def _confirmations(engine: Engine) -> list[dict[str, Any]]:
    with session_factory(engine)() as session:
        values = session.scalars(select(OutboxRow.value).where(OutboxRow.topic == TOPICS.erasures))
        return [json.loads(v) for v in values]


@both_warehouses()
def test_an_erased_customer_leaves_no_trace_while_counts_stay_true(warehouse: Engine) -> None:
    _write(warehouse, [*_history(), _dead_letter()], offset=0)
    assert _traces(warehouse), "the history must hold the customer before the erasure"
    before = _aggregates(warehouse)

    _write(warehouse, [_erasure(100)], offset=100)

    assert _traces(warehouse) == []
    assert _aggregates(warehouse) == before
    alias = pseudonym(CUSTOMER_ID, KEY)
    (confirmed,) = _confirmations(warehouse)
    assert confirmed["event_type"] == "customer.erased"
    assert (confirmed["customer_id"], confirmed["pseudonym"]) == (CUSTOMER_ID, alias)
    assert confirmed["rows"]["dead_letters"] == 1
    with session_factory(warehouse)() as session:
        statuses = session.scalars(
            select(FollowUpRow.status).where(FollowUpRow.customer_id == alias)
        ).all()
        others = session.scalar(
            select(func.count()).select_from(ComplaintRow).where(ComplaintRow.text == "Loud")
        )
    assert statuses
    assert set(statuses) == {"dropped"}
    assert others == 1, "another customer's complaint keeps its text"


@both_warehouses()
def test_a_redelivered_request_is_confirmed_once_and_later_events_arrive_erased(
    warehouse: Engine,
) -> None:
    _write(warehouse, _history(), offset=0)
    _write(warehouse, [_erasure(100)], offset=100)
    later = [
        _erasure(100),
        (
            "feedback",
            make(
                "survey.answered",
                200,
                T0 + timedelta(days=3),
                survey_id="S-2",
                product=PRODUCT,
                customer=CUSTOMER,
                csat=5,
                comment=f"thanks, {NAME}",
            ),
        ),
        (
            "repairs",
            make(
                "repair.completed",
                201,
                T0 + timedelta(days=3),
                repair_id="R-2",
                product=PRODUCT,
                customer_id=CUSTOMER_ID,
                market="DE",
                component="HVAC:COMPRESSOR",
            ),
        ),
    ]
    _write(warehouse, later, offset=200)

    assert len(_confirmations(warehouse)) == 1
    assert _traces(warehouse) == []
    alias = pseudonym(CUSTOMER_ID, KEY)
    with session_factory(warehouse)() as session:
        survey = session.scalars(select(FeedbackRow).where(FeedbackRow.csat == 5)).one()
        followups = session.scalars(
            select(OutboxRow.value).where(OutboxRow.topic == TOPICS.followups)
        ).all()
    assert (survey.customer_id, survey.text) == (alias, "[erased]")
    assert not [v for v in followups if alias.encode() in v], "an erased customer is not called"


@both_warehouses()
def test_an_export_holds_everything_about_the_customer_until_the_erasure(
    warehouse: Engine,
) -> None:
    _write(warehouse, [*_history(), _dead_letter()], offset=0)
    with session_factory(warehouse)() as session:
        held = export_customer(session, CUSTOMER_ID)
    counts = {table: len(rows) for table, rows in held.items() if rows}
    assert counts.keys() >= {
        "customers", "tickets", "repairs", "feedback", "complaints", "cases", "followups",
        "ticket_status_history", "events", "dead_letters",
    }  # fmt: skip
    assert (counts["events"], counts["dead_letters"], counts["tickets"]) == (6, 1, 1)
    named = [r["customer_id"] for rows in held.values() for r in rows if "customer_id" in r]
    assert set(named) - {None} == {CUSTOMER_ID}, "nobody else's rows (a complaint note names none)"

    _write(warehouse, [_erasure(100)], offset=100)
    with session_factory(warehouse)() as session:
        assert not any(export_customer(session, CUSTOMER_ID).values())

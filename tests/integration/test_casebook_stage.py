"""The case book and enrichment run inside the archive transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from pipeline.bootstrap import build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.decode import decode_batch
from pipeline.jobs.batch.handle import Steps
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.tables import CaseRow, CaseTimelineRow, FollowUpRow, OutboxRow
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import CUSTOMER, PRODUCT, make, raw, ticket_opened, write_batch

TOPICS = Topics()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _write(engine: Engine, events: list, offset: int) -> None:
    steps = Steps(after_archive=build_steps(Settings(detection_interval_s=0)).after_archive)
    messages = [
        Message(TOPICS.name(family), 0, offset + i, b"SN-1", raw(e))
        for i, (family, e) in enumerate(events)
    ]
    with session_factory(engine).begin() as session:
        write_batch(
            session,
            decode_batch(messages, TOPICS, T0),
            now=T0,
            deadletter_topic=TOPICS.deadletter,
            steps=steps,
        )


def _complaint(n: int, at: datetime) -> tuple[str, object]:
    return "feedback", make(
        "complaint.filed",
        n,
        at,
        complaint_id="CMP-1",
        product=PRODUCT,
        customer=CUSTOMER,
        market="DE",
        text="Kompressor laut",
        component="HVAC:COMPRESSOR",
    )


@both_warehouses()
def test_a_complaint_walks_from_open_to_confirmed_and_is_stored_once(warehouse: Engine) -> None:
    repair = make(
        "repair.completed",
        3,
        T0 + timedelta(days=1),
        repair_id="R-1",
        product=PRODUCT,
        customer_id="C-1",
        market="DE",
        component="HVAC:COMPRESSOR",
    )
    confirm = make(
        "complaint.resolution_confirmed",
        4,
        T0 + timedelta(days=3),
        complaint_id="CMP-1",
        product=PRODUCT,
        customer_id="C-1",
        resolved=True,
    )
    _write(
        warehouse, [("tickets", ticket_opened(1, at=T0 - timedelta(hours=1))), _complaint(2, T0)], 0
    )
    _write(warehouse, [("repairs", repair)], 2)
    _write(warehouse, [("feedback", confirm)], 3)
    _write(warehouse, [("feedback", confirm)], 3)  # a redelivery changes nothing
    with session_factory(warehouse)() as session:
        case = session.scalars(select(CaseRow)).one()
        kinds = [
            r.kind for r in session.scalars(select(CaseTimelineRow).order_by(CaseTimelineRow.at))
        ]
        followups = session.scalars(select(FollowUpRow).order_by(FollowUpRow.due_at)).all()
        outbox = [json.loads(v) for v in session.scalars(select(OutboxRow.value))]
    assert case.status == "closed"
    assert case.confirmed_at == T0 + timedelta(days=3)
    assert kinds[0] == "opened"
    assert "resolved" in kinds
    assert "confirmed" in kinds
    assert [f.status for f in followups] == ["scheduled", "scheduled"]
    assert all(f.language == "de" and f.timezone == "Europe/Berlin" for f in followups)
    local = followups[0].due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert 9 <= local.hour < 18
    assert local.weekday() < 5
    assert sorted(o["event_type"] for o in outbox) == ["followup.scheduled", "followup.scheduled"]


@both_warehouses()
def test_an_unconfirmed_case_past_its_sla_is_escalated_once(warehouse: Engine) -> None:
    _write(warehouse, [_complaint(2, T0)], 0)
    later = ticket_opened(10, ticket_id="T-9", at=T0 + timedelta(days=30))
    _write(warehouse, [("tickets", later)], 1)
    _write(
        warehouse, [("tickets", ticket_opened(11, ticket_id="T-10", at=T0 + timedelta(days=31)))], 2
    )
    with session_factory(warehouse)() as session:
        case = session.scalars(select(CaseRow)).one()
        escalations = [
            json.loads(v)
            for v in session.scalars(select(OutboxRow.value))
            if json.loads(v)["event_type"] == "case.escalated"
        ]
    assert case.status == "escalated"
    assert len(escalations) == 1


@both_warehouses()
def test_archived_events_are_enriched_and_repeat_repairs_linked(warehouse: Engine) -> None:
    steps = build_steps(Settings(detection_interval_s=0))
    sold = make(
        "unit.sold",
        20,
        T0 - timedelta(days=400),
        product=PRODUCT,
        market="DE",
        dealer_id="DE-1",
        sold_on="2023-01-20",
    )
    dealer = make(
        "dealer.registered",
        21,
        T0 - timedelta(days=500),
        dealer_id="DE-1",
        name="Müller",
        country="DE",
        ownership="franchised",
        group="North",
    )
    first = make(
        "repair.completed",
        22,
        T0,
        repair_id="R-1",
        product=PRODUCT,
        market="DE",
        component="HVAC:COMPRESSOR",
        total_cost={"amount": "100", "currency": "USD"},
    )
    again = make(
        "repair.completed",
        23,
        T0 + timedelta(days=20),
        repair_id="R-2",
        product=PRODUCT,
        market="DE",
        component="HVAC:FAN",
    )
    messages = [
        Message(TOPICS.name(f), 0, i, b"k", raw(e))
        for i, (f, e) in enumerate([("reference", dealer), ("reference", sold), ("repairs", first)])
    ]
    factory = session_factory(warehouse)
    for batch in (messages, [Message(TOPICS.repairs, 0, 9, b"k", raw(again))]):
        with factory.begin() as session:
            write_batch(
                session,
                decode_batch(batch, TOPICS, T0),
                now=T0,
                deadletter_topic=TOPICS.deadletter,
                steps=steps,
            )
    with factory() as session:
        from pipeline.warehouse.tables import ArchivedEvent, RepairRow

        repairs = {r.repair_id: r for r in session.scalars(select(RepairRow))}
        enrichment = session.get(ArchivedEvent, str(first.event_id)).enrichment  # type: ignore[union-attr]
    assert repairs["R-1"].warranty_status == "in_warranty"
    assert repairs["R-1"].months_in_service == 13
    assert repairs["R-1"].cost_reporting is not None
    assert repairs["R-1"].cost_reporting > 0
    assert repairs["R-2"].repeat_of == str(first.event_id)
    assert enrichment["dealer_ownership"] == "franchised"
    assert enrichment["region"]


@both_warehouses()
def test_a_complaint_and_its_ticket_resolved_in_one_batch_resolve_the_case(
    warehouse: Engine,
) -> None:
    # The unit has no stored case before the batch: the case the complaint opens must still
    # meet the ticket.resolved that follows it, as it does when they come in separate batches.
    resolved = make(
        "ticket.resolved",
        5,
        T0 + timedelta(days=1),
        ticket_id="T-1",
        product=PRODUCT,
        resolution="compressor replaced",
    )
    _write(warehouse, [_complaint(2, T0), ("tickets", resolved)], 0)
    with session_factory(warehouse)() as session:
        case = session.scalars(select(CaseRow)).one()
        kinds = {r.kind for r in session.scalars(select(CaseTimelineRow))}
    assert (case.status, kinds) == ("resolved", {"opened", "resolved"})

"""Dealer KPIs read from a known warehouse, on SQLite and PostgreSQL, and `aftersales kpis`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pipeline.casebook.kpis import KpiRow
from pipeline.reports.dealers import dealer_kpis
from pipeline.reports.scope import Scope
from pipeline.warehouse.read.answers import scored_answers
from pipeline.warehouse.read.dealers import dealer_facts
from pipeline.warehouse.tables import DealerRow, FeedbackRow, FollowUpRow, TicketRow, UnitRow
from tests.conftest import both_warehouses
from tests.helpers import aftersales
from tests.integration.test_reports import _repair

pytestmark = pytest.mark.integration

DAY0 = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
NOW = DAY0 + timedelta(days=60)
H = timedelta(hours=1)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def _unit(serial: str, dealer: str, market: str | None) -> UnitRow:
    return UnitRow(serial=serial, brand="Acme", model="Cool 3000", market=market, dealer_id=dealer)


def _ticket(
    ticket_id: str, serial: str, dealer: str, opened: int, reply_h: float, resolve_h: float | None
) -> TicketRow:
    opened_at = day(opened)
    return TicketRow(
        ticket_id=ticket_id,
        serial=serial,
        brand="Acme",
        model="Cool 3000",
        dealer_id=dealer,
        status="resolved" if resolve_h is not None else "assigned",
        status_at=opened_at,
        opened_at=opened_at,
        first_response_at=opened_at + reply_h * H,
        resolved_at=opened_at + resolve_h * H if resolve_h is not None else None,
    )


def _answer(n: int, on: int, nps: int, csat: int | None = None, **kw: Any) -> FeedbackRow:
    """A follow-up call that reached the customer, unless ``kw`` says otherwise."""
    fields: dict[str, Any] = {
        "event_id": f"f{n}",
        "kind": "followup_call",
        "brand": "Acme",
        "model": "Cool 3000",
        "reached": True,
        "nps": nps,
        "csat": csat,
        "occurred_at": day(on),
    }
    fields.update(kw)
    return FeedbackRow(**fields)


def seed(engine: Engine) -> None:
    """Two dealers; answers that name their dealer and market, and call-backs that do not.

    S3 was sold by D2 in no known market and serviced by D1. Answers (dealer, market):
    f1 survey names D1, DE; f2 is about ticket T2 (D2), unit S2 sold in FR; f3 is about repair R3
    (D1), S3 has no market so D1's country DE; f4 names only S3, last serviced by D1 (R3), so D1,
    DE; f5 names only S2 before any service: the selling dealer D2, FR; f6 names nothing.
    """
    rows: list[Any] = [
        DealerRow(
            dealer_id="D1", name="Nord Service", country="DE", ownership="owned", group="Acme"
        ),
        DealerRow(
            dealer_id="D2", name="Paris Froid", country="FR", ownership="franchised", group="Acme"
        ),
        _unit("S1", "D1", "DE"),
        _unit("S2", "D2", "FR"),
        _unit("S3", "D2", None),
        _ticket("T1", "S1", "D1", 0, reply_h=2, resolve_h=24),
        _ticket("T3", "S1", "D1", 10, reply_h=4, resolve_h=None),
        _ticket("T2", "S2", "D2", 5, reply_h=6, resolve_h=72),
        _ticket("T4", "S2", "D2", 20, reply_h=1, resolve_h=10),
        _repair(1, "S1", "D1", "COMPRESSOR", "leak", "2024-04-02", ticket_id="T1"),
        _repair(3, "S3", "D1", "FAN", "noise", "2024-04-12"),
        _repair(4, "S1", "D1", "FAN", "noise", "2024-04-25"),
        FeedbackRow(
            event_id="f1",
            kind="survey",
            brand="Acme",
            model="Cool 3000",
            dealer_id="D1",
            market="DE",
            csat=5,
            nps=10,
            occurred_at=day(3),
        ),
        _answer(2, 9, nps=9, csat=4, ticket_id="T2", serial="S2"),
        _answer(3, 14, nps=3, repair_id="R-3", serial="S3"),
        _answer(4, 30, nps=5, csat=2, serial="S3"),
        _answer(5, 1, nps=8, serial="S2"),
        _answer(6, 2, nps=7),
        _answer(7, 2, nps=None, reached=False, ticket_id="T4", serial="S2"),  # no answer
        FollowUpRow(
            followup_id="FU-1",
            customer_id="C1",
            ticket_id="T1",
            reason="after_service",
            due_at=day(7),
            language="de",
            timezone="Europe/Berlin",
            status="reached",
            created_at=day(1),
            state={},
        ),
    ]
    with Session(engine) as session, session.begin():
        session.add_all(rows)


def kpis(engine: Engine) -> dict[tuple[str, str], KpiRow]:
    with Session(engine) as session:
        facts = dealer_facts(session, Scope(None, None, None, NOW))
    return {(r.by, r.key): r for r in dealer_kpis(facts, NOW)}


@both_warehouses()
def test_answers_without_dealer_or_market_are_placed_by_service_unit_or_dealer(
    warehouse: Engine,
) -> None:
    seed(warehouse)
    with Session(warehouse) as session:
        answers = scored_answers(session)
        raw_unknown = session.scalar(
            select(func.count()).where(FeedbackRow.market.is_(None), FeedbackRow.nps.is_not(None))
        )

    assert [(a.answered_at, a.dealer_id, a.market) for a in answers] == [
        (day(1), "D2", "FR"),  # f5: the unit's selling dealer and market
        (day(2), None, None),  # f6: nothing to go by
        (day(3), "D1", "DE"),  # f1: its own
        (day(9), "D2", "FR"),  # f2: its ticket's dealer, the unit's market
        (day(14), "D1", "DE"),  # f3: its repair's dealer, that dealer's country
        (day(30), "D1", "DE"),  # f4: the unit's last service before the answer
    ]
    # The share of answers in an "unknown" market row drops from 5 in 6 to 1 in 6.
    assert raw_unknown == 5
    assert sum(a.market is None for a in answers) == 1


@both_warehouses()
def test_kpis_show_reply_and_resolution_times_and_follow_up_coverage(warehouse: Engine) -> None:
    seed(warehouse)
    rows = kpis(warehouse)

    d1, d2 = rows[("dealer", "D1")], rows[("dealer", "D2")]
    assert (d1.label, d2.label) == ("Nord Service (D1)", "Paris Froid (D2)")
    assert d1.median_first_response_hours == pytest.approx(3.0)  # T1 2 h, T3 4 h
    assert d1.median_resolution_hours == pytest.approx(24.0)  # T1 only: T3 is not resolved
    assert d2.median_first_response_hours == pytest.approx(3.5)  # T2 6 h, T4 1 h
    assert d2.median_resolution_hours == pytest.approx(41.0)  # 72 h and 10 h
    # D1 served T1 (with R1), R3 and R4: T1 reached by the scheduled call-back, R3 by a call
    # that named no follow-up; R4 never called. D2 served T2 (reached) and T4 (no answer).
    assert d1.followup_coverage == pytest.approx(2 / 3)
    assert d2.followup_coverage == pytest.approx(1 / 2)
    # Answers: D1 f1 (10, csat 5), f3 (3), f4 (5, csat 2); D2 f2 (9, csat 4), f5 (8).
    assert (d1.responses, d1.csat_mean, d1.nps) == (3, 3.5, pytest.approx(-100 / 3))
    assert (d2.responses, d2.csat_mean, d2.nps) == (2, 4.0, 50.0)
    assert rows[("country", "DE")].responses == 3
    assert rows[("country", "FR")].responses == 2
    assert rows[("country", "unknown")].responses == 1  # f6 alone
    group = rows[("group", "Acme")]
    assert group.label == "Acme"
    assert group.median_first_response_hours == pytest.approx(3.0)  # 1, 2, 4, 6 hours
    assert group.followup_coverage == pytest.approx(3 / 5)


def test_the_kpis_command_prints_percentages_table_json_and_csv(
    warehouse: Engine, warehouse_url: str, tmp_path: Path
) -> None:
    seed(warehouse)
    env = {"AFTERSALES_WAREHOUSE_URL": warehouse_url}

    table = aftersales(["kpis"], tmp_path, **env)
    as_json = aftersales(["kpis", "--by", "country", "--format", "json"], tmp_path, **env)
    as_csv = aftersales(["kpis", "--format", "csv"], tmp_path, **env)

    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = " ".join(lines[2:5])
    for words in ("reply", "resolve", "called", "back %", "first", "fix %", "CSAT", "NPS"):
        assert words in header
    d1 = next(line for line in lines if line.startswith(" Nord Service"))
    assert d1.split()[3:7] == ["3", "24", "66.7", "100.0"]  # hours, then percentages
    countries = {row["key"]: row for row in json.loads(as_json.stdout)}
    assert set(countries) == {"DE", "FR", "unknown"}
    assert countries["FR"]["followup_coverage"] == 0.5
    assert countries["FR"]["median_resolution_hours"] == 41.0
    records = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["key"] for r in records] == ["D1", "D2", "unknown"]
    assert records[1]["label"] == "Paris Froid (D2)"
    assert float(records[1]["median_first_response_hours"]) == 3.5
    assert float(records[0]["followup_coverage"]) == pytest.approx(2 / 3)
    assert records[2]["median_first_response_hours"] == ""

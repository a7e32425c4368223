"""`aftersales cases --status ...` shows every status the case book has, and only that status."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.casebook import CaseState, Rules, apply_batch, load_rules
from pipeline.warehouse import casebook_store as store
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.read import cases as views
from schemas.base import Event
from tests.helpers import aftersales
from tests.unit.casebook.casebook_events import DAY, T0, complaint, confirmation, repair

NOW = T0 + 30 * DAY


def _book(rules: Rules) -> list[CaseState]:
    """One case in each status at NOW, on units named after it, walked there by events."""

    def brakes(serial: str, at: datetime, dealer: str = "D-1") -> Event:
        return complaint(f"C-{serial}", at, serial=serial, dealer_id=dealer)

    events = [
        brakes("ESCALATED", T0),  # a 5-day SLA nobody met
        brakes("CLOSED", T0),
        repair(T0 + DAY, serial="CLOSED"),
        confirmation(T0 + 2 * DAY, resolved=True, complaint_id="C-CLOSED"),
        brakes("UNCONFIRMED", T0, dealer="D-2"),
        repair(T0 + DAY, serial="UNCONFIRMED"),  # 21 days without a word from the customer
        brakes("RESOLVED", T0 + 20 * DAY),
        repair(T0 + 21 * DAY, serial="RESOLVED"),
        brakes("OPEN", T0 + 28 * DAY),
    ]
    return list(apply_batch([], events, rules, NOW).cases)


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cases") / "w.db"
    engine: Engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        store.save_cases(session, _book(load_rules()))
    engine.dispose()
    return path


@pytest.mark.parametrize(
    ("status", "serials"),
    [
        ("open", {"OPEN", "ESCALATED", "RESOLVED"}),
        ("overdue", {"ESCALATED"}),
        ("escalated", {"ESCALATED"}),
        ("resolved", {"RESOLVED"}),
        ("closed", {"CLOSED"}),
        ("unconfirmed", {"UNCONFIRMED"}),
        ("all", {"OPEN", "ESCALATED", "RESOLVED", "CLOSED", "UNCONFIRMED"}),
    ],
)
def test_each_status_filter_shows_the_cases_in_that_status(
    warehouse_file: Path, status: str, serials: set[str]
) -> None:
    engine = make_engine(f"sqlite:///{warehouse_file}")
    try:
        with session_factory(engine)() as session:
            rows = views.cases(session, status, NOW)
    finally:
        engine.dispose()
    assert {r["serial"] for r in rows} == serials
    if status != "all":
        assert {r["status"] for r in rows} <= set(views.CASE_FILTERS[status] or ())


def test_the_cli_lists_the_cases_closed_unconfirmed_and_one_dealers_cases(
    warehouse_file: Path,
) -> None:
    url = f"sqlite:///{warehouse_file}"
    done = aftersales(
        ["cases", "--status", "unconfirmed", "--format", "json"],
        warehouse_file.parent,
        AFTERSALES_WAREHOUSE_URL=url,
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert (row["serial"], row["status"], row["dealer_id"]) == ("UNCONFIRMED", "unconfirmed", "D-2")
    assert row["next_action"].startswith("none: closed without the customer's confirmation")
    mine = aftersales(
        ["cases", "--status", "all", "--dealer", "d-2", "--format", "json"],
        warehouse_file.parent,
        AFTERSALES_WAREHOUSE_URL=url,
    )
    assert [r["serial"] for r in json.loads(mine.stdout)] == ["UNCONFIRMED"]

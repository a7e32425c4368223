"""The simulated service desks close the loop, and a dealer whose desk stops acting is caught.

The simulator's world is written through the worker's stages into a real warehouse; the case book
must close most cases on the customer's word, leave its overdue tail at the weak franchisees,
keep the overdue-case alert's gauge at zero, and raise it once one dealer's desk goes idle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from consumers.ops import set_state_gauges
from pipeline.bootstrap import build_steps
from pipeline.common import metrics
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.reports.dealers import dealer_kpis
from pipeline.reports.scope import Scope
from pipeline.reports.voice import case_book
from pipeline.warehouse import tables as t
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.read.case_book import case_book_lines
from pipeline.warehouse.read.cases import stalled_dealers
from pipeline.warehouse.read.counts import state_gauges
from pipeline.warehouse.read.dealers import dealer_facts
from pipeline.warehouse.watermark import read_watermark
from producers.simulator import SimulationConfig, simulate
from schemas.codec import encode
from schemas.events import FAMILY_OF_TYPE
from schemas.keys import event_key
from schemas.topics import Topics

WORLD = {"seed": 3, "days": 200, "rate": 15, "defects": 0}


def simulated_warehouse(path: Path, idle: frozenset[str] = frozenset()) -> Engine:
    """A warehouse holding the simulated world, written in batches as the worker writes them."""
    topics = Topics()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    steps = build_steps(Settings(detection_interval_s=3600))
    processor = BatchProcessor(
        engine=engine,
        topics=topics,
        steps=steps,
    )
    batch: list[Message] = []
    for offset, event in enumerate(simulate(SimulationConfig(**WORLD, idle_dealers=idle))):
        family = FAMILY_OF_TYPE[event.event_type]
        batch.append(Message(topics.name(family), 0, offset, event_key(event), encode(event)))
        if len(batch) == 2_000:
            processor.process(batch)
            batch = []
    processor.process(batch)
    return engine


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = simulated_warehouse(tmp_path_factory.mktemp("healthy") / "w.db")
    yield engine
    engine.dispose()


def stalled_gauge(engine: Engine) -> float | None:
    """What the worker's ops loop publishes for the overdue-case alert."""
    with session_factory(engine)() as session:
        set_state_gauges(state_gauges(session))
    return metrics.REGISTRY.get_sample_value("aftersales_dealers_stalled")


def test_desks_close_most_cases_on_the_customers_word_for_every_reason(healthy: Engine) -> None:
    with session_factory(healthy)() as session:
        now = read_watermark(session)
        assert now is not None
        book = case_book(case_book_lines(session, Scope(None, None, None, now)), now)
        closed = Counter(
            session.scalars(select(t.CaseRow.reason).where(t.CaseRow.status == "closed"))
        )
    assert book.total > 500
    assert book.confirmed_share is not None
    assert book.confirmed_share > 0.7
    assert book.overdue < 0.2 * book.total
    assert set(closed) == {"complaint", "detractor", "problem_persists", "new_problem"}
    assert book.owner_fallbacks == 0


def test_the_overdue_tail_sits_at_franchised_dealers_and_the_alert_stays_quiet(
    healthy: Engine,
) -> None:
    with session_factory(healthy)() as session:
        now = read_watermark(session)
        assert now is not None
        facts = dealer_facts(session, Scope(None, None, None, now))
        assert stalled_dealers(session, now) == []
    lines = {line.key: line for line in dealer_kpis(facts, now) if line.by == "ownership"}
    owned, franchised = lines["owned"], lines["franchised"]
    assert owned.cases > 100
    assert franchised.cases > 100
    assert franchised.overdue_cases / franchised.cases > 2 * owned.overdue_cases / owned.cases
    assert franchised.confirmed_share is not None
    assert owned.confirmed_share is not None
    assert franchised.confirmed_share < owned.confirmed_share
    assert stalled_gauge(healthy) == 0


def test_a_dealer_whose_desk_stops_acting_is_stalled_and_raises_the_alert(
    healthy: Engine, tmp_path: Path
) -> None:
    with session_factory(healthy)() as session:
        busiest = Counter(session.scalars(select(t.CaseRow.dealer_id))).most_common(1)[0][0]
    assert busiest is not None
    idle = simulated_warehouse(tmp_path / "idle.db", frozenset({busiest}))
    try:
        with session_factory(idle)() as session:
            now = read_watermark(session)
            assert now is not None
            assert stalled_dealers(session, now) == [busiest]
        assert stalled_gauge(idle) == 1
    finally:
        idle.dispose()

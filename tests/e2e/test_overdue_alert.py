"""The overdue-case alert on a real broker: quiet on a healthy simulated world, firing when one
dealer's service desk stops acting.

Two simulated worlds, the same but for one dealer whose desk goes idle, are streamed through a
worker each; /metrics is scraped for `aftersales_dealers_stalled`, the gauge behind
`AftersalesCasesOverdue` (`max(aftersales_dealers_stalled) > 0`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import WorkerProcess, wait_until
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.read.cases import stalled_dealers
from pipeline.warehouse.read.counts import state_gauges
from pipeline.warehouse.watermark import read_watermark
from producers.publisher import publish_all
from producers.simulator import SimulationConfig, simulate
from schemas.events import InboundEvent
from tests.e2e.conftest import Pipeline, make_pipeline
from tests.e2e.test_operations import scrape

WORLD = SimulationConfig(seed=3, days=70, rate=10, defects=0)
"""About the smallest world whose busiest dealer, idle, leaves the 8 recently due cases the
stalled-dealer rule needs (kpis.stalled_* in the case book rules) while no dealer stalls when all
desks work."""
STALLED = "aftersales_dealers_stalled{}"


def world(config: SimulationConfig) -> list[InboundEvent]:
    # Installed-base reports feed detection only; leaving them out halves the stream.
    return [e for e in simulate(config) if e.event_type != "units_sold.reported"]


def busiest_dealer(events: list[InboundEvent]) -> str:
    opened = Counter(
        getattr(e, "dealer_id", None) for e in events if e.event_type == "ticket.opened"
    )
    dealer, _ = opened.most_common(1)[0]
    assert dealer is not None
    return dealer


@pytest.fixture
def pipelines(tansu: EmbeddedBroker, tmp_path: Path) -> Iterator[tuple[Pipeline, Pipeline]]:
    made = []
    try:
        for name in ("healthy", "idle"):
            where = tmp_path / name
            where.mkdir()
            made.append(
                make_pipeline(
                    tansu,
                    f"sqlite:///{where / 'warehouse.db'}",
                    where,
                    detection_interval_s=3600,
                    retention_interval_s=0,
                )
            )
        yield made[0], made[1]
    finally:
        for p in made:
            for w in p.workers:
                w.stop()
            p.engine.dispose()


def settled(pipeline: Pipeline, worker: WorkerProcess, total: int) -> float:
    """The stalled-dealer gauge the worker serves once it has written all `total` events and
    refreshed its warehouse gauges since (its open-case gauge matches the warehouse)."""
    wait_until(
        lambda: sum(pipeline.counts()[k] for k in ("events", "dead_letters")) >= total,
        timeout_s=60,
        check=worker.check,
        what="the simulated world archived",
    )
    with session_factory(pipeline.engine)() as session:
        open_cases = state_gauges(session)["cases_open"]
    assert open_cases > 0
    wait_until(
        lambda: scrape(worker).get("aftersales_cases_open{}") == open_cases,
        timeout_s=15,
        check=worker.check,
        what="the worker's gauges refreshed after the last batch",
    )
    return scrape(worker)[STALLED]


def stalled(engine: Engine) -> list[str]:
    with session_factory(engine)() as session:
        now = read_watermark(session)
        assert now is not None
        return stalled_dealers(session, now)


def test_the_alert_stays_quiet_on_a_healthy_world_and_fires_when_a_dealer_stops_acting(
    pipelines: tuple[Pipeline, Pipeline],
) -> None:
    healthy, idle = pipelines
    events = world(WORLD)
    dealer = busiest_dealer(events)
    idle_events = world(replace(WORLD, idle_dealers=frozenset({dealer})))
    workers = healthy.worker(), idle.worker()
    assert publish_all(healthy.settings, events) == len(events)
    assert publish_all(idle.settings, idle_events) == len(idle_events)
    assert settled(healthy, workers[0], len(events)) == 0
    assert stalled(healthy.engine) == []
    assert settled(idle, workers[1], len(idle_events)) == 1
    assert stalled(idle.engine) == [dealer]

"""One shared, moderately sized simulation run for the simulator's tests (a few seconds)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from producers.simulator import SimulationConfig
from producers.simulator.engine import Engine
from producers.simulator.world import build_world
from schemas.events import InboundEvent

SHARED_RUN = SimulationConfig(seed=7, days=240, rate=20, defects=3)


@dataclass(frozen=True)
class Run:
    events: list[InboundEvent]
    peak_pending: int
    cohorts: int
    pending_samples: list[dict[str, int]]


@pytest.fixture(scope="session")
def shared_run() -> Run:
    world = build_world(SHARED_RUN)
    engine = Engine(world)
    events: list[InboundEvent] = []
    samples: list[dict[str, int]] = []
    for event in engine.run():
        events.append(event)
        if len(events) % 2_000 == 0:
            samples.append(engine.pending_by_kind())
    return Run(events, engine.peak_pending, len(world.cohorts), samples)


@pytest.fixture(scope="session")
def shared_events(shared_run: Run) -> list[InboundEvent]:
    return shared_run.events

"""Flags are a function of the stored counts: any batching and round timing gives the same ones."""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from pipeline.bootstrap import build_detector, build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.jobs.detector import DetectionRunner
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.tables import DefectFlagRow, OutboxRow
from schemas.events import InboundEvent
from schemas.topics import Topics
from tests.conftest import WAREHOUSE_KINDS, create_pg_database, drop_pg_database
from tests.helpers import make, raw

TOPICS = Topics()
NOW = datetime(2030, 1, 1, tzinfo=UTC)
START = datetime(2023, 1, 2, tzinfo=UTC)
COMPONENTS = ("BRAKES", "ELECTRICAL", "BODY", "STEERING", "HVAC")


def stream(seed: int, defect_day: int, defect_days: int) -> list[InboundEvent]:
    """Sparse complaints and repairs on two models, a compressor defect on one, in event order."""
    rng = random.Random(seed)
    timed: list[tuple[datetime, str, str, str]] = []
    for day in range(0, defect_day + defect_days + 60, 9):
        for _ in range(rng.randint(0, 2)):
            kind = rng.choice(("complaint.filed", "repair.completed"))
            at = START + timedelta(days=day, hours=rng.randint(0, 23))
            timed.append((at, kind, f"Model {rng.randint(0, 1)}", rng.choice(COMPONENTS)))
    for k in range(defect_days):
        for _ in range(rng.randint(1, 2)):
            at = START + timedelta(days=defect_day + k, hours=rng.randint(0, 23))
            timed.append((at, "complaint.filed", "Model 0", "HVAC:COMPRESSOR"))
    timed.sort()
    return [_event(n, *item) for n, item in enumerate(timed, start=1)]


def _event(n: int, at: datetime, kind: str, model: str, component: str) -> InboundEvent:
    product = {"brand": "Acme", "model": model, "variant": "2022", "serial": f"SN-{n % 37}"}
    if kind == "complaint.filed":
        return make(kind, n, at, complaint_id=f"C-{n}", product=product, market="US",
                    component=component)  # fmt: skip
    return make(kind, n, at, repair_id=f"R-{n}", product=product, market="US",
                component=component, parts=[])  # fmt: skip


@contextmanager
def fresh_warehouse(kind: str) -> Iterator[Engine]:
    """A new, migrated warehouse per run: each run must start from nothing."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'w.db'}" if kind == "sqlite" else create_pg_database()
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
            if kind != "sqlite":
                drop_pg_database(url)


def run(
    kind: str, events: Sequence[InboundEvent], batches: Sequence[int], rounds: Sequence[int]
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """Archive in batches of the given sizes (cycled), with ``rounds[i % len]`` detector rounds
    after batch i, then rounds until one has nothing to judge; the flags and flag messages."""
    settings_ = Settings()
    steps = build_steps(settings_)
    with fresh_warehouse(kind) as engine:
        processor = BatchProcessor(engine, TOPICS, steps, clock=lambda: NOW)
        detector = DetectionRunner(engine, build_detector(settings_), clock=lambda: NOW)
        position, i = 0, 0
        while position < len(events):
            size = batches[i % len(batches)]
            chunk = events[position : position + size]
            processor.process(
                [
                    Message(TOPICS.feedback, 0, position + j, b"k", raw(e))
                    for j, e in enumerate(chunk)
                ]
            )
            for _ in range(rounds[i % len(rounds)]):
                detector.run()
            position, i = position + size, i + 1
        for _ in range(50):
            if not detector.run().stats:
                break
        else:  # pragma: no cover - a detector that never settles is the bug itself
            pytest.fail("the detector did not settle")
        return _flags(engine), _messages(engine)


def _flags(engine: Engine) -> list[tuple[Any, ...]]:
    with session_factory(engine)() as session:
        return sorted(
            (r.flag_id, r.brand, r.model, r.variant, r.component, r.method, r.status,
             r.severity, r.score, r.first_raised_at, r.closed_at,
             json.dumps(r.evidence, sort_keys=True))
            for r in session.scalars(select(DefectFlagRow))
        )  # fmt: skip


def _messages(engine: Engine) -> list[str]:
    with session_factory(engine)() as session:
        values = [json.loads(v) for v in session.scalars(select(OutboxRow.value))]
    flags = [v for v in values if v.get("event_type") == "defect_flag.changed"]
    return sorted(json.dumps(v, sort_keys=True) for v in flags)


@pytest.mark.parametrize("kind", WAREHOUSE_KINDS)
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    defect_day=st.integers(120, 300),
    defect_days=st.integers(10, 30),
    batches=st.lists(st.integers(1, 60), min_size=1, max_size=6),
    rounds=st.lists(st.integers(0, 3), min_size=1, max_size=6),
)
def test_any_batching_and_round_timing_store_and_send_the_flags_of_one_late_round(
    kind: str,
    seed: int,
    defect_day: int,
    defect_days: int,
    batches: list[int],
    rounds: list[int],
) -> None:
    events = stream(seed, defect_day, defect_days)
    reference = run(kind, events, [len(events)], [0])
    assert reference[0], "the injected defect must raise a flag"
    assert run(kind, events, batches, rounds) == reference

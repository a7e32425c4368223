"""The product loop in the warehouse: decisions and actions stored once, fixes judged on claims."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from pipeline.bootstrap import build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.detection import FlagEpisode, Signature
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.warehouse import detection_store
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.read.loop import read_corrective_actions, read_product_loop
from pipeline.warehouse.tables import CorrectiveActionRow, FlagDecisionRow
from schemas.codec import encode
from schemas.events import FAMILY_OF_TYPE, InboundEvent
from schemas.keys import event_key
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import make

PRODUCT = {"brand": "Acme", "model": "Cool 3000", "variant": "2024"}
OPENED = datetime(2024, 3, 1, tzinfo=UTC)
RELEASED = datetime(2024, 3, 20, 9, tzinfo=UTC)


class Stream:
    """A year of sales of one variant and the failures of its units, numbered as built."""

    def __init__(self) -> None:
        self.events: list[InboundEvent] = []
        self.units = 0

    def add(self, event_type: str, at: datetime, **fields: object) -> None:
        self.events.append(make(event_type, len(self.events) + 1, at, **fields))

    def sales(self) -> None:
        for month in range(1, 10):
            self.add(
                "units_sold.reported",
                datetime(2024, month + 1, 1, tzinfo=UTC),
                **PRODUCT,
                market="DE",
                month=f"2024-{month:02d}",
                count=200,
            )

    def failures(self, sold: date, component: str, days: list[int]) -> None:
        """One unit sold on ``sold`` for each failure ``days`` after ``sold``."""
        for after in days:
            self.unit(sold, [(after, component, None)])

    def unit(self, sold: date, repairs: list[tuple[int, str, str | None]]) -> None:
        """A unit sold on ``sold`` and its repairs (days after sale, component, failure code)."""
        self.units += 1
        serial = f"SN-{self.units:05d}"
        product = {**PRODUCT, "serial": serial, "lot": f"L-{sold:%Y%m}"}
        sold_at = datetime.combine(sold, datetime.min.time(), tzinfo=UTC)
        self.add("unit.sold", sold_at, product=product, market="DE", sold_on=sold.isoformat())
        for k, (after, component, code) in enumerate(repairs):
            self.add(
                "repair.completed",
                sold_at + timedelta(days=after, hours=10),
                repair_id=f"R-{serial}-{k}",
                product=product,
                market="DE",
                component=f"{component}:PART",
                failure_code=code,
            )


def world() -> list[InboundEvent]:
    s = Stream()
    s.sales()
    s.failures(date(2024, 4, 1), "HVAC", [200])  # the first unit of the changed lot
    # Before the change (January to March builds): failures from April on, within 8 months.
    for month, first in ((1, 80), (2, 60), (3, 30)):
        s.failures(date(2024, month, 15), "HVAC", [first + 5 * k for k in range(10)])
        s.failures(date(2024, month, 15), "ELECTRICAL", [first + 4 * k for k in range(10)])
    # After it: few compressor failures, as many electrical ones per unit-month as before.
    for month in range(4, 10):
        s.failures(date(2024, month, 15), "HVAC", [40] if month < 8 else [])
        s.failures(date(2024, month, 15), "ELECTRICAL", [20 + 9 * k for k in range(10)])
    s.failures(date(2024, 9, 15), "BODY", [106])  # the last claim: 30 December
    # A field campaign on steering (released 1 April): two units repaired on 10 April, one of
    # them back 50 days later (a repeat, which counts against a field fix); three failures on
    # units it has not reached.
    for back in (50, None):
        s.unit(
            date(2024, 1, 15),
            [(86, "STEERING", "CMP-9")] + ([(136, "STEERING", None)] if back else []),
        )
    for after in (110, 120, 130):
        s.unit(date(2024, 1, 15), [(after, "STEERING", None)])
    flag = {"decided_by": "quality-hvac", "decided_at": "2024-03-05T10:00:00+00:00"}
    s.add("flag.triaged", OPENED, flag_id=FLAGS["HVAC"].flag_id, decision="confirm", **flag)
    s.add("flag.triaged", OPENED, flag_id=FLAGS["ELECTRICAL"].flag_id, decision="ack", **flag)
    s.add(
        "flag.triaged",
        OPENED + timedelta(days=1),
        signature={**PRODUCT, "component": "ELECTRICAL"},
        decision="confirm",
        decided_by="quality-electrical",
        decided_at="2024-03-06T10:00:00+00:00",
        note="same board on every unit",
    )
    where = {"lot": "L-202404"}
    for component, action, effective in (
        ("HVAC", "CA-1", where),
        ("ELECTRICAL", "CA-2", where),
        ("STEERING", "CA-3", {"campaign_id": "CMP-9"}),
    ):
        s.add(
            "corrective_action.released",
            datetime(2024, 4, 1, tzinfo=UTC) if action == "CA-3" else RELEASED,
            action_id=action,
            signatures=[{**PRODUCT, "component": component}],
            change="service_procedure" if action == "CA-3" else "supplier",
            description=f"New {component.lower()} supplier.",
            effective_from=effective,
        )
    return s.events


FLAGS = {
    c: FlagEpisode(Signature("Acme", "Cool 3000", "2024", c), "exposure", OPENED, None, 5.0, "high")
    for c in ("HVAC", "ELECTRICAL")
}


def process(engine: Engine, events: list[InboundEvent], batch: int) -> None:
    topics = Topics()
    steps = build_steps(Settings(detection_interval_s=3600))
    processor = BatchProcessor(
        engine=engine,
        topics=topics,
        steps=steps,
    )
    messages = [
        Message(topics.name(FAMILY_OF_TYPE[e.event_type]), 0, i, event_key(e), encode(e))
        for i, e in enumerate(events)
    ]
    for start in range(0, len(messages), batch):
        processor.process(messages[start : start + batch])


@both_warehouses()
def test_a_working_fix_is_verified_and_a_failing_one_reopens_its_flag(warehouse: Engine) -> None:
    with session_factory(warehouse).begin() as session:
        detection_store.save_episodes(session, FLAGS.values(), OPENED)
    events = world()
    process(warehouse, events, batch=97)
    process(warehouse, events[-7:], batch=7)  # delivered twice: stored once
    with session_factory(warehouse)() as session:
        assert session.scalar(select(func.count()).select_from(FlagDecisionRow)) == 3
        assert session.scalar(select(func.count()).select_from(CorrectiveActionRow)) == 3
        loop = read_product_loop(session)
        section = read_corrective_actions(session)
    assert loop.as_of == date(2024, 12, 30)
    verdicts = {a.action_id: a.assessment for a in loop.actions}
    assert verdicts["CA-1"].verdict == "effective", verdicts["CA-1"]
    assert verdicts["CA-2"].verdict == "not effective", verdicts["CA-2"]
    comparison = verdicts["CA-1"].comparison
    assert comparison is not None
    # Builds from April on, in service since mid-April: about 8.5 months by 30 December.
    assert comparison.months_in_service == pytest.approx(258 / 30.436875, abs=0.01)
    assert (comparison.claims_after, comparison.claims_before) == (5, 30)
    field = verdicts["CA-3"].comparison
    assert field is not None
    assert (field.claims_after, field.claims_before) == (1, 3)
    # 10 April to 30 December on the repaired units: 264 days each.
    assert field.exposure_after == pytest.approx(2 * 264 / 30.436875)
    assert verdicts["CA-3"].verdict == "not yet known"
    states = {f.flag.component: (f.triage, f.state, f.status) for f in loop.flags}
    assert states == {
        "HVAC": ("confirmed", "verified", "closed"),
        "ELECTRICAL": ("confirmed", "reopened", "open"),
    }
    assert [a["action_id"] for a in section["verified_fixes"]] == ["CA-1"]
    assert [a["action_id"] for a in section["failed_fixes"]] == ["CA-2"]
    [electrical] = [d for d in section["decisions"] if d["component"] == "ELECTRICAL"]
    assert [d["decision"] for d in electrical["decisions"]] == ["ack", "confirm"]


def stored(engine: Engine, batch: int) -> dict[str, object]:
    with session_factory(engine).begin() as session:
        detection_store.save_episodes(session, FLAGS.values(), OPENED)
    process(engine, world(), batch)
    with session_factory(engine)() as session:
        return read_corrective_actions(session)


@both_warehouses()
def test_the_loop_reads_the_same_whatever_the_batches(warehouse: Engine, tmp_path: Path) -> None:
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    try:
        assert stored(warehouse, 1_000) == stored(other, 13)
    finally:
        other.dispose()

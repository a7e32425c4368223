"""On the simulator's world the pipeline finds what was injected: worse repairs at franchisees."""

from __future__ import annotations

from pathlib import Path

from pipeline.bootstrap import build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.reports.dealers import dealer_kpis
from pipeline.reports.scope import Scope
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.read.dealers import dealer_facts
from pipeline.warehouse.watermark import read_watermark
from producers.simulator import SimulationConfig, simulate
from schemas.codec import encode
from schemas.events import FAMILY_OF_TYPE
from schemas.keys import event_key
from schemas.topics import Topics


def test_franchised_dealers_fitting_non_genuine_parts_show_more_repeat_repairs(
    tmp_path: Path,
) -> None:
    topics = Topics()
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(engine)
    steps = build_steps(Settings(detection_interval_s=3600))
    processor = BatchProcessor(
        engine=engine,
        topics=topics,
        steps=steps,
    )
    batch: list[Message] = []
    config = SimulationConfig(seed=3, days=110, rate=20, defects=0)
    for offset, event in enumerate(simulate(config)):
        family = FAMILY_OF_TYPE[event.event_type]
        batch.append(Message(topics.name(family), 0, offset, event_key(event), encode(event)))
        if len(batch) == 2_000:
            processor.process(batch)
            batch = []
    processor.process(batch)
    with session_factory(engine)() as session:
        now = read_watermark(session)
        assert now is not None
        facts = dealer_facts(session, Scope(None, None, None, now))
    lines = {line.key: line for line in dealer_kpis(facts, now) if line.by == "ownership"}
    franchised, owned = lines["franchised"], lines["owned"]
    assert franchised.repairs_with_serial > 120
    assert owned.repairs_with_serial > 120
    assert franchised.genuine_parts_ratio < owned.genuine_parts_ratio
    assert franchised.repeat_repair_rate > 1.5 * owned.repeat_repair_rate

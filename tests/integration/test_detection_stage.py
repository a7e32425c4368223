"""Batches count, the detector evaluates in rounds of its own: flags follow stored counts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from pipeline.bootstrap import build_detector, build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.detection import Signature
from pipeline.jobs.batch.decode import decode_batch
from pipeline.jobs.detector import DetectionRunner
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.tables import DefectFlagRow, OutboxRow
from schemas.events import InboundEvent
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.e2e.streams import complaint_stream
from tests.helpers import raw, write_batch

TOPICS = Topics()
T0 = datetime(2023, 1, 2, tzinfo=UTC)


def _run(engine: Engine, events: list[InboundEvent], batch: int) -> None:
    """Archive in batches of ``batch``, with a detector round after each (a busy detector)."""
    settings = Settings()
    steps = build_steps(settings)
    detector = DetectionRunner(engine, build_detector(settings), clock=lambda: T0)
    factory = session_factory(engine)
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        messages = [
            Message(TOPICS.feedback, 0, start + i, b"k", raw(e)) for i, e in enumerate(chunk)
        ]
        with factory.begin() as session:
            write_batch(
                session,
                decode_batch(messages, TOPICS, T0),
                now=T0,
                deadletter_topic=TOPICS.deadletter,
                steps=steps,
            )
        detector.run()


def _flags(engine: Engine) -> list[tuple[str, str, str, str, str, str]]:
    with session_factory(engine)() as session:
        return sorted(
            (
                r.brand,
                r.model,
                r.variant,
                r.component,
                r.method,
                r.first_raised_at.date().isoformat(),
            )
            for r in session.scalars(select(DefectFlagRow))
        )


@both_warehouses()
def test_a_burst_of_compressor_complaints_raises_a_flag_with_evidence(warehouse: Engine) -> None:
    _run(warehouse, complaint_stream(), batch=500)
    with session_factory(warehouse)() as session:
        flags = session.scalars(
            select(DefectFlagRow).where(DefectFlagRow.component == "HVAC")
        ).all()
        published = [json.loads(v) for v in session.scalars(select(OutboxRow.value))]
    raised = [f for f in flags if f.variant == "2022" and f.model == "Model 0"]
    assert raised, "the compressor burst must raise a flag on Model 0 / 2022 / HVAC"
    flag = raised[0]
    assert flag.first_raised_at >= T0 + timedelta(days=380)
    assert flag.evidence["observed"] > flag.evidence.get("expected", 0)
    assert flag.evidence["sample_event_ids"]
    assert any(
        p["event_type"] == "defect_flag.changed" and p["flag_id"] == flag.flag_id for p in published
    )


def test_slow_arrival_and_fast_replay_give_identical_flags(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.migrate import upgrade

    results = []
    for batch in (7, 1000):
        engine = make_engine(f"sqlite:///{tmp_path / f'b{batch}.db'}")
        upgrade(engine)
        _run(engine, complaint_stream(), batch=batch)
        results.append(_flags(engine))
        engine.dispose()
    assert results[0] == results[1]
    assert results[0], "the stream must raise at least one flag"


@both_warehouses()
def test_stored_counts_read_back_as_the_same_day_series(warehouse: Engine) -> None:
    from datetime import date

    from pipeline.detection import DayCount, Signature
    from pipeline.warehouse.detection_store import SqlCountStore

    sig = Signature("Helio", "ThermoSplit 9", "rev B", "HVAC.COMPRESSOR")
    days = [date(1999, 12, 31), date(2024, 2, 29), date(2024, 3, 1), date(2038, 1, 19)]
    with session_factory(warehouse).begin() as session:
        SqlCountStore(session).add({(sig, d): DayCount(i + 1, i) for i, d in enumerate(days)})
    with session_factory(warehouse)() as session:
        store = SqlCountStore(session)
        series = store.series([sig])[sig]
        recent = store.series([sig], since=date(2024, 3, 1))[sig]
    assert list(series.days) == [d.toordinal() for d in days]
    assert (list(series.n), list(series.severe)) == ([1, 2, 3, 4], [0, 1, 2, 3])
    assert list(recent.days) == [date(2024, 3, 1).toordinal(), date(2038, 1, 19).toordinal()]


def _sig() -> Signature:
    return Signature("Helio", "ThermoSplit 9", "rev B", "HVAC.COMPRESSOR")


@both_warehouses()
def test_a_signature_marked_again_during_a_round_stays_pending(warehouse: Engine) -> None:
    from pipeline.warehouse import detection_store
    from pipeline.warehouse.watermark import advance_watermark

    sig, other = _sig(), replace(_sig(), component="HVAC.FAN")
    factory = session_factory(warehouse)
    with factory.begin() as session:
        advance_watermark(session, T0)
        detection_store.mark_pending(session, [sig, other])
        detection_store.mark_pending(session, [sig])
    detector = build_detector(Settings())
    with factory() as session:
        found = detector.plan(session)
    assert found is not None
    assert dict(found.seen) == {sig: 2, other: 1}
    with factory.begin() as session:  # a batch commits while the round evaluates
        detection_store.mark_pending(session, [sig])
    with factory.begin() as session:
        detector.apply(session, found, T0)
    with factory() as session:
        assert detection_store.pending(session) == {sig: 3}


@pytest.mark.parametrize("warehouse_url", ["postgresql"], indirect=True)
def test_detectors_of_two_workers_never_evaluate_one_signature_at_once(
    warehouse: Engine,
) -> None:
    from pipeline.warehouse import detection_store
    from pipeline.warehouse.watermark import advance_watermark

    sig, other = _sig(), replace(_sig(), component="HVAC.FAN")
    factory = session_factory(warehouse)
    with factory.begin() as session:
        advance_watermark(session, T0)
        detection_store.mark_pending(session, [sig, other])
    with factory.begin() as first:
        assert detection_store.try_lock_signatures(first, [sig]) == {sig}
        with factory.begin() as second:
            found = build_detector(Settings()).plan(second)
            assert found is not None
            assert dict(found.seen) == {other: 1}
            build_detector(Settings()).apply(second, found, T0)
    with factory.begin() as session:
        assert detection_store.pending(session) == {sig: 1}
        assert detection_store.try_lock_signatures(session, [sig]) == {sig}

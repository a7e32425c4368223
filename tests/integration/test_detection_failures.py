"""A signature the detector cannot judge is set aside and reported; the others go on."""

from __future__ import annotations

import importlib
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from pipeline.bootstrap import build_detector, build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.detection import Signature
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.jobs.detector import DetectionRunner
from pipeline.warehouse import detection_store
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.tables import DefectFlagRow, UnitsSoldRow
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.e2e.streams import complaint_stream
from tests.helpers import raw

TOPICS = Topics()
NOW = datetime(2030, 1, 1, tzinfo=UTC)
POISONED = Signature("Acme", "Model 1", "2022", "ELECTRICAL")
# The module, not the function of the same name that pipeline.detection exports.
evaluate_module = importlib.import_module("pipeline.detection.evaluate")


def _archive(engine: Engine, events: list[Any]) -> DetectionRunner:
    settings = Settings()
    steps = build_steps(settings)
    processor = BatchProcessor(engine, TOPICS, steps, clock=lambda: NOW)
    processor.process([Message(TOPICS.feedback, 0, i, b"k", raw(e)) for i, e in enumerate(events)])
    return DetectionRunner(engine, build_detector(settings), clock=lambda: NOW)


def _flagged(engine: Engine) -> set[tuple[str, str]]:
    with session_factory(engine)() as session:
        return {(r.model, r.component) for r in session.scalars(select(DefectFlagRow))}


@both_warehouses()
def test_a_signature_that_fails_is_set_aside_and_the_others_are_still_flagged(
    warehouse: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    judge = evaluate_module._without_base

    def poisoned(signature: Signature, *args: Any) -> Any:
        if signature == POISONED:
            raise OverflowError("math range error")
        return judge(signature, *args)

    monkeypatch.setattr(evaluate_module, "_without_base", poisoned)
    runner = _archive(warehouse, complaint_stream())

    with caplog.at_level(logging.WARNING, logger="pipeline.jobs.detector"):
        outcome = runner.run()

    assert outcome.stats["signatures_failed"] == 1
    assert ("Model 0", "HVAC") in _flagged(warehouse)
    assert any(
        "Acme/Model 1/2022/ELECTRICAL" in r.getMessage() and "OverflowError" in r.getMessage()
        for r in caplog.records
    )
    with session_factory(warehouse)() as session:
        state = detection_store.load_states(session, [POISONED])[POISONED]
        assert state.error == "OverflowError: math range error"
        assert POISONED not in detection_store.pending(session)
    # Not retried while nothing new arrives ...
    assert "signatures_failed" not in runner.run().stats
    # ... and retried, then cleared, once new counts mark it again.
    monkeypatch.setattr(evaluate_module, "_without_base", judge)
    with session_factory(warehouse).begin() as session:
        detection_store.mark_pending(session, [POISONED])
    assert runner.run().stats["signatures_failed"] == 0
    with session_factory(warehouse)() as session:
        assert detection_store.load_states(session, [POISONED])[POISONED].error is None


@both_warehouses()
def test_units_sold_in_year_zero_are_left_out_without_stopping_a_round(
    warehouse: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    runner = _archive(warehouse, complaint_stream())
    with session_factory(warehouse).begin() as session:
        for month, count in (("0000-01", 500), ("2023-13", 10)):
            session.add(
                UnitsSoldRow(brand="Acme", model="Model 0", variant="2022", market="US",
                             month=month, count=count, reported_at=NOW)
            )  # fmt: skip

    with caplog.at_level(logging.WARNING):
        outcome = runner.run()

    assert outcome.stats["units_sold_rows_skipped"] == 2
    assert outcome.stats["signatures_failed"] == 0
    assert ("Model 0", "HVAC") in _flagged(warehouse)
    assert any("0000-01" in r.getMessage() for r in caplog.records)

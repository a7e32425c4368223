"""Batches and detection rounds in child processes, so neither competes with Faust (or each
other) for the GIL."""

from __future__ import annotations

import asyncio
import logging.config
import multiprocessing
import os
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from pipeline.common.config import Settings
from pipeline.common.errors import PipelineError
from pipeline.common.logs import logging_config
from pipeline.detector import DetectionRunner, RoundOutcome
from pipeline.harness import process_group
from pipeline.quarantine import WarehouseUnreachable
from pipeline.service import BatchProcessor
from pipeline.stages import build_detector, build_stages
from pipeline.triage import Message
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.writer import BatchOutcome


class WarehouseUnavailable(PipelineError):
    """The child's warehouse transaction failed; the batch is retried, offsets stay put."""


DETECTOR_NICENESS = 10
"""How much lower the detector's CPU priority is than the batches'."""

_in_child: dict[str, Any] = {}
"""The child's processor or detection runner, set by its initializer (one per child process)."""


def _start_child(settings: Settings, role: str) -> None:
    # A SIGKILLed worker must not leave its child behind; a SIGTERM or Ctrl-C sent to the whole
    # process group must not cut a batch short: the worker stops, then closes the child.
    process_group.die_with_parent()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.config.dictConfig(logging_config(settings))
    engine = make_engine(settings.warehouse_url)
    if role == "detection":
        # Archiving is what latency is measured on; detection takes the CPU batches leave.
        os.nice(DETECTOR_NICENESS)
        _in_child[role] = DetectionRunner(engine, build_detector(settings))
        return
    enrich, stages = build_stages(settings)
    _in_child[role] = BatchProcessor(
        engine=engine,
        topics=settings.topics,
        enrich=enrich,
        stages=stages,
        max_future=settings.max_future_skew,
    )


def _ready() -> bool:
    return bool(_in_child)


@contextmanager
def _warehouse_errors() -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, WarehouseUnreachable) as exc:
        # Driver exceptions do not always survive pickling; their type and text do.
        raise WarehouseUnavailable(f"{type(exc).__name__}: {str(exc)[:500]}") from None


def _process(messages: Sequence[Message], claimant: str, delivered: list[int]) -> BatchOutcome:
    with _warehouse_errors():
        processor: BatchProcessor = _in_child["batches"]
        return processor.process(messages, claimant=claimant, delivered=delivered)


def _detect(claimant: str) -> RoundOutcome:
    with _warehouse_errors():
        runner: DetectionRunner = _in_child["detection"]
        return runner.run(claimant)


class _Child:
    """One spawned child process that runs one role's calls in turn."""

    role = ""

    def __init__(self, settings: Settings) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            # Spawned, not forked: the parent runs threads and open connections by now.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(settings, self.role),
        )

    async def started(self) -> None:
        """Wait until the child has loaded what it runs (a broken start raises here)."""
        await asyncio.wrap_future(self._pool.submit(_ready))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DetectionChild(_Child):
    """The worker's detector, evaluating pending signatures while batches go on."""

    role = "detection"

    async def round(self, claimant: str) -> RoundOutcome:
        """One detector round (DetectionRunner.run) in the child."""
        return await asyncio.wrap_future(self._pool.submit(_detect, claimant))


class ProcessingChild(_Child):
    """The child holding the worker's stages; batches run there one at a time."""

    role = "batches"

    async def process(
        self, messages: Sequence[Message], claimant: str, delivered: Sequence[int] = ()
    ) -> BatchOutcome:
        """BatchProcessor.process in the child (see there for the outbox arguments)."""
        future = self._pool.submit(_process, list(messages), claimant, list(delivered))
        return await asyncio.wrap_future(future)

"""Batches and detection rounds in child processes, so neither competes with Faust (or each
other) for the GIL."""

from __future__ import annotations

import asyncio
import functools
import logging.config
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from consumers.sink import WarehouseUnavailable
from pipeline.bootstrap import build_detection_runner, build_processor
from pipeline.common.config import Settings
from pipeline.common.logs import logging_config
from pipeline.common.records import Message
from pipeline.harness import process_group
from pipeline.jobs.batch.model import BatchOutcome
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.jobs.batch.quarantine import WarehouseUnreachable
from pipeline.jobs.detector import DetectionRunner, RoundOutcome

DETECTOR_NICENESS = 10
"""How much lower the detector's CPU priority is than the batches'."""

Job = TypeVar("Job", BatchProcessor, DetectionRunner)

_jobs: list[BatchProcessor | DetectionRunner] = []
"""The job this child process runs, built by its initializer (one child, one job)."""


def _start_child(settings: Settings, build: Callable[[], object], niceness: int) -> None:
    # A SIGKILLed worker must not leave its child behind; a SIGTERM or Ctrl-C sent to the whole
    # process group must not cut a batch short: the worker stops, then closes the child.
    process_group.die_with_parent()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.config.dictConfig(logging_config(settings))
    if niceness:
        os.nice(niceness)
    _jobs.append(build())  # type: ignore[arg-type]


def _ready() -> bool:
    return bool(_jobs)


@contextmanager
def _warehouse_errors() -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, WarehouseUnreachable) as exc:
        # Driver exceptions do not always survive pickling; their type and text do.
        raise WarehouseUnavailable(f"{type(exc).__name__}: {str(exc)[:500]}") from None


def _process(messages: Sequence[Message], claimant: str, delivered: list[int]) -> BatchOutcome:
    job = _jobs[0]
    assert isinstance(job, BatchProcessor)
    with _warehouse_errors():
        return job.process(messages, claimant=claimant, delivered=delivered)


def _detect(claimant: str) -> RoundOutcome:
    job = _jobs[0]
    assert isinstance(job, DetectionRunner)
    with _warehouse_errors():
        return job.run(claimant)


class _Child(Generic[Job]):
    """One spawned child process that runs one job's calls in turn."""

    def __init__(self, settings: Settings, build: Callable[[], Job], niceness: int = 0) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            # Spawned, not forked: the parent runs threads and open connections by now.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(settings, build, niceness),
        )

    async def started(self) -> None:
        """Wait until the child has loaded what it runs (a broken start raises here)."""
        await asyncio.wrap_future(self._pool.submit(_ready))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DetectionChild(_Child[DetectionRunner]):
    """The worker's detector, evaluating pending signatures while batches go on."""

    def __init__(self, settings: Settings) -> None:
        # Archiving is what latency is measured on; detection takes the CPU batches leave.
        build = functools.partial(build_detection_runner, settings)
        super().__init__(settings, build, DETECTOR_NICENESS)

    async def round(self, claimant: str) -> RoundOutcome:
        """One detector round (DetectionRunner.run) in the child."""
        return await asyncio.wrap_future(self._pool.submit(_detect, claimant))


class ProcessingChild(_Child[BatchProcessor]):
    """The child holding the worker's stages; batches run there one at a time."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, functools.partial(build_processor, settings))

    async def process(
        self, messages: Sequence[Message], claimant: str, delivered: Sequence[int] = ()
    ) -> BatchOutcome:
        """BatchProcessor.process in the child (see there for the outbox arguments)."""
        future = self._pool.submit(_process, list(messages), claimant, list(delivered))
        return await asyncio.wrap_future(future)

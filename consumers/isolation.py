"""Batch processing in a child process, so warehouse work never competes with Faust for the GIL."""

from __future__ import annotations

import asyncio
import logging.config
import multiprocessing
import signal
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from pipeline import children
from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.logs import logging_config
from pipeline.service import BatchProcessor
from pipeline.stages import build_stages
from pipeline.triage import Message
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.writer import BatchOutcome, Claimed


class WarehouseUnavailable(PipelineError):
    """The child's warehouse transaction failed; the batch is retried, offsets stay put."""


_in_child: dict[str, BatchProcessor] = {}
"""The child's processor, set by its initializer (module state: one per child process)."""


def _start_child(settings: Settings) -> None:
    # A SIGKILLed worker must not leave its child behind; a SIGTERM or Ctrl-C sent to the whole
    # process group must not cut a batch short: the worker stops, then closes the child.
    children.die_with_parent()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.config.dictConfig(logging_config(settings))
    enrich, stages = build_stages(settings)
    _in_child["processor"] = BatchProcessor(
        engine=make_engine(settings.warehouse_url),
        topics=settings.topics,
        enrich=enrich,
        stages=stages,
    )


def _ready() -> bool:
    return "processor" in _in_child


@contextmanager
def _warehouse_errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        # Driver exceptions do not always survive pickling; their type and text do.
        raise WarehouseUnavailable(f"{type(exc).__name__}: {str(exc)[:500]}") from None


def _process(messages: Sequence[Message], claimant: str, delivered: list[int]) -> BatchOutcome:
    with _warehouse_errors():
        return _in_child["processor"].process(messages, claimant=claimant, delivered=delivered)


def _tick(claimant: str, delivered: list[int]) -> list[Claimed]:
    with _warehouse_errors():
        return _in_child["processor"].tick(claimant=claimant, delivered=delivered)


class ProcessingChild:
    """One child process holding the worker's stages; batches and ticks run there in turn."""

    def __init__(self, settings: Settings) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            # Spawned, not forked: the parent runs threads and open connections by now.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(settings,),
        )

    async def started(self) -> None:
        """Wait until the child has loaded its stages (a broken start raises here)."""
        await asyncio.wrap_future(self._pool.submit(_ready))

    async def process(
        self, messages: Sequence[Message], claimant: str, delivered: Sequence[int] = ()
    ) -> BatchOutcome:
        """BatchProcessor.process in the child (see there for the outbox arguments)."""
        future = self._pool.submit(_process, list(messages), claimant, list(delivered))
        return await asyncio.wrap_future(future)

    async def tick(self, claimant: str, delivered: Sequence[int] = ()) -> list[Claimed]:
        return await asyncio.wrap_future(self._pool.submit(_tick, claimant, list(delivered)))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

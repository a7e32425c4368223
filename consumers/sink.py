"""The batching sink between Faust's stream and the batch writers: hand-off, lanes, retry, acks.

Faust keeps gathering while the children write; each round of lanes is written at once and its
events acked in order, each only once written (a crash before redelivers them), the way Quix
Streams' sink checkpoints after its flush.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from consumers.handoff import Handoff, by_lane
from pipeline.common import metrics
from pipeline.common.clock import backoff_delays
from pipeline.common.errors import PipelineError
from pipeline.common.records import Claimed, Message
from pipeline.jobs.batch.model import BatchOutcome

log = logging.getLogger(__name__)

E = TypeVar("E")


class WarehouseUnavailable(PipelineError):
    """A lane's warehouse transaction failed; the batch is retried, offsets stay put."""


class Lane(Protocol):
    """Where one lane's batches are written (a child process in the worker)."""

    async def process(
        self, messages: Sequence[Message], claimant: str, delivered: Sequence[int] = ()
    ) -> BatchOutcome: ...


class Outbox(Protocol):
    """The relay's side of a batch: what it delivered since, and what the batch claimed."""

    @property
    def worker(self) -> str: ...

    def delivered(self) -> list[int]: ...

    def committed(self, forgotten: Sequence[int], claimed: Sequence[Claimed]) -> None: ...


Written = tuple[list[Any], list[Message], list[BatchOutcome], float]
"""One round of lanes: its stream events, their messages, the outcomes, when it committed."""


class BatchingSink(Generic[E]):
    """Takes what the stream gathers, writes it in lanes and acks it in order once written.

    ``put`` hands events over (it waits while twice a round's worth already waits, so Faust
    stops fetching). A writer task takes all that waits, up to ``batch_size`` per lane, splits
    it by partition into lanes, writes the lanes at once, and retries a lane the warehouse did
    not take with backoff. An acker task then acks the round's events in order and calls
    ``on_written``. One round is written at a time, under ``writing``, which other warehouse
    work of the worker (forgetting delivered outbox rows) shares.
    """

    def __init__(
        self,
        lanes: Sequence[Lane],
        outbox: Outbox,
        *,
        batch_size: int,
        to_message: Callable[[E], Message],
        ack: Callable[[E], Awaitable[Any]],
        on_written: Callable[[Written], None] = lambda _: None,
        writing: asyncio.Lock | None = None,
        retry_first_s: float = 0.5,
        retry_max_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lanes = list(lanes)
        self._outbox = outbox
        self._most = batch_size * len(self._lanes)
        self._handoff: Handoff[E] = Handoff(limit=2 * self._most)
        self._written: asyncio.Queue[Written] = asyncio.Queue()
        self._to_message = to_message
        self._ack = ack
        self._on_written = on_written
        self.writing = writing or asyncio.Lock()
        self._retry = (retry_first_s, retry_max_s)
        self._clock = clock

    async def put(self, events: Sequence[E]) -> None:
        await self._handoff.put(events)

    def start(self, on_done: Callable[[asyncio.Task[None]], None]) -> list[asyncio.Task[None]]:
        """Start the writer and the acker; ``on_done`` hears if either stops."""
        tasks = [asyncio.create_task(self._write_rounds()), asyncio.create_task(self._ack_rounds())]
        for task in tasks:
            task.add_done_callback(on_done)
        return tasks

    async def _write_rounds(self) -> None:
        while True:
            events = await self._handoff.take(self._most)
            messages = [self._to_message(e) for e in events]
            async with self.writing:
                delivered = self._outbox.delivered()
                outcomes = await self._write_lanes(messages, delivered)
            self._outbox.committed(delivered, [c for o in outcomes for c in o.claimed])
            # Acking thousands of events takes a while: it runs while the lanes write on.
            self._written.put_nowait((events, messages, outcomes, self._clock()))

    async def _ack_rounds(self) -> None:
        while True:
            round_ = await self._written.get()
            # Only now may these offsets be committed: a crash before this redelivers them.
            for event in round_[0]:
                await self._ack(event)
            self._on_written(round_)

    async def _write_lanes(
        self, messages: Sequence[Message], delivered: Sequence[int]
    ) -> list[BatchOutcome]:
        """Each lane's messages at once; the first lane forgets ``delivered``.

        A key's events share a partition number on every topic, so they share a lane too, and
        a lane sees them in order: lanes split the work as workers of one group do.
        """
        lanes = by_lane(messages, lambda m: m.partition, len(self._lanes))
        busy = [(lane, part) for lane, part in zip(self._lanes, lanes, strict=True) if part]
        return list(
            await asyncio.gather(
                *(
                    self._until_committed(lane, part, delivered if i == 0 else ())
                    for i, (lane, part) in enumerate(busy)
                )
            )
        )

    async def _until_committed(
        self, lane: Lane, messages: Sequence[Message], delivered: Sequence[int]
    ) -> BatchOutcome:
        """Retry the batch until the warehouse takes it; offsets stay put meanwhile."""
        delays = backoff_delays(*self._retry)
        while True:
            started = time.perf_counter()
            try:
                outcome = await lane.process(messages, self._outbox.worker, delivered)
            except WarehouseUnavailable as exc:
                metrics.WAREHOUSE_ERRORS.inc()
                metrics.WAREHOUSE_UP.set(0)
                delay = next(delays)
                log.warning(
                    "warehouse unavailable (%s); retrying batch of %d in %.1fs",
                    str(exc).partition(":")[0],
                    len(messages),
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            metrics.WAREHOUSE_UP.set(1)
            metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
            return outcome

"""Events handed from Faust's stream to the batch writer; while it writes, the next batch grows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    """A bounded queue of events taken in batches: each batch is all that waited, up to ``max_``.

    Faust keeps consuming (its per-message work is most of the worker process's CPU) while the
    child writes, so batches grow to match the writer's pace instead of a fixed time window.
    ``put`` waits once ``limit`` events wait: Faust then stops fetching.
    """

    def __init__(self, limit: int) -> None:
        self._waiting: list[T] = []
        self._limit = limit
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    def __len__(self) -> int:
        return len(self._waiting)

    async def put(self, items: Sequence[T]) -> None:
        self._waiting.extend(items)
        if self._waiting:
            self._ready.set()
        if len(self._waiting) >= self._limit:
            self._room.clear()
            await self._room.wait()

    async def take(self, max_: int) -> list[T]:
        await self._ready.wait()
        batch, self._waiting = self._waiting[:max_], self._waiting[max_:]
        if not self._waiting:
            self._ready.clear()
        if len(self._waiting) < self._limit:
            self._room.set()
        return batch


def by_lane(items: Sequence[T], partition_of: Callable[[T], int], lanes: int) -> list[list[T]]:
    """Items split into lanes by partition number modulo ``lanes``, each lane in batch order."""
    out: list[list[T]] = [[] for _ in range(lanes)]
    for item in items:
        out[partition_of(item) % lanes].append(item)
    return out

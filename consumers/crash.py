"""Crash reports: the traceback, and where in the log the batch being handled came from."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

MAX_RANGES = 50
"""Topic-partitions listed in one crash line; a batch rarely spans more."""


@dataclass(frozen=True)
class Position:
    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


def position(item: Any) -> Position | None:
    """Where a message (ours, or a Faust event's) sits in the log; None for anything else."""
    message = getattr(item, "message", item)
    topic = getattr(message, "topic", None)
    partition = getattr(message, "partition", None)
    offset = getattr(message, "offset", None)
    if isinstance(topic, str) and isinstance(partition, int) and isinstance(offset, int):
        return Position(topic, partition, offset)
    return None


def _is_batch(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and position(value[0]) is not None
        and position(value[-1]) is not None
    )


def batch_in_traceback(exc: BaseException) -> Sequence[Any]:
    """The messages the failing code was handling, read from the frames the exception left.

    The innermost frame holding a list of messages wins: that is the narrowest batch (a lane's
    rather than the whole round's). Reading the traceback means no code on the hot path has to
    record what it holds just in case it fails.
    """
    frames = []
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            if _is_batch(value):
                return list(value)
    return ()


def offset_ranges(batch: Sequence[Any]) -> dict[str, str]:
    """``topic[partition]`` -> ``first-last`` offset of the batch's messages there."""
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    for item in batch:
        pos = position(item)
        if pos is None:
            continue
        key = (pos.topic, pos.partition)
        low, high = spans.get(key, (pos.offset, pos.offset))
        spans[key] = (min(low, pos.offset), max(high, pos.offset))
    return {
        f"{t}[{p}]": f"{low}-{high}" for (t, p), (low, high) in sorted(spans.items())[:MAX_RANGES]
    }


def log_crash(logger: logging.Logger, exc: BaseException) -> None:
    """One ERROR line: the exception with its traceback and, when a batch was being handled,
    the first and last message's topic, partition and offset and the offsets per partition."""
    exc_info = (type(exc), exc, exc.__traceback__)
    batch = batch_in_traceback(exc)
    first = position(batch[0]) if batch else None
    last = position(batch[-1]) if batch else None
    if first is None or last is None:
        logger.error("worker crashed: %r", exc, exc_info=exc_info)
        return
    ranges = offset_ranges(batch)
    logger.error(
        "worker crashed: %r while handling %d message(s), first %s, last %s (offsets %s)",
        exc,
        len(batch),
        first,
        last,
        ", ".join(f"{tp}@{span}" for tp, span in ranges.items()),
        exc_info=exc_info,
        extra={
            "topic": first.topic,
            "partition": first.partition,
            "offset": first.offset,
            "batch_size": len(batch),
            "batch_first": str(first),
            "batch_last": str(last),
            "batch_offsets": ranges,
        },
    )

"""Poison quarantine: a batch the warehouse or a stage cannot take is split until the events that
cause it are found; those become dead letters and the rest is written."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from pipeline.common.errors import PipelineError
from pipeline.jobs.batch.decode import UNPROCESSABLE, Accepted, DeadLettered, Triaged, dead_letter
from pipeline.jobs.batch.model import BatchOutcome, BatchStats
from schemas.codec import Rejected, encode

log = logging.getLogger(__name__)

_RETRY_LATER_SQLSTATES: Final = frozenset(
    {
        "40001",  # serialization failure
        "40P01",  # deadlock
        "55P03",  # lock not available
        "57014",  # query cancelled (statement timeout)
        "53300",  # too many connections
        "53200",  # out of memory
        "53100",  # disk full
        "57P01",  # admin shutdown
        "57P02",  # crash shutdown
        "57P03",  # cannot connect now
    }
)
"""PostgreSQL errors that say nothing about the data: the batch is retried, not split."""


class WarehouseUnreachable(PipelineError):
    """The warehouse could not be reached or was busy; the whole batch is retried later."""


Unit = Accepted | DeadLettered
Write = Callable[[Triaged], BatchOutcome]


@dataclass(frozen=True)
class Quarantine:
    """Writes batches so that no single event can stop the rest.

    ``write`` writes one part of a batch in a transaction of its own; ``reachable`` answers
    whether the warehouse still takes simple statements, which tells a failure caused by the
    data (the batch is split) from one caused by the warehouse (the batch waits for it).
    """

    write: Write
    reachable: Callable[[], bool]
    received_at: datetime

    def run(self, batch: Triaged) -> list[BatchOutcome]:
        units: list[Unit] = [*batch.dead, *batch.accepted]
        return self._write_all(units)

    def _write_all(self, units: Sequence[Unit]) -> list[BatchOutcome]:
        try:
            return [self.write(_batch_of(units))]
        except Exception as exc:
            if self._retry_later(exc):
                raise WarehouseUnreachable(f"{type(exc).__name__}: {str(exc)[:300]}") from exc
            if len(units) == 1:
                return [self._set_aside(units[0], exc)]
        # Halves keep arrival order: the first half is written before the second.
        middle = len(units) // 2
        return self._write_all(units[:middle]) + self._write_all(units[middle:])

    def _set_aside(self, unit: Unit, exc: Exception) -> BatchOutcome:
        message = unit.message if isinstance(unit, Accepted) else None
        log.error(
            "set aside as unprocessable: %s at %s",
            type(exc).__name__,
            _where(unit),
            exc_info=exc,
        )
        if isinstance(unit, Accepted):
            assert message is not None
            error = f"{type(exc).__name__}: {exc}"
            rejected = Rejected(UNPROCESSABLE, error, unit.item_index)
            # One event of a batch message is kept as its own bytes, so a replay sends it alone.
            value = encode(unit.event) if unit.item_index is not None else None
            dead = dead_letter(
                message, rejected, self.received_at, value=value, exception=_qualname(exc)
            )
            return self._write_dead_letter(dead)
        return self._write_dead_letter(_bare(unit, exc))

    def _write_dead_letter(self, dead: DeadLettered) -> BatchOutcome:
        try:
            return self.write(Triaged([], [dead]))
        except Exception as exc:
            if self._retry_later(exc):
                raise WarehouseUnreachable(f"{type(exc).__name__}: {str(exc)[:300]}") from exc
            # The record itself would not store: keep the original bytes with the least text.
            return self.write(Triaged([], [_bare(dead, exc)]))

    def _retry_later(self, exc: Exception) -> bool:
        return _transient(exc) or not self.reachable()


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, WarehouseUnreachable | DisconnectionError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if isinstance(state, str) and (state in _RETRY_LATER_SQLSTATES or state[:2] == "08"):
            return True
        if isinstance(orig, sqlite3.OperationalError):
            text = str(orig).lower()
            return "locked" in text or "busy" in text or "unable to open" in text
    return False


def _bare(dead: DeadLettered, exc: Exception) -> DeadLettered:
    record = dead.record.model_copy(
        update={"error": f"{_qualname(exc)} (the full error could not be stored)"}
    )
    return DeadLettered(dead.dead_letter_id, record, dead.key, dead.value, (), _qualname(exc))


def _batch_of(units: Sequence[Unit]) -> Triaged:
    return Triaged(
        [u for u in units if isinstance(u, Accepted)],
        [u for u in units if isinstance(u, DeadLettered)],
    )


def _where(unit: Unit) -> str:
    if isinstance(unit, Accepted):
        m = unit.message
        item = f" item {unit.item_index}" if unit.item_index is not None else ""
        return f"{m.topic}[{m.partition}]@{m.offset}{item} event {unit.event.id_text}"
    r = unit.record
    return f"{r.topic}[{r.partition}]@{r.offset} (dead letter {r.reason})"


def _qualname(exc: BaseException) -> str:
    kind = type(exc)
    return f"{kind.__module__}.{kind.__qualname__}"


def merge(outcomes: Sequence[BatchOutcome]) -> BatchOutcome:
    """One outcome for the parts of a batch written apart."""
    if len(outcomes) == 1:
        return outcomes[0]
    return BatchOutcome(
        archived=sum(o.archived for o in outcomes),
        duplicates=sum(o.duplicates for o in outcomes),
        dead_letters=sum(o.dead_letters for o in outcomes),
        dead_by_reason=_add(o.dead_by_reason for o in outcomes),
        by_type=_add(o.by_type for o in outcomes),
        stats=sum((o.stats for o in outcomes), BatchStats()),
        claimed=[c for o in outcomes for c in o.claimed],
    )


def _add(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for key, n in one.items():
            total[key] = total.get(key, 0) + n
    return total

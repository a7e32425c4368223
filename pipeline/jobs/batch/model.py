"""The batch's vocabulary: the batch the stages share, what it counts, and what it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Protocol

from pipeline.common.records import Claimed, Outgoing, event_message
from pipeline.enrichment import Enrichment
from pipeline.jobs.batch.decode import Accepted
from pipeline.jobs.batch.ports import UnitOfWork


@dataclass
class BatchStats:
    """What a batch's stages did, beyond archiving (logged, and counted in metrics)."""

    cases_changed: int = 0
    cases_escalated: int = 0
    followups_scheduled: int = 0
    followups_cancelled: int = 0
    customers_erased: int = 0
    flag_decisions: int = 0
    corrective_actions: int = 0

    def __add__(self, other: BatchStats) -> BatchStats:
        return BatchStats(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in _STATS}
        )

    def as_dict(self) -> dict[str, int]:
        """The counts that are not zero."""
        return {f.name: n for f in _STATS if (n := getattr(self, f.name))}


_STATS = fields(BatchStats)


@dataclass
class Batch:
    """One batch on its way through the stages: the events never archived before, in arrival
    order, and what the stages add to it (enrichment, messages to publish, counts)."""

    uow: UnitOfWork
    now: datetime
    new: list[Accepted]
    event_time: datetime | None = None
    """The event-time watermark after this batch (None when the batch had no new event)."""
    enrichment: dict[str, Enrichment] = field(default_factory=dict)
    """Event id -> what was inferred about the event (reference events have none)."""
    outbox: list[Outgoing] = field(default_factory=list)
    stats: BatchStats = field(default_factory=BatchStats)
    erasures: dict[str, str] = field(default_factory=dict)
    """Erasure requests of this batch: event id -> the customer id their archived copy no longer
    names (they are archived pseudonymised; the erasure stage needs the id)."""


class Stage(Protocol):
    """One step of a batch, run in the batch's transaction."""

    def __call__(self, batch: Batch) -> None: ...


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    archived: int
    duplicates: int
    dead_letters: int
    dead_by_reason: Mapping[str, int]
    by_type: Mapping[str, int]
    stats: BatchStats = field(default_factory=BatchStats)
    claimed: Sequence[Claimed] = ()
    """Outbox messages this batch wrote, already claimed for the caller to publish."""


__all__ = ["Batch", "BatchOutcome", "BatchStats", "Stage", "event_message"]

"""The batch processor: decode, then one warehouse transaction with every step. No Kafka here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipeline.common.clock import Clock, wall_clock
from pipeline.common.records import Message
from pipeline.common.tracing import log_traced
from pipeline.jobs.batch.decode import Triaged, decode_batch
from pipeline.jobs.batch.handle import Steps, handle_batch
from pipeline.jobs.batch.model import BatchOutcome
from pipeline.jobs.batch.quarantine import Quarantine, merge
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.operations import WarehouseOps
from pipeline.warehouse.unit_of_work import SqlUnitOfWork
from schemas.topics import Topics

log = logging.getLogger(__name__)


@dataclass
class BatchProcessor:
    """Turns a batch of Kafka messages into warehouse state and outbox messages, atomically."""

    engine: Engine
    topics: Topics
    steps: Steps = field(default_factory=Steps)
    clock: Clock = wall_clock
    max_future: timedelta | None = None
    """How far past the clock an event may be dated (None: no limit); see decode_batch."""
    _sessions: sessionmaker[Session] = field(init=False)
    _ops: WarehouseOps = field(init=False)

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)
        self._ops = WarehouseOps(self.engine, self.clock)

    def process(
        self,
        messages: Sequence[Message],
        *,
        claimant: str | None = None,
        delivered: Sequence[int] = (),
    ) -> BatchOutcome:
        """Write one batch; the outbox rows in ``delivered`` (published since) are forgotten in
        the same transaction, and what the batch adds to the outbox is claimed for ``claimant``.

        A batch is one transaction. If the warehouse or a stage fails on its data, the batch is
        split until the events at fault are found; they become ``unprocessable`` dead letters
        and the rest is written in as many transactions as the split took. A warehouse that
        cannot be reached raises WarehouseUnreachable: the caller retries the whole batch, and
        parts already written are skipped as duplicates.
        """
        now = self.clock()
        batch = decode_batch(messages, self.topics, now, self.max_future)
        log_traced(log, batch)
        forget = list(delivered)

        def write(part: Triaged) -> BatchOutcome:
            with self._sessions.begin() as session:
                uow = SqlUnitOfWork(session)
                uow.outbox.forget(forget)
                outcome = handle_batch(
                    uow,
                    part,
                    self.steps,
                    now=now,
                    deadletter_topic=self.topics.deadletter,
                    claimant=claimant,
                )
            forget.clear()  # the first part that commits forgets them
            return outcome

        return merge(Quarantine(write, self._ops.reachable, now).run(batch))

"""The batch processor: triage, then one warehouse transaction with every stage. No Kafka here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.common.clock import Clock, wall_clock
from pipeline.common.tracing import log_traced
from pipeline.quarantine import Quarantine, merge
from pipeline.triage import Message, Triaged, triage
from pipeline.warehouse import outbox, queries
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.writer import (
    BatchContext,
    BatchOutcome,
    Outgoing,
    Stage,
    write_batch,
)
from schemas.topics import Topics

log = logging.getLogger(__name__)


@dataclass
class BatchProcessor:
    """Turns a batch of Kafka messages into warehouse state and outbox messages, atomically."""

    engine: Engine
    topics: Topics
    clock: Clock = wall_clock
    stages: Sequence[Stage] = ()
    enrich: Callable[[BatchContext], None] | None = None
    max_future: timedelta | None = None
    """How far past the clock an event may be dated (None: no limit); see triage."""
    _sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)

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
        batch = triage(messages, self.topics, now, self.max_future)
        log_traced(log, batch)
        forget = list(delivered)

        def write(part: Triaged) -> BatchOutcome:
            with self._sessions.begin() as session:
                outbox.forget(session, forget)
                outcome = write_batch(
                    session,
                    part,
                    now=now,
                    deadletter_topic=self.topics.deadletter,
                    enrich=self.enrich,
                    stages=self.stages,
                    claimant=claimant,
                )
            forget.clear()  # the first part that commits forgets them
            return outcome

        return merge(Quarantine(write, self.reachable, now).run(batch))

    def gauges(self) -> dict[str, object]:
        with self._sessions() as session:
            return queries.state_gauges(session)

    def claim_outbox(self, worker: str, limit: int = 500) -> list[tuple[int, Outgoing]]:
        with self._sessions.begin() as session:
            return outbox.claim(session, worker, self.clock(), limit)

    def forget_outbox(self, ids: Sequence[int]) -> None:
        with self._sessions.begin() as session:
            outbox.forget(session, ids)

    def ping(self) -> None:
        """Raise if the warehouse cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def reachable(self) -> bool:
        """Whether the warehouse answers a trivial statement now."""
        try:
            self.ping()
        except SQLAlchemyError:
            return False
        return True


__all__ = ["BatchContext", "BatchOutcome", "BatchProcessor"]

"""The batch processor: triage, then one warehouse transaction with every stage. No Kafka here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipeline.clock import Clock, wall_clock
from pipeline.triage import Message, triage
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
        the same transaction, and what the batch adds to the outbox is claimed for ``claimant``."""
        now = self.clock()
        batch = triage(messages, self.topics, now)
        with self._sessions.begin() as session:
            outbox.forget(session, delivered)
            return write_batch(
                session,
                batch,
                now=now,
                deadletter_topic=self.topics.deadletter,
                enrich=self.enrich,
                stages=self.stages,
                claimant=claimant,
            )

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
        from sqlalchemy import text

        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


__all__ = ["BatchContext", "BatchOutcome", "BatchProcessor"]

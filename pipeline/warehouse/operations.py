"""The warehouse as a worker's parent process uses it: readiness, gauges, the outbox relay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.common.clock import Clock, wall_clock
from pipeline.common.records import Claimed
from pipeline.warehouse import outbox
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.read.counts import state_gauges


@dataclass
class WarehouseOps:
    """Short transactions beside the batches: each method opens and closes its own."""

    engine: Engine
    clock: Clock = wall_clock
    _sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)

    def gauges(self) -> dict[str, object]:
        with self._sessions() as session:
            return state_gauges(session)

    def claim_outbox(self, worker: str, limit: int = 500) -> list[Claimed]:
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

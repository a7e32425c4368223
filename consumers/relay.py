"""The outbox relay: publish what committed batches claimed, then let the next batch forget it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from faust.exceptions import ProducerSendError
from sqlalchemy.exc import SQLAlchemyError

from pipeline.common import metrics
from pipeline.common.records import Claimed
from pipeline.warehouse.operations import WarehouseOps
from schemas.cloudevents import with_source

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 10.0


class OutboxRelay:
    """Batches (and detector rounds) claim their outbox rows as they write them, so publishing
    needs no extra warehouse round trip; the ids of delivered rows ride along with the next
    batch, which deletes them in its own transaction (on a quiet stream, a timer does).

    Chunks are published one at a time, in the order they were handed over. A chunk that fails
    stays claimed; once its claim expires, ``take_over_leftovers`` (here or on another worker)
    claims it again: at least once, as the outbox always was.
    """

    def __init__(
        self,
        app: Any,
        warehouse: WarehouseOps,
        worker: str,
        writing: asyncio.Lock,
        source: str = "urn:aftersales",
    ) -> None:
        self._app = app
        self._source = source
        self._processor = warehouse
        self._worker = worker
        self._writing = writing
        self._turn = asyncio.Lock()
        self._delivered: list[int] = []
        self._publishing: set[asyncio.Task[None]] = set()

    @property
    def worker(self) -> str:
        return self._worker

    def delivered(self) -> list[int]:
        """Ids published and not yet forgotten: pass them to the next batch."""
        return list(self._delivered)

    def committed(self, forgotten: Sequence[int], claimed: Sequence[Claimed]) -> None:
        """A batch, detector round or quiet-stream forget committed: it deleted ``forgotten``
        (what ``delivered`` gave it) and claimed ``claimed``, published in the background after
        every chunk handed over before."""
        gone = set(forgotten)
        self._delivered = [i for i in self._delivered if i not in gone]
        if not claimed:
            return
        task = asyncio.ensure_future(self._publish(claimed))
        self._publishing.add(task)
        task.add_done_callback(self._publishing.discard)

    async def take_over_leftovers(self) -> int:
        """Claim and publish rows nobody holds: written before a restart, or whose claim expired."""
        try:
            # The write turn keeps the claim from waiting on a batch's lock (SQLite).
            async with self._writing:
                claimed = await asyncio.to_thread(self._processor.claim_outbox, self._worker)
        except SQLAlchemyError as exc:
            log.warning("outbox relay paused: %s: %s", type(exc).__name__, str(exc)[:200])
            return 0
        await self._publish(claimed)
        return len(claimed)

    async def close(self) -> None:
        """Finish the chunks in flight and forget what was delivered (best effort)."""
        if self._publishing:
            await asyncio.wait(self._publishing, timeout=CLOSE_TIMEOUT_S)
        delivered = self.delivered()
        if not delivered:
            return
        try:
            async with self._writing:
                await asyncio.to_thread(self._processor.forget_outbox, delivered)
        except SQLAlchemyError as exc:
            log.warning("delivered outbox rows left for a later relay: %s", type(exc).__name__)
            return
        self.committed(delivered, ())

    async def _publish(self, claimed: Sequence[Claimed]) -> None:
        async with self._turn:
            try:
                await self._send(claimed)
            except (KafkaError, ProducerSendError) as exc:
                log.warning("outbox relay paused: %s: %s", type(exc).__name__, str(exc)[:200])
                return
            self._delivered.extend(i for i, _ in claimed)

    async def _send(self, claimed: Sequence[Claimed]) -> None:
        futures = []
        for _, o in claimed:
            try:
                headers = with_source(o.headers, self._source)
                futures.append(
                    await self._app.producer.send(
                        o.topic, o.key, o.value, None, None, headers or None
                    )
                )
            except ProducerSendError as exc:
                if not isinstance(exc.__cause__, MessageSizeTooLargeError):
                    raise
                # Never retriable; the state it announces is in the warehouse all the same.
                metrics.OUTBOX_UNDELIVERABLE.labels(o.topic).inc()
                log.error("dropping a %d-byte message for %s: %s", len(o.value), o.topic, exc)
        await asyncio.gather(*futures)
        for _, o in claimed:
            metrics.MESSAGES_PRODUCED.labels(o.topic).inc()

"""The retention timer: scrub old event bodies and delete old dead letters, off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time

import faust
from sqlalchemy.exc import SQLAlchemyError

from pipeline.common import metrics
from pipeline.common.config import Settings
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.operations import WarehouseOps
from pipeline.warehouse.retention import apply_retention

log = logging.getLogger(__name__)


def install_retention(app: faust.App, settings: Settings, warehouse: WarehouseOps) -> None:
    """Run the retention job every ``retention_interval_s`` (never when it is 0)."""
    if settings.retention_interval_s <= 0:
        return
    sessions = session_factory(warehouse.engine)
    key = settings.pseudonym_key.get_secret_value().encode()

    @app.timer(interval=settings.retention_interval_s, name="retention")
    async def retention() -> None:
        try:
            outcome = await asyncio.to_thread(
                apply_retention,
                sessions,
                now=warehouse.clock(),
                event_body_days=settings.retention_event_body_days,
                dead_letter_days=settings.retention_dead_letter_days,
                key=key,
            )
        except SQLAlchemyError as exc:
            log.warning("retention run failed, tried again next time: %s", type(exc).__name__)
            return
        metrics.RETENTION_EVENTS_SCRUBBED.inc(outcome.events_scrubbed)
        metrics.RETENTION_DEAD_LETTERS_DELETED.inc(outcome.dead_letters_deleted)
        metrics.RETENTION_LAST_RUN_UNIXTIME.set(time.time())
        log.info(
            "retention: %d event bodies scrubbed, %d dead letters deleted",
            outcome.events_scrubbed,
            outcome.dead_letters_deleted,
        )

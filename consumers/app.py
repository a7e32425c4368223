"""The Faust application: one archive agent, the outbox relay, and the ops endpoints."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import faust
import mode
from sqlalchemy.exc import SQLAlchemyError

from consumers import ops
from consumers.crash import log_crash
from consumers.isolation import DetectionChild, ProcessingChild
from consumers.relay import OutboxRelay
from consumers.retention import install_retention
from consumers.sink import BatchingSink, WarehouseUnavailable, Written
from consumers.transport import with_fetch_wait
from pipeline.common import metrics
from pipeline.common.config import Settings
from pipeline.common.kafka_security import faust_credentials
from pipeline.common.records import Message
from pipeline.jobs.batch.model import BatchOutcome
from pipeline.jobs.detector import Detector
from pipeline.warehouse.operations import WarehouseOps

log = logging.getLogger(__name__)

LEFTOVER_INTERVAL_S = 5.0
"""How often a worker looks for outbox rows nobody holds (its own batches claim what they write)."""
QUIET_AFTER_S = 1.0
"""A stream with no batch for this long has delivered outbox rows forgotten by a timer."""
MIN_DETECTION_GAP_S = 0.1
"""Shortest pause between detector rounds, whatever AFTERSALES_DETECTION_INTERVAL_S says."""


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{hostport.strip()}" for hostport in bootstrap.split(",") if hostport.strip()]


def credentials(settings: Settings) -> Any:
    """Faust's spelling of the configured SASL/TLS options (None for plaintext)."""
    return faust_credentials(settings)


def to_message(event: Any) -> Message:
    m = event.message
    ts = m.timestamp
    headers = m.headers.items() if isinstance(m.headers, Mapping) else (m.headers or ())
    return Message(
        m.topic,
        m.partition,
        m.offset,
        m.key,
        m.value,
        int(ts * 1000) if ts else None,
        tuple((str(name), bytes(value or b"")) for name, value in headers),
    )


def create_app(
    settings: Settings,
    warehouse: WarehouseOps,
    children: Sequence[ProcessingChild],
    detector: DetectionChild | None,
) -> faust.App:
    """Build the worker's Faust app; nothing connects until it starts.

    Batches run in ``children`` (one per lane), detection rounds in ``detector`` (none for an
    archive-only worker); ``warehouse`` serves the outbox relay, the gauges and the
    readiness check here.
    """
    app = faust.App(
        settings.consumer_group,
        broker=broker_urls(settings.require_bootstrap()),
        broker_credentials=credentials(settings),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        web_enabled=settings.metrics_port > 0,
        web_bind=settings.metrics_host,
        web_port=settings.metrics_port,
        web_in_thread=False,
        agent_supervisor=mode.CrashingSupervisor,
        store="memory://",
        # Nothing buffered needs draining: offsets only follow committed batches.
        stream_wait_empty=False,
        producer_acks=-1,
        datadir=str(settings.var_dir / "faust"),
    )
    with_fetch_wait(app, settings.fetch_max_wait_ms)
    worker_name = f"{socket.gethostname()}-{os.getpid()}"
    inbound = app.topic(*settings.topics.inbound, key_type=bytes, value_type=bytes)
    state = ops.WorkerState(warehouse=warehouse, started_at=time.time())
    relay = OutboxRelay(app, warehouse, worker_name, state.writing, settings.event_source)

    crashes: list[asyncio.Future[None]] = []

    def crash_on_error(task: asyncio.Task[None]) -> None:
        # A failed write stops the worker at once, not when the next message would arrive.
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Faust's own crash line has no traceback and no offsets: this one has both.
            log_crash(log, exc)
            crashes.append(asyncio.ensure_future(app.crash(exc)))

    @app.agent(inbound, name="archive")
    async def archive(stream: Any) -> None:
        await _archive(stream, settings, children, state, relay, crash_on_error)

    @app.task
    async def announce() -> None:
        log.info(
            "worker %s started: group %s, %d lane(s), stages %s, warehouse %s",
            worker_name,
            settings.consumer_group,
            len(children),
            settings.stages,
            settings.masked()["warehouse_url"],
            extra={"settings": settings.masked()},
        )

    @app.task
    async def start_children() -> None:
        # Loading the stages takes a moment; do it before the first batch waits on it.
        await asyncio.gather(
            *(child.started() for child in children), *([detector.started()] if detector else [])
        )

    @app.timer(interval=LEFTOVER_INTERVAL_S, name="outbox-leftovers")
    async def leftovers() -> None:
        while await relay.take_over_leftovers():
            pass

    @app.timer(interval=QUIET_AFTER_S, name="forget-delivered")
    async def forget_delivered() -> None:
        # Batches forget what the relay delivered; on a quiet stream this does it instead.
        def busy() -> bool:
            return time.time() - (state.last_batch_at or 0.0) < QUIET_AFTER_S

        delivered = relay.delivered()
        if not delivered or busy() or state.writing.locked():
            return
        async with state.writing:
            if busy():  # a batch finished while this waited for its turn
                return
            try:
                await asyncio.to_thread(warehouse.forget_outbox, delivered)
            except SQLAlchemyError as exc:
                log.warning("delivered outbox rows kept for later: %s", type(exc).__name__)
                return
        relay.committed(delivered, ())

    if detector is not None:
        _detection_rounds(app, settings, detector, relay)
    install_retention(app, settings, warehouse)

    @app.on_before_shutdown.connect
    async def close_relay(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        await relay.close()

    @app.timer(interval=5.0, name="lag-and-state-gauges")
    async def gauges() -> None:
        await _lag_gauges(app, settings.topics.inbound)
        try:
            values = await asyncio.to_thread(warehouse.gauges)
        except SQLAlchemyError:
            return
        ops.set_state_gauges(values)

    ops.install(app, state)
    return app


def _detection_rounds(
    app: faust.App, settings: Settings, detector: DetectionChild, relay: OutboxRelay
) -> None:
    """Run detector rounds every ``detection_interval_s``, one at a time, beside the batches."""

    @app.timer(interval=max(settings.detection_interval_s, MIN_DETECTION_GAP_S), name="detector")
    async def detect() -> None:
        # A full round leaves signatures pending: a backlog (a replay's) drains round after
        # round, not one round per interval; each pause as long as the round before it, so
        # the detector takes at most half the time and batches keep their latency.
        while not app.should_stop:
            started = time.perf_counter()
            if not await _detection_round(detector, relay):
                break
            await asyncio.sleep(max(MIN_DETECTION_GAP_S, time.perf_counter() - started))


async def _detection_round(detector: DetectionChild, relay: OutboxRelay) -> bool:
    """One detector round, counted; True when it judged as many signatures as a round takes."""
    started = time.perf_counter()
    try:
        outcome = await detector.round(relay.worker)
    except WarehouseUnavailable as exc:
        log.warning("detection round skipped: warehouse unavailable (%s)", exc)
        return False
    relay.committed((), outcome.claimed)
    metrics.DETECTION_ROUND_SECONDS.observe(time.perf_counter() - started)
    judged = outcome.stats.get("signatures_evaluated", 0)
    failed = outcome.stats.get("signatures_failed", 0)
    metrics.SIGNATURES_EVALUATED.inc(judged)
    metrics.SIGNATURES_FAILED.inc(failed)
    _count_flags(outcome.stats)
    return judged + failed >= Detector.limit


async def _archive(
    stream: Any,
    settings: Settings,
    children: Sequence[ProcessingChild],
    state: ops.WorkerState,
    relay: OutboxRelay,
    on_done: Callable[[asyncio.Task[None]], None],
) -> None:
    """Faust gathers batches; the sink writes them in lanes and acks them once written."""

    def written(round_: Written) -> None:
        _events, messages, outcomes, committed_at = round_
        state.last_batch_at = committed_at
        _count(outcomes, messages, committed_at)

    sink: BatchingSink[Any] = BatchingSink(
        children,
        relay,
        batch_size=settings.batch_size,
        to_message=to_message,
        ack=stream.ack,
        on_written=written,
        writing=state.writing,
        retry_max_s=settings.warehouse_retry_max_s,
    )
    tasks = sink.start(on_done)
    try:
        async for events in stream.noack_take(settings.batch_size, within=settings.batch_wait_s):
            await sink.put(events)
    finally:
        for task in tasks:
            task.cancel()


async def _lag_gauges(app: faust.App, topics: Collection[str]) -> None:
    """Messages behind the log end per topic, on the partitions this worker owns.

    The high watermark comes from fetch responses (right on every broker we know, unlike
    ListOffsets on some), the position from the consumer.
    """
    behind: dict[str, int] = {}
    consumer = app.consumer
    for tp in consumer.assignment():
        if tp.topic not in topics:
            continue  # Faust's own topics (the assignor's) are not ours to report
        highwater = consumer.highwater(tp)
        position = await consumer.position(tp)
        if highwater is None or position is None:
            continue
        behind[tp.topic] = behind.get(tp.topic, 0) + max(0, highwater - position)
    for topic, lag in behind.items():
        metrics.CONSUMER_LAG.labels(topic).set(lag)


def _count(
    outcomes: Sequence[BatchOutcome], messages: Sequence[Message], committed_at: float
) -> None:
    metrics.BATCH_SIZE.observe(len(messages))
    metrics.LAST_BATCH_UNIXTIME.set(committed_at)
    for topic, n in Counter(m.topic for m in messages).items():
        metrics.MESSAGES_CONSUMED.labels(topic).inc(n)
    observe = metrics.PUBLISH_TO_ARCHIVE_SECONDS.observe
    for m in messages:
        if m.timestamp_ms:
            observe(max(0.0, committed_at - m.timestamp_ms / 1000))
    for outcome in outcomes:
        for event_type, n in outcome.by_type.items():
            metrics.EVENTS_ARCHIVED.labels(event_type).inc(n)
        metrics.DUPLICATES.inc(outcome.duplicates)
        for reason, n in outcome.dead_by_reason.items():
            metrics.DEAD_LETTERS.labels(reason).inc(n)
            log.info("dead-lettered %d message(s): %s", n, reason, extra={"reason": reason})
        metrics.CUSTOMERS_ERASED.inc(outcome.stats.customers_erased)


def _count_flags(stats: Mapping[str, int]) -> None:
    for key, n in stats.items():
        if key.startswith("flags_raised:"):
            metrics.FLAGS_RAISED.labels(key.partition(":")[2]).inc(n)

"""Latency at a fixed offered load: publish->archive from the worker's histogram, publish->flag
from the defect-flags topic."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, select

from bench.consumers import NaiveApp, OursWorker
from bench.load import publish_paced
from bench.measure import (
    Bucket,
    bucket_delta,
    histogram_buckets,
    nearest_rank,
    publish_to_flag,
    quantile_from_buckets,
)
from bench.scenarios import Harness
from bench.stream import EncodedMessage
from bench.warehouses import outbox_pending
from pipeline.common.config import Settings
from pipeline.harness.worker_process import wait_until
from pipeline.warehouse.tables import ArchivedEvent

HISTOGRAM = "aftersales_publish_to_archive_seconds"
QUANTILES = (0.5, 0.95, 0.99)


def measure_latency(
    harness: Harness,
    worker: OursWorker,
    settings: Settings,
    messages: Sequence[EncodedMessage],
    already: int,
    per_second: float,
) -> dict[str, Any]:
    """Offer ``messages`` at ``per_second`` to a worker that has processed ``already`` events.

    publish->archive: the worker's histogram, scraped before and after the window, so only
    this window's observations count. publish->flag: see measure.publish_to_flag.
    """
    before, before_error = _scrape(worker)
    run = publish_paced(harness.producer, settings.topics, messages, per_second)
    target = already + len(messages)
    wait_until(
        lambda: worker.processed() >= target,
        timeout_s=harness.timeout_s,
        check=worker.check,
        what="latency window archived",
    )
    wait_until(
        lambda: outbox_pending(worker.engine) == 0,
        timeout_s=120,
        check=worker.check,
        what="outbox drained",
    )
    after, after_error = _scrape(worker)
    error = before_error or after_error
    delta = [] if error else bucket_delta(after, before)
    archive: dict[str, Any] = {
        f"p{round(q * 100)}_s": _round(quantile_from_buckets(delta, q)) for q in QUANTILES
    }
    if error:
        archive["unavailable"] = error
    stamped = archived_latencies(worker.engine, run.published_at)
    flags = [
        (ts, value)
        for ts, value in read_topic(harness.bootstrap, settings.topics.defect_flags)
        if ts >= run.started_at
    ]
    matched, unmatched = publish_to_flag(flags, run.published_at)
    seconds = [m.seconds for m in matched]
    return {
        "offered_events_per_s": per_second,
        "achieved_events_per_s": round(len(messages) / run.seconds) if run.seconds else None,
        "events": len(messages),
        "window_s": round(run.seconds, 1),
        "publish_to_archive": {
            **archive,
            "observations": int(delta[-1][1]) if delta else 0,
            "bucket_bounds_s": [le for le, _ in delta if le != float("inf")],
        },
        "publish_to_archived_at": {
            f"p{round(q * 100)}_s": _round(nearest_rank(stamped, q)) for q in QUANTILES
        },
        "publish_to_flag": {
            "flag_messages_in_window": len(flags),
            "matched": len(matched),
            "unmatched": unmatched,
            **{f"p{round(q * 100)}_s": _round(nearest_rank(seconds, q)) for q in QUANTILES},
            "max_s": _round(max(seconds)) if seconds else None,
            "changes": sorted({m.change for m in matched}),
        },
    }


def measure_naive_latency(
    harness: Harness,
    app: NaiveApp,
    settings: Settings,
    messages: Sequence[EncodedMessage],
    already: int,
    per_second: float,
) -> dict[str, Any]:
    """The same window for the naive app, which commits each event as it archives it: its
    ``archived_at`` stamps give publish->archive exactly. It has no detection, so no flags."""
    run = publish_paced(harness.producer, settings.topics, messages, per_second)
    wait_until(
        lambda: app.processed() >= already + len(messages),
        timeout_s=harness.timeout_s,
        check=app.check,
        what="naive latency window archived",
    )
    stamps = app.archived_at()
    seconds = [stamps[eid] - at for eid, at in run.published_at.items() if eid in stamps]
    quantiles = {f"p{round(q * 100)}_s": _round(nearest_rank(seconds, q)) for q in QUANTILES}
    return {
        "offered_events_per_s": per_second,
        "achieved_events_per_s": round(len(messages) / run.seconds) if run.seconds else None,
        "events": len(messages),
        "window_s": round(run.seconds, 1),
        "publish_to_archive": {**quantiles, "observations": len(seconds), "bucket_bounds_s": []},
        "publish_to_archived_at": quantiles,
        "publish_to_flag": {
            "flag_messages_in_window": None,
            "matched": None,
            "unmatched": None,
            "p50_s": None,
            "p95_s": None,
            "p99_s": None,
            "max_s": None,
            "changes": [],
        },
        "method": "archived_at stamps (the naive app has no histogram and no detection)",
    }


def _scrape(worker: OursWorker) -> tuple[list[Bucket], str | None]:
    try:
        return histogram_buckets(worker.metrics(), HISTOGRAM), None
    except OSError as exc:
        return [], f"/metrics could not be scraped: {exc}"


def archived_latencies(engine: Engine, published_at: Mapping[str, float]) -> list[float]:
    """Per event: its ``events.archived_at`` stamp minus its publish time.

    The worker stamps a batch when it starts processing it, so this leaves out the batch's own
    processing and commit time: a lower bound that needs no histogram buckets.
    """
    with engine.connect() as conn:
        rows = conn.execute(select(ArchivedEvent.event_id, ArchivedEvent.archived_at)).all()
    return [
        archived.timestamp() - published_at[event_id]
        for event_id, archived in rows
        if event_id in published_at
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def read_topic(bootstrap: str, topic: str, timeout_s: float = 30) -> list[tuple[float, Any]]:
    """Every message of ``topic`` as (record timestamp in epoch seconds, decoded JSON value).

    Reads up to the high-watermark of each partition from fetch responses (Tansu's
    ListOffsets(LATEST) is wrong, so end_offsets() is not used).
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, client_id="bench"
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        out: list[tuple[float, Any]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                out.extend((r.timestamp / 1000, json.loads(r.value)) for r in records)
            highwater = [consumer.highwater(tp) for tp in tps]
            if all(
                h is not None and consumer.position(tp) >= h
                for tp, h in zip(tps, highwater, strict=True)
            ):
                return out
        raise TimeoutError(f"could not read {topic} to its end within {timeout_s}s")
    finally:
        consumer.close()

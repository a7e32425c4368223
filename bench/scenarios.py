"""The throughput scenarios: raw ceiling, naive baseline, ours on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from bench.consumers import ConsumerUnderTest, NaiveApp, OursWorker, ProfiledWorker, RawConsumer
from bench.load import publish_flat_out
from bench.measure import cpu_seconds, memory_mb, per_10k, rate
from bench.stream import EncodedMessage
from bench.warehouses import WarehouseKind, fresh_warehouse
from pipeline.common.config import Settings
from pipeline.harness.topics_admin import ensure_topics
from pipeline.harness.worker_process import WorkerProcess, wait_until

READY_TIMEOUT_S = 120


@dataclass(frozen=True)
class Harness:
    """What every scenario shares: the broker, its client timings, a producer and a folder."""

    bootstrap: str
    timings: dict[str, float]
    producer: Producer
    workdir: Path
    timeout_s: float
    poll_s: float = 0.5

    def settings(self, prefix: str) -> Settings:
        return Settings(
            kafka_bootstrap=self.bootstrap,
            topic_prefix=prefix,
            consumer_group=f"{prefix}-group",
            session_timeout_s=self.timings["session_timeout_s"],
            heartbeat_interval_s=self.timings["heartbeat_interval_s"],
        )

    def topics_for(self, prefix: str) -> Settings:
        settings = self.settings(prefix)
        ensure_topics(settings)
        return settings


@dataclass
class Throughput:
    """One scenario's numbers; ``rss_samples`` are (events processed, RSS MiB) over the run."""

    scenario: str
    events: int
    seconds: float
    events_per_s: float
    publish_events_per_s: float
    cpu_s_per_10k: float | None
    cpu_cores: float
    peak_rss_mb: float
    rss_samples: list[tuple[int, float]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("rss_samples", "extra")}
        return {**out, **self.extra}


def measure_throughput(
    harness: Harness,
    name: str,
    consumer: ConsumerUnderTest,
    settings: Settings,
    messages: Sequence[EncodedMessage],
    on_start: Callable[[], None] | None = None,
    max_s: float | None = None,
) -> Throughput:
    """Publish ``messages`` flat out while a fresh ``consumer`` runs; time first publish ->
    last consumed or archived. ``on_start`` runs once it is ready, just before publishing.

    With ``max_s``, a consumer still busy after that long is measured on what it has done
    (``partial``): for a slow, steady consumer the rate is the same and the run stays short.
    """
    wait_until(
        consumer.ready, timeout_s=READY_TIMEOUT_S, check=consumer.check, what=f"{name} ready"
    )
    pid = consumer.pid
    if on_start is not None:
        on_start()
    cpu_before = cpu_seconds(pid)
    run = publish_flat_out(harness.producer, settings.topics, messages)
    samples: list[tuple[int, float]] = []
    deadline = time.monotonic() + harness.timeout_s
    cutoff = time.monotonic() + max_s if max_s else math.inf
    while True:
        consumer.check()
        done = consumer.processed()
        samples.append((done, memory_mb(pid)["rss_mb"]))
        if done >= len(messages) or time.monotonic() > cutoff:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: {done}/{len(messages)} after {harness.timeout_s}s")
        time.sleep(harness.poll_s)
    polled_end = time.time()
    cpu = cpu_seconds(pid) - cpu_before
    partial = done < len(messages)
    end = polled_end if partial else consumer.finished_at() or polled_end
    run.join(harness.timeout_s)
    seconds = end - run.started_at
    result = Throughput(
        scenario=name,
        events=done,
        seconds=round(seconds, 2),
        events_per_s=round(rate(done, seconds)),
        publish_events_per_s=round(rate(len(messages), run.seconds)),
        cpu_s_per_10k=_round(per_10k(cpu, done)),
        cpu_cores=round(cpu / seconds, 2) if seconds > 0 else 0.0,
        peak_rss_mb=round(memory_mb(pid)["hwm_mb"], 1),
        rss_samples=samples,
    )
    if partial:
        result.extra["partial"] = f"stopped after {max_s:.0f} s, {done:,} of {len(messages):,}"
    return result


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def run_raw(
    harness: Harness, messages: Sequence[EncodedMessage], max_s: float | None
) -> list[Throughput]:
    """The ceiling live (bounded by the producer), then a second group draining the backlog."""
    settings = harness.topics_for("bench-raw")
    inbound = list(settings.topics.inbound)
    live = RawConsumer.start(
        harness.workdir,
        "raw",
        harness.bootstrap,
        "bench-raw-live",
        len(messages),
        inbound,
        harness.timings,
    )
    try:
        result = measure_throughput(harness, "raw ceiling", live, settings, messages, max_s=max_s)
    finally:
        live.stop()
    seconds = drain_seconds(harness, "raw-drain", "bench-raw-drain", len(messages), inbound)
    result.extra["drain_events_per_s"] = round(rate(len(messages), seconds) if seconds else 0.0)
    return [result]


def drain_seconds(
    harness: Harness, name: str, group: str, expected: int, topics: Sequence[str]
) -> float | None:
    """A bare consumer in a group of its own drains ``topics`` (already published): seconds from
    its first record to the last of ``expected`` events, None when it read nothing."""
    drain = RawConsumer.start(
        harness.workdir, name, harness.bootstrap, group, expected, list(topics), harness.timings
    )
    try:
        wait_until(
            lambda: drain.finished_at() is not None,
            timeout_s=harness.timeout_s,
            check=drain.check,
            what="raw drain",
        )
        first, last = drain.first_record_at(), drain.finished_at()
        return last - first if first is not None and last is not None else None
    finally:
        drain.stop()


def run_naive(
    harness: Harness,
    messages: Sequence[EncodedMessage],
    max_s: float | None,
    then: Callable[[NaiveApp, Settings, Throughput], None] | None = None,
) -> Throughput:
    """The naive app's throughput; ``then`` runs on the same app before it stops."""
    settings = harness.topics_for("bench-naive")
    app = NaiveApp.start(
        harness.workdir,
        "naive",
        harness.bootstrap,
        "bench-naive-group",
        list(settings.topics.inbound),
        harness.timings,
    )
    try:
        result = measure_throughput(harness, "naive baseline", app, settings, messages, max_s=max_s)
        if then is not None:
            then(app, settings, result)
        return result
    finally:
        app.stop()


@contextlib.contextmanager
def ours(
    harness: Harness,
    kind: WarehouseKind,
    prefix: str,
    profile_path: Path | None = None,
    stages: str = "full",
) -> Iterator[tuple[OursWorker, Settings]]:
    """A started worker (under the stack sampler if ``profile_path``) on a fresh warehouse;
    ``stages="archive"`` runs validation and archiving only."""
    settings = harness.topics_for(prefix)
    with fresh_warehouse(kind, harness.workdir) as (url, engine):
        values: dict[str, object] = {
            "kafka_bootstrap": harness.bootstrap,
            "warehouse_url": url,
            "topic_prefix": prefix,
            "consumer_group": settings.consumer_group,
            "var_dir": str(harness.workdir / prefix),
            "log_level": "WARNING",
            "log_format": "text",
            "stages": stages,
            **harness.timings,
        }
        log_path = harness.workdir / f"{prefix}.log"
        worker: WorkerProcess = (
            ProfiledWorker(values, log_path=log_path, profile_path=profile_path)
            if profile_path is not None
            else WorkerProcess(values, log_path=log_path)
        )
        worker.start()
        try:
            yield OursWorker(worker, engine), settings
        finally:
            worker.stop()

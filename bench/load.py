"""Offered load: publish the encoded stream with kafka-python, flat out or paced."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer

from bench.stream import EncodedMessage
from schemas.topics import Topics

COMPRESSION: str | None = None
"""No compression: producer, broker and consumers share 2 cores and a loopback link, so gzip
would only move CPU from the network to the producer (pure Python) and the consumer."""
LINGER_MS = 5
BATCH_BYTES = 256 * 1024


def make_producer(bootstrap: str) -> KafkaProducer:
    """Like producers.publisher.Publisher: acks=all, idempotent, linger 5 ms, 256 KB batches."""
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="aftersales-bench",
        acks="all",
        retries=10,
        linger_ms=LINGER_MS,
        batch_size=BATCH_BYTES,
        max_request_size=2 * 1024 * 1024,
        compression_type=COMPRESSION,
    )


@dataclass
class PublishRun:
    """One publishing pass; ``published_at`` maps event_id -> record timestamp (epoch seconds)."""

    started_at: float = 0.0
    finished_at: float = 0.0
    sent: int = 0
    published_at: dict[str, float] = field(default_factory=dict)
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    @property
    def seconds(self) -> float:
        return self.finished_at - self.started_at

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                raise TimeoutError(f"publishing did not finish within {timeout_s:.0f}s")
        if self.error is not None:
            raise self.error


def _send(
    producer: KafkaProducer, topics: Topics, m: EncodedMessage, run: PublishRun, record: bool
) -> None:
    now = time.time()
    producer.send(topics.name(m.family), key=m.key, value=m.value, timestamp_ms=int(now * 1000))
    if record:
        run.published_at[m.event_id] = now
    run.sent += 1


def publish_flat_out(
    producer: KafkaProducer, topics: Topics, messages: Sequence[EncodedMessage]
) -> PublishRun:
    """Send every message as fast as the producer takes them, in a thread; flush at the end."""
    run = PublishRun()

    def work() -> None:
        try:
            run.started_at = time.time()
            for m in messages:
                _send(producer, topics, m, run, record=False)
            producer.flush(timeout=300)
            run.finished_at = time.time()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by join()
            run.error = exc

    run._thread = threading.Thread(target=work, name="bench-publish", daemon=True)
    run._thread.start()
    return run


def publish_paced(
    producer: KafkaProducer,
    topics: Topics,
    messages: Sequence[EncodedMessage],
    per_second: float,
    tick_s: float = 0.05,
) -> PublishRun:
    """Send ``per_second`` messages per second in bursts every ``tick_s`` (absolute schedule,
    so a late tick does not lower the offered rate); blocks until flushed."""
    run = PublishRun()
    per_tick = max(1, round(per_second * tick_s))
    run.started_at = time.time()
    next_tick = time.monotonic()
    for start in range(0, len(messages), per_tick):
        delay = next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        for m in messages[start : start + per_tick]:
            _send(producer, topics, m, run, record=True)
        producer.flush(timeout=30)
        next_tick += tick_s
    run.finished_at = time.time()
    return run


def close(producer: Any) -> None:
    producer.close(timeout=30)

"""Offered load: publish the encoded stream with librdkafka (confluent-kafka), flat out or paced."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, Message, Producer

from bench.stream import EncodedMessage
from schemas.topics import Topics

COMPRESSION = "none"
"""No compression: producer, broker and consumers share 2 cores and a loopback link."""
LINGER_MS = 5
BATCH_BYTES = 256 * 1024
CLIENT = "confluent-kafka (librdkafka)"
"""A C client, as most service-centre and dealer systems use: kafka-python spends ~160 us of
CPU per message here, so a Python producer would take one of the two cores the worker is
measured on for the first minute of a run."""


def make_producer(bootstrap: str) -> Producer:
    """acks=all, idempotent, linger 5 ms, 256 KB batches; murmur2 keyed partitioning as
    kafka-python, aiokafka and the Java client use, so a key lands on the same partition."""
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": "aftersales-bench",
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": LINGER_MS,
            "batch.size": BATCH_BYTES,
            "message.max.bytes": 2 * 1024 * 1024,
            "compression.type": COMPRESSION,
            "partitioner": "murmur2_random",
            "queue.buffering.max.messages": 500_000,
            "log_level": 3,
        }
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

    def delivered(self, err: KafkaError | None, _msg: Message) -> None:
        """librdkafka's delivery report: keep the first failure for ``join``."""
        if err is not None and self.error is None:
            self.error = RuntimeError(f"delivery failed: {err}")

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                raise TimeoutError(f"publishing did not finish within {timeout_s:.0f}s")
        if self.error is not None:
            raise self.error


def _send(
    producer: Producer, topics: Topics, m: EncodedMessage, run: PublishRun, record: bool
) -> None:
    now = time.time()
    while True:
        try:
            producer.produce(
                topics.name(m.family),
                key=m.key,
                value=m.value,
                timestamp=int(now * 1000),
                on_delivery=run.delivered,
            )
            break
        except BufferError:  # local queue full: let deliveries drain it
            producer.poll(0.01)
    producer.poll(0)
    if record:
        run.published_at[m.event_id] = now
    run.sent += 1


def _flush(producer: Producer, timeout_s: float) -> None:
    left = producer.flush(timeout_s)
    if left:
        raise TimeoutError(f"{left} messages not delivered within {timeout_s:.0f}s")


def publish_flat_out(
    producer: Producer, topics: Topics, messages: Sequence[EncodedMessage]
) -> PublishRun:
    """Send every message as fast as the producer takes them, in a thread; flush at the end."""
    run = PublishRun()

    def work() -> None:
        try:
            run.started_at = time.time()
            for m in messages:
                _send(producer, topics, m, run, record=False)
            _flush(producer, 300)
            run.finished_at = time.time()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by join()
            run.error = exc

    run._thread = threading.Thread(target=work, name="bench-publish", daemon=True)
    run._thread.start()
    return run


def publish_paced(
    producer: Producer,
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
        _flush(producer, 30)
        next_tick += tick_s
    run.finished_at = time.time()
    run.join(0)
    return run


def close(producer: Producer) -> None:
    _flush(producer, 30)

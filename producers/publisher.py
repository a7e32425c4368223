"""Publish events with kafka-python: keyed per unit, acks=all, delivery failures reported."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaTimeoutError
from pydantic import BaseModel

from pipeline.common.config import Settings
from pipeline.common.errors import PipelineError
from pipeline.common.kafka_security import kafka_python_options
from pipeline.common.unavailable import BrokerUnavailable
from schemas.cloudevents import CONTENT_TYPE, event_headers
from schemas.codec import BATCH_CONTENT_TYPE, encode, encode_batch
from schemas.events import FAMILY_OF_TYPE
from schemas.keys import event_key

log = logging.getLogger(__name__)


class DeliveryFailed(PipelineError):
    """Some messages were not acknowledged by the brokers."""


@dataclass
class Publisher:
    """A kafka-python producer for our events. Use as a context manager; ``flush`` to confirm."""

    settings: Settings
    linger_ms: int = 5
    batch_bytes: int = 256 * 1024
    compression: str | None = "gzip"
    connect_timeout_s: float = 5.0
    _producer: KafkaProducer | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    sent: Counter[str] = field(default_factory=Counter, init=False)
    failed: list[str] = field(default_factory=list, init=False)

    def __enter__(self) -> Publisher:
        bootstrap = self.settings.require_bootstrap()
        try:
            self._producer = self._connect(bootstrap)
        except (KafkaTimeoutError, KafkaConnectionError):
            raise BrokerUnavailable(
                f"No Kafka broker answered at {bootstrap} within {self.connect_timeout_s:g} s: "
                "start one (`aftersales broker`) or fix AFTERSALES_KAFKA_BOOTSTRAP."
            ) from None
        return self

    def _connect(self, bootstrap: str) -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=bootstrap,
            # kafka-python waits 30 s for a first broker by default; a CLI should say at once.
            bootstrap_timeout_ms=int(self.connect_timeout_s * 1000),
            client_id="aftersales-producer",
            acks="all",
            retries=10,
            linger_ms=self.linger_ms,
            batch_size=self.batch_bytes,
            max_request_size=2 * 1024 * 1024,
            compression_type=self.compression,
            **kafka_python_options(self.settings),
        )

    def __exit__(self, *exc: object) -> None:
        if self._producer is not None:
            self._producer.close(timeout=30)
            self._producer = None

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            raise PipelineError("Publisher is not open: use it as a context manager")
        return self._producer

    def topic_for(self, event: BaseModel) -> str:
        return self.settings.topics.name(FAMILY_OF_TYPE[event.event_type])  # type: ignore[attr-defined]

    def publish(
        self,
        event: BaseModel,
        headers: Sequence[tuple[str, bytes]] = (),
        *,
        topic: str | None = None,
        key: bytes | None = None,
    ) -> None:
        """Send one (already validated) event as a binary-mode CloudEvent: to its family's topic
        keyed by unit unless ``topic`` and ``key`` say otherwise; ``headers`` (a
        ``traceparent``, say) are sent beside."""
        ours = event_headers(event, self.settings.event_source)
        self._send(
            topic or self.topic_for(event),
            key if key is not None else event_key(event),
            encode(event),
            [*ours, *headers],
        )

    def publish_batch(self, events: Sequence[BaseModel]) -> None:
        """Send events of one topic and key as one message (a JSON array): cheaper per event."""
        if not events:
            return
        headers = [(CONTENT_TYPE, BATCH_CONTENT_TYPE.encode())]
        self._send(self.topic_for(events[0]), event_key(events[0]), encode_batch(events), headers)

    def publish_raw(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        self._send(topic, key, value, list(headers) or None)

    def _send(self, topic: str, key: bytes | None, value: bytes, headers: Any) -> None:
        future = self.producer.send(topic, key=key, value=value, headers=headers)
        future.add_callback(self._delivered, topic)
        future.add_errback(self._failed, topic)

    def _delivered(self, topic: str, _metadata: Any) -> None:
        with self._lock:
            self.sent[topic] += 1

    def _failed(self, topic: str, exc: BaseException) -> None:
        with self._lock:
            self.failed.append(f"{topic}: {exc}")
        log.error("delivery to %s failed: %s", topic, exc)

    def flush(self, timeout_s: float = 60) -> None:
        """Wait for every send; raise DeliveryFailed if any was not acknowledged."""
        self.producer.flush(timeout=timeout_s)
        if self.failed:
            raise DeliveryFailed(
                f"{len(self.failed)} message(s) were not delivered; first: {self.failed[0]}"
            )


def publish_all(settings: Settings, events: Iterable[BaseModel]) -> int:
    """Publish events one per message and wait for delivery; returns how many were sent."""
    n = 0
    with Publisher(settings) as publisher:
        for event in events:
            publisher.publish(event)
            n += 1
        publisher.flush()
    return n

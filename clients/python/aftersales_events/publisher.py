"""Publish our events with kafka-python alone: topic, key and CloudEvents headers follow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aftersales_events.cloudevents import event_headers
from aftersales_events.codec import encode
from aftersales_events.events import FAMILY_OF_TYPE
from aftersales_events.keys import event_key
from aftersales_events.topics import Topics
from kafka import KafkaProducer
from pydantic import BaseModel


class EventPublisher:
    """A kafka-python producer for aftersales events (acks=all). Use as a context manager.

    ``kafka_options`` go to KafkaProducer as they are (security settings, say).
    """

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        source: str,
        topic_prefix: str = "aftersales",
        **kafka_options: Any,
    ) -> None:
        self.source = source
        self.topics = Topics(topic_prefix)
        self._options = {"acks": "all", **kafka_options}
        self._bootstrap = bootstrap_servers
        self._producer: KafkaProducer | None = None

    def __enter__(self) -> EventPublisher:
        self._producer = KafkaProducer(bootstrap_servers=self._bootstrap, **self._options)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._producer is not None:
            self._producer.close(timeout=30)
            self._producer = None

    def publish(self, event: BaseModel, headers: Sequence[tuple[str, bytes]] = ()) -> Any:
        """Send one event to its family's topic, keyed by unit; returns kafka-python's future."""
        if self._producer is None:
            raise RuntimeError("EventPublisher is not open: use it as a context manager")
        event_type = str(getattr(event, "event_type", ""))
        return self._producer.send(
            self.topics.name(FAMILY_OF_TYPE[event_type]),
            key=event_key(event),
            value=encode(event),
            headers=[*event_headers(event, self.source), *headers],
        )

    def flush(self, timeout_s: float = 60) -> None:
        if self._producer is not None:
            self._producer.flush(timeout=timeout_s)

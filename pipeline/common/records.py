"""Kafka records as the pipeline sees them, coming in and going out, whatever client moves them."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from schemas.cloudevents import event_headers
from schemas.codec import encode

Headers = tuple[tuple[str, bytes], ...]

DEAD_LETTER_VALUE_BYTES = 256 * 1024
"""Original bytes a dead letter keeps, on its topic and in the warehouse alike."""
DEAD_LETTER_KEY_BYTES = 4 * 1024
"""Original key bytes a dead letter keeps: a key is an id, and the message must fit the topic."""


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka record as the processors see it, whatever client delivered it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A record to publish (from the outbox, once the transaction that wrote it commits)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


Claimed = tuple[int, Outgoing]
"""An outbox row id and its message, claimed by one worker to publish and then forget."""


def headers_to_json(headers: Iterable[tuple[str, bytes]]) -> list[list[str]] | None:
    """Headers as JSON a warehouse column holds (values base64: they are bytes on the wire)."""
    rows = [[name, base64.b64encode(value or b"").decode()] for name, value in headers]
    return rows or None


def headers_from_json(stored: Sequence[Sequence[Any]] | None) -> Headers:
    if not stored:
        return ()
    return tuple((str(name), base64.b64decode(value)) for name, value in stored)


def event_message(topic: str, key: bytes | None, event: BaseModel, cause: Headers = ()) -> Outgoing:
    """One of our events to publish: its JSON, its CloudEvents headers (the relay adds
    ``ce_source`` as it sends) and the trace context of the input that caused it."""
    return Outgoing(topic, key, encode(event), (*event_headers(event, None), *cause))

"""Decode a batch of Kafka messages into accepted events and dead letters (nothing is dropped)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from schemas.codec import Rejected, decode
from schemas.events import InboundEvent
from schemas.outputs import DeadLetter
from schemas.topics import Topics

DEAD_LETTER_VALUE_BYTES = 256 * 1024
"""Original bytes copied into a dead-letter message; it must fit a Kafka message itself."""


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka record as the processors see it, whatever client delivered it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    event: InboundEvent
    message: Message


@dataclass(frozen=True, slots=True)
class DeadLettered:
    """A rejected message (or batch item) with a stable id, so a redelivery is stored once."""

    dead_letter_id: str
    record: DeadLetter
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class Triaged:
    accepted: list[Accepted]
    dead: list[DeadLettered]


def triage(messages: Iterable[Message], topics: Topics, received_at: datetime) -> Triaged:
    """Decode every message once; keep the good events and turn every failure into a dead letter."""
    accepted: list[Accepted] = []
    dead: list[DeadLettered] = []
    for message in messages:
        family = topics.family_of(message.topic)
        for item in decode(message.value, family):
            if isinstance(item, Rejected):
                dead.append(dead_letter(message, item, received_at))
            else:
                accepted.append(Accepted(item, message))
    return Triaged(accepted, dead)


def dead_letter(message: Message, rejected: Rejected, received_at: datetime) -> DeadLettered:
    ident = f"{message.topic}/{message.partition}/{message.offset}/{rejected.item_index}"
    record = DeadLetter(
        reason=rejected.reason,
        error=rejected.error[:8000],
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        item_index=rejected.item_index,
        key_b64=base64.b64encode(message.key).decode() if message.key is not None else None,
        value_b64=base64.b64encode((message.value or b"")[:DEAD_LETTER_VALUE_BYTES]).decode(),
        value_size=len(message.value or b""),
        value_truncated=len(message.value or b"") > DEAD_LETTER_VALUE_BYTES,
        received_at=received_at,
    )
    digest = hashlib.sha256(ident.encode()).hexdigest()[:40]
    return DeadLettered(digest, record, message.key, message.value)

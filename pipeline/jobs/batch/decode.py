"""Decode a batch of Kafka messages into accepted events and dead letters (nothing is dropped)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from pipeline.common.records import (
    DEAD_LETTER_KEY_BYTES,
    DEAD_LETTER_VALUE_BYTES,
    Headers,
    Message,
)
from schemas.codec import Rejected, decode
from schemas.events import InboundEvent
from schemas.outputs import DeadLetter
from schemas.topics import Topics

_MAX_ERROR_CHARS = 8000

FUTURE_EVENT_TIME: Final = "future_event_time"
"""occurred_at lies further past the worker's clock than the allowed skew."""
UNPROCESSABLE: Final = "unprocessable"
"""A valid event that a stage or the warehouse could not take (the error says why)."""


@dataclass(frozen=True, slots=True)
class Accepted:
    event: InboundEvent
    message: Message
    item_index: int | None = None
    """Where the event sat in a batch message (None: the message held this event alone)."""


@dataclass(frozen=True, slots=True)
class DeadLettered:
    """A rejected message (or batch item) with a stable id, so a redelivery is stored once."""

    dead_letter_id: str
    record: DeadLetter
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    exception: str | None = None
    """The class of the exception behind an ``unprocessable`` dead letter."""


@dataclass(frozen=True, slots=True)
class Triaged:
    accepted: list[Accepted]
    dead: list[DeadLettered]


def decode_batch(
    messages: Iterable[Message],
    topics: Topics,
    received_at: datetime,
    max_future: timedelta | None = None,
) -> Triaged:
    """Decode every message once; keep the good events and turn every failure into a dead letter.

    With ``max_future``, an event whose occurred_at lies more than that past ``received_at`` is
    a dead letter too: event time (watermark, SLA clocks, detection) is never set by one clock
    that runs ahead.
    """
    latest = received_at + max_future if max_future is not None else None
    accepted: list[Accepted] = []
    dead: list[DeadLettered] = []
    for message in messages:
        family = topics.family_of(message.topic)
        items = decode(message.value, family, message.headers)
        single = len(items) == 1 and not _is_array(message.value)
        for index, item in enumerate(items):
            if isinstance(item, Rejected):
                dead.append(dead_letter(message, item, received_at))
            elif latest is not None and item.occurred_at > latest:
                error = (
                    f"occurred_at {item.occurred_at.isoformat()} is more than "
                    f"{max_future} past the worker's clock ({received_at.isoformat()})"
                )
                rejected = Rejected(FUTURE_EVENT_TIME, error, None if single else index)
                dead.append(dead_letter(message, rejected, received_at))
            else:
                accepted.append(Accepted(item, message, None if single else index))
    return Triaged(accepted, dead)


def _is_array(value: bytes | None) -> bool:
    return bool(value) and value.lstrip()[:1] == b"["  # type: ignore[union-attr]


def dead_letter(
    message: Message,
    rejected: Rejected,
    received_at: datetime,
    *,
    value: bytes | None = None,
    exception: str | None = None,
) -> DeadLettered:
    """The dead letter of ``message`` (or of one item of it), storable whatever it holds.

    ``value`` replaces the message's bytes where a single event of a batch message is set
    aside. Text is cleared of characters no database or JSON column takes; key and value are
    cut to what the dead-letter topic can carry, and the record says so.
    """
    original = message.value if value is None else value
    ident = f"{message.topic}/{message.partition}/{message.offset}/{rejected.item_index}"
    if rejected.reason == UNPROCESSABLE:
        # One event of a message can be set aside while the rest is archived.
        ident += "/unprocessable"
    body = original or b""
    key = message.key
    record = DeadLetter(
        reason=rejected.reason,
        error=storable_text(rejected.error)[:_MAX_ERROR_CHARS],
        topic=storable_text(message.topic)[:128] or "?",
        partition=message.partition,
        offset=message.offset,
        item_index=rejected.item_index,
        key_b64=(
            base64.b64encode(key[:DEAD_LETTER_KEY_BYTES]).decode() if key is not None else None
        ),
        key_size=len(key or b""),
        key_truncated=key is not None and len(key) > DEAD_LETTER_KEY_BYTES,
        value_b64=base64.b64encode(body[:DEAD_LETTER_VALUE_BYTES]).decode(),
        value_size=len(body),
        value_truncated=len(body) > DEAD_LETTER_VALUE_BYTES,
        received_at=received_at,
    )
    digest = hashlib.sha256(ident.encode(errors="replace")).hexdigest()[:40]
    return DeadLettered(
        digest,
        record,
        key[:DEAD_LETTER_KEY_BYTES] if key is not None else None,
        body[:DEAD_LETTER_VALUE_BYTES] if original is not None else None,
        message.headers,
        exception,
    )


def storable_text(text: str) -> str:
    """``text`` without NUL and lone surrogates, which PostgreSQL and UTF-8 cannot hold."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")

"""Dead-letter messages as operators expect them: Kafka Connect's error headers beside our body."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Any, Final

from pipeline.triage import DeadLettered, Headers
from schemas.cloudevents import binary_headers, is_envelope_header

CONNECTOR_NAME: Final = "aftersales-worker"
DEAD_LETTER_TYPE: Final = "deadletter"
"""The CloudEvents type of a dead letter (its schema is deadletter.v1.json)."""
_PREFIX: Final = "__connect.errors."
_MAX_HEADER_TEXT: Final = 4000


def connect_headers(dead: DeadLettered) -> Headers:
    """The dead letter's CloudEvents headers, the ``__connect.errors.*`` headers Kafka Connect
    puts on a dead letter, then the original message's headers (a ``traceparent`` among them),
    so tools built for Connect's dead-letter topics read ours.

    The original's own ``ce_*`` and ``content-type`` describe the bytes in the body, not the
    dead letter: the warehouse keeps them for a replay, the topic does not repeat them.
    The relay adds ``ce_source`` as it sends.
    """
    record = dead.record
    ours = {
        "topic": record.topic,
        "partition": str(record.partition),
        "offset": str(record.offset),
        "connector.name": CONNECTOR_NAME,
        "stage": "VALUE_CONVERTER" if dead.exception is None else "TASK_PUT",
        "exception.class.name": dead.exception or f"aftersales.{record.reason}",
        "exception.message": record.error[:_MAX_HEADER_TEXT],
    }
    envelope = binary_headers(dead.dead_letter_id, DEAD_LETTER_TYPE, record.received_at, None)
    own = tuple((_PREFIX + name, value.encode()) for name, value in ours.items())
    kept = tuple(
        (name, value)
        for name, value in dead.headers
        if not name.startswith(_PREFIX) and not is_envelope_header(name)
    )
    return envelope + own + kept


def headers_to_json(headers: Iterable[tuple[str, bytes]]) -> list[list[str]] | None:
    """Headers as JSON a warehouse column holds (values base64: they are bytes on the wire)."""
    rows = [[name, base64.b64encode(value or b"").decode()] for name, value in headers]
    return rows or None


def headers_from_json(stored: Sequence[Sequence[Any]] | None) -> Headers:
    if not stored:
        return ()
    return tuple((str(name), base64.b64decode(value)) for name, value in stored)

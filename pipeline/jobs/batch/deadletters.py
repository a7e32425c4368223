"""Dead-letter messages as operators expect them: Kafka Connect's error headers beside our body."""

from __future__ import annotations

from typing import Final

from pipeline.common.records import Headers
from pipeline.jobs.batch.decode import DeadLettered
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

"""W3C trace context: what an input message's traceparent passes on to what it causes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from pipeline.common.records import Headers

TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"
# version-trace_id-parent_id-flags; all-zero ids are invalid (W3C Trace Context, level 1).
_VALID: Final = re.compile(r"^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")
_MAX_TRACESTATE: Final = 512
_CAUSE_FIELDS: Final = ("repair_id", "ticket_id", "complaint_id", "request_event_id")
"""Identifiers an output shares with the input it answers, most telling first."""


def trace_context(headers: Iterable[tuple[str, bytes]]) -> Headers:
    """The ``traceparent`` (and its ``tracestate``) of a message, if it carries a valid one.

    Passed on unchanged: the pipeline relays its callers' traces without adding spans of its
    own. A malformed ``traceparent`` is not passed on (the spec says to restart the trace).
    """
    parent: bytes | None = None
    state: bytes | None = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == TRACEPARENT and parent is None:
            parent = value or b""
        elif lowered == TRACESTATE and state is None:
            state = value or b""
    if parent is None or not _VALID.match(parent.decode("ascii", "replace").strip()):
        return ()
    found: Headers = ((TRACEPARENT, parent.strip()),)
    if state and len(state) <= _MAX_TRACESTATE:
        found += ((TRACESTATE, state),)
    return found


def log_fields(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """``traceparent`` and ``trace_id`` for a log record's extra fields (empty without one)."""
    context = trace_context(headers)
    if not context:
        return {}
    parent = context[0][1].decode("ascii")
    return {TRACEPARENT: parent, "trace_id": parent.split("-")[1]}


def traced_inputs(items: Iterable[Any]) -> list[tuple[Any, Headers]]:
    """(event, headers) of the accepted inputs that carry a trace context, in arrival order."""
    return [(a.event, a.message.headers) for a in items if trace_context(a.message.headers)]


def cause_of(output: Any, inputs: Sequence[tuple[Any, Headers]]) -> Headers:
    """The trace context of the input an output answers, among a batch's (event, headers).

    The cause is the latest input naming the output's repair, ticket, complaint or (for a
    confirmation) request event: a follow-up answers the repair or resolution it follows, an
    escalation the complaint whose case it escalates. An output no input of the batch names
    (an escalation a later, unrelated event's clock triggered) starts no trace here.
    """
    for field in _CAUSE_FIELDS:
        wanted = getattr(output, field, None)
        if wanted is None:
            continue
        for event, headers in reversed(inputs):
            named = event.id_text if field == "request_event_id" else getattr(event, field, None)
            if named == wanted:
                context = trace_context(headers)
                if context:
                    return context
    return ()


def log_traced(logger: logging.Logger, batch: Any) -> None:
    """One log record per traced input of a triaged batch, with its trace in the record's fields
    and its text: a caller following a trace finds what became of the event (dead letters at
    INFO, accepted events at DEBUG). Untraced inputs log nothing here."""
    for dead in batch.dead:
        fields = log_fields(dead.headers)
        if fields:
            record = dead.record
            logger.info(
                "dead letter from %s/%d/%d: %s (trace %s)",
                record.topic,
                record.partition,
                record.offset,
                record.reason,
                fields["trace_id"],
                extra={**fields, "reason": record.reason},
            )
    if not logger.isEnabledFor(logging.DEBUG):
        return
    for accepted in batch.accepted:
        fields = log_fields(accepted.message.headers)
        if fields:
            logger.debug(
                "received %s %s (trace %s)",
                accepted.event.event_type,
                accepted.event.id_text,
                fields["trace_id"],
                extra={**fields, "event_id": accepted.event.id_text},
            )

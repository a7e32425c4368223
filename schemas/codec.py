"""Bytes <-> events: decode a Kafka message value into events or reasons for rejection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.events import FAMILY_OF_TYPE, INBOUND, InboundEvent
from schemas.limits import MAX_EVENTS_PER_MESSAGE, MAX_MESSAGE_BYTES

OVERSIZE: Final = "oversize"
EMPTY: Final = "empty"
BAD_ENCODING: Final = "bad_encoding"
INVALID_JSON: Final = "invalid_json"
NOT_AN_OBJECT: Final = "not_an_object"
MISSING_EVENT_TYPE: Final = "missing_event_type"
UNKNOWN_EVENT_TYPE: Final = "unknown_event_type"
UNSUPPORTED_VERSION: Final = "unsupported_schema_version"
SCHEMA_VIOLATION: Final = "schema_violation"
WRONG_TOPIC: Final = "wrong_topic"
TOO_MANY_EVENTS: Final = "too_many_events"

REASONS: Final = (
    OVERSIZE,
    EMPTY,
    BAD_ENCODING,
    INVALID_JSON,
    NOT_AN_OBJECT,
    MISSING_EVENT_TYPE,
    UNKNOWN_EVENT_TYPE,
    UNSUPPORTED_VERSION,
    SCHEMA_VIOLATION,
    WRONG_TOPIC,
    TOO_MANY_EVENTS,
)
"""Every dead-letter reason the decoder can give (a closed set, safe as a metric label)."""

BATCH_CONTENT_TYPE: Final = "application/cloudevents-batch+json"
_MAX_ERRORS_SHOWN: Final = 5


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a message, or one item of a batch message, was not accepted."""

    reason: str
    error: str
    item_index: int | None = None


Decoded = InboundEvent | Rejected

_BATCH: Final = TypeAdapter(list[InboundEvent])


def encode(event: BaseModel) -> bytes:
    """One event as UTF-8 JSON."""
    return event.model_dump_json(exclude_none=True).encode()


def encode_batch(events: Sequence[BaseModel]) -> bytes:
    """Several events in one message: a JSON array (the CloudEvents JSON batch convention)."""
    return b"[" + b",".join(encode(e) for e in events) + b"]"


def decode(raw: bytes | None, family: str | None = None) -> list[Decoded]:
    """Decode one message value: a single event object or a JSON array of events.

    ``family`` is the inbound topic family the message came from; events of another family are
    rejected so that keys and ordering stay meaningful. Never raises on bad input.
    """
    if not raw:
        return [Rejected(EMPTY, "message has no value")]
    if len(raw) > MAX_MESSAGE_BYTES:
        return [
            Rejected(OVERSIZE, f"message is {len(raw)} bytes; the limit is {MAX_MESSAGE_BYTES}")
        ]
    first = raw.lstrip()[:1]
    if first == b"[":
        return _decode_batch(raw, family)
    try:
        event = INBOUND.validate_json(raw)
    except ValidationError as exc:
        return [_classify(exc, raw)]
    return [_check_family(event, family)]


def _decode_batch(raw: bytes, family: str | None) -> list[Decoded]:
    try:
        events = _BATCH.validate_json(raw)
    except ValidationError as exc:
        if _is_json_error(exc):
            return [_classify(exc, raw)]
        return _decode_items_one_by_one(raw, family)
    if len(events) > MAX_EVENTS_PER_MESSAGE:
        return [
            Rejected(TOO_MANY_EVENTS, f"{len(events)} events; at most {MAX_EVENTS_PER_MESSAGE}")
        ]
    return [_check_family(e, family) for e in events]


def _decode_items_one_by_one(raw: bytes, family: str | None) -> list[Decoded]:
    items: list[Any] = json.loads(raw)
    if len(items) > MAX_EVENTS_PER_MESSAGE:
        return [Rejected(TOO_MANY_EVENTS, f"{len(items)} events; at most {MAX_EVENTS_PER_MESSAGE}")]
    out: list[Decoded] = []
    for index, item in enumerate(items):
        try:
            event = INBOUND.validate_python(item)
        except ValidationError as exc:
            rejected = _classify(exc, raw)
            out.append(Rejected(rejected.reason, rejected.error, index))
            continue
        checked = _check_family(event, family)
        if isinstance(checked, Rejected):
            checked = Rejected(checked.reason, checked.error, index)
        out.append(checked)
    return out


def _check_family(event: InboundEvent, family: str | None) -> Decoded:
    expected = FAMILY_OF_TYPE[event.event_type]
    if family is not None and expected != family:
        return Rejected(
            WRONG_TOPIC,
            f"event_type {event.event_type!r} belongs on the {expected!r} topic, not {family!r}",
        )
    return event


def _is_json_error(exc: ValidationError) -> bool:
    return any(e["type"] == "json_invalid" for e in exc.errors())


def _classify(exc: ValidationError, raw: bytes) -> Rejected:
    errors = exc.errors(include_url=False, include_input=False)
    kinds = {e["type"] for e in errors}
    if "json_invalid" in kinds:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return Rejected(BAD_ENCODING, f"value is not UTF-8: {bad}")
        return Rejected(INVALID_JSON, _summary(errors))
    if kinds & {"model_type", "dict_type", "model_attributes_type"} and all(
        len(e["loc"]) <= 1 for e in errors
    ):
        return Rejected(NOT_AN_OBJECT, "an event must be a JSON object (or an array of objects)")
    if "union_tag_not_found" in kinds:
        return Rejected(MISSING_EVENT_TYPE, "the event has no 'event_type' field")
    if "union_tag_invalid" in kinds:
        return Rejected(UNKNOWN_EVENT_TYPE, _summary(errors))
    if any(e["loc"][-1:] == ("schema_version",) for e in errors):
        return Rejected(UNSUPPORTED_VERSION, _summary(errors))
    return Rejected(SCHEMA_VIOLATION, _summary(errors))


def _summary(errors: Sequence[Any]) -> str:
    shown = [
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}"
        for e in errors[:_MAX_ERRORS_SHOWN]
    ]
    more = len(errors) - len(shown)
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "")

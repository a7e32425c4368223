"""Bytes <-> events: decode a Kafka message value into events or reasons for rejection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from schemas import cloudevents as ce
from schemas.events import FAMILY_OF_TYPE, INBOUND, InboundEvent
from schemas.limits import MAX_EVENTS_PER_MESSAGE, MAX_MESSAGE_BYTES, MAX_TEXT
from schemas.parts import NO_CONTROL, NO_NUL

OVERSIZE: Final = "oversize"
EMPTY: Final = "empty"
EMPTY_BATCH: Final = "empty_batch"
BAD_ENCODING: Final = "bad_encoding"
INVALID_JSON: Final = "invalid_json"
NOT_AN_OBJECT: Final = "not_an_object"
MISSING_EVENT_TYPE: Final = "missing_event_type"
UNKNOWN_EVENT_TYPE: Final = "unknown_event_type"
UNSUPPORTED_VERSION: Final = "unsupported_schema_version"
SCHEMA_VIOLATION: Final = "schema_violation"
WRONG_TOPIC: Final = "wrong_topic"
TOO_MANY_EVENTS: Final = "too_many_events"
UNDECODABLE: Final = "undecodable"
INVALID_CLOUDEVENT: Final = "invalid_cloudevent"
CLOUDEVENT_MISMATCH: Final = "cloudevent_mismatch"

REASONS: Final = (
    OVERSIZE,
    EMPTY,
    EMPTY_BATCH,
    BAD_ENCODING,
    INVALID_JSON,
    NOT_AN_OBJECT,
    MISSING_EVENT_TYPE,
    UNKNOWN_EVENT_TYPE,
    UNSUPPORTED_VERSION,
    SCHEMA_VIOLATION,
    WRONG_TOPIC,
    TOO_MANY_EVENTS,
    UNDECODABLE,
    INVALID_CLOUDEVENT,
    CLOUDEVENT_MISMATCH,
)
"""Every dead-letter reason the decoder can give (a closed set, safe as a metric label).

``undecodable`` is the safety net: input that made decoding itself fail, with the exception.
``invalid_cloudevent``: a CloudEvents envelope we cannot read (version, content type, no data);
``cloudevent_mismatch``: its id, type or time contradicts the event it carries.
"""

BATCH_CONTENT_TYPE: Final = ce.OWN_BATCH
"""What our batches are sent as; arrays under the CloudEvents batch type are read too."""
_MAX_ERRORS_SHOWN: Final = 5
_NUL_ESCAPE: Final = b"\\u0000"
_PATTERN_MEANING: Final = {
    NO_NUL: "contains a NUL character (\\u0000), which no text field can hold",
    NO_CONTROL: "contains a control character or line separator, which ids and names cannot hold",
}


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why a message, or one item of a batch message, was not accepted.

    ``error`` is always storable text: no NUL, no lone surrogate, at most MAX_TEXT characters.
    """

    reason: str
    error: str
    item_index: int | None = None

    def __post_init__(self) -> None:
        # Messages may quote the input (an unknown event_type, a bad value): clean them here,
        # once for every way a rejection is made.
        object.__setattr__(self, "error", _storable(self.error))


Decoded = InboundEvent | Rejected

_BATCH: Final = TypeAdapter(
    Annotated[list[InboundEvent], Field(min_length=1, max_length=MAX_EVENTS_PER_MESSAGE)]
)
_ANY_JSON: Final = TypeAdapter(Any)


def encode(event: BaseModel) -> bytes:
    """One event as UTF-8 JSON."""
    return event.model_dump_json(exclude_none=True).encode()


def encode_batch(events: Sequence[BaseModel]) -> bytes:
    """Several events in one message: a JSON array, sent as ``BATCH_CONTENT_TYPE``."""
    return b"[" + b",".join(encode(e) for e in events) + b"]"


def decode(
    raw: bytes | None,
    family: str | None = None,
    headers: Sequence[tuple[str, bytes]] = (),
) -> list[Decoded]:
    """Decode one message value: a single event object or a non-empty JSON array of events.

    ``headers`` select the CloudEvents content mode: ``ce_*`` headers (binary mode) fill in
    the event's id, type and time where its JSON lacks them; ``application/cloudevents+json``
    (structured mode) and ``application/cloudevents-batch+json`` (batch mode) carry events in
    ``data``. Without them, the value is our own JSON. ``family`` is the inbound topic family
    the message came from; events of another family are rejected so that keys and ordering
    stay meaningful. An event holding NUL in any string is a schema violation naming where;
    lone surrogates are invalid JSON; a repeated key keeps its last value. Never raises:
    whatever the bytes, the result is events and reasons.
    """
    try:
        return _decode(raw, family, headers)
    except Exception as exc:  # noqa: BLE001 - a poison message must become a dead letter, never stop the worker
        return [Rejected(UNDECODABLE, f"{type(exc).__name__}: {_describe(exc)}")]


def _decode(
    raw: bytes | None, family: str | None, headers: Sequence[tuple[str, bytes]]
) -> list[Decoded]:
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    if not raw:
        return [Rejected(EMPTY, "message has no value")]
    if len(raw) > MAX_MESSAGE_BYTES:
        return [
            Rejected(OVERSIZE, f"message is {len(raw)} bytes; the limit is {MAX_MESSAGE_BYTES}")
        ]
    if headers:
        try:
            media_type = ce.content_type(headers)
            attributes = ce.binary_attributes(headers)
        except ce.CloudEventError as exc:
            return [_cloudevent_rejection(exc, None)]
        if media_type in (ce.STRUCTURED, ce.BATCH) or attributes:
            return _decode_cloudevents(raw, family, media_type, attributes)
    # JSON can spell NUL only as this escape, so most messages skip the precise check.
    may_hold_nul = _NUL_ESCAPE in raw
    if raw.lstrip()[:1] == b"[":
        if may_hold_nul:
            return _decode_items_one_by_one(raw, family)
        return _decode_batch(raw, family)
    if may_hold_nul:
        parsed = _parse(raw)
        if isinstance(parsed, Rejected):
            return [parsed]
        nul = _nul_rejection(parsed, None)
        if nul is not None:
            return [nul]
    try:
        event = INBOUND.validate_json(raw)
    except ValidationError as exc:
        return [_classify(exc, raw)]
    return [_check_family(event, family)]


def _decode_cloudevents(
    raw: bytes, family: str | None, media_type: str | None, attributes: dict[str, str]
) -> list[Decoded]:
    """A message in one of the CloudEvents content modes, event by event."""
    parsed = _parse(raw)
    if isinstance(parsed, Rejected):
        return [parsed]
    if media_type == ce.STRUCTURED:
        return [_decode_envelope(parsed, None, raw, family)]
    if media_type == ce.BATCH:
        if not isinstance(parsed, list):
            return [Rejected(INVALID_CLOUDEVENT, "a CloudEvents batch must be a JSON array")]
        return _decode_parsed_items(parsed, raw, family, envelopes=True)
    try:
        item = ce.from_binary(parsed, attributes, media_type)
    except ce.CloudEventError as exc:
        return [_cloudevent_rejection(exc, None)]
    if isinstance(item, list):
        return [Rejected(INVALID_CLOUDEVENT, "binary-mode data must be one event, not an array")]
    return [_decode_item(item, None, raw, family)]


def _decode_envelope(item: Any, index: int | None, raw: bytes, family: str | None) -> Decoded:
    try:
        event = ce.from_structured(item)
    except ce.CloudEventError as exc:
        return _cloudevent_rejection(exc, index)
    return _decode_item(event, index, raw, family)


def _cloudevent_rejection(exc: ce.CloudEventError, index: int | None) -> Rejected:
    return Rejected(CLOUDEVENT_MISMATCH if exc.mismatch else INVALID_CLOUDEVENT, str(exc), index)


def _decode_batch(raw: bytes, family: str | None) -> list[Decoded]:
    try:
        events = _BATCH.validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        kinds = {e["type"] for e in errors}
        if "json_invalid" in kinds:
            return [_classify(exc, raw)]
        whole = {e["type"] for e in errors if not e["loc"]}
        if "too_short" in whole:
            return [Rejected(EMPTY_BATCH, "the batch message is an empty array; it holds no event")]
        if "too_long" in whole:
            return [_too_many(_count_items(raw))]
        return _decode_items_one_by_one(raw, family)
    return [_check_family(e, family) for e in events]


def _decode_items_one_by_one(raw: bytes, family: str | None) -> list[Decoded]:
    parsed = _parse(raw)
    if isinstance(parsed, Rejected):
        return [parsed]
    if not isinstance(parsed, list):
        return [Rejected(NOT_AN_OBJECT, "an event must be a JSON object (or an array of objects)")]
    return _decode_parsed_items(parsed, raw, family, envelopes=False)


def _decode_parsed_items(
    parsed: list[Any], raw: bytes, family: str | None, *, envelopes: bool
) -> list[Decoded]:
    """Each item of a batch; with ``envelopes``, items with a ``specversion`` are structured
    CloudEvents (items without one are our own events, as batches were once sent)."""
    if not parsed:
        return [Rejected(EMPTY_BATCH, "the batch message is an empty array; it holds no event")]
    if len(parsed) > MAX_EVENTS_PER_MESSAGE:
        return [_too_many(len(parsed))]
    out: list[Decoded] = []
    for index, item in enumerate(parsed):
        try:
            if envelopes and isinstance(item, dict) and "specversion" in item:
                out.append(_decode_envelope(item, index, raw, family))
            else:
                out.append(_decode_item(item, index, raw, family))
        except Exception as exc:  # noqa: BLE001 - one poison item must not take its batch down
            out.append(Rejected(UNDECODABLE, f"{type(exc).__name__}: {_describe(exc)}", index))
    return out


def _decode_item(item: Any, index: int | None, raw: bytes, family: str | None) -> Decoded:
    nul = _nul_rejection(item, index)
    if nul is not None:
        return nul
    try:
        event = INBOUND.validate_python(item)
    except ValidationError as exc:
        rejected = _classify(exc, raw)
        return Rejected(rejected.reason, rejected.error, index)
    checked = _check_family(event, family)
    if isinstance(checked, Rejected):
        return Rejected(checked.reason, checked.error, index)
    return checked


def _parse(raw: bytes) -> Any:
    """The JSON value of ``raw`` by the same parser as validation, or why it has none."""
    try:
        return _ANY_JSON.validate_json(raw)
    except ValidationError as exc:
        return _classify(exc, raw)


def _count_items(raw: bytes) -> int | None:
    parsed = _parse(raw)
    return len(parsed) if isinstance(parsed, list) else None


def _too_many(count: int | None) -> Rejected:
    counted = "more than that" if count is None else f"{count} events"
    return Rejected(TOO_MANY_EVENTS, f"{counted}; at most {MAX_EVENTS_PER_MESSAGE}")


def _nul_rejection(value: Any, index: int | None) -> Rejected | None:
    if not isinstance(value, dict):
        return None  # not an event at all: validation gives the reason
    paths = _nul_paths(value)
    if not paths:
        return None
    shown = ", ".join(paths[:_MAX_ERRORS_SHOWN])
    more = len(paths) - _MAX_ERRORS_SHOWN
    suffix = f" (+{more} more)" if more > 0 else ""
    return Rejected(SCHEMA_VIOLATION, f"{shown}: {_PATTERN_MEANING[NO_NUL]}{suffix}", index)


def _nul_paths(value: Any) -> list[str]:
    """Where in a parsed JSON value a string (or an object key) holds NUL; iterative, any depth."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                found.append(path or "<root>")
        elif isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    found.append(child_path)
                stack.append((child_path, child))
        elif isinstance(node, list):
            stack.extend((f"{path}.{i}" if path else str(i), c) for i, c in enumerate(node))
    return sorted(found)


def _check_family(event: InboundEvent, family: str | None) -> Decoded:
    expected = FAMILY_OF_TYPE[event.event_type]
    if family is not None and expected != family:
        return Rejected(
            WRONG_TOPIC,
            f"event_type {event.event_type!r} belongs on the {expected!r} topic, not {family!r}",
        )
    return event


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
    shown = [f"{_where(e)}: {_message(e)}" for e in errors[:_MAX_ERRORS_SHOWN]]
    more = len(errors) - len(shown)
    return "; ".join(shown) + (f" (+{more} more)" if more > 0 else "")


def _where(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"]) or "<root>"


def _message(error: Any) -> str:
    if error["type"] == "string_pattern_mismatch":
        meaning = _PATTERN_MEANING.get(str((error.get("ctx") or {}).get("pattern")))
        if meaning is not None:
            return meaning
    return str(error["msg"])


def _describe(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - an exception that cannot even describe itself
        return "(no description)"


def _storable(text: str) -> str:
    """``text`` as PostgreSQL and UTF-8 can hold it: NUL and lone surrogates escaped, cut short."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."

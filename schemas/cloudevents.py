"""CloudEvents 1.0 over Kafka: binary-mode headers for our events; every content mode read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from pydantic import BaseModel

SPECVERSION: Final = "1.0"
JSON: Final = "application/json"
STRUCTURED: Final = "application/cloudevents+json"
BATCH: Final = "application/cloudevents-batch+json"
"""A JSON array of structured CloudEvents (the spec's batch mode)."""
OWN_BATCH: Final = "application/vnd.aftersales.batch+json"
"""A JSON array of our events, one message for several: what our publisher sends."""
SCHEMA_BASE: Final = "https://aftersales.dev/schemas/"
HEADER_PREFIX: Final = "ce_"
CONTENT_TYPE: Final = "content-type"

# CloudEvents attribute -> our envelope field, for the attributes both carry.
_ENVELOPE: Final = {"id": "event_id", "type": "event_type", "time": "occurred_at"}
_CHECKED: Final = ("id", "type", "time")
_MAX_ATTRIBUTE: Final = 1024

Headers = tuple[tuple[str, bytes], ...]


class CloudEventError(ValueError):
    """A CloudEvent envelope we cannot read, or one that contradicts the event it carries."""

    def __init__(self, message: str, *, mismatch: bool = False) -> None:
        super().__init__(message)
        self.mismatch = mismatch


def schema_url(name: str) -> str:
    """Where the JSON Schema of ``name`` (an event type, or ``deadletter``) is published."""
    return f"{SCHEMA_BASE}{name}.v1.json"


def binary_headers(
    ce_id: str, ce_type: str, time: datetime, source: str | None, schema: str | None = None
) -> Headers:
    """The binary-mode headers of one JSON message (CloudEvents Kafka protocol binding).

    Without ``source``, ``with_source`` must add it before the message is sent.
    """
    return (
        ("ce_specversion", SPECVERSION.encode()),
        ("ce_id", ce_id.encode()),
        ("ce_type", ce_type.encode()),
        *((("ce_source", source.encode()),) if source is not None else ()),
        ("ce_time", time.isoformat().encode()),
        ("ce_dataschema", schema_url(schema or ce_type).encode()),
        (CONTENT_TYPE, JSON.encode()),
    )


def event_headers(event: BaseModel, source: str | None) -> Headers:
    """Binary-mode headers of one of our events: its envelope as CloudEvents attributes."""
    envelope: Any = event
    return binary_headers(str(envelope.event_id), envelope.event_type, envelope.occurred_at, source)


def with_source(headers: Iterable[tuple[str, bytes]], source: str) -> list[tuple[str, bytes]]:
    """``headers`` of a binary-mode CloudEvent with ``ce_source`` set where it is missing.

    The outbox stores what an event is; the service that sends it names itself as it sends.
    """
    out = list(headers)
    names = {name for name, _ in out}
    if "ce_specversion" in names and "ce_source" not in names:
        out.insert(3, ("ce_source", source.encode()))
    return out


def is_envelope_header(name: str) -> bool:
    """Headers that describe a message's own value: replaced, never copied, when it is re-sent."""
    lowered = name.lower()
    return lowered.startswith(HEADER_PREFIX) or lowered == CONTENT_TYPE


def content_type(headers: Iterable[tuple[str, bytes]]) -> str | None:
    """The media type of the message value (parameters such as charset dropped), if given."""
    for name, value in headers:
        if name.lower() == CONTENT_TYPE:
            text = (value or b"").decode("utf-8", "replace")
            return text.partition(";")[0].strip().lower() or None
    return None


def binary_attributes(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """The ``ce_*`` headers as attributes (``ce_id`` -> ``id``); empty when there are none."""
    found: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if not lowered.startswith(HEADER_PREFIX):
            continue
        try:
            found[lowered[len(HEADER_PREFIX) :]] = (value or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise CloudEventError(f"header {name!r} is not UTF-8") from None
    return found


def from_binary(data: Any, attributes: Mapping[str, str], media_type: str | None) -> Any:
    """The event a binary-mode message carries: its data, with the envelope filled in from the
    attributes where the data lacks it. Raises CloudEventError when they disagree."""
    _check_version(attributes.get("specversion"))
    if media_type is not None and not _is_json(media_type):
        raise CloudEventError(f"content-type {media_type!r} is not JSON")
    return _merge(data, attributes)


def from_structured(envelope: Any) -> Any:
    """The event a structured-mode CloudEvent (a JSON object with ``data``) carries."""
    if not isinstance(envelope, dict):
        raise CloudEventError("a structured CloudEvent must be a JSON object")
    _check_version(envelope.get("specversion"))
    media_type = envelope.get("datacontenttype")
    if media_type is not None and not (isinstance(media_type, str) and _is_json(media_type)):
        raise CloudEventError(f"datacontenttype {media_type!r} is not JSON")
    if "data_base64" in envelope:
        raise CloudEventError("data_base64 is not accepted: send the event as JSON in 'data'")
    if "data" not in envelope:
        raise CloudEventError("the CloudEvent has no 'data'")
    attributes = {
        name: value for name, value in envelope.items() if name != "data" and isinstance(value, str)
    }
    return _merge(envelope["data"], attributes)


def _check_version(version: object) -> None:
    if version != SPECVERSION:
        shown = repr(version)[:_MAX_ATTRIBUTE] if version is not None else "missing"
        raise CloudEventError(f"specversion {shown}; only {SPECVERSION!r} is understood")


def _is_json(media_type: str) -> bool:
    base = media_type.partition(";")[0].strip().lower()
    return base == JSON or base.endswith("+json")


def _merge(data: Any, attributes: Mapping[str, str]) -> Any:
    if not isinstance(data, dict):
        # Not an event: validation says so, with the usual reason.
        return data
    merged = dict(data)
    for attribute in _CHECKED:
        value = attributes.get(attribute)
        if value is None:
            continue
        field = _ENVELOPE[attribute]
        if field not in merged:
            merged[field] = value
        elif not _same(attribute, value, merged[field]):
            raise CloudEventError(
                f"ce {attribute} {value[:_MAX_ATTRIBUTE]!r} disagrees with the event's {field} "
                f"{str(merged[field])[:_MAX_ATTRIBUTE]!r}",
                mismatch=True,
            )
    if "source" not in merged and attributes.get("source"):
        merged["source"] = attributes["source"]
    return merged


def _same(attribute: str, value: str, ours: Any) -> bool:
    if not isinstance(ours, str):
        # A wrongly typed field is validation's to report, not a disagreement.
        return True
    if attribute == "id":
        try:
            return UUID(value) == UUID(ours)
        except ValueError:
            return value == ours
    if attribute == "time":
        try:
            theirs = datetime.fromisoformat(value)
        except ValueError:
            raise CloudEventError(f"ce time {value[:_MAX_ATTRIBUTE]!r} is not RFC 3339") from None
        try:
            mine = datetime.fromisoformat(ours)
        except ValueError:
            return True
        if (theirs.tzinfo is None) != (mine.tzinfo is None):
            return False
        return theirs == mine
    return value == ours

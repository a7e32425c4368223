"""The AsyncAPI 3 document of our topics, built from the event registry (`make schemas`)."""

from __future__ import annotations

import inspect
from typing import Any, Final

from pydantic import BaseModel

from schemas import cloudevents as ce
from schemas.events import FAMILIES, OUTBOUND_TYPES, event_type_of
from schemas.export import DEAD_LETTER, schema_classes
from schemas.topics import INBOUND_FAMILIES, OUTBOUND_NAMES

VERSION: Final = "3.0.0"
CONTRACT_VERSION: Final = "1.0.0"
KAFKA_BINDING: Final = "0.5.0"

OUTBOUND_TOPIC: Final[dict[str, str]] = {
    "defect_flag.changed": "defect-flags",
    "followup.scheduled": "followups",
    "case.escalated": "followups",
    "report.published": "reports",
    "customer.erased": "erasures",
    DEAD_LETTER: "deadletter",
}
"""Schema name -> the outbound topic (family) it is published on."""

KEYS: Final[dict[str, str]] = {
    "tickets": "unit serial, else brand|model|variant",
    "repairs": "unit serial, else brand|model|variant",
    "feedback": "unit serial, else brand|model|variant",
    "reference": "dealer:<id> for dealers, the serial for unit.sold, else brand|model|variant",
    "customers": "customer id",
    "product": "the event id (decisions are ordered by decided_at, actions by release time)",
    "defect-flags": "brand|model|variant",
    "followups": "customer id (case id for case.escalated)",
    "reports": "report id",
    "erasures": "the customer's pseudonym",
    "deadletter": "the original message's key (cut at 4 KiB)",
}
"""Topic family -> what its message keys hold (plain UTF-8, never JSON-quoted)."""

_TRACEPARENT: Final = {
    "type": "string",
    "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
    "description": "W3C trace context; passed on to every message this one causes.",
}
_INBOUND_HEADERS: Final = {
    "type": "object",
    "description": (
        "Optional. With ce_specversion (binary content mode), ce_id, ce_type and ce_time fill "
        "in event_id, event_type and occurred_at where the value leaves them out, and must "
        "agree with them where it does not (else the message is a dead letter, reason "
        "cloudevent_mismatch). content-type application/cloudevents+json (structured mode) "
        "or application/cloudevents-batch+json (batch mode) carry events in 'data'; "
        f"{ce.OWN_BATCH} is a JSON array of our events."
    ),
    "properties": {
        "ce_specversion": {"type": "string", "const": ce.SPECVERSION},
        "ce_id": {"type": "string"},
        "ce_type": {"type": "string"},
        "ce_source": {"type": "string"},
        "ce_time": {"type": "string", "format": "date-time"},
        "content-type": {
            "type": "string",
            "enum": [ce.JSON, ce.STRUCTURED, ce.BATCH, ce.OWN_BATCH],
        },
        "traceparent": _TRACEPARENT,
        "tracestate": {"type": "string"},
    },
}
_OUTBOUND_HEADERS: Final = {
    "type": "object",
    "description": "CloudEvents binary content mode (Kafka protocol binding), always present.",
    "required": [
        "ce_specversion",
        "ce_id",
        "ce_type",
        "ce_source",
        "ce_time",
        "ce_dataschema",
        "content-type",
    ],
    "properties": {
        "ce_specversion": {"type": "string", "const": ce.SPECVERSION},
        "ce_id": {"type": "string", "description": "event_id (a dead letter's own id)."},
        "ce_type": {"type": "string", "description": "event_type (deadletter for one)."},
        "ce_source": {
            "type": "string",
            "format": "uri-reference",
            "description": "The publishing service (AFTERSALES_EVENT_SOURCE).",
        },
        "ce_time": {"type": "string", "format": "date-time", "description": "occurred_at."},
        "ce_dataschema": {"type": "string", "format": "uri", "description": "The JSON Schema."},
        "content-type": {"type": "string", "const": ce.JSON},
        "traceparent": {
            **_TRACEPARENT,
            "description": "The trace context of the input this message answers, if it had one.",
        },
        "tracestate": {"type": "string"},
    },
}


def asyncapi_document() -> dict[str, Any]:
    """AsyncAPI 3.0 from the pipeline's side: it receives the inbound topics and sends the
    outbound ones; payloads reference the JSON Schemas in ``json/``."""
    inbound = {family: [event_type_of(c) for c in FAMILIES[family]] for family in INBOUND_FAMILIES}
    outbound: dict[str, list[str]] = {name: [] for name in OUTBOUND_NAMES}
    sent = [event_type_of(c) for c in OUTBOUND_TYPES] + [DEAD_LETTER]
    for name in sent:
        if name not in OUTBOUND_TOPIC:
            raise KeyError(
                f"{name} is published but has no topic in schemas.asyncapi.OUTBOUND_TOPIC"
            )
        outbound[OUTBOUND_TOPIC[name]].append(name)
    messages = {
        name: _message(name, cls, "outbound" if name in sent else "inbound")
        for name, cls in schema_classes().items()
    }
    channels = {
        family: _channel(family, names) for family, names in (*inbound.items(), *outbound.items())
    }
    operations = {
        f"receive-{family}": _operation("receive", family, names)
        for family, names in inbound.items()
    } | {f"send-{family}": _operation("send", family, names) for family, names in outbound.items()}
    return {
        "asyncapi": VERSION,
        "info": {
            "title": "aftersales",
            "version": CONTRACT_VERSION,
            "description": (
                "After-sales feedback pipeline: service, repair, feedback and reference events "
                "in; defect flags, follow-ups, reports, erasure confirmations and dead letters "
                "out. Every value is UTF-8 JSON. Readers ignore fields they do not know; a "
                "change that is not additive gets a new topic (.v2)."
            ),
        },
        "defaultContentType": ce.JSON,
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {"InboundHeaders": _INBOUND_HEADERS, "OutboundHeaders": _OUTBOUND_HEADERS},
            "parameters": {
                "prefix": {
                    "default": "aftersales",
                    "description": "Topic prefix (AFTERSALES_TOPIC_PREFIX).",
                }
            },
        },
    }


def _message(name: str, cls: type[BaseModel], direction: str) -> dict[str, Any]:
    headers = "InboundHeaders" if direction == "inbound" else "OutboundHeaders"
    doc = inspect.cleandoc(cls.__doc__ or name)
    return {
        "name": name,
        "title": name,
        "summary": doc.splitlines()[0],
        "contentType": ce.JSON,
        "headers": {"$ref": f"#/components/schemas/{headers}"},
        "payload": {"$ref": f"./json/{name}.v1.json"},
    }


def _channel(family: str, names: list[str]) -> dict[str, Any]:
    return {
        "address": "{prefix}." + family + ".v1",
        "description": f"Message key: {KEYS[family]}.",
        "parameters": {"prefix": {"$ref": "#/components/parameters/prefix"}},
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING}},
    }


def _operation(action: str, family: str, names: list[str]) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{family}"},
        "messages": [{"$ref": f"#/channels/{family}/messages/{name}"} for name in names],
    }

"""The AsyncAPI document is current, valid AsyncAPI 3.0, and covers every topic and event model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from schemas.asyncapi import OUTBOUND_TOPIC, asyncapi_document
from schemas.export import ASYNCAPI_FILE, render, schema_classes
from schemas.topics import INBOUND_FAMILIES, OUTBOUND_NAMES, Topics

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "schemas" / ASYNCAPI_FILE
OFFICIAL_SCHEMA = ROOT / "tests" / "fixtures" / "asyncapi" / "3.0.0.json"


def _document() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def test_the_asyncapi_document_on_disk_is_generated_from_the_models() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(asyncapi_document()), (
        "schemas/asyncapi.json drifted from the models: run `make schemas`"
    )


def test_the_asyncapi_document_is_valid_against_the_official_asyncapi_3_schema() -> None:
    official = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(official).iter_errors(_document()), key=str)
    assert not errors, [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]]


def test_the_official_schema_refuses_a_document_broken_deep_inside() -> None:
    """The validation above can fail, down in the definitions the official schema refers to."""
    official = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    for path, value in [
        (("operations", "send-followups", "action"), "publish"),  # AsyncAPI 2's verb
        (("channels", "tickets", "address"), 42),
        (("components", "messages", "ticket.opened", "contentType"), ["application/json"]),
    ]:
        broken = _document()
        node = broken
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        assert not Draft7Validator(official).is_valid(broken), path


def test_every_topic_is_a_channel_at_its_address() -> None:
    document = _document()
    topics = Topics()
    prefix = document["components"]["parameters"]["prefix"]["default"]
    addresses = {
        channel["address"].replace("{prefix}", prefix) for channel in document["channels"].values()
    }
    assert addresses == set(topics.all)
    received = {
        op["channel"]["$ref"] for op in document["operations"].values() if op["action"] == "receive"
    }
    sent = {
        op["channel"]["$ref"] for op in document["operations"].values() if op["action"] == "send"
    }
    assert received == {f"#/channels/{family}" for family in INBOUND_FAMILIES}
    assert sent == {f"#/channels/{name}" for name in OUTBOUND_NAMES}


def test_every_model_is_a_message_on_a_channel_with_its_json_schema() -> None:
    document = _document()
    messages = document["components"]["messages"]
    assert set(messages) == set(schema_classes())
    on_channels = {
        ref["$ref"].rsplit("/", 1)[1]
        for channel in document["channels"].values()
        for ref in channel["messages"].values()
    }
    assert on_channels == set(messages)
    for name, message in messages.items():
        payload = DOCUMENT.parent / message["payload"]["$ref"]
        assert json.loads(payload.read_text(encoding="utf-8"))["$id"].endswith(f"/{name}.v1.json")
        direction = "OutboundHeaders" if name in OUTBOUND_TOPIC else "InboundHeaders"
        assert message["headers"]["$ref"] == f"#/components/schemas/{direction}"


def test_messages_we_send_declare_their_cloudevents_headers() -> None:
    required = set(_document()["components"]["schemas"]["OutboundHeaders"]["required"])
    assert {
        "ce_specversion",
        "ce_id",
        "ce_type",
        "ce_source",
        "ce_time",
        "content-type",
    } <= required

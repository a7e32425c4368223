"""Write the JSON Schemas and the AsyncAPI document (`make schemas`); a test fails on drift."""

from __future__ import annotations

import json
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel

from schemas.cloudevents import schema_url
from schemas.events import FAMILIES, OUTBOUND_TYPES, event_type_of
from schemas.flag_detail import FlagDetail
from schemas.outputs import DeadLetter

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
DEAD_LETTER: Final = "deadletter"
ASYNCAPI_FILE: Final = "asyncapi.json"


def schema_classes() -> dict[str, type[BaseModel]]:
    """Schema name -> model: every inbound and outbound event type, and the dead letter."""
    classes: list[type[BaseModel]] = [c for group in FAMILIES.values() for c in group]
    classes += list(OUTBOUND_TYPES)
    named: dict[str, type[BaseModel]] = {event_type_of(cls): cls for cls in classes}
    named[DEAD_LETTER] = DeadLetter
    return named


def published_schema(cls: type[BaseModel], name: str) -> dict[str, Any]:
    """The JSON Schema readers get: 2020-12, open to fields added later.

    Our models ignore unknown fields, and so must every reader: no object is closed with
    ``additionalProperties: false``.
    """
    schema = _open(cls.model_json_schema(mode="validation"))
    return {"$schema": DIALECT, "$id": schema_url(name), **schema}


def _open(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: _open(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [_open(item) for item in node]
    return node


def schema_documents() -> dict[str, dict[str, object]]:
    """File name -> JSON Schema, for every inbound and outbound event type, the dead letter and
    the per-flag detail document (`aftersales flags export`)."""
    docs: dict[str, dict[str, object]] = {
        f"{name}.v1.json": published_schema(cls, name) for name, cls in schema_classes().items()
    }
    detail = FlagDetail.model_json_schema(mode="serialization")
    docs["flag_detail.v1.json"] = {"$schema": DIALECT, "$id": schema_url("flag_detail"), **detail}
    return docs


def published_document(name: str) -> bytes | None:
    """A file of this package's published contract by name (``asyncapi.json`` or a JSON Schema
    such as ``ticket.opened.v1.json``), or None for any other name."""
    folder = files("schemas")
    if name == ASYNCAPI_FILE:
        return (folder / name).read_bytes()
    if name in schema_file_names():
        return (folder / "json" / name).read_bytes()
    return None


def schema_file_names() -> frozenset[str]:
    return frozenset(f"{name}.v1.json" for name in schema_classes())


def render(doc: object) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(out_dir: str) -> None:
    # Imported here: the AsyncAPI module builds on this one.
    from schemas.asyncapi import asyncapi_document

    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    docs = schema_documents()
    for stale in target.glob("*.json"):
        if stale.name not in docs:
            stale.unlink()
    for name, doc in docs.items():
        (target / name).write_text(render(doc), encoding="utf-8")
    asyncapi = target.parent / ASYNCAPI_FILE
    asyncapi.write_text(render(asyncapi_document()), encoding="utf-8")
    print(f"wrote {len(docs)} schemas to {target} and {asyncapi}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("json")))

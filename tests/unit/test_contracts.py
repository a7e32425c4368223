"""The published contract stays true: JSON Schemas match the models, every example is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from schemas.events import FAMILIES, INBOUND, OUTBOUND, OUTBOUND_TYPES, event_type_of
from schemas.export import render, schema_documents
from schemas.outputs import DeadLetter

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "schemas" / "json"
EXAMPLES = ROOT / "examples" / "events"
FORMATS = FormatChecker()
ALL_TYPES = [event_type_of(c) for g in FAMILIES.values() for c in g] + [
    event_type_of(c) for c in OUTBOUND_TYPES
]


def test_json_schemas_on_disk_match_the_models() -> None:
    docs = schema_documents()
    on_disk = {p.name for p in SCHEMA_DIR.glob("*.json")}
    assert on_disk == set(docs), "run `make schemas` to regenerate schemas/json/"
    for name, doc in docs.items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == render(doc), (
            f"{name} drifted from its model: run `make schemas`"
        )


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_type_has_a_valid_example(event_type: str) -> None:
    doc = json.loads((EXAMPLES / f"{event_type}.json").read_text(encoding="utf-8"))
    adapter = OUTBOUND if any(event_type == event_type_of(c) for c in OUTBOUND_TYPES) else INBOUND
    assert adapter.validate_python(doc).event_type == event_type


def test_the_dead_letter_example_is_valid() -> None:
    DeadLetter.model_validate_json((EXAMPLES / "deadletter.json").read_text(encoding="utf-8"))


def _published(name: str) -> dict[str, object]:
    return json.loads((SCHEMA_DIR / f"{name}.v1.json").read_text(encoding="utf-8"))


def _example(name: str) -> dict[str, object]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _closed_objects(node: object, path: str = "") -> list[str]:
    if isinstance(node, dict):
        found = [path] if node.get("additionalProperties") is False else []
        return found + [p for k, v in node.items() for p in _closed_objects(v, f"{path}/{k}")]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _closed_objects(v, f"{path}/{i}")]
    return []


@pytest.mark.parametrize("name", [*ALL_TYPES, "deadletter"])
def test_published_schemas_are_2020_12_and_open_to_fields_added_later(name: str) -> None:
    schema = _published(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert _closed_objects(schema) == [], "readers must tolerate unknown fields"
    example = _example(name)
    Draft202012Validator(schema, format_checker=FORMATS).validate(example)
    newer = {**example, "added_in_a_later_minor_version": {"any": ["thing"]}}
    Draft202012Validator(schema, format_checker=FORMATS).validate(newer)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_our_models_ignore_a_field_they_do_not_know_and_keep_the_rest(event_type: str) -> None:
    example = _example(event_type)
    adapter = OUTBOUND if any(event_type == event_type_of(c) for c in OUTBOUND_TYPES) else INBOUND
    known = adapter.validate_python(example)
    newer = adapter.validate_python({**example, "added_later": 1})
    assert newer == known
    assert "added_later" not in newer.model_dump()


def test_what_makes_a_new_topic_is_refused_by_the_published_schema() -> None:
    """Removing a required field or changing a type breaks v1 readers: that needs a .v2 topic."""
    schema = _published("complaint.filed")
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    example = _example("complaint.filed")
    without = {k: v for k, v in example.items() if k != "complaint_id"}
    retyped = {**example, "occurred_at": 1_700_000_000}
    assert not validator.is_valid(without)
    assert not validator.is_valid(retyped)

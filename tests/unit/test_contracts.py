"""The published contract stays true: JSON Schemas match the models, every example is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.events import FAMILIES, INBOUND, OUTBOUND, OUTBOUND_TYPES, event_type_of
from schemas.export import render, schema_documents
from schemas.outputs import DeadLetter

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "schemas" / "json"
EXAMPLES = ROOT / "examples" / "events"
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

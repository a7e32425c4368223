"""Write one JSON Schema file per event type (`make schemas`); a test fails when they drift."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from schemas.events import FAMILIES, OUTBOUND_TYPES, event_type_of
from schemas.flag_detail import FlagDetail
from schemas.outputs import DeadLetter


def schema_documents() -> dict[str, dict[str, object]]:
    """File name -> JSON Schema, for every inbound and outbound event type, the dead letter and
    the per-flag detail document (`aftersales flags export`)."""
    docs: dict[str, dict[str, object]] = {}
    classes: list[type[BaseModel]] = [c for group in FAMILIES.values() for c in group]
    classes += list(OUTBOUND_TYPES)
    for cls in classes:
        name = event_type_of(cls)
        schema = cls.model_json_schema(mode="validation")
        schema["$id"] = f"https://aftersales.dev/schemas/{name}.v1.json"
        docs[f"{name}.v1.json"] = schema
    dead = DeadLetter.model_json_schema(mode="validation")
    dead["$id"] = "https://aftersales.dev/schemas/deadletter.v1.json"
    docs["deadletter.v1.json"] = dead
    detail = FlagDetail.model_json_schema(mode="serialization")
    detail["$id"] = "https://aftersales.dev/schemas/flag_detail.v1.json"
    docs["flag_detail.v1.json"] = detail
    return docs


def render(doc: dict[str, object]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(out_dir: str) -> None:
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    docs = schema_documents()
    for stale in target.glob("*.json"):
        if stale.name not in docs:
            stale.unlink()
    for name, doc in docs.items():
        (target / name).write_text(render(doc), encoding="utf-8")
    print(f"wrote {len(docs)} schemas to {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("json")))

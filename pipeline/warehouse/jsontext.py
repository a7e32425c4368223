"""JSON text for the warehouse, encoded by pydantic-core (several times faster than json's)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pydantic_core


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """Compact JSON text of ``value``; ``default`` converts what JSON has no type for."""
    try:
        return pydantic_core.to_json(value, fallback=default).decode()
    except pydantic_core.PydanticSerializationError:
        # Text that UTF-8 cannot carry (lone surrogates) is escaped by json; its errors,
        # such as those ``default`` raises, surface from here as they always did.
        return json.dumps(value, default=default)

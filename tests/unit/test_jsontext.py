"""Warehouse JSON text: the fast encoder reads back as json would and fails nowhere json did not."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from pipeline.warehouse import jsontext
from pipeline.warehouse.pg_bulk import _scalar


@pytest.mark.parametrize(
    "value",
    [
        {"market": "DE", "nested": {"list": [1, 2.5, None, True]}, "text": 'naïve "q"\n\t'},
        ["电池", "\u2028", "", 10**20, -0.5],
        {"empty": {}, "none": None},
    ],
)
def test_reads_back_as_json_would(value: Any) -> None:
    assert json.loads(jsontext.dumps(value)) == json.loads(json.dumps(value))


def test_default_converts_what_json_has_no_type_for() -> None:
    value = {"at": datetime(2025, 3, 1, 12, 0, tzinfo=UTC), "on": date(2025, 3, 1)}
    decoded = json.loads(jsontext.dumps({**value, "amount": Decimal("1.50")}, default=_scalar))
    assert datetime.fromisoformat(decoded["at"]) == value["at"]
    assert decoded["on"] == "2025-03-01"
    assert decoded["amount"] == "1.50"


def test_text_utf8_cannot_carry_is_escaped_not_refused() -> None:
    assert json.loads(jsontext.dumps({"s": "x\ud800y"})) == {"s": "x\ud800y"}


def test_unknown_types_raise_the_converters_error() -> None:
    with pytest.raises(TypeError, match="cannot write object"):
        jsontext.dumps({"x": object()}, default=_scalar)

"""The wire contract holds only what the warehouse and the code downstream can hold."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from schemas import codec
from schemas.events import FAMILIES
from schemas.limits import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    MAX_ID,
    MAX_INT32,
    MAX_UNITS_AFFECTED,
)
from schemas.parts import Money

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events"
FAMILY = {
    "ticket.opened": "tickets",
    "repair.completed": "repairs",
    "complaint.filed": "feedback",
    "survey.answered": "feedback",
    "recall.announced": "reference",
    "units_sold.reported": "reference",
    "unit.sold": "reference",
}


def example(event_type: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{event_type}.json").read_text(encoding="utf-8"))


def decode_one(event_type: str, change: Callable[[dict[str, Any]], None]) -> codec.Decoded:
    payload = example(event_type)
    change(payload)
    [decoded] = codec.decode(json.dumps(payload).encode(), FAMILY[event_type])
    return decoded


def rejected_at(event_type: str, change: Callable[[dict[str, Any]], None], field: str) -> str:
    decoded = decode_one(event_type, change)
    assert isinstance(decoded, codec.Rejected), decoded
    assert decoded.reason == codec.SCHEMA_VIOLATION
    assert field in decoded.error
    return decoded.error


def setter(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        node: Any = payload
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    "zone",
    [
        "America",
        "Etc",
        "Europe",
        "../x",
        "/etc/passwd",
        "Europe/../Europe/Berlin",
        "Europe\\Berlin",
        "Europe/Berlin\x01",
        "x" * 64,
        "Mars/Olympus",
        "posixrules/x",
        ".",
        "Europe/",
    ],
)
def test_rejects_a_time_zone_that_is_a_directory_a_path_or_unknown(zone: str) -> None:
    rejected_at("ticket.opened", setter("customer", "timezone", value=zone), "customer.timezone")


def test_rejects_a_time_zone_name_longer_than_its_column() -> None:
    rejected_at(
        "ticket.opened", setter("customer", "timezone", value="A" * 65), "customer.timezone"
    )


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5"]
)
def test_accepts_real_time_zones(zone: str) -> None:
    decoded = decode_one("ticket.opened", setter("customer", "timezone", value=zone))
    assert not isinstance(decoded, codec.Rejected), decoded


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:00-05:00",
        "9999-12-31T23:59:59.999999Z",
        "0001-01-01T00:30+05:00",
        "0001-01-01T00:00Z",
        "1899-12-31T23:59:59Z",
        "1900-01-01T00:30+01:00",
        "2201-01-01T00:00Z",
        "2200-12-31T23:00-05:00",
    ],
)
def test_rejects_an_event_time_outside_the_warehouse_range(moment: str) -> None:
    rejected_at("ticket.opened", setter("occurred_at", value=moment), "occurred_at")


def test_rejects_an_sla_due_time_outside_the_warehouse_range() -> None:
    change = setter("sla_due_at", value="9999-12-31T23:00-05:00")
    rejected_at("ticket.opened", change, "sla_due_at")


@pytest.mark.parametrize(
    "moment", ["1900-01-01T00:00Z", "1900-01-01T00:30+00:30", "2200-12-31T23:59:59.999999Z"]
)
def test_accepts_event_times_at_the_ends_of_the_range(moment: str) -> None:
    decoded = decode_one("ticket.opened", setter("occurred_at", value=moment))
    assert not isinstance(decoded, codec.Rejected), decoded
    assert EARLIEST_INSTANT <= decoded.occurred_at.astimezone(UTC) <= LATEST_INSTANT


@pytest.mark.parametrize(
    ("event_type", "field"),
    [("unit.sold", "sold_on"), ("recall.announced", "announced_on")],
)
@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_rejects_a_date_outside_the_warehouse_range(event_type: str, field: str, day: str) -> None:
    rejected_at(event_type, setter(field, value=day), field)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_rejects_an_incident_date_outside_the_warehouse_range(day: str) -> None:
    rejected_at("complaint.filed", setter("incident_date", value=day), "incident_date")


@pytest.mark.parametrize(
    "month", ["0000-01", "0001-01", "1899-12", "2201-01", "9999-12", "2024-13", "٢٠٢٤-01", "2024-1"]
)
def test_rejects_a_month_that_is_not_a_valid_month_in_range(month: str) -> None:
    rejected_at("units_sold.reported", setter("month", value=month), "month")


@pytest.mark.parametrize("month", ["1900-01", "2200-12", "2024-02"])
def test_accepts_months_within_the_range(month: str) -> None:
    decoded = decode_one("units_sold.reported", setter("month", value=month))
    assert not isinstance(decoded, codec.Rejected), decoded


@pytest.mark.parametrize("units", [10**30, MAX_INT32 + 1, MAX_UNITS_AFFECTED + 1, -1, 1e400])
def test_rejects_units_affected_that_no_column_holds(units: Any) -> None:
    rejected_at("recall.announced", setter("units_affected", value=units), "units_affected")


def test_accepts_the_largest_plausible_recall() -> None:
    decoded = decode_one("recall.announced", setter("units_affected", value=MAX_UNITS_AFFECTED))
    assert not isinstance(decoded, codec.Rejected), decoded


@pytest.mark.parametrize(
    ("event_type", "path"),
    [
        ("units_sold.reported", ("count",)),
        ("complaint.filed", ("injuries",)),
        ("repair.completed", ("parts", 0, "quantity")),
        ("survey.answered", ("csat",)),
    ],
)
def test_rejects_integers_beyond_their_columns(event_type: str, path: tuple[Any, ...]) -> None:
    rejected_at(event_type, setter(*path, value=2**63), str(path[-1]))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("field", ["labour_hours", "usage"])
def test_rejects_non_finite_floats(token: str, field: str) -> None:
    payload = example("repair.completed")
    payload[field] = "@@"
    raw = json.dumps(payload).replace('"@@"', token).encode()
    [decoded] = codec.decode(raw, "repairs")
    assert isinstance(decoded, codec.Rejected)
    assert field in decoded.error


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e10", "1000000000.0001", "-0.01", "1e-5"])
def test_rejects_amounts_beyond_the_money_column(amount: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        Money.model_validate({"amount": amount, "currency": "EUR"})


@pytest.mark.parametrize(
    ("amount", "plain"), [("0E+1000000", "0"), ("-0", "0"), ("1E+5", "100000"), ("12.50", "12.50")]
)
def test_spells_odd_but_valid_amounts_plainly(amount: str, plain: str) -> None:
    money = Money.model_validate({"amount": amount, "currency": "EUR"})
    assert str(money.amount) == plain
    assert money.amount == Decimal(plain)


@pytest.mark.parametrize(
    "path",
    [
        ("ticket_id",),
        ("source",),
        ("summary",),
        ("description",),
        ("product", "brand"),
        ("product", "serial"),
        ("customer", "customer_id"),
    ],
)
def test_rejects_nul_in_any_text_naming_the_field(path: tuple[str, ...]) -> None:
    error = rejected_at("ticket.opened", setter(*path, value="a\x00b"), ".".join(path))
    assert "NUL" in error
    assert "\x00" not in error


def test_rejects_nul_in_an_object_key_or_an_unknown_field() -> None:
    error = rejected_at("ticket.opened", setter("no\x00pe", value="x"), "no\\u0000pe")
    assert "NUL" in error


def test_rejects_a_lone_surrogate_as_invalid_json() -> None:
    payload = json.dumps(example("ticket.opened")).replace('"TCK-', '"\\ud800TCK-', 1)
    [decoded] = codec.decode(payload.encode(), "tickets")
    assert isinstance(decoded, codec.Rejected)
    assert decoded.reason == codec.INVALID_JSON


def test_accepts_a_surrogate_pair_escape() -> None:
    decoded = decode_one("ticket.opened", setter("summary", value="Display shows \U0001f600"))
    assert not isinstance(decoded, codec.Rejected), decoded
    assert decoded.summary == "Display shows \U0001f600"


@pytest.mark.parametrize("value", ["", "   ", "\t\n", "\u3000\u00a0"])
@pytest.mark.parametrize("path", [("ticket_id",), ("product", "serial"), ("source",)])
def test_rejects_required_ids_that_are_only_whitespace(value: str, path: tuple[str, ...]) -> None:
    rejected_at("ticket.opened", setter(*path, value=value), ".".join(path))


@pytest.mark.parametrize(
    "value", ["T\x01", "T\nX", "T\rX", "T\x7f", "T\x85X", "T\u2028X", "T\x1bX"]
)
@pytest.mark.parametrize("path", [("ticket_id",), ("product", "serial"), ("product", "brand")])
def test_rejects_control_characters_in_ids_and_names(value: str, path: tuple[str, ...]) -> None:
    error = rejected_at("ticket.opened", setter(*path, value=value), ".".join(path))
    assert "control character" in error


def test_keeps_line_breaks_and_tabs_in_free_text() -> None:
    decoded = decode_one("ticket.opened", setter("description", value="line 1\n\tline 2"))
    assert not isinstance(decoded, codec.Rejected), decoded


@pytest.mark.parametrize(
    "path", [("ticket_id",), ("product", "serial"), ("customer", "customer_id")]
)
def test_rejects_ids_longer_than_their_column(path: tuple[str, ...]) -> None:
    rejected_at("ticket.opened", setter(*path, value="x" * (MAX_ID + 1)), ".".join(path))


@pytest.mark.parametrize(
    "event_id",
    [
        "{00000000-0000-4000-8000-000000000001}",
        "00000000000040008000000000000001",
        "00000000-0000-4000-8000-000000000001",
    ],
)
def test_accepts_a_uuid_in_any_form_and_stores_it_in_one(event_id: str) -> None:
    decoded = decode_one("ticket.opened", setter("event_id", value=event_id))
    assert not isinstance(decoded, codec.Rejected), decoded
    assert decoded.id_text == "00000000-0000-4000-8000-000000000001"


@pytest.mark.parametrize("event_id", ["", " ", "not-a-uuid", "0" * 1000, "\x00"])
def test_rejects_an_event_id_that_is_no_uuid(event_id: str) -> None:
    rejected_at("ticket.opened", setter("event_id", value=event_id), "event_id")


def schema_nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, sub-schema) of a JSON Schema that gives a value's type."""
    found: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(node, dict):
        if "type" in node and not {"const", "enum"} & node.keys():
            found.append((path, node))
        for key, child in node.items():
            found.extend(schema_nodes(child, (*path, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.extend(schema_nodes(child, (*path, index)))
    return found


INBOUND_CLASSES = [cls for group in FAMILIES.values() for cls in group]


@pytest.mark.parametrize("cls", INBOUND_CLASSES, ids=lambda cls: cls.__name__)
def test_every_inbound_number_has_bounds_that_fit_an_integer_column(cls: type[BaseModel]) -> None:
    for path, node in schema_nodes(cls.model_json_schema()):
        if node["type"] not in ("integer", "number"):
            continue
        assert "minimum" in node, path
        assert "maximum" in node, path
        assert -MAX_INT32 - 1 <= node["minimum"] <= node["maximum"] <= MAX_INT32, path


@pytest.mark.parametrize("cls", INBOUND_CLASSES, ids=lambda cls: cls.__name__)
def test_every_inbound_string_is_bounded_in_length_or_shape(cls: type[BaseModel]) -> None:
    for path, node in schema_nodes(cls.model_json_schema()):
        if node["type"] != "string" or "format" in node:
            continue
        if "amount" in path:
            continue  # a Decimal's text form, bounded by its value
        assert "maxLength" in node or "pattern" in node, path

"""Whatever a message holds, decoding never raises, and what it accepts fits the warehouse."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from schemas import codec
from schemas.events import FAMILY_OF_TYPE
from schemas.keys import event_key
from schemas.limits import (
    EARLIEST_DATE,
    EARLIEST_INSTANT,
    EARLIEST_YEAR,
    LATEST_DATE,
    LATEST_INSTANT,
    LATEST_YEAR,
    MAX_AMOUNT,
    MAX_INT32,
    MAX_TEXT,
    MAX_UNITS_AFFECTED,
    MAX_USAGE,
)

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples" / "events"
EXAMPLES = {
    path.stem: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(EXAMPLES_DIR.glob("*.json"))
    if path.stem in FAMILY_OF_TYPE
}
FAMILIES = st.sampled_from([None, "tickets", "repairs", "feedback", "reference", "other"])
FAST = settings(max_examples=200, deadline=None)

ODD_CHARACTERS = st.sampled_from(
    ["\x00", "\ud800", "\udfff", "\u2028", "\x85", "\x1b", "\ufeff", " ", "/", ".", "\\", "|"]
)
TEXT = st.text(alphabet=st.one_of(st.characters(), ODD_CHARACTERS), max_size=40)
OFFSETS = st.integers(min_value=-1439, max_value=1439).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
AWARE_DATETIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=OFFSETS
)
MONTHS = st.builds(
    lambda year, month: f"{year:04d}-{month:02d}",
    st.integers(min_value=0, max_value=9999),
    st.integers(min_value=0, max_value=13),
)
POISON = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**31 - 1, 2**31, 2**63, 10**30, -(2**31) - 1]),
    st.floats(),
    TEXT,
    st.text(max_size=3).map(lambda s: s * 3000),
    AWARE_DATETIMES.map(datetime.isoformat),
    st.dates().map(date.isoformat),
    MONTHS,
    st.sampled_from(["America", "Etc", "../x", "/etc/passwd", "UTC", "Europe/Berlin", "a\\b"]),
    st.decimals().map(str),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(TEXT, st.integers(), max_size=2),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=30,
)


def like(current: Any) -> st.SearchStrategy[Any]:
    """Values of the kind a field holds (so that many still decode), or anything at all."""
    kind: st.SearchStrategy[Any] = POISON
    if isinstance(current, bool):
        kind = st.booleans()
    elif isinstance(current, int):
        kind = st.one_of(st.integers(), st.integers(min_value=-10, max_value=2**31 + 10))
    elif isinstance(current, float):
        kind = st.floats()
    elif isinstance(current, str) and "T" in current and current[:4].isdigit():
        kind = AWARE_DATETIMES.map(datetime.isoformat)
    elif isinstance(current, str) and len(current) == 10 and current[:4].isdigit():
        kind = st.dates().map(date.isoformat)
    elif isinstance(current, str) and len(current) == 7 and current[:4].isdigit():
        kind = MONTHS
    elif isinstance(current, str):
        kind = st.one_of(TEXT, st.just(current + "\x00"), st.just(" " + current + "\u2028"))
    return st.one_of(kind, kind, POISON)


def value_at(document: Any, path: tuple[Any, ...]) -> Any:
    node = document
    for step in path:
        if isinstance(node, dict) and step not in node:
            return None
        node = node[step]
    return node


def to_bytes(value: Any, ascii_only: bool) -> bytes:
    # A lone surrogate is either a \ud800 escape or (not ASCII) bytes that are no UTF-8.
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value sits, plus one new key per object."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        found.append((*prefix, "unexpected"))
        for key, child in node.items():
            found.append((*prefix, key))
            found.extend(paths_of(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.append((*prefix, index))
            found.extend(paths_of(child, (*prefix, index)))
    return found


def put(document: Any, path: tuple[Any, ...], value: Any) -> None:
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def assert_storable_text(text: str) -> None:
    assert "\x00" not in text
    text.encode("utf-8")


def assert_within_bounds(value: Any) -> None:
    """Every value of an accepted event is one the warehouse columns take as they are."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            assert_within_bounds(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            assert_within_bounds(item)
    elif isinstance(value, datetime):
        assert value.tzinfo is not None
        assert EARLIEST_INSTANT <= value.astimezone(UTC) <= LATEST_INSTANT
        value.astimezone(UTC) + timedelta(days=3650)
        value.astimezone(UTC) - timedelta(days=3650)
    elif isinstance(value, date):
        assert EARLIEST_DATE <= value <= LATEST_DATE
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        assert -MAX_INT32 - 1 <= value <= MAX_INT32
    elif isinstance(value, float):
        assert math.isfinite(value)
        assert abs(value) <= MAX_USAGE
    elif isinstance(value, Decimal):
        assert value.is_finite()
        assert Decimal(0) <= value <= MAX_AMOUNT
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent <= 0
    elif isinstance(value, str):
        assert_storable_text(value)
        assert len(value) <= MAX_TEXT


def assert_decoded_safely(decoded: list[codec.Decoded]) -> None:
    assert decoded, "a message must give at least one event or one reason"
    for item in decoded:
        if isinstance(item, codec.Rejected):
            assert item.reason in codec.REASONS
            assert_storable_text(item.error)
            assert len(item.error) <= MAX_TEXT
            assert item.item_index is None or item.item_index >= 0
        else:
            assert_within_bounds(item)
            event_key(item).decode("utf-8")
            assert codec.decode(codec.encode(item)) == [item]


@FAST
@given(st.binary(max_size=2000), FAMILIES)
def test_never_raises_on_arbitrary_bytes(value: bytes, family: str | None) -> None:
    assert_decoded_safely(codec.decode(value, family))


@FAST
@given(st.sampled_from([b"[", b"{", b'{"event_type":"ticket.opened",']), st.binary(max_size=500))
def test_never_raises_on_arbitrary_bytes_that_start_like_json(head: bytes, tail: bytes) -> None:
    assert_decoded_safely(codec.decode(head + tail, "tickets"))


@FAST
@given(JSON_VALUES, st.booleans(), FAMILIES)
def test_never_raises_on_arbitrary_json_values(
    value: Any, ascii_only: bool, family: str | None
) -> None:
    assert_decoded_safely(codec.decode(to_bytes(value, ascii_only), family))
    assert_decoded_safely(codec.decode(to_bytes([value, value], ascii_only), family))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_accepted_events_stay_within_the_documented_bounds(data: st.DataObject) -> None:
    event_type = data.draw(st.sampled_from(sorted(EXAMPLES)), label="event_type")
    document = json.loads(json.dumps(EXAMPLES[event_type]))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        path = data.draw(st.sampled_from(paths_of(document)), label="path")
        put(document, path, data.draw(like(value_at(document, path)), label="value"))
    raw = to_bytes(document, data.draw(st.booleans(), label="ascii_only"))
    as_batch = data.draw(st.booleans(), label="as_batch")
    if as_batch:
        raw = b"[" + raw + b"," + to_bytes(EXAMPLES[event_type], True) + b"]"
    assert_decoded_safely(codec.decode(raw, FAMILY_OF_TYPE[event_type]))


@FAST
@given(AWARE_DATETIMES, st.sampled_from(["occurred_at", "sla_due_at"]))
def test_accepts_a_datetime_exactly_when_it_lies_in_the_range_in_utc(
    moment: datetime, field: str
) -> None:
    document = dict(EXAMPLES["ticket.opened"], **{field: moment.isoformat()})
    [decoded] = codec.decode(to_bytes(document, True), "tickets")
    inside = EARLIEST_INSTANT <= moment <= LATEST_INSTANT
    assert isinstance(decoded, codec.Rejected) is not inside
    if isinstance(decoded, codec.Rejected):
        assert field in decoded.error


@FAST
@given(st.dates())
def test_accepts_a_date_exactly_when_it_lies_in_the_range(day: date) -> None:
    document = dict(EXAMPLES["recall.announced"], announced_on=day.isoformat())
    [decoded] = codec.decode(to_bytes(document, True), "reference")
    assert isinstance(decoded, codec.Rejected) is not (EARLIEST_DATE <= day <= LATEST_DATE)


@FAST
@given(MONTHS)
def test_accepts_a_month_exactly_when_it_is_a_month_in_the_range(month: str) -> None:
    document = dict(EXAMPLES["units_sold.reported"], month=month)
    [decoded] = codec.decode(to_bytes(document, True), "reference")
    year, number = int(month[:4]), int(month[5:])
    valid = EARLIEST_YEAR <= year <= LATEST_YEAR and 1 <= number <= 12
    assert isinstance(decoded, codec.Rejected) is not valid


@FAST
@given(st.one_of(st.integers(), st.integers(min_value=-10, max_value=MAX_UNITS_AFFECTED + 10)))
def test_accepts_units_affected_exactly_within_the_domain_limit(units: int) -> None:
    document = dict(EXAMPLES["recall.announced"], units_affected=units)
    [decoded] = codec.decode(to_bytes(document, True), "reference")
    assert isinstance(decoded, codec.Rejected) is not (0 <= units <= MAX_UNITS_AFFECTED)


@FAST
@given(st.floats(), st.sampled_from(["labour_hours", "usage"]))
def test_accepts_a_float_exactly_when_it_is_finite_and_within_its_limit(
    number: float, field: str
) -> None:
    document = dict(EXAMPLES["repair.completed"], **{field: number})
    [decoded] = codec.decode(to_bytes(document, True), "repairs")
    limit = 1_000 if field == "labour_hours" else MAX_USAGE
    assert isinstance(decoded, codec.Rejected) is not (0 <= number <= limit)


AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.builds(
        lambda digits, exponent, sign: f"{sign}{digits}E{exponent:+d}",
        st.integers(min_value=0, max_value=10**6),
        st.one_of(st.integers(min_value=-40, max_value=40), st.just(1_000_000)),
        st.sampled_from(["", "-"]),
    ),
)


@FAST
@given(AMOUNTS)
def test_accepted_amounts_are_plain_finite_numbers_within_the_column(amount: str) -> None:
    document = json.loads(json.dumps(EXAMPLES["repair.completed"]))
    document["total_cost"] = {"amount": amount, "currency": "EUR"}
    assert_decoded_safely(codec.decode(to_bytes(document, True), "repairs"))

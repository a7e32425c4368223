"""The codec accepts valid events and gives every kind of bad input a reason."""

from __future__ import annotations

import json

import pytest

from schemas import codec
from schemas.limits import MAX_MESSAGE_BYTES
from tests.helpers import make, raw, ticket_opened


def test_decodes_a_single_valid_event() -> None:
    event = ticket_opened(1)
    assert codec.decode(raw(event), "tickets") == [event]


def test_decodes_a_batch_message_into_its_events() -> None:
    events = [ticket_opened(i, ticket_id=f"T-{i}") for i in range(3)]
    assert codec.decode(codec.encode_batch(events), "tickets") == events


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", codec.EMPTY),
        (b"\xff\xfe{", codec.BAD_ENCODING),
        (b'{"event_type": ', codec.INVALID_JSON),
        (b"42", codec.NOT_AN_OBJECT),
        (b'{"hello": 1}', codec.MISSING_EVENT_TYPE),
        (b'{"event_type": "ticket.exploded"}', codec.UNKNOWN_EVENT_TYPE),
        (b"x" * (MAX_MESSAGE_BYTES + 1), codec.OVERSIZE),
    ],
)
def test_rejects_bad_input_with_its_reason(value: bytes, reason: str) -> None:
    [rejected] = codec.decode(value, "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == reason


def test_rejects_a_newer_schema_version() -> None:
    payload = json.loads(raw(ticket_opened(1)))
    payload["schema_version"] = 2
    [rejected] = codec.decode(json.dumps(payload).encode(), "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.UNSUPPORTED_VERSION


def test_rejects_unknown_fields() -> None:
    payload = json.loads(raw(ticket_opened(1)))
    payload["surprise"] = True
    [rejected] = codec.decode(json.dumps(payload).encode(), "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.SCHEMA_VIOLATION
    assert "surprise" in rejected.error


def test_rejects_an_event_on_another_familys_topic() -> None:
    [rejected] = codec.decode(raw(ticket_opened(1)), "repairs")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.WRONG_TOPIC


def test_keeps_the_good_items_of_a_batch_and_rejects_the_bad_one_by_index() -> None:
    good = [ticket_opened(1), ticket_opened(2, ticket_id="T-2")]
    items = [json.loads(raw(good[0])), {"event_type": "ticket.opened"}, json.loads(raw(good[1]))]
    decoded = codec.decode(json.dumps(items).encode(), "tickets")
    assert decoded[0] == good[0]
    assert decoded[2] == good[1]
    assert isinstance(decoded[1], codec.Rejected)
    assert decoded[1].item_index == 1
    assert decoded[1].reason == codec.SCHEMA_VIOLATION


def test_rejects_naive_timestamps() -> None:
    payload = json.loads(raw(ticket_opened(1)))
    payload["occurred_at"] = "2024-03-01T09:00:00"
    [rejected] = codec.decode(json.dumps(payload).encode(), "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert "occurred_at" in rejected.error


def test_rejects_an_unknown_time_zone_and_a_lower_case_country() -> None:
    payload = json.loads(raw(ticket_opened(1)))
    payload["customer"]["timezone"] = "Mars/Olympus"
    payload["market"] = "de"
    [rejected] = codec.decode(json.dumps(payload).encode(), "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert "timezone" in rejected.error
    assert "market" in rejected.error


def test_unit_sold_needs_a_serial() -> None:
    with pytest.raises(ValueError, match="serial"):
        make(
            "unit.sold",
            1,
            product={"brand": "Acme", "model": "X"},
            market="DE",
            sold_on="2024-01-01",
        )

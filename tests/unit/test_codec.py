"""The codec accepts valid events and gives every kind of bad input a reason."""

from __future__ import annotations

import json

import pytest

from schemas import codec
from schemas.limits import MAX_MESSAGE_BYTES, MAX_TEXT
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


def test_ignores_fields_added_by_a_newer_producer_at_any_depth() -> None:
    event = ticket_opened(1)
    payload = json.loads(raw(event))
    payload["surprise"] = True
    payload["customer"]["loyalty_tier"] = "gold"
    assert codec.decode(json.dumps(payload).encode(), "tickets") == [event]


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


@pytest.mark.parametrize("value", [b"[]", b" [ ] ", b"[\n]"])
def test_rejects_an_empty_batch_so_it_becomes_a_dead_letter(value: bytes) -> None:
    [rejected] = codec.decode(value, "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.EMPTY_BATCH


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"null", codec.NOT_AN_OBJECT),
        (b"1e400", codec.NOT_AN_OBJECT),
        (b"123456789012345678901234567890", codec.NOT_AN_OBJECT),
        (b'"text"', codec.NOT_AN_OBJECT),
        (b"true", codec.NOT_AN_OBJECT),
        (b"[" * 100_000, codec.INVALID_JSON),
        (b"[" * 300 + b"]" * 300, codec.INVALID_JSON),
        (b'{"a":' * 300 + b"1" + b"}" * 300, codec.INVALID_JSON),
        (b"9" * 5000, codec.INVALID_JSON),
        (b"   ", codec.INVALID_JSON),
        (b"\xef\xbb\xbf{}", codec.INVALID_JSON),
        (b'{"event_type": 5}', codec.UNKNOWN_EVENT_TYPE),
        (b'{"event_type": null}', codec.UNKNOWN_EVENT_TYPE),
        (b'{"event_type": "x", "event_type": "y"}', codec.UNKNOWN_EVENT_TYPE),
        (b'{"x": "\\ud800"}', codec.INVALID_JSON),
        (b'{"x": "a\x00b"}', codec.INVALID_JSON),
    ],
)
def test_rejects_odd_json_without_raising(value: bytes, reason: str) -> None:
    [rejected] = codec.decode(value, "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == reason


@pytest.mark.parametrize(
    ("value", "reasons"),
    [
        (b"[1, 2]", [codec.NOT_AN_OBJECT, codec.NOT_AN_OBJECT]),
        (b"[[]]", [codec.NOT_AN_OBJECT]),
        (b"[null, {}]", [codec.NOT_AN_OBJECT, codec.MISSING_EVENT_TYPE]),
        (b'[NaN, "\\u0000"]', [codec.NOT_AN_OBJECT, codec.NOT_AN_OBJECT]),
    ],
)
def test_rejects_every_item_of_a_batch_of_non_objects(value: bytes, reasons: list[str]) -> None:
    decoded = codec.decode(value, "tickets")
    assert [(d.reason, d.item_index) for d in decoded if isinstance(d, codec.Rejected)] == [
        (reason, i) for i, reason in enumerate(reasons)
    ]


def test_rejects_a_batch_over_the_event_limit_without_validating_every_item() -> None:
    value = b"[" + b",".join([b"{}"] * 300_000) + b"]"
    [rejected] = codec.decode(value, "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.TOO_MANY_EVENTS
    assert "300000" in rejected.error


def test_rejects_only_the_batch_item_that_holds_nul() -> None:
    good = ticket_opened(1)
    bad = json.loads(raw(ticket_opened(2, ticket_id="T-2")))
    bad["summary"] = "broken\x00"
    value = json.dumps([json.loads(raw(good)), bad]).encode()
    decoded = codec.decode(value, "tickets")
    assert decoded[0] == good
    assert isinstance(decoded[1], codec.Rejected)
    assert decoded[1].reason == codec.SCHEMA_VIOLATION
    assert decoded[1].item_index == 1
    assert "summary" in decoded[1].error
    assert "NUL" in decoded[1].error


def test_accepts_text_that_only_spells_a_backslash_u0000() -> None:
    event = ticket_opened(1, summary="the log says \\u0000")
    assert codec.decode(raw(event), "tickets") == [event]


def test_turns_any_unexpected_failure_into_an_undecodable_dead_letter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Exploding:
        def validate_json(self, raw: bytes) -> object:
            raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(codec, "INBOUND", Exploding())
    [rejected] = codec.decode(raw(ticket_opened(1)), "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.UNDECODABLE
    assert rejected.error == "RecursionError: maximum recursion depth exceeded"


def test_accepts_a_bytearray_or_memoryview_value() -> None:
    event = ticket_opened(1)
    assert codec.decode(bytearray(raw(event)), "tickets") == [event]
    assert codec.decode(memoryview(raw(event)), "tickets") == [event]


def test_rejection_messages_are_always_storable_text() -> None:
    rejected = codec.Rejected(codec.SCHEMA_VIOLATION, "tag 'a\x00\ud800' " + "x" * 20_000)
    assert "\x00" not in rejected.error
    rejected.error.encode("utf-8")
    assert len(rejected.error) <= MAX_TEXT


def test_an_unknown_event_type_holding_nul_is_quoted_without_it() -> None:
    [rejected] = codec.decode(b'{"event_type": "ticket.opened\\u0000"}', "tickets")
    assert isinstance(rejected, codec.Rejected)
    assert "\x00" not in rejected.error
    assert "NUL" in rejected.error


def test_every_reason_is_listed_once() -> None:
    assert len(set(codec.REASONS)) == len(codec.REASONS)
    assert {codec.EMPTY_BATCH, codec.UNDECODABLE} <= set(codec.REASONS)


def test_keeps_the_good_items_when_one_batch_item_breaks_the_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = ticket_opened(1)
    real = codec.INBOUND

    class BreaksOnOneItem:
        def validate_json(self, raw: bytes) -> object:
            return real.validate_json(raw)

        def validate_python(self, item: object) -> object:
            if isinstance(item, dict) and item.get("ticket_id") == "T-boom":
                raise RuntimeError("validator broke")
            return real.validate_python(item)

    monkeypatch.setattr(codec, "INBOUND", BreaksOnOneItem())
    items = [json.loads(raw(good)), {**json.loads(raw(good)), "ticket_id": "T-boom"}, 1]
    decoded = codec.decode(json.dumps(items).encode(), "tickets")
    assert decoded[0] == good
    assert isinstance(decoded[1], codec.Rejected)
    assert (decoded[1].reason, decoded[1].item_index) == (codec.UNDECODABLE, 1)
    assert decoded[1].error == "RuntimeError: validator broke"
    assert isinstance(decoded[2], codec.Rejected)
    assert decoded[2].reason == codec.NOT_AN_OBJECT

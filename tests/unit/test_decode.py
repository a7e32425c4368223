"""Triage turns every message into accepted events or storable dead letters, whatever it holds."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.common.records import (
    DEAD_LETTER_KEY_BYTES,
    DEAD_LETTER_VALUE_BYTES,
    Message,
    headers_from_json,
    headers_to_json,
)
from pipeline.jobs.batch.deadletters import connect_headers
from pipeline.jobs.batch.decode import decode_batch, storable_text
from schemas.codec import encode_batch
from schemas.topics import Topics
from tests.helpers import raw, ticket_opened

TOPICS = Topics()
NOW = datetime(2024, 3, 5, tzinfo=UTC)


def _message(value: bytes | None, key: bytes | None = b"SN-1", **kw: object) -> Message:
    return Message(TOPICS.tickets, 3, 42, key, value, **kw)  # type: ignore[arg-type]


def test_an_event_dated_past_the_allowed_skew_is_a_dead_letter_with_its_reason() -> None:
    ahead = ticket_opened(1, at=NOW + timedelta(days=2))
    batch = decode_batch([_message(raw(ahead))], TOPICS, NOW, max_future=timedelta(days=1))
    assert batch.accepted == []
    (dead,) = batch.dead
    assert dead.record.reason == "future_event_time"
    assert "2024-03-07" in dead.record.error


def test_an_event_within_the_skew_is_accepted_and_no_skew_means_no_limit() -> None:
    ahead = ticket_opened(1, at=NOW + timedelta(hours=23))
    assert decode_batch([_message(raw(ahead))], TOPICS, NOW, max_future=timedelta(days=1)).accepted
    far = ticket_opened(2, at=NOW + timedelta(days=400))
    assert decode_batch([_message(raw(far))], TOPICS, NOW).accepted


def test_one_event_ahead_in_a_batch_message_is_set_aside_alone_with_its_index() -> None:
    events = [ticket_opened(1), ticket_opened(2, at=NOW + timedelta(days=9)), ticket_opened(3)]
    batch = decode_batch(
        [_message(encode_batch(events))], TOPICS, NOW, max_future=timedelta(days=1)
    )
    assert [a.item_index for a in batch.accepted] == [0, 2]
    assert [d.record.item_index for d in batch.dead] == [1]


def test_an_oversize_key_is_cut_and_flagged_so_the_dead_letter_fits_its_topic() -> None:
    (dead,) = decode_batch([_message(b"{", key=b"K" * 700_000)], TOPICS, NOW).dead
    assert dead.record.key_truncated
    assert dead.record.key_size == 700_000
    assert len(base64.b64decode(dead.record.key_b64 or "")) == DEAD_LETTER_KEY_BYTES
    assert dead.key is not None
    assert len(dead.key) == DEAD_LETTER_KEY_BYTES


def test_the_warehouse_keeps_no_more_of_a_value_than_the_dead_letter_topic() -> None:
    big = b"x" * (DEAD_LETTER_VALUE_BYTES * 3)
    (dead,) = decode_batch([_message(big)], TOPICS, NOW).dead
    assert dead.value is not None
    assert len(dead.value) == DEAD_LETTER_VALUE_BYTES
    assert dead.record.value_truncated
    assert dead.record.value_size == len(big)


def test_dead_letters_carry_connect_error_headers_and_the_original_headers() -> None:
    trace = ("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    (dead,) = decode_batch([_message(b"{oops", headers=(trace,))], TOPICS, NOW).dead
    headers = dict(connect_headers(dead))
    assert headers["__connect.errors.topic"] == TOPICS.tickets.encode()
    assert headers["__connect.errors.partition"] == b"3"
    assert headers["__connect.errors.offset"] == b"42"
    assert headers["__connect.errors.exception.class.name"] == b"aftersales.invalid_json"
    assert headers["__connect.errors.exception.message"]
    assert headers["traceparent"] == trace[1]
    assert headers_from_json(headers_to_json(dead.headers)) == (trace,)


def test_a_dead_letter_is_a_cloudevent_of_its_own_and_the_warehouse_keeps_the_original_one() -> (
    None
):
    original = (
        ("ce_specversion", b"1.0"),
        ("ce_id", b"not-a-uuid"),
        ("content-type", b"application/json"),
        ("x-tenant", b"acme"),
    )
    (dead,) = decode_batch([_message(b"{oops", headers=original)], TOPICS, NOW).dead
    sent = connect_headers(dead)
    names = [name for name, _ in sent]
    assert len(names) == len(set(names)), "no header may be sent twice"
    headers = dict(sent)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == dead.dead_letter_id.encode()
    assert headers["ce_type"] == b"deadletter"
    assert datetime.fromisoformat(headers["ce_time"].decode()) == NOW
    assert headers["content-type"] == b"application/json"
    assert headers["x-tenant"] == b"acme"
    assert dead.headers == original


@settings(max_examples=200, deadline=None)
@given(
    value=st.binary(max_size=400) | st.text(max_size=200).map(str.encode),
    key=st.none() | st.binary(max_size=50),
    topic=st.sampled_from([TOPICS.tickets, TOPICS.feedback, "elsewhere.\x00topic"]),
)
def test_every_message_is_accepted_or_a_dead_letter_whose_text_any_database_stores(
    value: bytes, key: bytes | None, topic: str
) -> None:
    message = Message(topic, 0, 7, key, value)
    batch = decode_batch([message], TOPICS, NOW, max_future=timedelta(days=1))
    assert batch.accepted or batch.dead
    for dead in batch.dead:
        for text in (dead.record.error, dead.record.topic, dead.record.reason):
            assert "\x00" not in text
            text.encode("utf-8")  # no lone surrogates


def test_storable_text_keeps_what_it_can_and_marks_what_it_cannot() -> None:
    assert storable_text("a\x00b") == "a\\u0000b"
    assert storable_text("\ud800x") == "\\ud800x"
    assert storable_text("plain 中文") == "plain 中文"

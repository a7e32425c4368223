"""CloudEvents on the wire: our messages carry binary-mode headers; every content mode is read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import cloudevents as ce
from schemas import codec
from schemas.events import FAMILY_OF_TYPE
from tests.unit.test_codec_properties import (
    EXAMPLES,
    JSON_VALUES,
    TEXT,
    assert_decoded_safely,
)

FAST = settings(max_examples=200, deadline=None)
ENVELOPE = ("event_id", "event_type", "occurred_at")


def native(event_type: str = "complaint.filed") -> dict[str, Any]:
    return json.loads(json.dumps(EXAMPLES[event_type]))


def attributes_of(document: dict[str, Any]) -> dict[str, str]:
    return {
        "specversion": "1.0",
        "id": document["event_id"],
        "type": document["event_type"],
        "time": document["occurred_at"],
        "source": "urn:example:dealer-portal",
    }


def binary(document: dict[str, Any], **attributes: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    headers = [(f"ce_{name}", value.encode()) for name, value in attributes.items()]
    return json.dumps(document).encode(), [*headers, ("content-type", b"application/json")]


def structured(document: dict[str, Any], attributes: dict[str, str]) -> dict[str, Any]:
    return {**attributes, "datacontenttype": "application/json", "data": document}


def test_our_events_carry_the_binary_mode_headers_of_their_envelope() -> None:
    (event,) = codec.decode(json.dumps(native()).encode())
    headers = dict(ce.event_headers(event, "urn:aftersales"))  # type: ignore[arg-type]
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == str(event.event_id).encode()  # type: ignore[union-attr]
    assert headers["ce_type"] == b"complaint.filed"
    assert headers["ce_source"] == b"urn:aftersales"
    assert datetime.fromisoformat(headers["ce_time"].decode()) == event.occurred_at  # type: ignore[union-attr]
    assert headers["ce_dataschema"] == b"https://aftersales.dev/schemas/complaint.filed.v1.json"
    assert headers["content-type"] == b"application/json"


def test_a_binary_mode_message_decodes_as_its_data_would_alone() -> None:
    document = native()
    value, headers = binary(document, **attributes_of(document))
    assert codec.decode(value, "feedback", headers) == codec.decode(value, "feedback")


def test_binary_mode_fills_in_the_envelope_the_data_leaves_out() -> None:
    document = native()
    attributes = attributes_of(document)
    for field in (*ENVELOPE, "source"):
        del document[field]
    value, headers = binary(document, **attributes)
    (event,) = codec.decode(value, "feedback", headers)
    assert not isinstance(event, codec.Rejected), event
    assert str(event.event_id) == attributes["id"]
    assert event.event_type == attributes["type"]
    assert event.occurred_at == datetime.fromisoformat(attributes["time"])
    assert event.source == attributes["source"]


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("id", "00000000-0000-4000-8000-000000000000"),
        ("type", "complaint.updated"),
        ("time", "2001-01-01T00:00:00+00:00"),
    ],
)
def test_headers_that_contradict_the_data_make_a_dead_letter_with_the_reason(
    attribute: str, value: str
) -> None:
    document = native()
    attributes = {**attributes_of(document), attribute: value}
    value, headers = binary(document, **attributes)
    (rejected,) = codec.decode(value, "feedback", headers)
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.CLOUDEVENT_MISMATCH
    assert attribute in rejected.error


def test_the_same_instant_written_another_way_is_no_contradiction() -> None:
    document = native()
    occurred = datetime.fromisoformat(document["occurred_at"]).astimezone(UTC)
    attributes = {**attributes_of(document), "time": occurred.isoformat().replace("+00:00", "Z")}
    value, headers = binary(document, **attributes)
    assert codec.decode(value, "feedback", headers) == codec.decode(value, "feedback")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("ce_specversion", b"0.3")], codec.INVALID_CLOUDEVENT),
        ([("ce_specversion", b"1.0"), ("content-type", b"text/plain")], codec.INVALID_CLOUDEVENT),
        ([("ce_specversion", b"\xff")], codec.INVALID_CLOUDEVENT),
        ([("ce_specversion", b"1.0"), ("ce_time", b"yesterday")], codec.INVALID_CLOUDEVENT),
    ],
)
def test_an_envelope_we_cannot_read_is_a_dead_letter_never_a_guess(
    headers: list[tuple[str, bytes]], reason: str
) -> None:
    (rejected,) = codec.decode(json.dumps(native()).encode(), "feedback", headers)
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == reason


def test_a_structured_mode_message_carries_its_event_in_data() -> None:
    document = native()
    attributes = attributes_of(document)
    envelope = structured({k: v for k, v in document.items() if k not in ENVELOPE}, attributes)
    headers = [("content-type", b"application/cloudevents+json; charset=utf-8")]
    (event,) = codec.decode(json.dumps(envelope).encode(), "feedback", headers)
    assert event == codec.decode(json.dumps(document).encode(), "feedback")[0]


@pytest.mark.parametrize(
    ("change", "left_out"),
    [
        ({"specversion": "2.0"}, ()),
        ({"datacontenttype": "application/xml"}, ()),
        ({"data_base64": "e30="}, ("data",)),
        ({}, ("data",)),
    ],
)
def test_a_structured_envelope_we_cannot_read_is_a_dead_letter(
    change: dict[str, Any], left_out: tuple[str, ...]
) -> None:
    document = native()
    envelope = {**structured(document, attributes_of(document)), **change}
    for name in left_out:
        del envelope[name]
    headers = [("content-type", b"application/cloudevents+json")]
    (rejected,) = codec.decode(json.dumps(envelope).encode(), "feedback", headers)
    assert isinstance(rejected, codec.Rejected)
    assert rejected.reason == codec.INVALID_CLOUDEVENT


def test_a_cloudevents_batch_is_read_item_by_item_and_a_bad_item_goes_alone() -> None:
    good = native()
    other = native("complaint.updated")
    bad = {**attributes_of(good), "type": "complaint.updated"}
    batch = [
        structured(good, attributes_of(good)),
        structured(other, attributes_of(other)),
        structured(good, bad),
        other,  # an item without specversion: our own event, as batches were once sent
    ]
    headers = [("content-type", b"application/cloudevents-batch+json")]
    decoded = codec.decode(json.dumps(batch).encode(), "feedback", headers)
    alone = [codec.decode(json.dumps(d).encode(), "feedback")[0] for d in (good, other)]
    assert decoded[:2] == alone
    assert isinstance(decoded[2], codec.Rejected)
    assert (decoded[2].reason, decoded[2].item_index) == (codec.CLOUDEVENT_MISMATCH, 2)
    assert decoded[3] == alone[1]


def test_our_batches_go_under_our_own_content_type_and_still_decode() -> None:
    events = [codec.decode(json.dumps(native(t)).encode())[0] for t in ("complaint.filed",) * 2]
    raw = codec.encode_batch(events)  # type: ignore[arg-type]
    assert codec.BATCH_CONTENT_TYPE == "application/vnd.aftersales.batch+json"
    headers = [("content-type", codec.BATCH_CONTENT_TYPE.encode())]
    assert codec.decode(raw, "feedback", headers) == events


def test_the_headers_of_an_event_we_publish_decode_back_to_it() -> None:
    for event_type in sorted(EXAMPLES):
        (event,) = codec.decode(json.dumps(EXAMPLES[event_type]).encode())
        assert not isinstance(event, codec.Rejected), event
        headers = ce.event_headers(event, "urn:aftersales")
        family = FAMILY_OF_TYPE[event_type]
        assert codec.decode(codec.encode(event), family, headers) == [event]


HEADER_NAMES = st.sampled_from(
    ["ce_specversion", "ce_id", "ce_type", "ce_time", "ce_source", "content-type", "CE_ID", "x"]
)
HEADER_VALUES = st.one_of(
    st.sampled_from(
        [
            b"1.0",
            b"application/cloudevents+json",
            b"application/cloudevents-batch+json",
            b"application/json",
            b"complaint.filed",
        ]
    ),
    st.binary(max_size=40),
    TEXT.map(lambda s: s.encode("utf-8", "surrogatepass")),
)
HEADERS = st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6)


@FAST
@given(st.binary(max_size=1000), HEADERS)
def test_never_raises_whatever_the_headers_and_bytes(value: bytes, headers: Any) -> None:
    assert_decoded_safely(codec.decode(value, "feedback", headers))


@FAST
@given(JSON_VALUES, HEADERS, st.booleans())
def test_never_raises_on_envelopes_of_any_json(value: Any, headers: Any, wrap: bool) -> None:
    document: Any = {"specversion": "1.0", "data": value} if wrap else value
    raw = json.dumps([document, document] if wrap else document).encode()
    assert_decoded_safely(codec.decode(raw, "feedback", headers))


@FAST
@given(st.data())
def test_every_example_reads_the_same_in_every_content_mode(data: st.DataObject) -> None:
    event_type = data.draw(st.sampled_from(sorted(EXAMPLES)))
    document = native(event_type)
    attributes = attributes_of(document)
    left_out = data.draw(st.sets(st.sampled_from(ENVELOPE)))
    carried = {k: v for k, v in document.items() if k not in left_out}
    family = FAMILY_OF_TYPE[event_type]
    expected = codec.decode(json.dumps(document).encode(), family)
    value, headers = binary(carried, **attributes)
    assert codec.decode(value, family, headers) == expected
    envelope = json.dumps(structured(carried, attributes)).encode()
    assert codec.decode(envelope, family, [("content-type", ce.STRUCTURED.encode())]) == expected
    batch = json.dumps([structured(carried, attributes)] * 2).encode()
    assert codec.decode(batch, family, [("content-type", ce.BATCH.encode())]) == expected * 2

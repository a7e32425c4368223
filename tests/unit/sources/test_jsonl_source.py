"""JSON Lines files decode by the codec's rules and report rejections by line."""

from datetime import UTC, datetime
from uuid import UUID

from producers.sources.jsonl import read_jsonl
from producers.sources.report import Skipped
from schemas import codec
from schemas.feedback import ComplaintFiled
from schemas.parts import ProductRef


def _complaint(number: int) -> ComplaintFiled:
    return ComplaintFiled(
        event_id=UUID(int=number),
        occurred_at=datetime(2024, 3, 1, tzinfo=UTC),
        source="test",
        product=ProductRef(brand="Acme", model="Cooler"),
        complaint_id=f"C-{number}",
        market="DE",
    )


def test_yields_each_event_with_its_line_number_and_ignores_blank_lines() -> None:
    lines = [codec.encode(_complaint(1)), b"", b"   \n", codec.encode(_complaint(2)) + b"\n"]

    items = list(read_jsonl(lines))

    events = [item for item in items if isinstance(item, tuple)]
    assert len(events) == len(items)
    assert [(line_no, event.event_id) for line_no, event in events] == [
        (1, UUID(int=1)),
        (4, UUID(int=2)),
    ]


def test_reads_a_line_holding_an_array_of_events() -> None:
    lines = [codec.encode_batch([_complaint(1), _complaint(2)])]

    items = list(read_jsonl(lines))

    assert [item[0] for item in items if isinstance(item, tuple)] == [1, 1]


def test_rejects_bad_lines_with_the_codec_reason() -> None:
    lines = [
        b"{not json",
        b'"just a string"',
        b'{"event_type": "nothing.happened"}',
        b"\xff\xfe{}",
        codec.encode(_complaint(5)),
    ]

    items = list(read_jsonl(lines))

    skipped = [(s.line_no, s.reason) for s in items if isinstance(s, Skipped)]
    assert skipped == [
        (1, codec.INVALID_JSON),
        (2, codec.NOT_AN_OBJECT),
        (3, codec.UNKNOWN_EVENT_TYPE),
        (4, codec.BAD_ENCODING),
    ]
    assert isinstance(items[-1], tuple)
    assert items[-1][0] == 5


def test_names_the_bad_item_of_an_array() -> None:
    good = codec.encode(_complaint(1))
    bad = good.replace(b'"market":"DE"', b'"market":"Germany"')

    items = list(read_jsonl([b"[" + good + b"," + bad + b"]"]))

    assert isinstance(items[0], tuple)
    assert isinstance(items[1], Skipped)
    assert items[1].reason == codec.SCHEMA_VIOLATION
    assert items[1].detail.startswith("item 1:")

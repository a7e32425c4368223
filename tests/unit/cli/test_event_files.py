"""`produce` reads what people write: a pretty-printed event, a JSON array or JSON Lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from producers.sources.event_files import read_event_file
from producers.sources.report import Skipped
from schemas.events import INBOUND

EXAMPLES = Path(__file__).parents[3] / "examples" / "events"


def _inbound_examples() -> list[dict[str, object]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        try:
            INBOUND.validate_python(document)
        except ValueError:
            continue  # an output event: not ours to produce
        out.append(document)
    return out


EVENTS = _inbound_examples()


def _read(data: bytes) -> tuple[str, list[object]]:
    counts, items = read_event_file(io.BytesIO(data))
    return counts, list(items)


def _ids(items: list[object]) -> list[str]:
    return [str(event.event_id) for _, event in items]  # type: ignore[misc]


def test_the_shipped_examples_are_accepted_as_they_are_written() -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if document not in EVENTS:
            continue
        counts, items = _read(path.read_bytes())
        assert counts == "item"
        assert _ids(items) == [document["event_id"]], path.name


@settings(max_examples=50, deadline=None, database=None)
@given(st.lists(st.sampled_from(EVENTS), min_size=1, max_size=8), st.sampled_from([0, 2]))
def test_an_array_json_lines_and_one_object_per_line_give_the_same_events(
    events: list[dict[str, object]], indent: int
) -> None:
    array = json.dumps(events, indent=indent or None).encode()
    lines = b"\n".join(json.dumps(e).encode() for e in events) + b"\n"
    from_array = _read(array)[1]
    from_lines = _read(lines)[1]
    assert _ids(from_array) == _ids(from_lines) == [e["event_id"] for e in events]


def test_json_lines_report_bad_lines_by_number() -> None:
    good = json.dumps(EVENTS[0]).encode()
    counts, items = _read(b"\n" + good + b"\nnot json\n" + good + b"\n")
    assert counts == "line"
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [(s.line_no, s.reason) for s in skipped] == [(3, "invalid_json")]
    assert len(items) == 3


def test_a_bad_item_of_an_array_is_reported_by_its_position_and_the_rest_is_kept() -> None:
    bad = {**EVENTS[0], "event_type": "ticket.vanished"}
    counts, items = _read(json.dumps([EVENTS[0], bad, EVENTS[0]], indent=2).encode())
    assert counts == "item"
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [(s.line_no, s.reason) for s in skipped] == [(2, "unknown_event_type")]
    assert len(items) == 3


def test_an_array_may_hold_more_events_than_one_message_could() -> None:
    events = [{**EVENTS[0], "event_id": f"00000000-0000-4000-8000-{n:012d}"} for n in range(5001)]
    counts, items = _read(json.dumps(events, indent=1).encode())
    assert counts == "item"
    assert not [i for i in items if isinstance(i, Skipped)]
    assert len(items) == 5001


def test_a_broken_pretty_printed_file_is_reported_line_by_line() -> None:
    counts, items = _read(b'{\n  "event_id": \n')
    assert counts == "line"
    assert all(isinstance(i, Skipped) for i in items)
    assert [i.line_no for i in items] == [1, 2]  # type: ignore[union-attr]

"""CLI output: tables show data as plain text, JSON stays exact and terminal-safe."""

from __future__ import annotations

import io
import json
import unicodedata
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.common.output import Format, emit, to_json

HOSTILE = (
    "[/]",
    "[bold red]shout[/bold red]",
    "[link=https://evil.example]click[/link]",
    ":smile: :warning:",
    "\x1b[2J\x1b]0;owned\x07",
    "\x9b31m C1 CSI",
    "back\x08\x08space\rover",
    "\u202eevil\u202c \u2066isolate\u2069",
    "\x00\x7f\u2028",
)
values = st.one_of(
    st.sampled_from(HOSTILE), st.text(max_size=30), st.integers(), st.floats(), st.none()
)
OUTPUTS = settings(max_examples=200, deadline=None, database=None)


def printed(rows: Any, fmt: Format, **kw: Any) -> str:
    out = io.StringIO()
    emit(rows, fmt, out=out, **kw)
    return out.getvalue()


def test_a_dealer_named_like_markup_is_printed_as_typed() -> None:
    table = printed([{"label": "[/]", "repairs": 3}, {"label": "[bold]Nord[/bold]"}], Format.table)

    assert "[/]" in table
    assert "[bold]Nord[/bold]" in table


def test_tables_drop_terminal_escapes_and_control_characters() -> None:
    table = printed([{"label": text} for text in HOSTILE], Format.table, title="Dealers [/]")

    assert "Dealers [/]" in table
    assert all(ch.isprintable() or ch == "\n" for ch in table)
    assert "owned" in table  # the text stays, only the control characters go


@OUTPUTS
@given(rows=st.lists(st.dictionaries(st.sampled_from(["a", "[/]", "c"]), values), max_size=3))
def test_any_table_prints_without_error_or_control_characters(
    rows: list[dict[str, Any]],
) -> None:
    table = printed(rows, Format.table, title="[/]", columns=["a", "[/]", "c"])

    assert all(ch.isprintable() or ch == "\n" for ch in table)


@OUTPUTS
@given(rows=st.lists(st.dictionaries(st.text(max_size=5), values), max_size=3))
def test_json_and_json_lines_parse_back_to_exactly_the_rows(rows: list[dict[str, Any]]) -> None:
    as_json = printed(rows, Format.json)
    as_lines = printed(rows, Format.jsonl)

    assert _same(json.loads(as_json), rows)
    assert _same([json.loads(line) for line in as_lines.splitlines()], rows)
    for text in (as_json, as_lines):
        assert all(
            ch.isprintable() or ch == "\n" or unicodedata.category(ch) == "Zs" for ch in text
        )


def test_json_escapes_what_a_terminal_could_act_on_and_nothing_else() -> None:
    text = to_json({"name": "Süd Partner 宁波 \x9b2J \u202eevil \x7f"}, indent=None)

    assert text == '{"name": "Süd Partner 宁波 \\u009b2J \\u202eevil \\u007f"}'


def _same(left: Any, right: Any) -> bool:
    # NaN is not equal to itself; JSON writes it as NaN and reads it back as NaN.
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)

"""CSV output: every field under its own name, fractions as they are, no cell a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from pipeline.common.output import Format, emit


def as_csv(rows: Any, **kw: Any) -> str:
    out = io.StringIO()
    emit(rows, Format.csv, out=out, **kw)
    return out.getvalue()


def test_csv_has_one_header_of_field_names_and_one_line_per_record() -> None:
    rows = [
        {"key": "D1", "rate": 0.25, "hours": None, "at": datetime(2024, 1, 2, 3, tzinfo=UTC)},
        {"key": "D2", "rate": 1 / 3, "extra": {"a": [1, 2]}, "open": True},
    ]
    text = as_csv(rows, percent=("rate",), headers={"rate": "rate %"})

    lines = text.splitlines()
    assert lines[0] == "key,rate,hours,at,extra,open"
    records = list(csv.DictReader(io.StringIO(text)))
    assert records[0] == {
        "key": "D1",
        "rate": "0.25",
        "hours": "",
        "at": "2024-01-02T03:00:00+00:00",
        "extra": "",
        "open": "",
    }
    assert float(records[1]["rate"]) == 1 / 3
    assert records[1]["extra"] == '{"a": [1, 2]}'
    assert records[1]["open"] == "true"


def test_a_csv_cell_never_starts_like_a_spreadsheet_formula() -> None:
    rows = [
        {"name": '=HYPERLINK("http://x")', "nps": -50.0},
        {"name": "@SUM(A1)", "nps": 0},
        {"name": "+1 dealer\x1b[31m", "nps": 10},
        {"name": "-minus", "nps": None},
    ]
    records = list(csv.DictReader(io.StringIO(as_csv(rows))))

    assert [r["name"] for r in records] == [
        '\'=HYPERLINK("http://x")',
        "'@SUM(A1)",
        "'+1 dealer[31m",
        "'-minus",
    ]
    assert [r["nps"] for r in records] == ["-50.0", "0", "10", ""]


def test_one_record_is_one_csv_line_under_the_header() -> None:
    assert as_csv({"table": "repairs", "rows": 3}) == "table,rows\nrepairs,3\n"


def test_tables_show_large_numbers_without_an_exponent() -> None:
    out = io.StringIO()
    emit([{"hours": 1234.6}, {"hours": 2.345}], Format.table, out=out)
    assert "1,235" in out.getvalue()
    assert "e+" not in out.getvalue()
    assert "2.35" in out.getvalue()

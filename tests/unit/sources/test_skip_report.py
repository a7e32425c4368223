"""The skip report tallies what readers yield."""

from producers.sources.report import Skipped, SkipReport


def test_counts_yielded_and_skipped_items_by_reason_and_keeps_a_few_examples() -> None:
    report = SkipReport(examples_per_reason=2)
    items: list[object] = [
        "event",
        Skipped(2, "bad_date", "a"),
        Skipped(3, "bad_date", "b"),
        Skipped(4, "bad_date", "c"),
        Skipped(5, "no_date", "d"),
        "event",
    ]

    passed = [report.tally(item) for item in items]

    assert passed == items
    assert report.read == 6
    assert report.yielded == 2
    assert report.skipped_total == 4
    assert dict(report.skipped) == {"bad_date": 3, "no_date": 1}
    assert [s.line_no for s in report.examples["bad_date"]] == [2, 3]


def test_summary_lists_counts_recoded_lines_and_examples() -> None:
    report = SkipReport()
    report.tally(Skipped(7, "bad_number", "MILES 'x' is not a number"))
    report.note_recoded(3, "cp1252")

    assert report.summary() == {
        "read": 1,
        "yielded": 0,
        "skipped": {"bad_number": 1},
        "recoded": {"cp1252": 1},
        "examples": {"bad_number": ["line 7: MILES 'x' is not a number"]},
    }

"""Weekly trend of a flag's signature against the detector's or the signature's own baseline."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.reports.flags import week_of, weekly_trend


def test_week_starts_on_monday() -> None:
    assert week_of(date(2024, 6, 2)) == date(2024, 5, 27)
    assert week_of(date(2024, 5, 27)) == date(2024, 5, 27)


def test_sums_days_into_weeks_and_keeps_empty_weeks() -> None:
    daily = {date(2024, 5, 6): 2, date(2024, 5, 8): 3, date(2024, 5, 22): 1}

    trend = weekly_trend(daily, date(2024, 5, 1), date(2024, 5, 23), weekly_expected=1.5)

    assert [(p.week_start, p.observed) for p in trend] == [
        (date(2024, 4, 29), 0),
        (date(2024, 5, 6), 5),
        (date(2024, 5, 13), 0),
        (date(2024, 5, 20), 1),
    ]
    assert {p.expected for p in trend} == {1.5}


def test_without_detector_rate_expects_the_trailing_mean_once_four_weeks_exist() -> None:
    first = date(2024, 1, 1)
    counts = [2, 4, 0, 2, 8, 1, 1, 1, 1, 1]
    daily = {date.fromordinal(first.toordinal() + 7 * i): n for i, n in enumerate(counts)}

    trend = weekly_trend(daily, first, date(2024, 3, 4), weekly_expected=None)

    assert [p.expected for p in trend[:4]] == [None] * 4
    assert trend[4].expected == pytest.approx(2.0)
    assert trend[9].expected == pytest.approx(sum(counts[1:9]) / 8)

"""Weekly trend of a flag's signature against the detector's or the signature's own baseline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.reports.flags import flag_trend, week_of, weekly_trend


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


daily_counts = st.dictionaries(
    st.dates(date(2023, 1, 1), date(2024, 12, 31)), st.integers(1, 9), max_size=40
)


@settings(max_examples=200, deadline=None, database=None)
@given(
    daily=daily_counts,
    raised=st.dates(date(2023, 6, 1), date(2024, 12, 31)),
    window_days=st.sampled_from([21, 28, 90, 365]),
    peak=st.dates(date(2023, 6, 1), date(2024, 12, 31)),
)
def test_the_dark_bars_add_up_to_the_detectors_window_wherever_it_lies(
    daily: dict[date, int], raised: date, window_days: int, peak: date
) -> None:
    start = peak - timedelta(days=window_days - 1)

    trend = flag_trend(daily, raised, 0.5, start, peak)

    in_window = sum(n for day, n in daily.items() if start <= day <= peak)
    assert sum(p.in_window for p in trend) == in_window
    assert all(0 <= p.in_window <= p.observed for p in trend)
    assert len(trend) <= (max([raised, peak, *daily]) - min([raised, *daily])).days // 7 + 6


def test_a_window_split_across_weeks_counts_only_its_own_days() -> None:
    daily = {date(2024, 5, 6): 2, date(2024, 5, 8): 3, date(2024, 5, 22): 1}

    trend = weekly_trend(
        daily, date(2024, 5, 6), date(2024, 5, 22), 1.0, (date(2024, 5, 7), date(2024, 5, 21))
    )

    assert [(p.observed, p.in_window) for p in trend] == [(5, 3), (0, 0), (1, 0)]

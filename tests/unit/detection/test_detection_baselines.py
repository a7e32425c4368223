"""The naive yardsticks: flag on the k-th complaint within a window."""

from __future__ import annotations

from datetime import date

from pipeline.detection import DayCount, Series, Signature, kth_in_window
from tests.unit.detection.detection_factories import at

SIG = Signature("Ford", "Escape", "2020", "ENGINE")


def _series(days: dict[int, int]) -> Series:
    start = date(2020, 1, 1).toordinal()
    return Series.from_counts({date.fromordinal(start + d): DayCount(n) for d, n in days.items()})


def test_fifth_complaint_within_a_year_raises_the_flag_on_its_day() -> None:
    series = _series({0: 1, 100: 2, 200: 1, 300: 1, 301: 3})

    (flag,) = kth_in_window(SIG, series, k=5, window_days=365)

    assert flag.opened_at == at(300)
    assert flag.closed_at is None
    assert flag.method == "baseline_5_in_365d"


def test_complaints_spread_wider_than_the_window_do_not_count_together() -> None:
    series = _series({0: 3, 365: 3, 730: 3})

    assert kth_in_window(SIG, series, k=5, window_days=365) == []
    assert kth_in_window(SIG, series, k=5, window_days=366)[0].opened_at == at(365)


def test_tenth_complaint_baseline_is_only_raised_once() -> None:
    series = _series(dict.fromkeys(range(0, 2000, 50), 5))

    flags = kth_in_window(SIG, series, k=10, window_days=365)

    assert [f.opened_at for f in flags] == [at(50)]
    assert kth_in_window(SIG, series, k=10, window_days=365, as_of=at(40).toordinal()) == []

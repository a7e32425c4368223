"""The out-of-sample bench's helpers: baselines at our flag rate, scoring, make slices."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bench.detection_lomo import (
    CONFIRM_DAYS,
    at_same_rate,
    baseline_flag_sets,
    first_days_reaching,
    score_point,
)
from bench.detection_offline import NhtsaData, Recall
from pipeline.detection import (
    DayCount,
    FlagEpisode,
    InMemoryCountStore,
    Series,
    Signature,
    kth_in_window,
)
from pipeline.detection.episodes import day_start
from tests.unit.detection.detection_factories import complaint

SIG = Signature("Acme", "Roadster", "2020", "ENGINE")
D0 = date(2018, 1, 1)


def test_the_baseline_value_at_our_flag_count_is_read_between_the_bracketing_k() -> None:
    curve = [(30.0, 0.9), (10.0, 0.5), (20.0, 0.7)]
    assert at_same_rate(curve, 15) == 0.6
    assert at_same_rate(curve, 5) == 0.5
    assert at_same_rate(curve, 40) == 0.9
    assert at_same_rate([], 5) is None


@given(
    st.lists(st.tuples(st.integers(0, 100), st.floats(0, 1)), min_size=1, max_size=8),
    st.integers(0, 100),
)
def test_the_interpolated_value_lies_between_its_neighbours(
    curve: list[tuple[int, float]], flags: int
) -> None:
    points = [(float(x), y) for x, y in curve]
    value = at_same_rate(points, flags)
    assert value is not None
    assert min(y for _, y in points) - 1e-9 <= value <= max(y for _, y in points) + 1e-9


@given(
    st.dictionaries(st.integers(0, 900), st.integers(1, 4), min_size=1, max_size=40),
    st.sampled_from([30, 90, 365]),
)
def test_the_one_pass_baseline_opens_where_the_kth_complaint_rule_does(
    counts: dict[int, int], window: int
) -> None:
    series = Series.from_counts({D0 + timedelta(days=d): DayCount(n) for d, n in counts.items()})
    ks = list(range(1, 12))
    fast = first_days_reaching(series, window, ks)
    for k, day in zip(ks, fast, strict=True):
        slow = kth_in_window(SIG, series, k, window)
        assert day == (slow[0].opened_at.date().toordinal() if slow else None)


def test_baseline_flag_sets_flag_each_signature_once_per_k() -> None:
    store = InMemoryCountStore()
    store.add({(SIG, D0 + timedelta(days=d)): DayCount(1) for d in range(5)})
    sets = baseline_flag_sets(store, 365, [1, 5, 6])
    assert [len(sets[k].get(SIG, [])) for k in (1, 5, 6)] == [1, 1, 0]
    assert sets[5][SIG][0].opened_at == day_start((D0 + timedelta(days=4)).toordinal())


def _flag(day: date) -> FlagEpisode:
    return FlagEpisode(SIG, "m", day_start(day.toordinal()), None, 1.0, "low")


def test_a_flag_counts_as_confirmed_only_when_a_recall_follows_within_three_years() -> None:
    last = D0 + timedelta(days=5 * 365)
    confirmed, unconfirmed, too_recent = D0, D0 + timedelta(days=30), last - timedelta(days=10)
    recalls = [Recall("R1", SIG, D0 + timedelta(days=20))]
    point = score_point({SIG: [_flag(confirmed), _flag(unconfirmed), _flag(too_recent)]},
                        recalls, recalls, 1000, last)  # fmt: skip
    assert (point.judged, point.confirmed, point.flags) == (2, 1, 3)
    assert point.hits == 1
    assert point.leads == (20,)
    assert (last - too_recent).days < CONFIRM_DAYS


def test_a_make_slice_holds_nothing_of_the_other_makes() -> None:
    from pipeline.detection import observation_from_event

    obs = [
        o
        for brand in ("FORD", "TESLA")
        if (o := observation_from_event(complaint(brand=brand))) is not None
    ]
    data = NhtsaData(30, tuple(obs), (), (("FORD", 10), ("TESLA", 20)))
    tesla = data.only({"TESLA"})
    assert {o.brand for o in tesla.observations} == {"TESLA"}
    assert tesla.rows == 20
    assert tesla.makes == ["TESLA"]
    assert np.isclose(data.only({"FORD", "TESLA"}).rows, 30)

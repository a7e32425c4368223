"""The effectiveness check against cases worked out by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest

from pipeline.loop.effectiveness import (
    DAYS_PER_MONTH,
    Claim,
    Cohort,
    Comparison,
    EffectivenessParams,
    FieldUnit,
    UnitClaim,
    compare_builds,
    compare_builds_by_market,
    compare_field_fix,
    first_changed_month,
    judge,
    rate_ratio_test,
)

PARAMS = EffectivenessParams()


def test_no_claim_after_the_change_bounds_the_ratio_by_the_closed_form() -> None:
    # 0 of 20 claims after: the upper Clopper-Pearson bound on p is 1 - 0.025^(1/20).
    ratio, (lower, upper), p_value = rate_ratio_test(0, 1000.0, 20, 1000.0)
    p_up = 1 - 0.025 ** (1 / 20)
    assert ratio == 0.0
    assert lower == 0.0
    assert upper == pytest.approx(p_up / (1 - p_up))
    assert upper == pytest.approx(0.20255, abs=1e-4)
    assert p_value == pytest.approx(0.5**20)


def test_all_claims_after_the_change_bounds_the_ratio_from_below() -> None:
    ratio, (lower, upper), p_value = rate_ratio_test(10, 500.0, 0, 500.0)
    p_low = 0.025 ** (1 / 10)
    assert math.isinf(ratio)
    assert math.isinf(upper)
    assert lower == pytest.approx(p_low / (1 - p_low))
    assert lower == pytest.approx(2.2415, abs=1e-3)
    assert p_value == pytest.approx(1.0)


def test_the_p_value_is_the_binomial_tail_at_the_exposure_share() -> None:
    # 2 of 4 claims after, equal exposure: P(X <= 2 | 4, 1/2) = (1 + 4 + 6) / 16.
    assert rate_ratio_test(2, 10.0, 2, 10.0)[2] == pytest.approx(11 / 16)
    # 0 of 5 after with a tenth of the exposure: (1000/1100)^5; ratio scales by exposure.
    ratio, (_, upper), p_value = rate_ratio_test(0, 100.0, 5, 1000.0)
    p_up = 1 - 0.025 ** (1 / 5)
    assert p_value == pytest.approx((1000 / 1100) ** 5)
    assert upper == pytest.approx(p_up / (1 - p_up) * 10)
    assert ratio == 0.0


def test_fewer_claims_after_the_change_beyond_doubt_is_effective() -> None:
    found = judge(Comparison(0, 1000.0, 20, 1000.0, 6.0), PARAMS)
    assert found.verdict == "effective"
    assert found.interval is not None
    assert found.interval[1] < 1


def test_claims_at_the_old_rate_beyond_half_of_it_is_not_effective() -> None:
    found = judge(Comparison(10, 500.0, 0, 500.0, 6.0), PARAMS)
    assert found.verdict == "not effective"
    # 30 and 30 on equal exposure: the lower bound (about 0.58) is above one half.
    assert judge(Comparison(30, 1000.0, 30, 1000.0, 6.0), PARAMS).verdict == "not effective"


def test_an_interval_spanning_both_outcomes_is_not_yet_known() -> None:
    found = judge(Comparison(3, 1000.0, 4, 1000.0, 6.0), PARAMS)
    assert found.verdict == "not yet known"
    assert found.interval is not None
    assert found.interval[0] < PARAMS.failed_ratio
    assert found.interval[1] > 1


def test_too_few_months_in_service_is_not_yet_known_whatever_the_counts() -> None:
    found = judge(Comparison(0, 1000.0, 50, 1000.0, 2.0), PARAMS)
    assert found.verdict == "not yet known"
    assert "too few units or months" in found.reason
    assert found.interval is None


def test_too_few_claims_or_no_units_is_not_yet_known() -> None:
    assert "too few claims" in judge(Comparison(0, 1000.0, 4, 1000.0, 6.0), PARAMS).reason
    assert judge(Comparison(0, 0.0, 20, 1000.0, 6.0), PARAMS).verdict == "not yet known"
    assert judge(Comparison(0, 1000.0, 0, 0.0, 6.0), PARAMS).verdict == "not yet known"


def test_a_cutover_within_a_month_changes_the_next_month() -> None:
    assert first_changed_month(date(2024, 3, 1)) == date(2024, 3, 1)
    assert first_changed_month(date(2024, 3, 10)) == date(2024, 4, 1)
    assert first_changed_month(date(2024, 12, 2)) == date(2025, 1, 1)


def test_builds_are_compared_at_the_months_in_service_the_changed_units_reached() -> None:
    cohorts = [Cohort(date(2024, 1, 1), 100), Cohort(date(2024, 3, 1), 100)]
    claims = [
        Claim(date(2024, 1, 10), date(2024, 3, 20)),  # before, 70 days old: counted
        Claim(date(2024, 1, 10), date(2024, 5, 1)),  # before, 112 days old: past the reach
        Claim(date(2024, 1, 10), date(2024, 2, 20)),  # before the cutover: outside the window
        Claim(date(2024, 3, 5), date(2024, 4, 1)),  # after
    ]
    found = compare_builds(cohorts, claims, date(2024, 3, 1), date(2024, 6, 16), PARAMS)
    # Changed units sold mid-March are 92 days old on 16 June.
    assert found.months_in_service == pytest.approx(92 / DAYS_PER_MONTH)
    assert found.exposure_after == pytest.approx(100 * 92 / DAYS_PER_MONTH)
    # January's units (mid-January) count from 1 March until they are 92 days old (17 April).
    assert found.exposure_before == pytest.approx(100 * 47 / DAYS_PER_MONTH)
    assert (found.claims_after, found.claims_before) == (1, 1)


def test_the_month_a_cutover_falls_in_counts_for_neither_group() -> None:
    cohorts = [Cohort(date(2024, 2, 1), 50), Cohort(date(2024, 3, 1), 70)]
    claims = [Claim(date(2024, 3, 12), date(2024, 5, 1))]
    found = compare_builds(cohorts, claims, date(2024, 3, 10), date(2024, 9, 1), PARAMS)
    assert (found.claims_after, found.claims_before) == (0, 0)
    assert found.exposure_after == 0.0
    assert found.months_in_service == 0.0
    assert judge(found, PARAMS).verdict == "not yet known"


def test_a_field_fix_compares_repaired_units_with_those_not_reached_yet() -> None:
    population = [
        FieldUnit("A", date(2023, 1, 1), repaired_on=date(2024, 2, 1)),
        FieldUnit("B", date(2023, 1, 1)),
    ]
    claims = [
        UnitClaim("A", date(2024, 1, 15)),  # before its repair
        UnitClaim("A", date(2024, 2, 1)),  # the campaign repair's own day: neither
        UnitClaim("A", date(2024, 2, 10)),  # after
        UnitClaim("B", date(2024, 2, 20)),  # never repaired
        UnitClaim("C", date(2024, 2, 20)),  # not in the population
    ]
    found = compare_field_fix(population, claims, date(2024, 1, 1), date(2024, 3, 1), PARAMS)
    assert found.exposure_before == pytest.approx((31 + 60) / DAYS_PER_MONTH)
    assert found.exposure_after == pytest.approx(29 / DAYS_PER_MONTH)
    assert (found.claims_after, found.claims_before) == (1, 2)
    assert found.months_in_service == pytest.approx(29 / DAYS_PER_MONTH)


def test_a_fix_that_works_in_one_market_is_not_called_ineffective_when_pooled() -> None:
    # Market A: 0 claims after against 20 before; market B: 40 after against 20 before. Pooled,
    # 40 against 40 on equal exposure reads "not effective"; market A says wait.
    pooled = Comparison(40, 2000.0, 40, 2000.0, 6.0)
    markets = {
        "A": Comparison(0, 1000.0, 20, 1000.0, 6.0),
        "B": Comparison(40, 1000.0, 20, 1000.0, 6.0),
    }
    assert judge(pooled, PARAMS).verdict == "not effective"
    found = judge(pooled, PARAMS, markets)
    assert found.verdict == "not yet known"
    assert "in A alone" in found.reason
    same = {"B": markets["B"]}
    assert judge(pooled, PARAMS, same).verdict == "not effective"


def test_builds_are_compared_within_each_market_too() -> None:
    cohorts = [
        Cohort(date(2024, 1, 1), 100, "DE"),
        Cohort(date(2024, 3, 1), 100, "DE"),
        Cohort(date(2024, 3, 1), 50, "FR"),
    ]
    claims = [
        Claim(date(2024, 1, 10), date(2024, 3, 20), "DE"),
        Claim(date(2024, 3, 5), date(2024, 4, 1), "FR"),
    ]
    found = compare_builds_by_market(cohorts, claims, date(2024, 3, 1), date(2024, 6, 16), PARAMS)
    assert (found["DE"].claims_after, found["DE"].claims_before) == (0, 1)
    assert (found["FR"].claims_after, found["FR"].claims_before) == (1, 0)
    assert found["FR"].exposure_before == 0.0
    assert found["FR"].exposure_after == pytest.approx(50 * 92 / DAYS_PER_MONTH)

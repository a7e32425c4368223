"""The installed-base detector: claims against units in service, Poisson exceedance and CUSUM."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from pipeline.detection import (
    DetectionParams,
    InMemoryInstalledBase,
    Observation,
    Signature,
    evaluate,
    monitored,
)
from pipeline.detection.exposure import (
    cusum,
    daily_sales,
    exposure_from_sales,
    rate_ratio_p_value,
)
from tests.unit.detection.detection_factories import D0, at, observations_from_counts, store_of

MODELS = ("A", "B", "C", "D", "E", "F")
DAYS = 900
RATE = 2e-5  # claims per unit-day


def _installed_base(units_per_month: int = 2000, months: int = 30) -> InMemoryInstalledBase:
    sales = []
    for model in MODELS:
        for k in range(months):
            month = f"{2020 + k // 12}-{k % 12 + 1:02d}"
            sales.append((("Acme", model, "2020", "DE", month), units_per_month))
    return InMemoryInstalledBase.from_sales(sales)


def _claims(
    base: InMemoryInstalledBase, seed: int, defect: tuple[str, int, float] | None = None
) -> list[Observation]:
    rng = np.random.default_rng(seed)
    start = D0.toordinal()
    in_service = exposure_from_sales(
        daily_sales(base.monthly_sales("Acme", "A", "2020"), start, start + DAYS - 1), ()
    )
    out: list[Observation] = []
    for model in MODELS:
        for component in ("ENGINE", "BRAKES"):
            mean = RATE * in_service
            if defect and (model, component) == (defect[0], "ENGINE"):
                mean = mean.copy()
                mean[defect[1] :] *= defect[2]
            out += observations_from_counts(rng.poisson(mean), model=model, component=component)
    return out


def test_units_in_service_accumulate_each_months_sales_over_its_days() -> None:
    sales = {date(2020, 1, 1): 31, date(2020, 2, 1): 290}
    start = date(2020, 1, 1).toordinal()

    in_service = exposure_from_sales(daily_sales(sales, start, start + 60), ())

    assert in_service[0] == 1.0
    assert in_service[30] == 31.0
    assert in_service[59] == 321.0


def test_cusum_matches_the_textbook_recursion_and_resets_after_a_signal() -> None:
    rng = np.random.default_rng(3)
    increments = rng.normal(-0.2, 1.0, 500)
    values, signals = cusum(increments, threshold=3.0)

    expected, s = [], 0.0
    fired = []
    for t, d in enumerate(increments):
        s = max(0.0, s + d)
        expected.append(s)
        if s > 3.0:
            fired.append(t)
            s = 0.0
    assert np.allclose(values, expected)
    assert list(np.flatnonzero(signals)) == fired


def test_flags_a_doubled_claim_rate_within_thirty_days_of_onset() -> None:
    base = _installed_base()
    onset = 400
    store = store_of(_claims(base, seed=11, defect=("A", onset, 2.0)))
    target = Signature("Acme", "A", "2020", "ENGINE")

    (episode,) = evaluate([target], store, base, as_of=date(2022, 6, 1))[target]

    assert episode.method == "exposure_rate"
    assert at(onset) <= episode.opened_at <= at(onset + 30)
    assert episode.evidence["observed"] > episode.evidence["expected"]


def test_closes_when_the_rate_returns_to_normal() -> None:
    base = _installed_base()
    healthy = _claims(base, seed=12)
    bad_month = observations_from_counts(
        np.full(30, 3), model="A", component="ENGINE", first_day=400
    )
    store = store_of(healthy + [replace(o, event_id=f"x{o.event_id}") for o in bad_month])
    target = Signature("Acme", "A", "2020", "ENGINE")

    (episode,) = evaluate([target], store, base, as_of=date(2022, 6, 1))[target]

    assert at(400) <= episode.opened_at <= at(430)
    assert episode.closed_at is not None
    assert episode.closed_at <= at(430 + DetectionParams().close_after_days + 30)


def test_a_burst_is_judged_on_its_last_three_weeks_of_claims() -> None:
    base = _installed_base()
    healthy = _claims(base, seed=13)
    bad_weeks = observations_from_counts(
        np.full(21, 3), model="A", component="ENGINE", first_day=400
    )
    store = store_of(healthy + [replace(o, event_id=f"x{o.event_id}") for o in bad_weeks])
    target = Signature("Acme", "A", "2020", "ENGINE")

    (episode,) = evaluate([target], store, base, as_of=date(2022, 6, 1))[target]

    assert episode.evidence["window_days"] == 21
    assert at(400) <= episode.opened_at <= at(421)
    assert episode.evidence["observed"] >= 3 * 21


def test_stable_claims_raise_fewer_than_one_flag_per_1000_signature_months() -> None:
    base = _installed_base()
    flags, signature_months = 0, 0.0
    for seed in range(8):
        store = store_of(_claims(base, seed=100 + seed))
        targets = [s for s in monitored(store.signatures()) if s.variant != "*"]
        found = evaluate(targets, store, base, as_of=date(2022, 6, 1))
        flags += sum(len(e) for e in found.values())
        signature_months += len(targets) * DAYS / 30.44

    assert 1000 * flags / signature_months < 1.0


def test_peers_set_the_baseline_of_a_product_with_no_history_of_its_own() -> None:
    base = _installed_base()
    store = store_of(_claims(base, seed=14, defect=("A", 400, 2.0)))
    target = Signature("Acme", "A", "2020", "ENGINE")
    params = replace(DetectionParams(), baseline="peers")

    (episode,) = evaluate([target], store, base, params, as_of=date(2022, 6, 1))[target]

    # A doubling, where the CUSUM is tuned for a tripling: about two months.
    assert at(400) <= episode.opened_at <= at(470)
    assert episode.evidence["baseline_rate_per_unit_day"] < 1.5 * RATE


def test_without_peers_the_signatures_own_first_months_set_the_baseline() -> None:
    single = InMemoryInstalledBase(
        {k: v for k, v in _installed_base().by_product.items() if k[1] == "A"}
    )
    store = store_of(_claims(single, seed=13, defect=("A", 400, 3.0)))
    target = Signature("Acme", "A", "2020", "ENGINE")
    params = replace(DetectionParams(), baseline="peers", own_baseline_days=300)

    (episode,) = evaluate([target], store, single, params, as_of=date(2022, 6, 1))[target]

    assert at(400) <= episode.opened_at <= at(430)


def _two_market_base() -> InMemoryInstalledBase:
    sales = []
    for model in MODELS:
        for market in ("DE", "FR", "ES", "IT"):
            for k in range(30):
                month = f"{2020 + k // 12}-{k % 12 + 1:02d}"
                sales.append((("Acme", model, "2020", market, month), 500))
    return InMemoryInstalledBase.from_sales(sales)


def _market_claims(seed: int, defect_market: str | None) -> list[Observation]:
    """Engine claims of every model in four markets; from day 400 model A's triple in one."""
    base = _two_market_base()
    rng = np.random.default_rng(seed)
    start = D0.toordinal()
    sales = base.monthly_sales("Acme", "A", "2020@DE")
    in_service = exposure_from_sales(daily_sales(sales, start, start + DAYS - 1), ())
    out: list[Observation] = []
    for model in MODELS:
        for market in ("DE", "FR", "ES", "IT"):
            mean = 2 * RATE * in_service
            if model == "A" and market == defect_market:
                mean = mean.copy()
                mean[400:] *= 3.0
            claims = observations_from_counts(rng.poisson(mean), model=model)
            out += [replace(o, market=market, event_id=f"{market}{o.event_id}") for o in claims]
    return out


def test_units_sold_are_kept_per_market_as_well_as_summed() -> None:
    base = _two_market_base()

    assert base.monthly_sales("Acme", "A", "2020@DE")[date(2020, 1, 1)] == 500
    assert base.monthly_sales("Acme", "A", "2020")[date(2020, 1, 1)] == 2000


def test_a_defect_in_one_market_is_flagged_on_that_markets_signature() -> None:
    base = _two_market_base()
    store = store_of(_market_claims(seed=21, defect_market="FR"))
    in_france = Signature("Acme", "A", "2020@FR", "ENGINE")
    in_spain = Signature("Acme", "A", "2020@ES", "ENGINE")

    flags = evaluate([in_france, in_spain], store, base, as_of=date(2022, 6, 1))

    (episode,) = flags[in_france]
    assert at(400) <= episode.opened_at <= at(460)
    assert flags[in_spain] == []


def test_market_signatures_are_not_judged_without_units_sold_per_market() -> None:
    store = store_of(_market_claims(seed=21, defect_market="FR"))
    in_france = Signature("Acme", "A", "2020@FR", "ENGINE")

    assert evaluate([in_france], store, None, as_of=date(2022, 6, 1)) == {in_france: []}
    no_markets = replace(DetectionParams(), monitor_markets=False)
    assert evaluate([in_france], store, _two_market_base(), no_markets, date(2022, 6, 1)) == {
        in_france: []
    }


def test_a_rate_estimated_from_few_claims_makes_a_burst_less_surprising() -> None:
    observed, expected = np.array([6.0, 6.0]), np.array([1.0, 1.0])

    few, many = rate_ratio_p_value(observed, expected, np.array([5.0, 500.0]))

    assert many < 1e-3 < few

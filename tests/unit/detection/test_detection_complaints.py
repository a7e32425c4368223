"""The complaint detector (no installed base): raising, updating and closing flags in event time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from pipeline.detection import (
    DetectionParams,
    Observation,
    Signature,
    diff_episodes,
    evaluate,
    monitored,
)
from tests.unit.detection.detection_factories import (
    D0,
    at,
    observation,
    observations_from_counts,
    signature,
    store_of,
)

VOLUME_ONLY = replace(DetectionParams(), ic_threshold=99.0, surge_alpha=1e-300)
PUMP = signature(component="ENGINE")


def _background(days: int = 1200) -> list[Observation]:
    """Steady, unremarkable complaints on other components and other products."""
    out: list[Observation] = []
    for model in ("Roadster", "Coupe", "Van", "Truck"):
        for component in ("BRAKES", "BODY", "ENGINE"):
            if model == "Roadster" and component == "ENGINE":
                continue
            pattern = np.zeros(days, dtype=int)
            pattern[::120] = 1
            out += observations_from_counts(pattern, model=model, component=component)
    return out


def _engine_rare_background(days: int = 1200) -> list[Observation]:
    """Six products complaining mostly about brakes, body and seats, rarely about the engine."""
    out: list[Observation] = []
    for model in ("Roadster", "Coupe", "Van", "Truck", "Bus", "Cab"):
        for component, every in (("BRAKES", 30), ("BODY", 30), ("SEATS", 30), ("ENGINE", 180)):
            if model == "Roadster" and component == "ENGINE":
                continue
            pattern = np.zeros(days, dtype=int)
            pattern[::every] = 1
            out += observations_from_counts(pattern, model=model, component=component)
    return out


def _burst(first_day: int, count: int, every: int = 1, severe: bool = False) -> list[Observation]:
    return [observation(first_day + k * every, severe=severe) for k in range(count)]


def test_flags_a_signature_on_the_day_its_tenth_complaint_arrives() -> None:
    store = store_of(_background() + _burst(100, 12))

    flags = evaluate([PUMP], store, params=VOLUME_ONLY, as_of=date(2022, 1, 1))[PUMP]

    assert len(flags) == 1
    assert flags[0].opened_at == at(109)
    assert flags[0].method == "complaint_signal"
    assert flags[0].evidence["window_days"] == 365
    assert flags[0].evidence["observed"] == 12


def test_does_not_flag_nine_complaints_a_year() -> None:
    store = store_of(_background() + _burst(100, 9, every=30))

    assert evaluate([PUMP], store, params=VOLUME_ONLY, as_of=date(2022, 1, 1))[PUMP] == []


def test_severe_complaints_count_triple_so_four_fires_are_enough() -> None:
    store = store_of(_background() + _burst(100, 5, severe=True))

    flags = evaluate([PUMP], store, params=VOLUME_ONLY, as_of=date(2022, 1, 1))[PUMP]

    assert flags[0].opened_at == at(103)
    assert flags[0].severity == "critical"


def test_a_component_every_product_complains_about_needs_more_than_the_volume_trigger() -> None:
    common = [observation(100 + k, component="BODY") for k in range(40)]
    for model in ("Coupe", "Van", "Truck"):
        common += [observation(100 + k, model=model) for k in range(40)]
    store = store_of(_background() + common + _burst(100, 12))

    flags = evaluate([PUMP], store, params=VOLUME_ONLY, as_of=date(2022, 1, 1))[PUMP]
    without_ratio = replace(VOLUME_ONLY, volume_min_ratio=0.0)

    assert flags == []
    assert evaluate([PUMP], store, params=without_ratio, as_of=date(2022, 1, 1))[PUMP] != []


def test_closes_once_the_count_stays_low_for_the_quiet_period() -> None:
    params = replace(VOLUME_ONLY, complaint_close_after_days=30)
    store = store_of(_background() + _burst(100, 10))

    (episode,) = evaluate([PUMP], store, params=params, as_of=date(2022, 1, 1))[PUMP]

    # Complaints on days 100..109 leave the 365-day window on days 465..474; below 5 from 470.
    assert episode.closed_at == at(470 + 29)


def test_reports_raised_then_updated_then_closed_as_evidence_grows_and_fades() -> None:
    params = replace(VOLUME_ONLY, complaint_close_after_days=30)
    store = store_of(_background() + _burst(100, 10) + _burst(200, 30))

    def flags_as_of(day: int) -> list:
        return evaluate([PUMP], store, params=params, as_of=D0 + timedelta(days=day))[PUMP]

    early, later, final = flags_as_of(110), flags_as_of(240), flags_as_of(900)
    assert [c.change for c in diff_episodes([], early)] == ["raised"]
    assert [c.change for c in diff_episodes(early, later)] == ["updated"]
    assert later[0].score > early[0].score
    assert [c.change for c in diff_episodes(later, final)] == ["closed"]
    assert final[0].closed_at is not None
    assert diff_episodes(final, final) == []


def test_a_component_out_of_proportion_for_its_product_is_flagged_below_the_volume_trigger() -> (
    None
):
    params = replace(DetectionParams(), surge_alpha=1e-300, min_weighted_count=1000)
    store = store_of(_engine_rare_background() + _burst(300, 7, every=20))

    (episode,) = evaluate([PUMP], store, params=params, as_of=date(2022, 1, 1))[PUMP]

    assert episode.evidence["ic_lower"] > 0
    assert episode.evidence["observed"] < 10


def test_the_same_counts_are_unremarkable_when_every_product_has_them() -> None:
    params = replace(DetectionParams(), surge_alpha=1e-300, min_weighted_count=1000)
    common = []
    for model in ("Coupe", "Van", "Truck"):
        common += [observation(300 + 20 * k, model=model) for k in range(7)]
    store = store_of(_engine_rare_background() + common + _burst(300, 7, every=20))

    assert evaluate([PUMP], store, params=params, as_of=date(2022, 1, 1))[PUMP] == []


def test_stable_poisson_complaints_raise_fewer_than_one_flag_per_1000_signature_months() -> None:
    rng = np.random.default_rng(20240601)
    days, models, components = 1826, 20, ("ENGINE", "BRAKES", "BODY", "ELECTRICAL", "SEATS")
    observations: list[Observation] = []
    for m in range(models):
        for component in components:
            daily = rng.poisson(2.0 / 365, days)
            observations += observations_from_counts(daily, model=f"M{m}", component=component)
    store = store_of(observations)

    flags = evaluate(monitored(store.signatures()), store, params=DetectionParams())

    variant_flags = sum(len(e) for s, e in flags.items() if s.variant != "*")
    signature_months = models * len(components) * days / 30.44
    assert 1000 * variant_flags / signature_months < 1.0


def test_model_level_signature_pools_variants() -> None:
    spread = []
    for variant in ("2019", "2020", "2021", "2022"):
        spread += [observation(100 + 10 * k, variant=variant) for k in range(8)]
    store = store_of(_background() + spread)
    model_level = Signature("Acme", "Roadster", "*", "ENGINE")

    params = replace(VOLUME_ONLY, monitor_model_level=True)

    flags = evaluate([model_level, PUMP], store, params=params, as_of=date(2022, 1, 1))

    assert flags[PUMP] == []
    assert len(flags[model_level]) == 1


def test_a_flag_says_how_many_complaints_are_excess_and_how_likely_chance_is() -> None:
    from scipy import special

    from pipeline.detection.complaints import complaint_signal

    counts = np.zeros(40)
    counts[-12:] = 1.0
    flat = np.full(40, 10.0)
    signal = complaint_signal(
        start=0,
        counts=counts,
        severe=np.zeros(40),
        product_total=counts + 1.0,
        component_total=flat,
        grand_total=flat * 20,
        params=DetectionParams(),
    )
    observed, expected = signal.observed[-1], signal.expected[-1]
    assert observed == 12
    assert signal.extra["excess_complaints"][-1] == observed - expected
    assert np.isclose(signal.extra["chance"][-1], special.pdtrc(observed - 1, expected))
    assert signal.extra["chance"][-1] < signal.extra["chance"][-7] < 1.0

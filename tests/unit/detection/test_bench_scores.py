"""The bench's other complaint scores: component weights from recall history, the EB05 bound."""

from __future__ import annotations

import numpy as np

from bench.detection_propensity import component_weights
from bench.detection_scores import eb_lower, fit_prior
from pipeline.detection import Signature


def _signatures(component: str, count: int) -> list[Signature]:
    return [Signature("Acme", f"M{k}", "2020", component) for k in range(count)]


def test_a_component_recalled_more_often_than_average_weighs_more() -> None:
    airbags, radios = _signatures("AIR_BAGS", 10), _signatures("RADIO", 10)
    peaks = dict.fromkeys(airbags + radios, 20.0)
    recalled = set(airbags[:8]) | set(radios[:1])

    weights = dict(component_weights(peaks, recalled))

    assert weights["AIR_BAGS"] > 1.0 > weights["RADIO"]


def test_signatures_never_complained_about_do_not_count() -> None:
    airbags, radios = _signatures("AIR_BAGS", 10), _signatures("RADIO", 10)
    quiet = dict.fromkeys(radios, 2.0)
    peaks = dict.fromkeys(airbags, 20.0) | quiet

    weights = dict(component_weights(peaks, set(airbags[:5]) | set(radios)))

    assert "RADIO" not in weights
    assert weights["AIR_BAGS"] == 1.0


def test_a_component_seen_once_is_shrunk_towards_the_average() -> None:
    common = _signatures("BRAKES", 40)
    lone = _signatures("HORN", 1)
    peaks = dict.fromkeys(common + lone, 20.0)

    weights = dict(component_weights(peaks, set(common[:10]) | set(lone)))

    # Recalled 1 of 1 against 11 of 41 overall: a raw rate ratio of 3.7, damped well below it.
    assert 1.0 < weights["HORN"] < 1.6


def test_no_recalls_give_no_weights() -> None:
    assert component_weights(dict.fromkeys(_signatures("BRAKES", 3), 20.0), set()) == ()


def test_eb05_is_above_one_only_when_observed_clearly_exceeds_expected() -> None:
    rng = np.random.default_rng(3)
    expected = rng.uniform(0.5, 20.0, 2000)
    observed = rng.poisson(expected * rng.gamma(2.0, 0.5, expected.size)).astype(float)
    prior = fit_prior(observed, expected)

    lower = eb_lower(np.array([40.0, 3.0, 1.0]), np.array([5.0, 5.0, 0.2]), prior)

    assert lower[0] > 3.0
    assert lower[1] < 1.0
    # One complaint where 0.2 were expected is a ratio of 5, but says little: shrunk below 1.
    assert lower[2] < 1.0

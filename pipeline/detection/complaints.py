"""Detection without an installed base: volume, disproportionality and surge in complaint counts.

Three triggers on a trailing window, any of which raises the flag:

* **volume**: severity-weighted complaints in the window reach ``min_weighted_count`` (a severe
  report counts ``severe_weight`` times, so safety problems need fewer reports);
* **disproportionality**: the signature's share of its product's complaints, against the
  component's share of all complaints. The 2x2 table is (signature, rest of the product, rest of
  the component, everything else); observed ``a`` against expected ``E = product x component /
  total``, with a BCPNN-style information component ``IC = log2((a+.5)/(E+.5))`` whose lower
  credible bound (gamma posterior, quantile ``ic_quantile``) must exceed ``ic_threshold``. The
  +0.5 shrinks small counts towards "nothing special", as empirical Bayes does;
* **surge**: the last ``surge_recent_days`` against the signature's own previous year
  (one-sided Poisson test), for a long-quiet signature that suddenly wakes up.

Each flag's evidence also says, in plain terms, ``excess_complaints`` (observed minus expected
in the window) and ``chance``: how often a signature with this expectation would collect this
many complaints by chance alone (one-sided Poisson), so a reader can rank flags by surprise.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from pipeline.detection.episodes import DailySignal
from pipeline.detection.params import DetectionParams
from pipeline.detection.ports import FloatArray
from pipeline.detection.windows import shifted, trailing_sum

METHOD = "complaint_signal"


def information_component_lower(
    observed: FloatArray, expected: FloatArray, quantile: float
) -> FloatArray:
    """log2 of the ``quantile`` of the gamma(a + 0.5, E + 0.5) posterior of observed/expected."""
    lower = special.gammaincinv(observed + 0.5, quantile) / (expected + 0.5)
    return np.log2(np.maximum(lower, 1e-300))


def complaint_signal(
    *,
    start: int,
    counts: FloatArray,
    severe: FloatArray,
    product_total: FloatArray,
    component_total: FloatArray,
    grand_total: FloatArray,
    params: DetectionParams,
    model_component: FloatArray | None = None,
    model_total: FloatArray | None = None,
) -> DailySignal:
    """The daily verdict for one signature; all arrays cover the same days from ``start``."""
    window = params.window_days
    observed = trailing_sum(counts, window)
    severe_window = trailing_sum(severe, window)
    weighted = observed + (params.severe_weight - 1.0) * severe_window
    product = trailing_sum(product_total, window)
    component = trailing_sum(component_total, window)
    total = trailing_sum(grand_total, window)
    expected = product * component / np.maximum(total, 1.0)

    enough = observed >= params.dispro_min_count
    ic_lower = np.full(observed.size, -np.inf)
    if enough.any():
        ic_lower[enough] = information_component_lower(
            observed[enough], expected[enough], params.ic_quantile
        )
    disproportionate = enough & (ic_lower > params.ic_threshold)
    if (
        model_component is not None
        and model_total is not None
        and params.dispro_within_model != "off"
    ):
        # The model year against the model's other years: defects are built into some years.
        model_window = trailing_sum(model_total, window)
        within = trailing_sum(model_component, window) * product / np.maximum(model_window, 1.0)
        ic_within = np.full(observed.size, -np.inf)
        if enough.any():
            ic_within[enough] = information_component_lower(
                observed[enough], within[enough], params.ic_quantile
            )
        # A model with no other year complaining has nothing to compare the year with.
        alone = model_window <= product
        year_specific = enough & ((ic_within > params.ic_threshold) | alone)
        if params.dispro_within_model == "and":
            disproportionate = disproportionate & year_specific
        elif params.dispro_within_model == "or":
            disproportionate = disproportionate | year_specific
        else:
            disproportionate = year_specific
    # Volume alone is no signal where every product complains this much about the component.
    volume = (weighted >= params.min_weighted_count) & (
        weighted >= params.volume_min_ratio * expected
    )

    recent_days = params.surge_recent_days
    recent = trailing_sum(counts, recent_days)
    own_past = shifted(trailing_sum(counts, window), recent_days)
    past_rate = np.maximum(own_past, params.surge_min_rate_per_year * window / 365.0)
    recent_expected = past_rate * recent_days / window
    surge_p = np.ones(observed.size)
    candidates = recent >= params.surge_min_count
    if candidates.any():
        # P(X >= recent), X ~ Poisson(expected); recent = 0 gives nan, which never passes alpha.
        surge_p[candidates] = special.pdtrc(recent[candidates] - 1, recent_expected[candidates])
    surge = candidates & (surge_p < params.surge_alpha)

    # Plain-language evidence: complaints beyond what the product's volume and the component's
    # share lead one to expect, and how often a signature this size would reach this count by
    # chance (one-sided Poisson).
    excess = np.maximum(observed - expected, 0.0)
    chance = np.ones(observed.size)
    some = observed > 0
    if some.any():
        chance[some] = special.pdtrc(observed[some] - 1, np.maximum(expected[some], 1e-9))
    alarm = volume | disproportionate | surge
    score = np.maximum.reduce(
        [
            weighted / params.min_weighted_count,
            np.where(enough, np.exp2(ic_lower - params.ic_threshold), 0.0),
            np.log10(np.maximum(surge_p, 1e-300)) / np.log10(params.surge_alpha),
        ]
    )
    clear = (
        (weighted < params.close_fraction * params.min_weighted_count) & ~disproportionate & ~surge
    )
    return DailySignal(
        method=METHOD,
        start=start,
        alarm=alarm,
        clear=clear,
        score=score,
        observed=observed,
        expected=expected,
        severe=severe_window,
        window_days=window,
        extra={
            "weighted": weighted,
            "ic_lower": np.where(enough, ic_lower, np.nan),
            "product_window": product,
            "component_window": component,
            "recent": recent,
            "recent_expected": recent_expected,
            "excess_complaints": excess,
            "chance": chance,
        },
    )

"""Alternative complaint scores against counting, leave one make out, each at the count's flag rate.

Every score is a daily number per variant-level signature; a signature is flagged on the first
day its score reaches a threshold (as the count baseline is), and the threshold is swept so that
each score's recall can be read at the count baseline's flag count for 6 and 10 flags per 1,000
rows. Nothing here is tuned on the held-out make: the Gamma-Poisson prior is fitted on the
training makes' counts only. Scores are sampled every ``STEP_DAYS`` days (a flag a few days late
changes no strict hit in a year-long window).

* ``count``: complaints in 365 days (the baseline itself, the reference);
* ``severity_weighted``: a crash, fire, injury or death report counts 3 times;
* ``eb05``: DuMouchel's Gamma-Poisson shrinker (two-gamma mixture prior fitted by maximum
  likelihood to (observed, expected) pairs), 5% lower bound of observed/expected, where expected
  is the product's complaints times the component's share of all complaints;
* ``adjacent_years``: the model year's complaints plus half those of the years either side;
* ``age_share``: complaints over the expectation from the product's volume and the component's
  share among all products of the same age in years (``count / (E + 1) ** 0.5``);
* ``recall_weighted``: complaints times the component's weight from how often the training
  makes' complained-about signatures of that component were recalled
  (``bench.detection_propensity``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

import numpy as np
from scipy import optimize, special

from bench.detection_lomo import Slice, prepare
from bench.detection_offline import NhtsaData
from bench.detection_propensity import component_weights
from pipeline.detection import ANY, Signature, monitored
from pipeline.detection.ports import FloatArray
from pipeline.detection.windows import trailing_sum

WINDOW: Final = 365
STEP_DAYS: Final = 7
RATES: Final = (6.0, 10.0)
Prior = tuple[float, float, float, float, float]


@dataclass(frozen=True, slots=True)
class Features:
    """Trailing-window sums per variant-level signature, sampled every ``STEP_DAYS``."""

    targets: tuple[Signature, ...]
    start: int
    values: tuple[Mapping[str, FloatArray], ...]
    detectable: tuple[tuple[int | None, int], ...]
    """Per detectable recall: the index of its signature (None: never complained about) and
    its day as an offset into the sampled grid."""
    rows: int


def features(piece: Slice) -> Features:
    store = piece.store
    targets = tuple(
        s for s in monitored(store.signatures()) if s.variant != ANY and s.market is None
    )
    series = store.series(list(store.signatures()))
    start = min(s.first_day for s in series.values() if s.first_day is not None)
    end = piece.as_of.toordinal()
    dense: dict[Signature, tuple[FloatArray, FloatArray]] = {}

    def window(signature: Signature, severe: bool = False) -> FloatArray:
        if signature not in dense:
            found = series.get(signature)
            dense[signature] = (
                found.dense(start, end)
                if found is not None
                else (np.zeros(end - start + 1), np.zeros(end - start + 1))
            )
        return trailing_sum(dense[signature][1 if severe else 0], WINDOW)[::STEP_DAYS]

    by_age = _component_share_by_age(targets, window, start)
    values = []
    for s in targets:
        neighbours = np.zeros_like(window(s))
        if s.variant.isdigit():
            for year in (int(s.variant) - 1, int(s.variant) + 1):
                neighbours = neighbours + window(replace(s, variant=str(year)))
        product = window(Signature(s.brand, s.model, s.variant, ANY))
        values.append(
            {
                "count": window(s),
                "severe": window(s, severe=True),
                "product": product,
                "component": window(Signature(ANY, ANY, ANY, s.component)),
                "total": window(Signature(ANY, ANY, ANY, ANY)),
                "neighbours": neighbours,
                "age_expected": product * by_age(s),
            }
        )
    index = {s: i for i, s in enumerate(targets)}
    detectable = tuple(
        (index.get(r.signature), (r.day.toordinal() - start) // STEP_DAYS) for r in piece.detectable
    )
    return Features(targets, start, tuple(values), detectable, piece.rows)


def _component_share_by_age(
    targets: Sequence[Signature], window: Callable[..., FloatArray], start: int
) -> Callable[[Signature], FloatArray]:
    """Per signature: its component's share of all complaints on products of the same age
    (calendar year minus model year) on each sampled day, pooled over every product."""
    days = np.arange(window(targets[0]).size) * STEP_DAYS + start if targets else np.zeros(0)
    years = np.array([_year(int(d)) for d in days])
    component_by_age: dict[tuple[str, int], FloatArray] = {}
    total_by_age: dict[int, FloatArray] = {}
    products: set[Signature] = set()
    for s in targets:
        if not s.variant.isdigit():
            continue
        age = years - int(s.variant)
        for a in np.unique(age):
            mask = (age == a).astype(np.float64)
            key = (s.component, int(a))
            component_by_age[key] = component_by_age.get(key, 0.0) + window(s) * mask
            product = Signature(s.brand, s.model, s.variant, ANY)
            if (product, int(a)) not in products:
                products.add(product)
                total_by_age[int(a)] = total_by_age.get(int(a), 0.0) + window(product) * mask

    def share(s: Signature) -> FloatArray:
        if not s.variant.isdigit():
            return np.zeros(years.size)
        age = years - int(s.variant)
        out = np.zeros(years.size)
        for a in np.unique(age):
            mask = age == a
            top = component_by_age.get((s.component, int(a)), np.zeros(years.size))
            bottom = total_by_age.get(int(a), np.zeros(years.size))
            out[mask] = (top / np.maximum(bottom, 1.0))[mask]
        return out

    return share


def _year(ordinal: int) -> int:
    return date.fromordinal(ordinal).year


def nb_logpmf(n: FloatArray, expected: FloatArray, shape: float, rate: float) -> FloatArray:
    """log P(N = n) when N ~ Poisson(lambda E) and lambda ~ Gamma(shape, rate)."""
    return (
        special.gammaln(shape + n)
        - special.gammaln(shape)
        - special.gammaln(n + 1)
        + shape * np.log(rate / (rate + expected))
        + n * np.log(expected / (rate + expected))
    )


def fit_prior(observed: FloatArray, expected: FloatArray) -> Prior:
    """Maximum-likelihood two-gamma mixture prior (DuMouchel 1999) of the rate ratio."""

    def nll(x: FloatArray) -> float:
        a1, b1, a2, b2 = np.exp(x[:4])
        p = special.expit(x[4])
        one = np.log(p) + nb_logpmf(observed, expected, a1, b1)
        two = np.log1p(-p) + nb_logpmf(observed, expected, a2, b2)
        return float(-np.sum(np.logaddexp(one, two)))

    start = np.array([np.log(0.2), np.log(0.1), np.log(2.0), np.log(4.0), special.logit(1 / 3)])
    found = optimize.minimize(nll, start, method="Nelder-Mead", options={"maxiter": 4000})
    a1, b1, a2, b2 = (float(v) for v in np.exp(found.x[:4]))
    return (a1, b1, a2, b2, float(special.expit(found.x[4])))


def eb_lower(
    observed: FloatArray, expected: FloatArray, prior: Prior, q: float = 0.05
) -> FloatArray:
    """The ``q`` quantile of the posterior rate ratio (EB05 for q = 0.05), by bisection."""
    a1, b1, a2, b2, p = prior
    expected = np.maximum(expected, 1e-9)
    one = np.log(p) + nb_logpmf(observed, expected, a1, b1)
    two = np.log1p(-p) + nb_logpmf(observed, expected, a2, b2)
    weight = np.exp(one - np.logaddexp(one, two))
    shape1, rate1, shape2, rate2 = a1 + observed, b1 + expected, a2 + observed, b2 + expected
    lo = np.zeros_like(observed)
    hi = np.maximum(
        special.gammaincinv(shape1, 0.999) / rate1, special.gammaincinv(shape2, 0.999) / rate2
    )
    for _ in range(40):
        mid = (lo + hi) / 2
        cdf = weight * special.gammainc(shape1, mid * rate1) + (1 - weight) * special.gammainc(
            shape2, mid * rate2
        )
        hi = np.where(cdf > q, mid, hi)
        lo = np.where(cdf > q, lo, mid)
    return (lo + hi) / 2


def expected_of(v: Mapping[str, FloatArray]) -> FloatArray:
    return v["product"] * v["component"] / np.maximum(v["total"], 1.0)


def prior_from(train: Features) -> Prior:
    """Fitted on one (observed, expected) pair per signature and year of the training makes."""
    per_year = max(1, 365 // STEP_DAYS)
    observed, expected = [], []
    for v in train.values:
        e = expected_of(v)
        for t in range(per_year - 1, v["count"].size, per_year):
            if v["count"][t] > 0 or e[t] > 0:
                observed.append(v["count"][t])
                expected.append(max(e[t], 1e-6))
    return fit_prior(np.array(observed), np.array(expected))


Score = Callable[[Signature, Mapping[str, FloatArray]], FloatArray]


def weights_from(train: Features) -> dict[str, float]:
    """Component weights from the training makes' recalls (never the held-out make's)."""
    peaks = {s: float(v["count"].max()) for s, v in zip(train.targets, train.values, strict=True)}
    recalled = {train.targets[i] for i, _ in train.detectable if i is not None}
    return dict(component_weights(peaks, recalled))


def scores(prior: Prior, weights: Mapping[str, float]) -> dict[str, Score]:
    def eb05(_: Signature, v: Mapping[str, FloatArray]) -> FloatArray:
        out = np.zeros(v["count"].size)
        some = v["count"] > 0
        out[some] = eb_lower(v["count"][some], expected_of(v)[some], prior)
        return out

    return {
        "count": lambda _, v: v["count"],
        "severity_weighted": lambda _, v: v["count"] + 2.0 * v["severe"],
        "eb05": eb05,
        "adjacent_years": lambda _, v: v["count"] + 0.5 * v["neighbours"],
        "age_share": lambda _, v: v["count"] / np.sqrt(v["age_expected"] + 1.0),
        "recall_weighted": lambda s, v: v["count"] * weights.get(s.component, 1.0),
    }


def curve(f: Features, daily: Sequence[FloatArray]) -> list[tuple[int, float]]:
    """(flags, recall) for every threshold between the scores' distinct peaks."""
    peaks = [np.maximum.accumulate(s) for s in daily]
    levels = np.unique(np.concatenate([np.unique(p) for p in peaks] or [np.zeros(1)]))
    levels = levels[levels > 0]
    if levels.size > 400:
        levels = np.quantile(levels, np.linspace(0, 1, 400))
    points = []
    for level in levels:
        first = [int(np.searchsorted(p, level)) for p in peaks]
        flagged = [i if i < p.size else None for i, p in zip(first, peaks, strict=True)]
        flags = sum(d is not None for d in flagged)
        hits = sum(
            1
            for index, day in f.detectable
            if index is not None and (d := flagged[index]) is not None and d < day
        )
        points.append((flags, hits / len(f.detectable) if f.detectable else 0.0))
    return points


def recall_at(points: Sequence[tuple[int, float]], flags: float) -> float:
    ordered = sorted(points)
    return float(np.interp(flags, [p[0] for p in ordered], [p[1] for p in ordered]))


def compare(data: NhtsaData) -> dict[str, Any]:
    """Per held-out make and pooled: each score's recall at the count's flag count."""
    folds = []
    for held_out in data.makes:
        train = [m for m in data.makes if m != held_out]
        trained = features(prepare(data.only(train)))
        prior = prior_from(trained)
        test = features(prepare(data.only({held_out})))
        result: dict[str, Any] = {"held_out": held_out, "detectable": len(test.detectable)}
        for name, score in scores(prior, weights_from(trained)).items():
            daily = [score(s, v) for s, v in zip(test.targets, test.values, strict=True)]
            points = curve(test, daily)
            result[name] = {
                str(rate): round(recall_at(points, rate * test.rows / 1000.0), 3) for rate in RATES
            }
        result["prior"] = [round(x, 4) for x in prior]
        folds.append(result)
    names = list(scores((1.0, 1.0, 1.0, 1.0, 0.5), {}))
    total = sum(f["detectable"] for f in folds)
    pooled = {
        name: {
            str(rate): round(
                sum(f[name][str(rate)] * f["detectable"] for f in folds) / max(1, total), 3
            )
            for rate in RATES
        }
        for name in names
    }
    return {"folds": folds, "pooled": pooled}


def markdown(result: Mapping[str, Any]) -> str:
    names = list(result["pooled"])
    lines = [
        "### Other complaint scores against counting (leave one make out)",
        "",
        "Recall of detectable recalls when each score flags as many signatures as the count "
        "rule does at 6 and 10 flags per 1,000 rows (first crossing, one flag per signature; "
        "the Gamma-Poisson prior and the component weights fitted on the two training makes). "
        "`count` is the baseline.",
        "",
        "| held out | " + " | ".join(f"{n} @6 / @10" for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    rows = [(f["held_out"], f) for f in result["folds"]] + [("pooled", result["pooled"])]
    for label, r in rows:
        cells = [f"{r[n]['6.0']:.3f} / {r[n]['10.0']:.3f}" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

"""Out-of-sample detection scores: leave one make out on NHTSA, held-out simulator seeds, each
beside the count baselines at the same flag rate.

Tuning and scoring data never mix: :func:`leave_one_make_out` tunes on ``data.only(train)`` and
scores on ``data.only({held_out})``, a store filled with the held-out make's complaints alone
(as a user importing that make would have). The simulator is scored on ``TEST_SEEDS`` only;
``TUNING_SEEDS`` are the seeds the exposure thresholds are tuned on
(``bench.detection_sim_tuning``).

Count baseline at the same flag rate: "flag a signature at its k-th complaint in a window" for
every k, which gives a curve of (flags, recall); the baseline's value at our flag count is read
off that curve, interpolated linearly between the two k that bracket our count.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from statistics import median
from typing import Any, Final

import numpy as np

from bench.detection_offline import (
    Flags,
    NhtsaData,
    Recall,
    SimulationData,
    detectable_recalls,
    fill_store,
    recall_keys,
    score_flags_against_truth,
)
from pipeline.detection import (
    ANY,
    DetectionParams,
    FlagEpisode,
    InMemoryCountStore,
    InMemoryInstalledBase,
    Observation,
    Signature,
    evaluate,
    monitored,
    top_level,
)
from pipeline.detection.baselines import kth_in_window_method
from pipeline.detection.episodes import day_start
from pipeline.detection.ports import Series

BASELINE_WINDOWS: Final = (365, 90)
"""The two count baselines: the k-th complaint in a year, and in a quarter (a faster rule)."""
MAX_K: Final = 80
CONFIRM_DAYS: Final = 1096
"""A flag is confirmed when a recall on its signature follows within three years."""
TUNING_SEEDS: Final = (7, 11, 23)
TEST_SEEDS: Final = (101, 202, 303)
TUNING_GRID: Final = {
    "min_weighted_count": (10.0, 14.0, 20.0),
    "ic_threshold": (0.0, 1.0),
    "severe_weight": (2.0, 3.0),
}
"""The complaint-detector thresholds tuned on the training makes; everything else is default."""
MAX_FLAGS_PER_1000: Final = 10.0


@dataclass(frozen=True, slots=True)
class Point:
    """One detector on one slice of data."""

    flags: int
    rows: int
    hits: int
    detectable: int
    leads: tuple[int, ...]
    judged: int
    """Flags opened early enough that three years of recalls after them are in the data."""
    confirmed: int

    @property
    def recall(self) -> float:
        return self.hits / self.detectable if self.detectable else 0.0

    @property
    def per_1000(self) -> float:
        return 1000.0 * self.flags / self.rows if self.rows else 0.0

    @property
    def confirmed_share(self) -> float | None:
        return self.confirmed / self.judged if self.judged else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "recall": round(self.recall, 3),
            "hits": self.hits,
            "detectable": self.detectable,
            "flags": self.flags,
            "flags_per_1000_rows": round(self.per_1000, 2),
            "median_lead_days": float(median(self.leads)) if self.leads else None,
            "confirmed_share": _round(self.confirmed_share),
            "judged_flags": self.judged,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def score_point(
    flags: Flags, detectable: Sequence[Recall], recalls: Sequence[Recall], rows: int, last: date
) -> Point:
    """Strict recall (a flag on the recall's signature opened before it), lead, and the share
    of judgeable flags that a recall on their signature followed within ``CONFIRM_DAYS``."""
    leads: list[int] = []
    for recall in detectable:
        openings = [e.opened_at.date() for e in flags.get(recall.signature, [])]
        before = [d for d in openings if d < recall.day]
        if before:
            leads.append((recall.day - min(before)).days)
    recall_days: dict[Signature, list[date]] = {}
    for r in recalls:
        recall_days.setdefault(r.signature, []).append(r.day)
    judged = confirmed = 0
    for signature, episodes in flags.items():
        for episode in episodes:
            opened = episode.opened_at.date()
            if (last - opened).days < CONFIRM_DAYS:
                continue
            judged += 1
            confirmed += any(
                0 <= (d - opened).days <= CONFIRM_DAYS for d in recall_days.get(signature, [])
            )
    total = sum(len(v) for v in flags.values())
    return Point(total, rows, len(leads), len(detectable), tuple(leads), judged, confirmed)


def first_days_reaching(series: Series, window_days: int, ks: Sequence[int]) -> list[int | None]:
    """For each k, the first day (ordinal) the trailing window holds k observations; None when
    it never does. The same day ``kth_in_window`` opens its flag on, for all k in one pass."""
    if series.days.size == 0:
        return [None for _ in ks]
    cumulative = np.cumsum(series.n.astype(np.float64))
    before = np.searchsorted(series.days, series.days - window_days + 1, side="left")
    inside = cumulative - np.concatenate(([0.0], cumulative))[before]
    peak = np.maximum.accumulate(inside)
    out: list[int | None] = []
    for k in ks:
        index = int(np.searchsorted(peak, k, side="left"))
        out.append(int(series.days[index]) if index < peak.size else None)
    return out


def baseline_flag_sets(
    store: InMemoryCountStore, window_days: int, ks: Sequence[int]
) -> dict[int, Flags]:
    """Each k's baseline flags over the variant-level signatures the detector monitors."""
    targets = [s for s in monitored(store.signatures()) if s.variant != ANY and s.market is None]
    series = store.series(targets)
    result: dict[int, Flags] = {k: {} for k in ks}
    method = {k: kth_in_window_method(k, window_days) for k in ks}
    for signature in targets:
        for k, day in zip(ks, first_days_reaching(series[signature], window_days, ks), strict=True):
            if day is not None:
                result[k][signature] = [
                    FlagEpisode(signature, method[k], day_start(day), None, float(k), "low")
                ]
    return result


def at_same_rate(curve: Sequence[tuple[float, float]], flags: float) -> float | None:
    """The value a curve of (flags, value) points takes at ``flags``, linear between the two
    points around it; the end point's value outside the curve. None for an empty curve."""
    points = sorted(curve)
    if not points:
        return None
    if flags <= points[0][0]:
        return points[0][1]
    if flags >= points[-1][0]:
        return points[-1][1]
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    return float(np.interp(flags, xs, ys))


@dataclass(frozen=True, slots=True)
class Slice:
    """One slice of NHTSA data ready for scoring: counts, recall keys, rows."""

    store: InMemoryCountStore
    detectable: tuple[Recall, ...]
    recalls: tuple[Recall, ...]
    rows: int
    as_of: date
    last_recall: date


def prepare(data: NhtsaData) -> Slice:
    store = fill_store(data.observations, batch_days=1)
    tops = {top_level(o.component) for o in data.observations}
    recalls = recall_keys(data.recalls, tops)
    detectable = detectable_recalls(recalls, store)
    as_of = max(o.day for o in data.observations)
    last_recall = max((r.day for r in recalls), default=as_of)
    return Slice(store, tuple(detectable), tuple(recalls), data.rows, as_of, last_recall)


def ours(piece: Slice, params: DetectionParams) -> Point:
    flags = evaluate(monitored(piece.store.signatures()), piece.store, None, params, piece.as_of)
    return score_point(flags, piece.detectable, piece.recalls, piece.rows, piece.last_recall)


def baseline_curves(piece: Slice) -> dict[int, list[Point]]:
    """Per baseline window, the scores of the k-th-complaint rule for k = 1..MAX_K."""
    ks = list(range(1, MAX_K + 1))
    curves: dict[int, list[Point]] = {}
    for window in BASELINE_WINDOWS:
        sets = baseline_flag_sets(piece.store, window, ks)
        curves[window] = [
            score_point(sets[k], piece.detectable, piece.recalls, piece.rows, piece.last_recall)
            for k in ks
        ]
    return curves


def beside_baselines(point: Point, curves: Mapping[int, Sequence[Point]]) -> dict[str, Any]:
    """Our point and each baseline's recall and confirmed share at our flag count."""
    out: dict[str, Any] = {"ours": point.as_dict(), "baselines": {}}
    for window, curve in curves.items():
        recall = at_same_rate([(p.flags, p.recall) for p in curve], point.flags)
        share = at_same_rate(
            [(p.flags, p.confirmed_share) for p in curve if p.confirmed_share is not None],
            point.flags,
        )
        out["baselines"][f"kth_in_{window}d"] = {
            "recall": _round(recall),
            "confirmed_share": _round(share),
        }
    best = max((b["recall"] or 0.0) for b in out["baselines"].values())
    out["margin_over_better_baseline"] = round(point.recall - best, 3)
    return out


def candidates(
    base: DetectionParams, grid: Mapping[str, Sequence[float]] = TUNING_GRID
) -> list[DetectionParams]:
    """Every point of ``grid`` (threshold name -> values), the rest of ``base`` kept."""
    names = list(grid)
    return [
        replace(base, **dict(zip(names, values, strict=True)))  # type: ignore[arg-type]
        for values in itertools.product(*(grid[n] for n in names))
    ]


def tune(train: Slice, base: DetectionParams) -> tuple[DetectionParams, dict[str, Any]]:
    """The grid point with the largest recall margin over the better count baseline at the
    same flag rate, among those within ``MAX_FLAGS_PER_1000`` on the training makes."""
    curves = baseline_curves(train)
    scored = []
    for params in candidates(base):
        point = ours(train, params)
        scored.append((params, point, beside_baselines(point, curves)))
    allowed = [s for s in scored if s[1].per_1000 <= MAX_FLAGS_PER_1000] or scored
    params, _, result = max(
        allowed, key=lambda s: (s[2]["margin_over_better_baseline"], -s[1].flags)
    )
    return params, result


def leave_one_make_out(data: NhtsaData, base: DetectionParams) -> list[dict[str, Any]]:
    """For each make: tune on the others, score on it alone; defaults scored beside."""
    folds = []
    for held_out in data.makes:
        train_makes = [m for m in data.makes if m != held_out]
        tuned, in_sample = tune(prepare(data.only(train_makes)), base)
        test = prepare(data.only({held_out}))
        curves = baseline_curves(test)
        folds.append(
            {
                "held_out": held_out,
                "tuned_on": train_makes,
                "tuned": {name: getattr(tuned, name) for name in TUNING_GRID},
                "in_sample": in_sample,
                "out_of_sample": beside_baselines(ours(test, tuned), curves),
                "defaults_out_of_sample": beside_baselines(ours(test, base), curves),
            }
        )
    return folds


def pooled(folds: Iterable[dict[str, Any]], key: str = "out_of_sample") -> dict[str, Any]:
    """The folds added up: hits over detectable, flags over rows, leads pooled."""
    folds = list(folds)
    hits = sum(f[key]["ours"]["hits"] for f in folds)
    detectable = sum(f[key]["ours"]["detectable"] for f in folds)
    flags = sum(f[key]["ours"]["flags"] for f in folds)
    baselines: dict[str, float] = {}
    for f in folds:
        for name, b in f[key]["baselines"].items():
            baselines[name] = (
                baselines.get(name, 0.0) + (b["recall"] or 0.0) * (f[key]["ours"]["detectable"])
            )
    return {
        "recall": round(hits / detectable, 3) if detectable else 0.0,
        "hits": hits,
        "detectable": detectable,
        "flags": flags,
        "baseline_recall": {n: round(v / max(1, detectable), 3) for n, v in baselines.items()},
    }


def simulation_beside_baselines(data: SimulationData, params: DetectionParams) -> dict[str, Any]:
    """A held-out seed: our flags against the truth, and the count rules at our flag count."""
    truth = data.truth
    base = InMemoryInstalledBase.from_sales(data.sales)
    store = fill_store(data.observations, batch_days=1)
    as_of = truth.end - timedelta(days=1)
    flags = evaluate(monitored(store.signatures()), store, base, params, as_of)
    result = score_flags_against_truth(flags, truth, data.days)
    for defect, found in zip(
        (d for d in truth.defects if d.multiplier >= 2.0), result["defects"], strict=True
    ):
        found["claims_after_onset"] = claims_after_onset(data.observations, defect)
    count = sum(len(v) for v in flags.values())
    result["flags"] = count
    result["baselines"] = {}
    ks = list(range(1, MAX_K + 1))
    for window in BASELINE_WINDOWS:
        sets = baseline_flag_sets(store, window, ks)
        curve = []
        for k in ks:
            scored = score_flags_against_truth(sets[k], truth, data.days)
            curve.append((sum(len(v) for v in sets[k].values()), scored))
        found = at_same_rate([(n, s["defects_found"]) for n, s in curve], count)
        false = at_same_rate([(n, s["false_per_1000_signature_months"]) for n, s in curve], count)
        result["baselines"][f"kth_in_{window}d"] = {
            "defects_found": _round(found),
            "false_per_1000_signature_months": _round(false),
        }
    return result


def claims_after_onset(observations: Iterable[Observation], defect: Any) -> int:
    """Claims on the defect's variant and component in its markets (and lots) from its onset:
    all the evidence any detector could have, defective units and healthy ones together."""
    return sum(
        1
        for o in observations
        if (o.brand, o.model, o.variant, top_level(o.component))
        == (defect.brand, defect.model, defect.variant, defect.component)
        and o.market in defect.markets
        and (defect.lots is None or o.lot in defect.lots)
        and o.day >= defect.onset
    )

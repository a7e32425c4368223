"""Offline scorer for pipeline.detection: NHTSA complaints vs recalls, and the simulator's truth.

Run: .venv/bin/python -m bench.detection_offline --nhtsa-complaints PATH --nhtsa-recalls PATH
     [--sim-seed 7 --sim-days 730 --sim-rate 50]
Writes bench/results/detection_offline.{json,md}.

NHTSA scoring (definitions fixed by the product brief):
* a recall row (campaign, make, model, model year, top-level component) is *detectable* when at
  least 5 distinct complaints on that signature have an event day in the 730 days before the
  recall's report date (RCDATE);
* **strict** hit: a flag on that variant-level signature opened before the recall date; lead time
  = recall date - opening day of the earliest such flag;
* **lenient** hit: also a model-level flag ``(make, model, *, component)`` whose episode was open
  at some point in the 730 days before the recall and opened before it;
* flags per 1,000 complaint rows counts every raised episode (variant- and model-level) against
  every row of the file;
* NHTSA writes sub-systems after a comma; the complaint file splits such a component into rows
  ("SERVICE BRAKES", "HYDRAULIC") while the recall keeps "SERVICE BRAKES, HYDRAULIC", so a
  recall's component is matched to the longest complaint top-level code it starts with, and a
  complaint row holding only the qualifier ("HYDRAULIC", "GASOLINE") is dropped when the same
  complaint has another row (it is the tail of the split, not a component of its own);
* a complaint counts once per signature (ENGINE and ENGINE:COOLING rows are one ENGINE complaint).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from pipeline.detection import (
    ANY,
    DetectionParams,
    FlagEpisode,
    InMemoryCountStore,
    InMemoryInstalledBase,
    Observation,
    Signature,
    count_increments,
    evaluate,
    kth_in_window,
    monitored,
    observation_from_event,
    top_level,
)
from schemas.feedback import ComplaintFiled
from schemas.reference import RecallAnnounced, UnitsSold

RESULTS = Path(__file__).parent / "results"
DETECTABLE_MIN = 5
DETECTABLE_DAYS = 730
SPLIT_QUALIFIERS = frozenset({"GASOLINE", "DIESEL", "HYDRAULIC", "AIR", "ELECTRIC", "PROPANE"})


@dataclass(frozen=True, slots=True)
class Recall:
    campaign: str
    signature: Signature
    day: date


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    detectable: int
    hits: int
    median_lead_days: float | None
    flags: int
    flags_per_1000_rows: float

    @property
    def recall(self) -> float:
        return self.hits / self.detectable if self.detectable else 0.0


def load_nhtsa(
    complaints_path: Path, recalls_path: Path
) -> tuple[list[ComplaintFiled], int, list[RecallAnnounced]]:
    try:
        from producers.sources.nhtsa import read_complaints, read_recalls
    except ImportError as exc:  # the reader is another engineer's module
        raise SystemExit(f"producers.sources.nhtsa is needed: {exc}") from exc
    complaints: list[ComplaintFiled] = []
    rows = 0
    for item in read_complaints(complaints_path):
        rows += 1
        if isinstance(item, ComplaintFiled):
            complaints.append(item)
    recalls = [r for r in read_recalls(recalls_path) if isinstance(r, RecallAnnounced)]
    return complaints, rows, recalls


def unique_per_signature(
    complaints: Iterable[ComplaintFiled], keep_unknown: bool
) -> list[Observation]:
    """One observation per (complaint, signature): a complaint naming ENGINE and
    ENGINE:COOLING is one ENGINE complaint. Sorted in event time."""
    seen: set[tuple[str, str, str, str | None, str]] = set()
    observations: list[Observation] = []
    rows_per_complaint: dict[str, int] = defaultdict(int)
    for event in complaints:
        rows_per_complaint[event.complaint_id] += 1
    for event in complaints:
        qualifier_only = top_level(event.component or "") in SPLIT_QUALIFIERS
        if qualifier_only and rows_per_complaint[event.complaint_id] > 1:
            continue
        obs = observation_from_event(event)
        if obs is None and keep_unknown and event.component:
            obs = replace(
                _raw_observation(event),
                component=event.component,
            )
        if obs is None:
            continue
        key = (event.complaint_id, obs.brand, obs.model, obs.variant, top_level(obs.component))
        if key not in seen:
            seen.add(key)
            observations.append(obs)
    observations.sort(key=lambda o: (o.at, o.event_id))
    return observations


def _raw_observation(event: ComplaintFiled) -> Observation:
    return Observation(
        event_id=str(event.event_id),
        at=event.occurred_at,
        brand=event.product.brand,
        model=event.product.model,
        variant=event.product.variant,
        component=event.component or "UNKNOWN_OR_OTHER",
        kind="complaint",
        severe=event.crash or event.fire or event.injuries > 0 or event.deaths > 0,
        market=event.market,
    )


def recall_keys(recalls: Sequence[RecallAnnounced], known_tops: set[str]) -> list[Recall]:
    found: dict[tuple[str, Signature], Recall] = {}
    for recall in recalls:
        component = _match_top(top_level(recall.component), known_tops)
        for variant in recall.variants:
            signature = Signature(recall.brand, recall.model, variant, component)
            key = (recall.recall_id, signature)
            if key not in found or recall.announced_on < found[key].day:
                found[key] = Recall(recall.recall_id, signature, recall.announced_on)
    return list(found.values())


def _match_top(top: str, known: set[str]) -> str:
    if top in known:
        return top
    parts = top.split("_")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = "_".join(parts[:cut])
        if prefix in known:
            return prefix
    return top


def fill_store(observations: Sequence[Observation], batch_days: int = 30) -> InMemoryCountStore:
    """Feed observations in event-time batches, as the worker would."""
    store = InMemoryCountStore()
    batch: list[Observation] = []
    batch_end: date | None = None
    for obs in observations:
        if batch_end is not None and obs.day > batch_end:
            store.add(count_increments(batch))
            batch = []
        if not batch:
            batch_end = obs.day + timedelta(days=batch_days - 1)
        batch.append(obs)
    store.add(count_increments(batch))
    return store


def detectable_recalls(recalls: Sequence[Recall], store: InMemoryCountStore) -> list[Recall]:
    series = store.series({r.signature for r in recalls})
    out = []
    for recall in recalls:
        s = series[recall.signature]
        end = recall.day.toordinal()
        inside = (s.days >= end - DETECTABLE_DAYS) & (s.days < end)
        if int(s.n[inside].sum()) >= DETECTABLE_MIN:
            out.append(recall)
    return out


def score_flags(
    name: str,
    flags: dict[Signature, list[FlagEpisode]],
    detectable: Sequence[Recall],
    rows: int,
    lenient: bool = False,
) -> Score:
    leads: list[int] = []
    for recall in detectable:
        end = recall.day.toordinal()
        openings = [
            e.opened_at.date().toordinal()
            for e in flags.get(recall.signature, [])
            if e.opened_at.date() < recall.day
        ]
        if lenient:
            model_level = replace(recall.signature, variant=ANY)
            for episode in flags.get(model_level, []):
                opened = episode.opened_at.date().toordinal()
                closed = episode.closed_at.date().toordinal() if episode.closed_at else end
                if opened < end and closed >= end - DETECTABLE_DAYS:
                    openings.append(opened)
        if openings:
            leads.append(end - min(openings))
    total = sum(len(v) for v in flags.values())
    return Score(
        name=name,
        detectable=len(detectable),
        hits=len(leads),
        median_lead_days=float(median(leads)) if leads else None,
        flags=total,
        flags_per_1000_rows=1000.0 * total / rows,
    )


def baseline_flags(
    store: InMemoryCountStore, k: int, window_days: int = 365
) -> dict[Signature, list[FlagEpisode]]:
    targets = [s for s in monitored(store.signatures()) if s.variant != ANY]
    series = store.series(targets)
    return {s: kth_in_window(s, series[s], k, window_days) for s in targets}


def run_nhtsa(complaints_path: Path, recalls_path: Path, params: DetectionParams) -> dict[str, Any]:
    t0 = time.perf_counter()
    complaints, rows, raw_recalls = load_nhtsa(complaints_path, recalls_path)
    t_load = time.perf_counter() - t0
    ours_obs = unique_per_signature(complaints, keep_unknown=False)
    all_obs = unique_per_signature(complaints, keep_unknown=True)
    store = fill_store(ours_obs)
    baseline_store = fill_store(all_obs)
    known_tops = {top_level(o.component) for o in all_obs}
    recalls = recall_keys(raw_recalls, known_tops)
    detectable = detectable_recalls(recalls, baseline_store)
    as_of = max(o.day for o in all_obs)

    targets = monitored(store.signatures())
    t0 = time.perf_counter()
    ours = evaluate(targets, store, None, params, as_of)
    t_eval = time.perf_counter() - t0
    variant_only = {s: e for s, e in ours.items() if s.variant != ANY}
    scores = [
        score_flags("ours (strict: variant-level flags hit)", ours, detectable, rows),
        score_flags("ours (lenient: model-level flags hit too)", ours, detectable, rows, True),
        score_flags("ours, variant-level signatures only", variant_only, detectable, rows),
        score_flags(
            "baseline: 10th complaint in 365 days",
            baseline_flags(baseline_store, 10),
            detectable,
            rows,
        ),
        score_flags(
            "baseline: 5th complaint in 365 days",
            baseline_flags(baseline_store, 5),
            detectable,
            rows,
        ),
    ]
    return {
        "rows": rows,
        "complaint_events": len(complaints),
        "observations": len(ours_obs),
        "recall_keys": len(recalls),
        "detectable": len(detectable),
        "signatures_evaluated": len(targets),
        "as_of": as_of.isoformat(),
        "seconds_load": round(t_load, 2),
        "seconds_evaluate_all": round(t_eval, 3),
        "ms_per_signature": round(1000 * t_eval / max(1, len(targets)), 3),
        "scores": [_score_dict(s) for s in scores],
    }


def _score_dict(score: Score) -> dict[str, Any]:
    return {
        "name": score.name,
        "recall": round(score.recall, 3),
        "hits": score.hits,
        "detectable": score.detectable,
        "median_lead_days": score.median_lead_days,
        "flags": score.flags,
        "flags_per_1000_rows": round(score.flags_per_1000_rows, 2),
    }


def nhtsa_markdown(result: dict[str, Any]) -> str:
    lines = [
        "### NHTSA complaints vs recalls",
        "",
        f"{result['rows']} complaint rows, {result['detectable']} detectable recalls "
        f"(of {result['recall_keys']} recall keys), {result['signatures_evaluated']} signatures "
        f"evaluated in {result['seconds_evaluate_all']} s "
        f"({result['ms_per_signature']} ms per signature).",
        "",
        "| detector | recall of detectable | hits | median lead (days) | flags "
        "| flags / 1,000 rows |",
        "|---|---|---|---|---|---|",
    ]
    for s in result["scores"]:
        lines.append(
            f"| {s['name']} | {s['recall']:.3f} | {s['hits']}/{s['detectable']} | "
            f"{s['median_lead_days']} | {s['flags']} | {s['flags_per_1000_rows']:.2f} |"
        )
    return "\n".join(lines)


def run_simulation(seed: int, days: int, rate: float, params: DetectionParams) -> dict[str, Any]:
    """Simulated repairs and complaints with an installed base, scored against injected defects.

    A defect (multiplier >= 2) is found when a flag on its variant-level signature opens on or
    after its onset; delay = opening - onset. Every other flag is false: on a signature without
    a defect, or opened before the onset. Model-level flags are false when no defect of that
    model and component exists. Rates are per 1,000 signature-months of variant-level signatures.
    """
    try:
        from producers.simulator import SimulationConfig, ground_truth, simulate
    except ImportError as exc:
        raise SystemExit(f"producers.simulator is needed: {exc}") from exc
    config = SimulationConfig(seed=seed, days=days, rate=rate)
    t0 = time.perf_counter()
    observations: list[Observation] = []
    sales: list[tuple[tuple[str, str, str | None, str, str], int]] = []
    for event in simulate(config):
        if isinstance(event, UnitsSold):
            key = (event.brand, event.model, event.variant, event.market, event.month)
            sales.append((key, event.count))
            continue
        obs = observation_from_event(event)
        if obs is not None:
            observations.append(obs)
    t_sim = time.perf_counter() - t0
    truth = ground_truth(config)
    base = InMemoryInstalledBase.from_sales(sales)
    observations.sort(key=lambda o: (o.at, o.event_id))
    store = fill_store(observations, batch_days=1)
    as_of = truth.end - timedelta(days=1)
    targets = monitored(store.signatures())
    t0 = time.perf_counter()
    flags = evaluate(targets, store, base, params, as_of)
    t_eval = time.perf_counter() - t0

    defects = [d for d in truth.defects if d.multiplier >= 2.0]
    onsets = {Signature(d.brand, d.model, d.variant, d.component): d.onset for d in defects}
    model_level_defects = {replace(s, variant=ANY) for s in onsets}
    found: list[dict[str, Any]] = []
    false_variant = false_model = 0
    for signature, episodes in flags.items():
        for episode in episodes:
            opened = episode.opened_at.date()
            onset = onsets.get(signature)
            if signature.variant == ANY:
                false_model += signature not in model_level_defects
            elif onset is None or opened < onset:
                false_variant += 1
    for signature, onset in sorted(onsets.items()):
        openings = [
            e.opened_at.date() for e in flags.get(signature, []) if e.opened_at.date() >= onset
        ]
        delay = (min(openings) - onset).days if openings else None
        found.append(
            {"signature": signature.label, "onset": onset.isoformat(), "delay_days": delay}
        )
    delays = [f["delay_days"] for f in found if f["delay_days"] is not None]
    signature_months = len(truth.signatures) * days / 30.44
    return {
        "seed": seed,
        "days": days,
        "rate": rate,
        "observations": len(observations),
        "signatures_evaluated": len(targets),
        "seconds_simulate": round(t_sim, 1),
        "seconds_evaluate_all": round(t_eval, 3),
        "ms_per_signature": round(1000 * t_eval / max(1, len(targets)), 3),
        "defects_2x": len(defects),
        "defects_found": len(delays),
        "median_delay_days": float(median(delays)) if delays else None,
        "defects": found,
        "false_flags_variant": false_variant,
        "false_flags_model_level": false_model,
        "signature_months": round(signature_months, 1),
        "false_per_1000_signature_months": round(1000 * false_variant / signature_months, 3),
        "false_per_1000_incl_model_level": round(
            1000 * (false_variant + false_model) / signature_months, 3
        ),
    }


def simulation_markdown(result: dict[str, Any]) -> str:
    share = result["defects_found"] / result["defects_2x"] if result["defects_2x"] else 0.0
    lines = [
        f"### Simulator (seed {result['seed']}, {result['days']} days, rate {result['rate']})",
        "",
        f"{result['observations']} observations, {result['signatures_evaluated']} signatures "
        f"evaluated in {result['seconds_evaluate_all']} s ({result['ms_per_signature']} ms each).",
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| injected defects (>= 2x) found | {result['defects_found']}/{result['defects_2x']} "
        f"({share:.0%}) | >= 95% |",
        f"| median delay onset -> flag (days) | {result['median_delay_days']} | < 30 |",
        f"| false flags / 1,000 signature-months (variant-level) | "
        f"{result['false_per_1000_signature_months']} | < 1 |",
        f"| the same, model-level flags included | {result['false_per_1000_incl_model_level']} | |",
        "",
        "| defect | onset | delay (days) |",
        "|---|---|---|",
    ]
    lines += [f"| {d['signature']} | {d['onset']} | {d['delay_days']} |" for d in result["defects"]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nhtsa-complaints", type=Path)
    parser.add_argument("--nhtsa-recalls", type=Path)
    parser.add_argument("--sim-seed", type=int)
    parser.add_argument("--sim-days", type=int, default=730)
    parser.add_argument("--sim-rate", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    params = DetectionParams()
    report: dict[str, Any] = {"params": _params_dict(params)}
    markdown = ["## Detection, offline", ""]
    if args.nhtsa_complaints and args.nhtsa_recalls:
        report["nhtsa"] = run_nhtsa(args.nhtsa_complaints, args.nhtsa_recalls, params)
        markdown += [nhtsa_markdown(report["nhtsa"]), ""]
    if args.sim_seed is not None:
        report["simulation"] = run_simulation(args.sim_seed, args.sim_days, args.sim_rate, params)
        markdown += [simulation_markdown(report["simulation"]), ""]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "detection_offline.json").write_text(json.dumps(report, indent=2) + "\n")
    text = "\n".join(markdown)
    (args.out / "detection_offline.md").write_text(text + "\n")
    print(text)


def _params_dict(params: DetectionParams) -> dict[str, Any]:
    return {name: getattr(params, name) for name in params.__dataclass_fields__}


if __name__ == "__main__":
    main()

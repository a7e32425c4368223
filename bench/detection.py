"""`make bench-detection`: out-of-sample detection quality, beside count baselines at our flag rate.

NHTSA: leave one make out (tune on two makes, score on the third, for each third). Simulator:
seeds not used for tuning. Every score stands beside the count baselines ("the k-th complaint in
365 / 90 days") with k chosen to give our flag count (see bench.detection_lomo). Effectiveness
checks are scored on corrective actions in further seeds (see bench.detection_fixes).

Run: .venv/bin/python -m bench.detection [--nhtsa-complaints PATH] [--nhtsa-recalls PATH]
     [--days 730 --rate 50]
Writes bench/results/detection.{json,md} and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.detection_cn import score_cn
from bench.detection_fixes import fixes_markdown, score_fixes
from bench.detection_lomo import (
    TEST_SEEDS,
    TUNING_GRID,
    TUNING_SEEDS,
    leave_one_make_out,
    pooled,
    simulation_beside_baselines,
)
from bench.detection_offline import load_nhtsa, load_simulation
from bench.detection_scores import compare as compare_scores
from bench.detection_scores import markdown as scores_markdown
from bench.detection_sim_tuning import SIM_TUNING_GRID, tune_simulation
from pipeline.detection import DetectionParams

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DATA = REPO.parent / "shared" / "data" / "nhtsa"
COMPLAINTS = DATA / "FLAT_CMPL_toyota_ford_tesla_my2015_2025.txt"
RECALLS = DATA / "FLAT_RCL_toyota_ford_tesla_my2015_2025.txt"
CN_COMPLAINTS = (
    REPO.parent / "shared" / "data" / "cn" / "cn_car_complaints_2024-01-29_to_2024-04-29.csv"
)

TARGET_RECALL = 0.75
TARGET_FLAGS_PER_1000 = 10.0
TARGET_MARGIN = 0.10
TARGET_CONFIRMED = 0.2
TARGET_LEAD_DAYS = 365.0
TARGET_FOUND_SHARE = 0.95
TARGET_DELAY_DAYS = 30.0
TARGET_FALSE_PER_1000 = 1.0
DETECTABLE_CLAIMS = 5
"""A simulated defect with fewer claims than this in its markets (and lots) since its onset
gives no detector anything to see (as NHTSA recalls need 5 complaints to be detectable); the
target still counts every injected defect."""


def nhtsa_summary(folds: Sequence[dict[str, Any]], rows: int) -> dict[str, Any]:
    """The folds pooled: our recall, flag rate, margin, confirmed share and lead."""
    total = pooled(folds)
    flags = total["flags"]
    confirmed = sum(
        (f["out_of_sample"]["ours"]["confirmed_share"] or 0.0)
        * f["out_of_sample"]["ours"]["judged_flags"]
        for f in folds
    )
    judged = sum(f["out_of_sample"]["ours"]["judged_flags"] for f in folds)
    leads = sorted(
        f["out_of_sample"]["ours"]["median_lead_days"]
        for f in folds
        if f["out_of_sample"]["ours"]["median_lead_days"] is not None
    )
    best = max(total["baseline_recall"].values(), default=0.0)
    return total | {
        "flags_per_1000_rows": round(1000.0 * flags / rows, 2) if rows else 0.0,
        "margin_over_better_baseline": round(total["recall"] - best, 3),
        "confirmed_share": round(confirmed / judged, 3) if judged else None,
        "median_of_fold_median_leads": leads[len(leads) // 2] if leads else None,
    }


def simulation_summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    defects = sum(r["defects_2x"] for r in runs)
    found = sum(r["defects_found"] for r in runs)
    delays = sorted(
        d["delay_days"] for r in runs for d in r["defects"] if d["delay_days"] is not None
    )
    months = sum(r["signature_months"] for r in runs)
    false = sum(sum(r["false_flags"].values()) for r in runs)
    median = (
        None if not delays else (delays[(len(delays) - 1) // 2] + delays[len(delays) // 2]) / 2.0
    )
    detectable = [
        d
        for r in runs
        for d in r["defects"]
        if d.get("claims_after_onset", DETECTABLE_CLAIMS) >= DETECTABLE_CLAIMS
    ]
    return {
        "defects": defects,
        "found": found,
        "detectable": len(detectable),
        "found_detectable": sum(d["delay_days"] is not None for d in detectable),
        "found_share": round(found / defects, 3) if defects else 0.0,
        "median_delay_days": median,
        "false_per_1000_signature_months": round(1000.0 * false / months, 3) if months else 0.0,
    }


def targets(
    nhtsa: dict[str, Any], simulation: dict[str, Any], cn: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Each target with the measured (out-of-sample) value and whether it is met."""
    delay = simulation["median_delay_days"]
    lead = nhtsa["median_of_fold_median_leads"]
    checks = [
        ("NHTSA out-of-sample recall", nhtsa["recall"], f">= {TARGET_RECALL}",
         nhtsa["recall"] >= TARGET_RECALL),
        ("NHTSA flags / 1,000 complaint rows", nhtsa["flags_per_1000_rows"],
         f"<= {TARGET_FLAGS_PER_1000}", nhtsa["flags_per_1000_rows"] <= TARGET_FLAGS_PER_1000),
        ("NHTSA recall above the better count baseline at the same flag rate",
         nhtsa["margin_over_better_baseline"], f">= {TARGET_MARGIN}",
         nhtsa["margin_over_better_baseline"] >= TARGET_MARGIN),
        ("NHTSA share of flags followed by a recall within 3 years", nhtsa["confirmed_share"],
         f">= {TARGET_CONFIRMED}", (nhtsa["confirmed_share"] or 0.0) >= TARGET_CONFIRMED),
        ("NHTSA median lead (days, median over folds)", lead, f">= {TARGET_LEAD_DAYS:.0f}",
         (lead or 0.0) >= TARGET_LEAD_DAYS),
        ("simulated defects flagged (held-out seeds)", simulation["found_share"],
         f">= {TARGET_FOUND_SHARE}", simulation["found_share"] >= TARGET_FOUND_SHARE),
        ("simulated median onset -> flag (days)", delay, f"< {TARGET_DELAY_DAYS:.0f}",
         delay is not None and delay < TARGET_DELAY_DAYS),
        ("simulated false flags / 1,000 signature-months",
         simulation["false_per_1000_signature_months"], f"< {TARGET_FALSE_PER_1000}",
         simulation["false_per_1000_signature_months"] < TARGET_FALSE_PER_1000),
    ]  # fmt: skip
    if cn is not None:
        ours = cn["with_dedupe"]
        checks += [
            ("Chinese complaints: flags standing on copies of one complaint",
             ours["flags_on_copies"], "0", ours["flags_on_copies"] == 0),
            ("Chinese complaints: flags on a non-product category", ours["non_product_flags"],
             "0", ours["non_product_flags"] == 0),
        ]  # fmt: skip
    return [{"target": n, "value": v, "goal": g, "met": m} for n, v, g, m in checks]


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def nhtsa_markdown(folds: Sequence[dict[str, Any]], summary: dict[str, Any], copies: int) -> str:
    lines = [
        "### NHTSA, leave one make out (out of sample)",
        "",
        "Tuned on two makes (grid: "
        + ", ".join(f"{k} in {list(v)}" for k, v in TUNING_GRID.items())
        + "), scored on the third alone. Baselines: the k-th complaint in 365 / 90 days, k "
        "interpolated to our flag count. Confirmed: share of flags opened 3+ years before the "
        f"last recall that a recall on their signature followed within 3 years. "
        f"{copies} near-duplicate complaints merged.",
        "",
        "| held out | detector | recall | flags | flags / 1,000 rows | confirmed | median lead "
        "| 365d baseline recall | 90d baseline recall | margin |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fold in folds:
        for label, key in (("tuned", "out_of_sample"), ("defaults", "defaults_out_of_sample")):
            r = fold[key]
            o = r["ours"]
            b = r["baselines"]
            lines.append(
                f"| {fold['held_out']} | {label} | {o['recall']:.3f} ({o['hits']}/"
                f"{o['detectable']}) | {o['flags']} | {o['flags_per_1000_rows']:.2f} | "
                f"{_cell(o['confirmed_share'])} | {_cell(o['median_lead_days'])} | "
                f"{_cell(b['kth_in_365d']['recall'])} | {_cell(b['kth_in_90d']['recall'])} | "
                f"{r['margin_over_better_baseline']:+.3f} |"
            )
    lines += ["", "Tuned thresholds per fold: " + "; ".join(
        f"{f['held_out']}: {f['tuned']}" for f in folds)]  # fmt: skip
    lines += [
        "",
        f"Pooled: recall {summary['recall']} ({summary['hits']}/{summary['detectable']}), "
        f"{summary['flags_per_1000_rows']} flags per 1,000 rows, baselines at the same rate "
        f"{summary['baseline_recall']}, margin {summary['margin_over_better_baseline']:+.3f}.",
    ]
    return "\n".join(lines)


def simulation_markdown(
    runs: Sequence[dict[str, Any]],
    summary: dict[str, Any],
    tuned: dict[str, Any],
    defaults: dict[str, Any],
) -> str:
    lines = [
        f"### Simulator, held-out seeds {list(TEST_SEEDS)} (tuned on {list(TUNING_SEEDS)})",
        "",
        "Tuned on the tuning seeds alone (grid: "
        + ", ".join(f"{k} in {list(v)}" for k, v in SIM_TUNING_GRID.items())
        + f"; most defects found soonest under 1 false flag per 1,000 signature-months): {tuned}.",
        "",
        "| seed | defects found | median delay (days) | false / 1,000 sig-months | flags "
        "| 365d baseline found | 365d baseline false | 90d baseline found | 90d baseline false |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        b365, b90 = r["baselines"]["kth_in_365d"], r["baselines"]["kth_in_90d"]
        lines.append(
            f"| {r['seed']} | {r['defects_found']}/{r['defects_2x']} | "
            f"{_cell(r['median_delay_days'])} | {r['false_per_1000_signature_months']} | "
            f"{r['flags']} | {_cell(b365['defects_found'])} | "
            f"{_cell(b365['false_per_1000_signature_months'])} | {_cell(b90['defects_found'])} | "
            f"{_cell(b90['false_per_1000_signature_months'])} |"
        )
    missed = [(r["seed"], d) for r in runs for d in r["defects"] if d["delay_days"] is None]
    if missed:
        lines += ["", "Missed defects (claims: on the variant and component in the defect's "
                  "markets and lots since onset, healthy units included):", ""]  # fmt: skip
        lines += [
            f"- seed {seed}: {d['signature']} x{d['multiplier']} from {d['onset']}, markets "
            f"{', '.join(d['markets'])}"
            + (f", lots {', '.join(d['lots'])}" if d["lots"] else "")
            + f": {d.get('claims_after_onset', '-')} claims"
            for seed, d in missed
        ]
    lines += [
        "",
        f"Pooled: {summary['found']}/{summary['defects']} defects flagged, median delay "
        f"{summary['median_delay_days']} days, {summary['false_per_1000_signature_months']} false "
        f"flags per 1,000 signature-months; {summary['found_detectable']}/"
        f"{summary['detectable']} of the defects with at least {DETECTABLE_CLAIMS} claims since "
        "onset.",
        "",
        f"Default thresholds (what the worker and `make demo` run) on the same seeds: "
        f"{defaults['found']}/{defaults['defects']} flagged, median delay "
        f"{defaults['median_delay_days']} days, {defaults['false_per_1000_signature_months']} "
        "false flags per 1,000 signature-months.",
    ]
    return "\n".join(lines)


def cn_markdown(cn: dict[str, Any]) -> str:
    lines = [
        "### Chinese complaints (no recalls: checks, not scores)",
        "",
        f"{cn['complaints']} complaints, {cn['non_product_complaints']} about selling or "
        f"servicing (never observations), {cn['copies_merged']} reposts merged into an earlier "
        "complaint.",
        "",
        "| counting | flags | on copies | on non-product |",
        "|---|---|---|---|",
    ]
    for label in ("without_dedupe", "with_dedupe"):
        r = cn[label]
        lines.append(
            f"| {label.replace('_', ' ')} | {r['flags']} | {r['flags_on_copies']} "
            f"| {r['non_product_flags']} |"
        )
    lines += ["", "Top flags with copies merged:", "", "| signature | score | severity | rows "
              "| distinct complaints |", "|---|---|---|---|---|"]  # fmt: skip
    lines += [
        f"| {t['signature']} | {t['score']:.2f} | {t['severity']} | {t['rows']} "
        f"| {t['distinct_complaints']} |"
        for t in cn["with_dedupe"]["top"]
    ]
    return "\n".join(lines)


def targets_markdown(checks: Sequence[dict[str, Any]]) -> str:
    met = [c["target"] for c in checks if c["met"]]
    missed = [c["target"] for c in checks if not c["met"]]
    lines = ["### Targets", "", "| target | value | goal | met |", "|---|---|---|---|"]
    lines += [
        f"| {c['target']} | {c['value']} | {c['goal']} | {'yes' if c['met'] else 'NO'} |"
        for c in checks
    ]
    lines += ["", f"Targets met: {len(met)}/{len(checks)}"
              + (f"; missed: {', '.join(missed)}." if missed else ".")]  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nhtsa-complaints", type=Path, default=COMPLAINTS)
    parser.add_argument("--nhtsa-recalls", type=Path, default=RECALLS)
    parser.add_argument("--cn-complaints", type=Path, default=CN_COMPLAINTS)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    params = DetectionParams()
    started = time.perf_counter()
    data = load_nhtsa(args.nhtsa_complaints, args.nhtsa_recalls)
    folds = leave_one_make_out(data, params)
    nhtsa = nhtsa_summary(folds, data.rows)
    other_scores = compare_scores(data)
    tuned_sim, sim_grid = tune_simulation(
        [load_simulation(seed, args.days, args.rate) for seed in TUNING_SEEDS], params
    )
    held_out = [load_simulation(seed, args.days, args.rate) for seed in TEST_SEEDS]
    runs = [simulation_beside_baselines(d, tuned_sim) | {"seed": d.seed} for d in held_out]
    default_runs = [simulation_beside_baselines(d, params) | {"seed": d.seed} for d in held_out]
    simulation = simulation_summary(runs)
    sim_tuned = {name: getattr(tuned_sim, name) for name in SIM_TUNING_GRID}
    cn = score_cn(args.cn_complaints, params)
    fixes = score_fixes(args.days, args.rate)
    checks = targets(nhtsa, simulation, cn)
    report: dict[str, Any] = {
        "params": {name: getattr(params, name) for name in params.__dataclass_fields__},
        "nhtsa": {
            "summary": nhtsa,
            "folds": folds,
            "copies_merged": data.copies,
            "other_scores": other_scores,
        },
        "simulation": {
            "tuned": sim_tuned,
            "in_sample": sim_grid,
            "summary": simulation,
            "runs": runs,
            "defaults_summary": simulation_summary(default_runs),
            "defaults_runs": default_runs,
        },
        "cn": cn,
        "fixes": fixes,
        "targets": checks,
    }
    markdown = [
        "## Detection quality (out of sample only)",
        "",
        nhtsa_markdown(folds, nhtsa, data.copies),
        "",
        scores_markdown(other_scores),
        "",
        simulation_markdown(runs, simulation, sim_tuned, simulation_summary(default_runs)),
        "",
        cn_markdown(cn),
        "",
        fixes_markdown(fixes),
        "",
        targets_markdown(checks),
        "",
    ]
    report["seconds_total"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "detection.json").write_text(
        json.dumps(report, indent=2, default=str, ensure_ascii=False) + "\n"
    )
    text = "\n".join(markdown)
    (args.out / "detection.md").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()

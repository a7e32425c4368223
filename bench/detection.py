"""`make bench-detection`: detection quality on NHTSA recalls and on the simulator's ground truth.

Run: .venv/bin/python -m bench.detection [--nhtsa-complaints PATH] [--nhtsa-recalls PATH]
     [--seed 7 --days 730 --rate 50]
Prints both tables and which targets are met; writes bench/results/detection.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.detection_offline import (
    load_nhtsa,
    load_simulation,
    score_nhtsa,
    score_simulation,
)
from pipeline.detection import DetectionParams

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DATA = REPO.parent / "shared" / "data" / "nhtsa"
COMPLAINTS = DATA / "FLAT_CMPL_toyota_ford_tesla_my2015_2025.txt"
RECALLS = DATA / "FLAT_RCL_toyota_ford_tesla_my2015_2025.txt"

TARGET_RECALL = 0.75
TARGET_FLAGS_PER_1000 = 10.0
TARGET_LEAD_DAYS = 365.0
TARGET_FOUND_SHARE = 0.95
TARGET_DELAY_DAYS = 30.0
TARGET_FALSE_PER_1000 = 1.0


def targets(nhtsa: dict[str, Any], simulation: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured value and whether it is met."""
    strict = nhtsa["scores"][0]
    found_share = simulation["defects_found"] / max(1, simulation["defects_2x"])
    delay = simulation["median_delay_days"]
    checks = [
        ("NHTSA strict recall", strict["recall"], f">= {TARGET_RECALL}",
         strict["recall"] >= TARGET_RECALL),
        ("NHTSA flags / 1,000 complaint rows (all levels)", strict["flags_per_1000_rows"],
         f"<= {TARGET_FLAGS_PER_1000}", strict["flags_per_1000_rows"] <= TARGET_FLAGS_PER_1000),
        ("NHTSA median lead (days)", strict["median_lead_days"], f">= {TARGET_LEAD_DAYS:.0f}",
         (strict["median_lead_days"] or 0.0) >= TARGET_LEAD_DAYS),
        ("simulated defects flagged", round(found_share, 3), f">= {TARGET_FOUND_SHARE}",
         found_share >= TARGET_FOUND_SHARE),
        ("simulated median onset -> flag (days)", delay, f"< {TARGET_DELAY_DAYS:.0f}",
         delay is not None and delay < TARGET_DELAY_DAYS),
        ("simulated false flags / 1,000 signature-months (all levels)",
         simulation["false_per_1000_signature_months"], f"< {TARGET_FALSE_PER_1000}",
         simulation["false_per_1000_signature_months"] < TARGET_FALSE_PER_1000),
    ]  # fmt: skip
    return [{"target": n, "value": v, "goal": g, "met": m} for n, v, g, m in checks]


def nhtsa_markdown(result: dict[str, Any], title: str = "NHTSA complaints vs recalls") -> str:
    lines = [
        f"### {title}",
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


def simulation_markdown(result: dict[str, Any], title: str = "Simulator") -> str:
    share = result["defects_found"] / max(1, result["defects_2x"])
    false = result["false_flags"]
    lines = [
        f"### {title} (seed {result['seed']}, {result['days']} days, rate {result['rate']})",
        "",
        f"{result['observations']} observations, {result['signatures_evaluated']} signatures "
        f"evaluated in {result['seconds_evaluate_all']} s ({result['ms_per_signature']} ms each).",
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| injected defects flagged | {result['defects_found']}/{result['defects_2x']} "
        f"({share:.0%}) | >= {TARGET_FOUND_SHARE:.0%} |",
        f"| median delay onset -> flag (days) | {result['median_delay_days']} "
        f"| < {TARGET_DELAY_DAYS:.0f} |",
        f"| false flags / 1,000 signature-months (variant, market and model level) | "
        f"{result['false_per_1000_signature_months']} | < {TARGET_FALSE_PER_1000:.0f} |",
        f"| false flags by level (variant / market / model) | "
        f"{false['variant']} / {false['market']} / {false['model']} | |",
        "",
        "| defect | onset | x | markets | lots | delay (days) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {d['signature']} | {d['onset']} | {d['multiplier']} | {len(d['markets'])} | "
        f"{len(d['lots']) if d['lots'] else 'all'} | {d['delay_days']} |"
        for d in result["defects"]
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
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    params = DetectionParams()
    started = time.perf_counter()
    nhtsa = score_nhtsa(load_nhtsa(args.nhtsa_complaints, args.nhtsa_recalls), params)
    simulation = score_simulation(load_simulation(args.seed, args.days, args.rate), params)
    checks = targets(nhtsa, simulation)
    report: dict[str, Any] = {
        "params": {name: getattr(params, name) for name in params.__dataclass_fields__},
        "nhtsa": nhtsa,
        "simulation": simulation,
        "targets": checks,
    }
    markdown = [
        "## Detection quality",
        "",
        nhtsa_markdown(nhtsa),
        "",
        simulation_markdown(simulation),
        "",
    ]
    markdown += [targets_markdown(checks), ""]
    report["seconds_total"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "detection.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = "\n".join(markdown)
    (args.out / "detection.md").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()

"""Where ours on SQLite spends its time, and whether its memory stays flat over a long run."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.measure import values_at_marks
from bench.profile_stats import counts_since, top_costs
from bench.sampler import DUMP_EVERY_S, child_path
from bench.scenarios import Harness, measure_throughput, ours
from bench.stream import EncodedMessage

OUR_PACKAGES = ("pipeline/", "consumers/", "schemas/")
MEMORY_MARKS = 5


def run_profile(
    harness: Harness, messages: Sequence[EncodedMessage], max_s: float | None, top: int = 15
) -> dict[str, Any]:
    """Ours on SQLite under bench.sampler; the top functions by self and by total samples.

    Only samples taken between the first publish and the last archive count: the sampler's
    cumulative dump is read at both ends and subtracted (start-up imports are left out).
    """
    path = harness.workdir / "profile.json"
    baseline: dict[str, Any] = {}
    with ours(harness, "sqlite", "bench-profile", profile_path=path) as (worker, settings):
        result = measure_throughput(
            harness,
            "profiled",
            worker,
            settings,
            messages,
            on_start=lambda: baseline.update(_read_tree(path)),
            max_s=max_s,
        )
        time.sleep(DUMP_EVERY_S * 1.5)  # let the samplers write what they saw up to the end
        final = _read_tree(path)
    busy = int(final.get("samples", 0)) - int(baseline.get("samples", 0))
    self_counts = counts_since(final.get("self", {}), baseline.get("self", {}))
    total_counts = counts_since(final.get("total", {}), baseline.get("total", {}))
    return {
        "method": (
            "wall-clock stack samples of every thread of the worker, its processing child and its "
            "detector every "
            f"{final.get('interval_s', 0) * 1000:.0f} ms (bench.sampler; py-spy is not "
            "installed), from first publish to last archive; idle waits (epoll, empty thread "
            "pool, Condition.wait, the pipe between worker and child) excluded; "
            "% = share of busy samples"
        ),
        "events": result.events,
        "events_per_s_under_sampler": result.events_per_s,
        "busy_samples": busy,
        "top_self": [asdict(c) for c in top_costs(self_counts, busy, top)],
        "top_total_ours": [
            asdict(c) for c in top_costs(total_counts, busy, top, prefixes=OUR_PACKAGES)
        ],
    }


def _read_tree(path: Path) -> dict[str, Any]:
    """The worker's, its processing child's and its detector's counts, added up."""
    parts = [_read(path), _read(child_path(path)), _read(child_path(path, "detection"))]
    merged: dict[str, Any] = {
        "interval_s": next((p["interval_s"] for p in parts if "interval_s" in p), 0)
    }
    for key in ("samples", "idle_samples"):
        merged[key] = sum(int(p.get(key, 0)) for p in parts)
    for key in ("self", "total"):
        counts: Counter[str] = Counter()
        for p in parts:
            counts.update(p.get(key, {}))
        merged[key] = dict(counts)
    return merged


def _read(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def run_memory(harness: Harness, messages: Sequence[EncodedMessage]) -> dict[str, Any]:
    """Worker RSS sampled over one long run on SQLite, read at every fifth of the stream."""
    with ours(harness, "sqlite", "bench-memory") as (worker, settings):
        result = measure_throughput(harness, "memory", worker, settings, messages)
    step = len(messages) // MEMORY_MARKS
    marks = [step * i for i in range(1, MEMORY_MARKS + 1)]
    curve = values_at_marks(result.rss_samples, marks)
    first, last = curve[marks[0]], curve[marks[-1]]
    return {
        "events": len(messages),
        "events_per_s": result.events_per_s,
        "rss_mb_at": {str(m): None if v is None else round(v, 1) for m, v in curve.items()},
        "growth_first_to_last": round(last / first - 1, 3) if first and last else None,
        "rss_samples": len(result.rss_samples),
        "peak_rss_mb": result.peak_rss_mb,
    }

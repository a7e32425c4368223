"""The product targets checked against a results dict, and its Markdown and console renderings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OURS = ("ours on SQLite", "ours on PostgreSQL")
NAIVE = "naive baseline"
RAW = "raw ceiling"


def _scenario(results: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return next((s for s in results.get("scenarios", []) if s["scenario"] == name), None)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _target(name: str, value: float | None, goal: str, met: bool | None) -> dict[str, Any]:
    return {"target": name, "value": value, "goal": goal, "met": met}


def targets(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each product target with its measured value and whether it is met (None: not measured)."""
    out: list[dict[str, Any]] = []
    naive, raw = _scenario(results, NAIVE), _scenario(results, RAW)
    for name in OURS:
        ours = _scenario(results, name)
        rate = ours["events_per_s"] if ours else None
        vs_naive = _ratio(rate, naive["events_per_s"] if naive else None)
        out.append(_target(f"{name} / naive throughput", vs_naive, ">= 3", _at_least(vs_naive, 3)))
        ceiling = raw.get("drain_events_per_s") if raw else None
        vs_raw = _ratio(rate, ceiling)
        out.append(
            _target(
                f"{name} / raw ceiling (drain)",
                vs_raw,
                ">= 0.25 (ambition)",
                _at_least(vs_raw, 0.25),
            )
        )
        latency = (results.get("latency") or {}).get(name) or {}
        p99 = (latency.get("publish_to_archive") or {}).get("p99_s")
        offered = latency.get("offered_events_per_s")
        met = False if latency.get("capacity_below_load") else None if p99 is None else p99 < 1.0
        out.append(_target(f"{name} p99 publish->archive at {offered or '?'}/s", p99, "< 1 s", met))
    memory = results.get("memory") or {}
    growth = memory.get("growth_first_to_last")
    marks = [f"{int(m) // 1000}k" for m in memory.get("rss_mb_at", {})] or ["first", "last"]
    out.append(
        _target(
            f"worker RSS growth {marks[0]} -> {marks[-1]} events (memory run)",
            growth,
            "<= 0.20",
            None if growth is None else abs(growth) <= 0.2,
        )
    )
    return out


def _at_least(value: float | None, goal: float) -> bool | None:
    return None if value is None else value >= goal


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if abs(value) < 0.1:
            return f"{value:.3f}"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(results: Mapping[str, Any]) -> str:
    run = results["run"]
    lines = [
        "# Throughput, latency and memory (`make bench`)",
        "",
        f"Run {run['started_at']} at commit {run['git_commit']}"
        f"{' (uncommitted changes)' if run.get('git_dirty') else ''}; {run['machine']}; "
        f"{run.get('wall_s', '?')} s wall. Broker: {run['broker']}. Producer: {run['producer']}. "
        f"Stream: {run['stream']}. Numbers are comparable only within one run.",
        "",
        "## Throughput (first publish -> last event consumed or archived)",
        "",
    ]
    rows = [
        [
            s["scenario"],
            s["events"],
            s["seconds"],
            s["events_per_s"],
            s.get("drain_events_per_s"),
            s["publish_events_per_s"],
            s["cpu_s_per_10k"],
            s["cpu_cores"],
            s["peak_rss_mb"],
        ]
        for s in results.get("scenarios", [])
    ]
    lines += _table(
        [
            "scenario",
            "events",
            "seconds",
            "events/s",
            "drain events/s",
            "publish events/s",
            "CPU s / 10k events",
            "cores used",
            "peak RSS MiB",
        ],
        rows,
    )
    lines += [
        f"- {s['scenario']}: {s['partial']} (rate over what it processed)."
        for s in results.get("scenarios", [])
        if s.get("partial")
    ]
    lines += [
        "",
        "CPU is utime+stime of the consumer's process tree (our worker runs batches in a child "
        "process) from /proc; peak RSS is the sum of the tree's VmHWM. The producer shares the "
        "machine, so a consumer faster than it is measured at "
        "the producer's pace: *drain* is a second raw consumer group reading the same, already "
        "published topics (first record -> last), the ceiling used in the ratios.",
        "",
        "## Latency at a fixed offered load",
        "",
    ]
    lines += _latency(results.get("latency") or {})
    lines += _memory(results.get("memory"))
    lines += _profile(results.get("profile"))
    lines += ["## Targets", ""]
    lines += _table(
        ["target", "value", "goal", "met"],
        [[t["target"], t["value"], t["goal"], t["met"]] for t in results.get("targets", [])],
    )
    return "\n".join(lines)


def _latency(latency: Mapping[str, Any]) -> list[str]:
    rows: list[list[Any]] = []
    notes: list[str] = []
    bounds: list[float] = []
    for name, value in latency.items():
        if not value or "skipped" in value:
            notes.append(f"- {name}: not measured ({(value or {}).get('skipped', 'not run')}).")
            continue
        archive, flag = value["publish_to_archive"], value["publish_to_flag"]
        stamp = value.get("publish_to_archived_at") or {}
        if archive.get("unavailable"):
            notes.append(f"- {name}: histogram unavailable ({archive['unavailable']}).")
        rows.append(
            [
                name,
                value["achieved_events_per_s"],
                value["window_s"],
                archive["p50_s"],
                archive["p95_s"],
                archive["p99_s"],
                stamp.get("p50_s"),
                stamp.get("p99_s"),
                flag["flag_messages_in_window"],
                flag["matched"],
                flag["p50_s"],
                flag["p99_s"],
                flag["max_s"],
            ]
        )
        bounds = archive["bucket_bounds_s"]
    lines = _table(
        [
            "scenario",
            "offered events/s",
            "window s",
            "archive p50 s",
            "archive p95 s",
            "archive p99 s",
            "stamp p50 s",
            "stamp p99 s",
            "flag messages",
            "flags matched",
            "flag p50 s",
            "flag p99 s",
            "flag max s",
        ],
        rows,
    )
    if rows:
        lines += [
            "publish->archive (ours): the worker's `aftersales_publish_to_archive_seconds` "
            "histogram (record timestamp -> batch commit), scraped before and after the window; "
            "quantiles interpolated linearly inside buckets (Prometheus' histogram_quantile), "
            f"bucket bounds {', '.join(str(b) for b in bounds)} s, so values are only as fine "
            "as those. "
            "The window runs on the worker that has just archived the throughput stream, with "
            "the continuation of the same simulated stream. *stamp*: per event, the "
            "`events.archived_at` stamp minus its publish time (exact percentiles, but the "
            "worker stamps a batch when it starts it, so this leaves out the batch's own "
            "processing and commit: a lower bound). The naive app stamps each row just before "
            "its own commit, so both of its columns are that stamp (exact).",
            "",
            "publish->flag: every message on `<prefix>.defect-flags.v1` stamped after the window "
            "opened; latency = its record timestamp - the latest publish time among the events of "
            "`evidence.sample_event_ids` published in the window. Flags whose samples were all "
            "published earlier are *unmatched* (not counted); nearest-rank percentiles. "
            "No flag messages means no flag was raised or updated in the window.",
            "",
        ]
    return lines + notes + ([""] if notes else [])


def _memory(memory: Mapping[str, Any] | None) -> list[str]:
    lines = ["## Memory (worker RSS over a long run, ours on SQLite)", ""]
    if not memory:
        return [*lines, "Not measured: run `python -m bench.throughput --memory`.", ""]
    lines += [
        f"Measured {memory.get('measured_at', '?')} at commit {memory.get('git_commit', '?')} "
        f"(`--memory` or `--memory-only`; a run without them keeps the last curve).",
        "",
    ]
    marks = memory["rss_mb_at"]
    lines += _table(
        ["events processed", *(f"{int(k):,}" for k in marks)], [["RSS MiB", *marks.values()]]
    )
    return [
        *lines,
        f"Growth from the first to the last mark: {_fmt(memory['growth_first_to_last'])} "
        f"(VmRSS sampled every poll; {memory['events_per_s']:,} events/s over the run).",
        "",
    ]


def _profile(profile: Mapping[str, Any] | None) -> list[str]:
    if not profile:
        return []
    lines = [
        "## Profile, ours on SQLite",
        "",
        f"{profile['events']:,} events, {profile['events_per_s_under_sampler']:,} events/s under "
        f"the sampler, {profile['busy_samples']:,} busy samples. Method: {profile['method']}.",
        "",
        "Top functions by self samples (the leaf frame):",
        "",
    ]
    lines += _table(
        ["function", "% of samples"], [[c["function"], c["percent"]] for c in profile["top_self"]]
    )
    lines += ["Our functions by total samples (on the stack):", ""]
    lines += _table(
        ["function", "% of samples"],
        [[c["function"], c["percent"]] for c in profile["top_total_ours"]],
    )
    return lines


def summary_lines(results: Mapping[str, Any]) -> list[str]:
    lines = ["", "throughput (events/s):"]
    for s in results.get("scenarios", []):
        drain = s.get("drain_events_per_s")
        extra = f" (drain {drain:,})" if drain else ""
        lines.append(f"  {s['scenario']:<22} {s['events_per_s']:>9,}{extra}")
    lines.append("targets:")
    for t in results.get("targets", []):
        lines.append(
            f"  {t['target']:<58} {_fmt(t['value']):>8}  goal {t['goal']:<18} {_fmt(t['met'])}"
        )
    return lines

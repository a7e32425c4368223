"""bench/results/replay.md from the replay's results: one table per run, the raw ceiling beside."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def render_markdown(results: Mapping[str, Any]) -> str:
    """bench/results/replay.md: the numbers of one replay run, with the raw ceiling beside."""
    run = results.get("run", {})
    lines = [
        "# Replay benchmark",
        "",
        f"Run {run.get('started_at')} at {run.get('git_commit')}"
        f"{' (dirty)' if run.get('git_dirty') else ''} on {run.get('machine')}; "
        f"`{Path(str(results.get('file'))).name}`, {results.get('events', 0):,} distinct "
        "complaint events published by `aftersales import nhtsa` into a fresh warehouse; "
        "seconds from the start of the import.",
        "",
        "| engine | published s | archived s | events/s to archived | settled s "
        "| events/s to settled | worker CPU s | peak RSS MiB | bytes/event |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, r in results.get("engines", {}).items():
        lines.append(
            f"| {kind} | {r['published_s']} | {r['archived_s']} | "
            f"{r['events_per_s_to_archived']:,} | {r['settled_s']} | "
            f"{r['events_per_s_to_settled']:,} | {r['cpu_s']} | {r['peak_rss_mb']} | "
            f"{r['warehouse']['bytes_per_event']:,} |"
        )
    raw = results.get("raw_drain")
    if raw:
        lines += [
            "",
            f"Raw ceiling, same topic, same run: {raw['events_per_s']:,} events/s ({raw['what']}).",
        ]
    for kind, r in results.get("engines", {}).items():
        w = r.get("worker", {})
        lines += [
            "",
            f"{kind} worker: {w.get('batches')} batches in {w.get('batches_s')} s, "
            f"{w.get('detection_rounds')} detector rounds in {w.get('detection_rounds_s')} s.",
        ]
    for kind, r in results.get("engines", {}).items():
        tables = ", ".join(
            f"{name} {size:,}"
            for name, size in r["warehouse"]["largest_tables_bytes_per_event"].items()
        )
        lines += ["", f"{kind} bytes per event by table ({r['warehouse']['measured']}): {tables}"]
    profile = results.get("profile")
    if profile:
        lines += [
            "",
            "## Where the time goes (SQLite)",
            "",
            f"{profile['method']}; {profile['busy_samples']:,} busy samples, "
            f"{profile['events_per_s_to_settled_under_sampler']:,} events/s to settled under "
            "the sampler.",
            "",
            "| our function (total) | % |",
            "|---|---|",
            *(f"| `{c['function']}` | {c['percent']} |" for c in profile["top_total_ours"]),
            "",
            "| function (self) | % |",
            "|---|---|",
            *(f"| `{c['function']}` | {c['percent']} |" for c in profile["top_self"]),
        ]
    return "\n".join(lines) + "\n"

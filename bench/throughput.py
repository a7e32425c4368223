"""`make bench`: throughput, latency, memory and a profile of the pipeline, in one run.

Run: .venv/bin/python -m bench.throughput [--events 250000] [--naive-events 30000]
     [--latency-rate 1000 --latency-seconds 30] [--profile-events 100000]
     [--memory | --memory-only] [--memory-events 1000000] [--max-s 120]
     [--scenario all|simulator|replay] [--replay-file FLAT_CMPL] [--no-replay-profile]
Writes bench/results/throughput.{json,md} (simulator mix) and replay.{json,md} (NHTSA replay).
One embedded Tansu broker serves the simulator's scenarios, another the replay; each scenario has
its own topic prefix, consumer group and (for ours) a fresh warehouse.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.consumers import ConsumerUnderTest, NaiveApp
from bench.latency import measure_latency, measure_naive_latency
from bench.load import BATCH_BYTES, CLIENT, COMPRESSION, LINGER_MS, close, make_producer
from bench.profiling import run_memory, run_profile
from bench.replay import default_file, run_replay
from bench.replay_report import render_markdown as render_replay
from bench.report import render_markdown, summary_lines, targets
from bench.scenarios import Harness, Throughput, measure_throughput, ours, run_naive, run_raw
from bench.stream import EncodedMessage, generate
from bench.warehouses import WarehouseKind
from pipeline.common.config import Settings
from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import wait_until

RESULTS = Path(__file__).parent / "results"
WORKDIR = Path("var/bench")
LABELS: dict[WarehouseKind, str] = {"sqlite": "ours on SQLite", "postgresql": "ours on PostgreSQL"}
ARCHIVE_LABELS: dict[WarehouseKind, str] = {
    "sqlite": "ours, archive only, on SQLite",
    "postgresql": "ours, archive only, on PostgreSQL",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    p.add_argument("--events", type=int, default=250_000, help="stream length per scenario")
    p.add_argument("--naive-events", type=int, default=30_000, help="prefix the naive app gets")
    p.add_argument(
        "--max-s",
        type=float,
        default=120.0,
        help="measure a scenario for at most this long (rate over what it processed)",
    )
    p.add_argument("--naive-max-s", type=float, default=45.0, help="--max-s for the naive app")
    p.add_argument("--profile-max-s", type=float, default=45.0, help="--max-s for the profile")
    p.add_argument("--latency-rate", type=float, default=1000.0, help="offered events/s")
    p.add_argument("--latency-seconds", type=float, default=30.0)
    p.add_argument("--profile-events", type=int, default=100_000, help="0 skips the profile")
    p.add_argument("--memory", action="store_true", help="also run the long memory check")
    p.add_argument("--memory-events", type=int, default=1_000_000)
    p.add_argument(
        "--memory-only",
        action="store_true",
        help="run only the memory check and add it to the last results",
    )
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per scenario")
    p.add_argument(
        "--archive-max-s",
        type=float,
        default=60.0,
        help="measure the archive-only scenarios for at most this long",
    )
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument(
        "--scenario",
        choices=("all", "simulator", "replay"),
        default="all",
        help="simulator: the simulated mix only; replay: the NHTSA complaint replay only",
    )
    p.add_argument(
        "--replay-file",
        type=Path,
        default=None,
        help="FLAT_CMPL file to replay (default: the full file where present, else the slice)",
    )
    p.add_argument(
        "--no-replay-profile", action="store_true", help="skip the profiled replay on SQLite"
    )
    p.add_argument(
        "--replay-engines",
        nargs="+",
        choices=("sqlite", "postgresql"),
        default=["sqlite", "postgresql"],
        help="warehouses the replay runs on",
    )
    return p.parse_args(argv)


def run_ours(
    harness: Harness,
    kind: WarehouseKind,
    messages: list[EncodedMessage],
    latency_messages: list[EncodedMessage],
    args: argparse.Namespace,
) -> tuple[Throughput, dict[str, Any] | None]:
    """Throughput on a fresh warehouse, then, on the same warm worker, the latency window."""
    with ours(harness, kind, f"bench-{kind}") as (worker, settings):
        result = measure_throughput(
            harness, LABELS[kind], worker, settings, messages, max_s=args.max_s
        )
        print(f"  {result.scenario}: {result.events_per_s:,} events/s", flush=True)
        if not latency_messages:
            return result, None
        latency = latency_window(
            harness,
            args,
            worker,
            result,
            len(messages),
            lambda: measure_latency(
                harness, worker, settings, latency_messages, len(messages), args.latency_rate
            ),
        )
        return result, latency


def latency_window(
    harness: Harness,
    args: argparse.Namespace,
    consumer: ConsumerUnderTest,
    result: Throughput,
    already: int,
    measure: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """``measure`` once ``consumer`` has caught up with the ``already`` events of its throughput
    run; a consumer slower than the offered load is reported as such instead."""
    if result.events_per_s < args.latency_rate:
        return {
            "skipped": f"its capacity ({result.events_per_s:,}/s) is below the offered "
            f"{args.latency_rate:,.0f}/s, so its latency only grows with the window",
            "capacity_below_load": True,
            "offered_events_per_s": args.latency_rate,
        }
    wait_until(
        lambda: consumer.processed() >= already,
        timeout_s=harness.timeout_s,
        check=consumer.check,
        what=f"{result.scenario}: backlog drained before the latency window",
    )
    latency = measure()
    p99 = latency["publish_to_archive"]["p99_s"]
    print(f"  {result.scenario} at {args.latency_rate:.0f}/s: p99 publish->archive {p99} s")
    return latency


def run_naive_with_latency(
    harness: Harness,
    args: argparse.Namespace,
    messages: list[EncodedMessage],
    latency_messages: list[EncodedMessage],
    results: dict[str, Any],
) -> None:
    """The naive app's throughput on a prefix, then (if it can keep up) the latency window."""
    prefix = messages[: args.naive_events]

    def latency(app: NaiveApp, settings: Settings, result: Throughput) -> None:
        if not latency_messages:
            return
        results["latency"]["naive baseline"] = latency_window(
            harness,
            args,
            app,
            result,
            len(prefix),
            lambda: measure_naive_latency(
                harness, app, settings, latency_messages, len(prefix), args.latency_rate
            ),
        )

    result = run_naive(harness, prefix, args.naive_max_s, then=latency)
    print(f"  naive baseline: {result.events_per_s:,} events/s", flush=True)
    results["scenarios"].append(result.as_dict())


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_info(args: argparse.Namespace, stream_events: int) -> dict[str, Any]:
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "machine": f"{platform.machine()}, {_cpus()} cores, Python {platform.python_version()}",
        "broker": "Tansu (embedded, memory storage), one for the whole run",
        "producer": (
            f"{CLIENT}, acks=all, idempotent, linger {LINGER_MS} ms, "
            f"{BATCH_BYTES // 1024} KB batches, compression {COMPRESSION}, "
            "one event per message"
        ),
        "stream": (
            f"simulator seed {args.seed}, first {stream_events:,} events: {args.events:,} for "
            f"throughput, the next {stream_events - args.events:,} for the latency window"
        ),
        "args": {k: str(v) for k, v in vars(args).items()},
    }


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir(parents=True)
    if args.scenario in ("all", "simulator") or args.memory_only:
        main_simulator(args)
    if args.scenario in ("all", "replay") and not args.memory_only:
        main_replay(args)


def main_replay(args: argparse.Namespace) -> None:
    """The NHTSA replay on its own broker; results in replay.{json,md}."""
    began = time.monotonic()
    path = args.replay_file or default_file()
    results: dict[str, Any] = {"run": run_info(args, 0)}
    del results["run"]["stream"], results["run"]["producer"]
    with EmbeddedBroker("tansu") as broker:
        producer = make_producer(broker.bootstrap)
        harness = Harness(broker.bootstrap, broker.client_settings, producer, WORKDIR, args.timeout)
        try:
            results |= run_replay(
                harness,
                path,
                datetime.now(UTC).date(),
                profile=not args.no_replay_profile,
                engines=args.replay_engines,
            )
        finally:
            close(producer)
    results["run"]["wall_s"] = round(time.monotonic() - began, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "replay.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "replay.md").write_text(render_replay(results))
    print(f"results: {args.out / 'replay.json'}, {args.out / 'replay.md'}")


def main_simulator(args: argparse.Namespace) -> None:
    began = time.monotonic()
    if args.memory_only:
        results = _previous(args.out) or {"run": run_info(args, 0), "scenarios": [], "latency": {}}
    else:
        latency_events = round(args.latency_rate * args.latency_seconds)
        print(f"generating {args.events + latency_events:,} simulated events …", flush=True)
        stream = generate(args.events + latency_events, args.seed)
        messages, latency_messages = stream[: args.events], stream[args.events :]
        results = {"run": run_info(args, len(stream)), "scenarios": [], "latency": {}}
        results["run"]["generate_s"] = round(time.monotonic() - began, 1)
    with EmbeddedBroker("tansu") as broker:
        producer = make_producer(broker.bootstrap)
        harness = Harness(broker.bootstrap, broker.client_settings, producer, WORKDIR, args.timeout)
        try:
            if args.memory_only:
                results["memory"] = memory_section(harness, args)
            else:
                run_scenarios(harness, args, messages, latency_messages, results)
                results["run"]["wall_s"] = round(time.monotonic() - began, 1)
        finally:
            close(producer)
    results["targets"] = targets(results)
    write_results(args.out, results)
    print("\n".join(summary_lines(results)))


def memory_section(harness: Harness, args: argparse.Namespace) -> dict[str, Any]:
    print(f"memory: {args.memory_events:,} events through ours on SQLite …", flush=True)
    long_stream = generate(args.memory_events, args.seed + 1)
    # The long run is never cut short: give it an hour whatever --timeout says.
    memory = run_memory(replace(harness, timeout_s=max(harness.timeout_s, 3600)), long_stream)
    memory["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    memory["git_commit"] = _git("rev-parse", "--short", "HEAD")
    return memory


def run_scenarios(
    harness: Harness,
    args: argparse.Namespace,
    messages: list[EncodedMessage],
    latency_messages: list[EncodedMessage],
    results: dict[str, Any],
) -> None:
    print("raw ceiling …", flush=True)
    results["scenarios"] += [r.as_dict() for r in run_raw(harness, messages, args.max_s)]
    print("naive baseline …", flush=True)
    run_naive_with_latency(harness, args, messages, latency_messages, results)
    for kind in ("sqlite", "postgresql"):
        print(f"{LABELS[kind]} …", flush=True)
        result, latency = run_ours(harness, kind, messages, latency_messages, args)
        results["scenarios"].append(result.as_dict())
        results["latency"][LABELS[kind]] = latency
    for kind, label in ARCHIVE_LABELS.items():
        print(f"{label} …", flush=True)
        with ours(harness, kind, f"bench-archive-{kind}", stages="archive") as (worker, settings):
            archive = measure_throughput(
                harness, label, worker, settings, messages, max_s=args.archive_max_s
            )
        print(f"  {archive.scenario}: {archive.events_per_s:,} events/s", flush=True)
        results["scenarios"].append(archive.as_dict())
    if args.profile_events:
        print("profiling ours on SQLite …", flush=True)
        results["profile"] = run_profile(
            harness, messages[: args.profile_events], args.profile_max_s
        )
    if args.memory:
        results["memory"] = memory_section(harness, args)
    else:
        results["memory"] = (_previous(args.out) or {}).get("memory")


def _previous(out: Path) -> dict[str, Any] | None:
    """The last results, so a run without --memory keeps the last memory curve (with its date)
    and --memory-only adds a fresh one to the last full run."""
    try:
        return dict(json.loads((out / "throughput.json").read_text()))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_results(out: Path, results: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "throughput.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "throughput.md").write_text(render_markdown(results))
    print(f"results: {out / 'throughput.json'}, {out / 'throughput.md'}")


if __name__ == "__main__":
    main()

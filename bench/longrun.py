"""A batch's cost at the start and at the end of a long complaint replay, in one process.

    python -m bench.longrun [--events 1000000] [--max-s 600] [--engines sqlite postgresql]

The NHTSA complaint file is replayed as many times as the run needs, each copy moved on in
event time by the file's span so that the stream stays in event order and every signature's
history grows copy after copy (as years of history do), with fresh event and complaint ids.
Batches of ``--batch`` events go through the worker's batch path (``BatchProcessor``, the
stages a worker builds) and a detector round follows each one, in one process and without a
broker, so the times are the warehouse's and the detector's alone. Results are written into
bench/results/longrun.{json,md}: batch and round seconds over the first and last
``--window`` batches, beside how much was archived by then.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench.replay import default_file
from bench.warehouses import WarehouseKind, fresh_warehouse
from pipeline.bootstrap import build_detector, build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.jobs.detector import DetectionRunner
from schemas.codec import encode
from schemas.feedback import ComplaintFiled

NOW = datetime(2199, 1, 1, tzinfo=UTC)
"""The run's clock: after every event of every copy, so none is refused as future-dated."""
_NAMESPACE = uuid.UUID("0b6c83a4-7d5f-4b55-9a57-5c1e0f7d2a10")


def complaints(path: Path, today: date) -> list[ComplaintFiled]:
    """The file's distinct complaints in event order."""
    from producers.sources.nhtsa import read_complaints
    from producers.sources.report import Skipped

    found = {
        item.event_id: item
        for item in read_complaints(path, today=today)
        if not isinstance(item, Skipped) and isinstance(item, ComplaintFiled)
    }
    return sorted(found.values(), key=lambda e: (e.occurred_at, str(e.event_id)))


def stream(base: Sequence[ComplaintFiled], events: int) -> Iterator[ComplaintFiled]:
    """``events`` complaints: copies of ``base`` one after the other in event time, the first
    starting in 1901 (the contract's dates start in 1900), each the span of ``base`` later."""
    first, last = base[0].occurred_at, base[-1].occurred_at
    span = timedelta(days=(last - first).days + 1)
    origin = first - datetime(1901, 1, 1, tzinfo=UTC)
    copies = -(-events // len(base))
    sent = 0
    for copy in range(copies):
        shift = origin - span * copy
        for event in base:
            if sent == events:
                return
            sent += 1
            key = f"{copy}|{event.event_id}"
            yield event.model_copy(
                update={
                    "event_id": uuid.uuid5(_NAMESPACE, key),
                    "complaint_id": f"{event.complaint_id}-{copy}",
                    "occurred_at": event.occurred_at - shift,
                }
            )


def run(
    kind: WarehouseKind,
    base: Sequence[ComplaintFiled],
    events: int,
    batch: int,
    max_s: float,
    workdir: Path,
    incremental: bool = True,
) -> dict[str, Any]:
    """Batches and detector rounds until ``events`` are archived or ``max_s`` have passed."""
    settings = Settings()
    steps = build_steps(settings)
    topic = settings.topics.feedback
    rows: list[dict[str, Any]] = []
    with fresh_warehouse(kind, workdir) as (_, engine):
        processor = BatchProcessor(engine, settings.topics, steps, clock=lambda: NOW)
        detector = replace(build_detector(settings), incremental=incremental)
        runner = DetectionRunner(engine, detector, clock=lambda: NOW)
        started = time.perf_counter()
        chunk: list[Message] = []
        archived = 0
        for offset, event in enumerate(stream(base, events)):
            chunk.append(Message(topic, 0, offset, b"k", encode(event)))
            if len(chunk) < batch:
                continue
            rows.append(_step(processor, runner, chunk, archived))
            archived += len(chunk)
            chunk = []
            if time.perf_counter() - started > max_s:
                break
        else:
            if chunk:
                rows.append(_step(processor, runner, chunk, archived))
                archived += len(chunk)
        elapsed = time.perf_counter() - started
        sizes = _sizes(engine)
    return {
        "engine": kind,
        "incremental": incremental,
        "events_asked": events,
        "events_archived": archived,
        "seconds": round(elapsed, 1),
        "events_per_s": round(archived / elapsed) if elapsed else 0,
        "batches": rows,
        "rows_at_end": sizes,
    }


def _step(
    processor: BatchProcessor, runner: DetectionRunner, chunk: list[Message], before: int
) -> dict[str, Any]:
    t0, c0 = time.perf_counter(), time.process_time()
    processor.process(chunk)
    t1, c1 = time.perf_counter(), time.process_time()
    outcome = runner.run()
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "archived_before": before,
        "events": len(chunk),
        "batch_s": round(t1 - t0, 4),
        "round_s": round(t2 - t1, 4),
        "batch_cpu_s": round(c1 - c0, 4),
        "round_cpu_s": round(c2 - c1, 4),
        "signatures_evaluated": int(outcome.stats.get("signatures_evaluated", 0)),
    }


def _sizes(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("events", "signature_counts", "defect_flags")
        }


def summary(result: dict[str, Any], window: int) -> dict[str, Any]:
    """Median batch and round seconds over the first and the last ``window`` batches."""
    full = [
        r for r in result["batches"] if r["events"] == max(b["events"] for b in result["batches"])
    ]
    head, tail = full[:window], full[-window:]

    def part(rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "archived_before": [rows[0]["archived_before"], rows[-1]["archived_before"]],
            "median_batch_s": round(statistics.median(r["batch_s"] for r in rows), 4),
            "median_round_s": round(statistics.median(r["round_s"] for r in rows), 4),
            "median_batch_cpu_s": round(statistics.median(r["batch_cpu_s"] for r in rows), 4),
            "median_round_cpu_s": round(statistics.median(r["round_cpu_s"] for r in rows), 4),
            "median_signatures_evaluated": statistics.median(
                r["signatures_evaluated"] for r in rows
            ),
        }

    start, end = part(head), part(tail)
    return {
        "start": start,
        "end": end,
        "batch_end_over_start": round(end["median_batch_s"] / start["median_batch_s"], 2),
        "round_end_over_start": round(end["median_round_s"] / start["median_round_s"], 2),
        "batch_cpu_end_over_start": _ratio(end["median_batch_cpu_s"], start["median_batch_cpu_s"]),
        "round_cpu_end_over_start": _ratio(end["median_round_cpu_s"], start["median_round_cpu_s"]),
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def render(results: dict[str, Any]) -> str:
    lines = [
        "# Long replay: a batch's cost at the start and at the end",
        "",
        f"Run {results['run']['at']} at {results['run']['commit']}; {results['run']['file']} "
        f"replayed in event order as many times as needed (each copy moved on by the file's "
        f"span); batches of {results['run']['batch']} through the worker's batch path, a "
        f"detector round after each, in one process without a broker; at most "
        f"{results['run']['max_s']:.0f} s per run. Medians over the first and the last "
        f"{results['run']['window']} full batches.",
        "",
        "| engine | detector | events archived | events/s | batch s start | batch s end | "
        "end/start | round s start | round s end | end/start | signatures/round start, end |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    cpu = [
        "",
        "CPU seconds of the benchmark process (the machine is shared: wall times move with the "
        "load, CPU less; on PostgreSQL the server's own work is not in it):",
        "",
        "| engine | detector | batch CPU s start | end | end/start | round CPU s start | end | "
        "end/start |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        s = r["summary"]
        mode = "incremental" if r["incremental"] else "whole history"
        lines.append(
            f"| {r['engine']} | {mode} | {r['events_archived']:,} | {r['events_per_s']:,} | "
            f"{s['start']['median_batch_s']} | {s['end']['median_batch_s']} | "
            f"{s['batch_end_over_start']} | {s['start']['median_round_s']} | "
            f"{s['end']['median_round_s']} | {s['round_end_over_start']} | "
            f"{s['start']['median_signatures_evaluated']}, "
            f"{s['end']['median_signatures_evaluated']} |"
        )
        cpu.append(
            f"| {r['engine']} | {mode} | {s['start']['median_batch_cpu_s']} | "
            f"{s['end']['median_batch_cpu_s']} | {s['batch_cpu_end_over_start']} | "
            f"{s['start']['median_round_cpu_s']} | {s['end']['median_round_cpu_s']} | "
            f"{s['round_cpu_end_over_start']} |"
        )
    lines += [*cpu, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--max-s", type=float, default=600.0, help="stop a run after this long")
    p.add_argument("--batch", type=int, default=2_000)
    p.add_argument("--window", type=int, default=10, help="batches averaged at each end")
    p.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    p.add_argument(
        "--whole-history", action="store_true", help="also run the detector reading whole series"
    )
    p.add_argument("--file", type=Path, default=None)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--workdir", type=Path, default=Path("var/bench-longrun"))
    args = p.parse_args(argv)
    path = args.file or default_file()
    base = complaints(path, datetime.now(UTC).date())
    args.workdir.mkdir(parents=True, exist_ok=True)
    from bench.throughput import _git

    results: dict[str, Any] = {
        "run": {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": _git("rev-parse", "--short", "HEAD"),
            "file": path.name,
            "file_events": len(base),
            "batch": args.batch,
            "max_s": args.max_s,
            "window": args.window,
        },
        "runs": [],
    }
    modes = [True, False] if args.whole_history else [True]
    for kind in args.engines:
        for incremental in modes:
            result = run(kind, base, args.events, args.batch, args.max_s, args.workdir, incremental)
            result["summary"] = summary(result, args.window)
            results["runs"].append(result)
            print(json.dumps({k: v for k, v in result.items() if k != "batches"}), flush=True)
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "longrun.json").write_text(json.dumps(results, indent=2) + "\n")
            (args.out / "longrun.md").write_text(render(results))


if __name__ == "__main__":
    main()

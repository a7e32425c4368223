"""The replay scenario: a file of NHTSA complaints through `aftersales import nhtsa` into a fresh
warehouse, timed to archived and to settled detection, beside the raw drain of the same topic."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from bench.consumers import OursWorker, child_env
from bench.measure import cpu_seconds, memory_mb, rate
from bench.profile_stats import counts_since, top_costs
from bench.sampler import DUMP_EVERY_S
from bench.scenarios import READY_TIMEOUT_S, Harness, drain_seconds, ours
from bench.warehouses import WarehouseKind
from pipeline.common.config import Settings
from pipeline.harness.worker_process import settings_env, wait_until

REPO = Path(__file__).resolve().parents[1]
FULL_FILE = Path("/work/shared/data/nhtsa/FLAT_CMPL_toyota_ford_tesla_my2015_2025.txt")
SLICE_FILE = REPO / "tests/fixtures/nhtsa/FLAT_CMPL_toyota_ford_tesla_slice.txt"
OUR_PACKAGES = ("pipeline/", "consumers/", "schemas/")
POLL_S = 0.1


def default_file() -> Path:
    """The full complaint file where this machine has it, else the committed slice."""
    return FULL_FILE if FULL_FILE.exists() else SLICE_FILE


def distinct_events(path: Path, today: date) -> int:
    """How many distinct events the importer publishes from ``path`` (what "archived" means)."""
    from producers.sources.nhtsa import read_complaints
    from producers.sources.report import Skipped

    return len(
        {
            item.event_id
            for item in read_complaints(path, today=today)
            if not isinstance(item, Skipped)
        }
    )


@dataclass
class Replay:
    """One replay's timings (seconds from the start of the import) and the warehouse it left."""

    engine_kind: str
    events: int
    published_s: float = 0.0
    archived_s: float = 0.0
    settled_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    warehouse: dict[str, Any] = field(default_factory=dict)
    import_summary: dict[str, Any] = field(default_factory=dict)
    worker_metrics: dict[str, Any] = field(default_factory=dict)
    started_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine_kind,
            "events": self.events,
            "published_s": round(self.published_s, 2),
            "archived_s": round(self.archived_s, 2),
            "settled_s": round(self.settled_s, 2),
            "events_per_s_to_archived": round(rate(self.events, self.archived_s)),
            "events_per_s_to_settled": round(rate(self.events, self.settled_s)),
            "cpu_s": round(self.cpu_s, 1),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "warehouse": self.warehouse,
            "import": self.import_summary,
            "worker": self.worker_metrics,
        }


def start_import(settings: Settings, path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """`python -m pipeline import nhtsa FILE`, the documented command, in a child process."""
    env = settings_env(
        {
            "kafka_bootstrap": settings.kafka_bootstrap,
            "topic_prefix": settings.topic_prefix,
            "log_level": "WARNING",
        }
    )
    env["PYTHONPATH"] = child_env({})["PYTHONPATH"]
    cmd = [sys.executable, "-m", "pipeline", "import", "nhtsa", str(path)]
    with log_path.open("wb") as log:
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)


def _import_summary(log_path: Path) -> dict[str, Any]:
    """The JSON report the importer prints last (read, yielded, skipped by reason)."""
    body = log_path.read_text(errors="replace")
    start = body.rfind('{\n  "complaints"')
    try:
        summary = json.loads(body[start:])["complaints"] if start >= 0 else {}
    except (json.JSONDecodeError, KeyError):
        return {}
    return {k: summary.get(k) for k in ("read", "yielded", "skipped")}


def archived(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM events")) or 0)


def detection_busy(engine: Engine) -> bool:
    """Signatures still marked for the detector, or flag messages not yet published."""
    with engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT (SELECT count(*) FROM detection_pending)"
                    " + (SELECT count(*) FROM outbox)"
                )
            )
        )


def replay(
    harness: Harness,
    kind: WarehouseKind,
    path: Path,
    events: int,
    prefix: str,
    profile_path: Path | None = None,
    on_start: Callable[[], None] | None = None,
) -> Replay:
    """Import ``path`` while a fresh worker runs; time it to archived, then to settled."""
    with ours(harness, kind, prefix, profile_path=profile_path) as (worker, settings):
        wait_until(
            worker.ready, timeout_s=READY_TIMEOUT_S, check=worker.check, what=f"{prefix} ready"
        )
        if on_start is not None:
            on_start()
        result = _timed_import(harness, worker, settings, path, events, prefix)
        result.engine_kind = kind
        result.warehouse = warehouse_size(worker.engine, kind, events)
        result.worker_metrics["batch_starts"] = batch_starts(worker.engine, result.started_at)
    return result


def _timed_import(
    harness: Harness,
    worker: OursWorker,
    settings: Settings,
    path: Path,
    events: int,
    prefix: str,
) -> Replay:
    log_path = harness.workdir / f"{prefix}-import.log"
    cpu_before = cpu_seconds(worker.pid)
    started = time.time()
    importer = start_import(settings, path, log_path)
    result = Replay(engine_kind="", events=events, started_at=started)
    deadline = started + harness.timeout_s
    while True:
        worker.check()
        now = time.time()
        if not result.published_s and importer.poll() is not None:
            if importer.returncode != 0:
                raise RuntimeError(f"import failed ({importer.returncode}): see {log_path}")
            result.published_s = now - started
        if not result.archived_s and archived(worker.engine) >= events:
            # Polled, not the last-batch gauge: that moves only once the batch is acked.
            result.archived_s = now - started
        if result.archived_s and result.published_s and not detection_busy(worker.engine):
            result.settled_s = time.time() - started
            break
        if now > deadline:
            raise TimeoutError(f"{prefix}: not settled after {harness.timeout_s:.0f} s")
        time.sleep(POLL_S)
    result.cpu_s = cpu_seconds(worker.pid) - cpu_before
    result.peak_rss_mb = memory_mb(worker.pid)["hwm_mb"]
    result.import_summary = _import_summary(log_path)
    result.worker_metrics = histogram_totals(worker.metrics())
    return result


def batch_starts(engine: Engine, started_at: float) -> list[tuple[float, int]]:
    """(seconds from the import's start when a batch began, events it archived), in order."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT archived_at, count(*) FROM events GROUP BY archived_at ORDER BY 1")
        ).all()
    out = []
    for at, n in rows:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        out.append((round(moment.timestamp() - started_at, 2), int(n)))
    return out


HISTOGRAMS = {
    "aftersales_archive_batch_seconds": "batches",
    "aftersales_detection_round_seconds": "detection_rounds",
}


def histogram_totals(metrics_text: str) -> dict[str, Any]:
    """How many batches and detector rounds the worker ran, and the seconds they took."""
    out: dict[str, Any] = {}
    for family in text_string_to_metric_families(metrics_text):
        name = HISTOGRAMS.get(family.name)
        if name is None:
            continue
        for sample in family.samples:
            if sample.name.endswith("_count"):
                out[name] = int(sample.value)
            elif sample.name.endswith("_sum"):
                out[f"{name}_s"] = round(sample.value, 1)
    return out


def warehouse_size(engine: Engine, kind: WarehouseKind, events: int) -> dict[str, Any]:
    """Bytes the warehouse takes per archived event, and the largest tables (with indexes)."""
    if kind == "sqlite":
        with engine.connect() as conn:
            wal = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            page = int(conn.exec_driver_sql("PRAGMA page_size").scalar() or 0)
            pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)
            by_table = _sqlite_tables(conn)
        total = page * pages
        how = f"SQLite file after a checkpoint (busy={wal[0]})"
    else:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            ).all()
        by_table = {str(name): int(size) for name, size in rows}
        total = sum(by_table.values())
        how = "sum of pg_total_relation_size over the tables (heap, TOAST, indexes)"
    top = sorted(by_table.items(), key=lambda kv: -kv[1])[:8]
    return {
        "bytes": total,
        "bytes_per_event": round(total / events) if events else None,
        "measured": how,
        "largest_tables_bytes_per_event": {
            name: round(size / events) if events else None for name, size in top
        },
    }


def _sqlite_tables(conn: Any) -> dict[str, int]:
    """Bytes per table, its indexes included (dbstat, where SQLite was built with it)."""
    try:
        rows = conn.exec_driver_sql(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
        ).all()
    except Exception:  # noqa: BLE001 - a build without dbstat reports the total only
        return {}
    return {str(name): int(size) for name, size in rows}


def raw_drain(harness: Harness, settings: Settings, events: int, name: str) -> dict[str, Any]:
    """A bare consumer in a group of its own drains the topic the import filled."""
    seconds = (
        drain_seconds(harness, name, f"{name}-group", events, [settings.topics.name("feedback")])
        or 0.0
    )
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(rate(events, seconds)),
        "what": "aiokafka getmany + json.loads of each message (a batch is one message)",
    }


def profile_replay(harness: Harness, path: Path, events: int, top: int = 15) -> dict[str, Any]:
    """The SQLite replay again under bench.sampler: where the time goes, import to settled."""
    from bench.profiling import _read_tree

    out = harness.workdir / "replay-profile.json"
    baseline: dict[str, Any] = {}
    result = replay(
        harness,
        "sqlite",
        path,
        events,
        "bench-replay-profile",
        profile_path=out,
        on_start=lambda: baseline.update(_read_tree(out)),
    )
    time.sleep(DUMP_EVERY_S * 1.5)
    final = _read_tree(out)
    busy = int(final.get("samples", 0)) - int(baseline.get("samples", 0))
    self_counts = counts_since(final.get("self", {}), baseline.get("self", {}))
    total_counts = counts_since(final.get("total", {}), baseline.get("total", {}))
    return {
        "method": (
            "wall-clock stack samples of the worker, its processing child and its detector "
            "(bench.sampler), from the start of the import to settled; idle waits excluded; "
            "% = share of busy samples"
        ),
        "events_per_s_to_settled_under_sampler": result.as_dict()["events_per_s_to_settled"],
        "busy_samples": busy,
        "top_self": [asdict(c) for c in top_costs(self_counts, busy, top)],
        "top_total_ours": [
            asdict(c) for c in top_costs(total_counts, busy, top, prefixes=OUR_PACKAGES)
        ],
    }


def run_replay(
    harness: Harness,
    path: Path,
    today: date,
    profile: bool = True,
    engines: Sequence[WarehouseKind] = ("sqlite", "postgresql"),
) -> dict[str, Any]:
    """The replay on SQLite and PostgreSQL, the raw drain of the same topic, and a profile."""
    events = distinct_events(path, today)
    print(f"replay: {path.name}, {events:,} distinct complaint events", flush=True)
    out: dict[str, Any] = {"file": str(path), "events": events, "engines": {}}
    for kind in engines:
        prefix = f"bench-replay-{kind}"
        result = replay(harness, kind, path, events, prefix)
        out["engines"][kind] = result.as_dict()
        print(f"  {kind}: {_line(out['engines'][kind])}", flush=True)
        if "raw_drain" not in out:  # once, on the topic the first replay filled
            out["raw_drain"] = raw_drain(harness, harness.settings(prefix), events, "replay-raw")
            print(f"  raw drain: {out['raw_drain']['events_per_s']:,} events/s", flush=True)
    if profile:
        print("  profiling the SQLite replay …", flush=True)
        out["profile"] = profile_replay(harness, path, events)
    return out


def _line(r: Mapping[str, Any]) -> str:
    return (
        f"{r['events_per_s_to_archived']:,} events/s to archived ({r['archived_s']} s), "
        f"{r['events_per_s_to_settled']:,} to settled ({r['settled_s']} s), "
        f"{r['warehouse']['bytes_per_event']} bytes/event"
    )

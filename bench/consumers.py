"""The consumers under test, behind one small interface the measurement loop polls."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from bench.measure import gauge_value
from bench.warehouses import processed
from pipeline.harness import process_group
from pipeline.harness.worker_process import WorkerFailed, WorkerProcess, settings_env

REPO = Path(__file__).resolve().parents[1]


class ConsumerUnderTest(Protocol):
    @property
    def pid(self) -> int: ...
    def ready(self) -> bool: ...
    def processed(self) -> int: ...
    def finished_at(self) -> float | None:
        """When the last event was consumed or archived, if the consumer knows precisely."""

    def check(self) -> None: ...
    def stop(self) -> None: ...


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AFTERSALES_", "BENCH_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def http_get(url: str, timeout_s: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return str(response.read().decode())


@dataclass
class ChildProcess:
    """A bench child (raw consumer, naive app) started with pipeline.harness.process_group."""

    cmd: list[str]
    env: dict[str, str]
    log_path: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        self._proc = process_group.spawn(self.cmd, self.env, self.log_path)

    @property
    def popen(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise WorkerFailed(f"{self.cmd} was not started")
        return self._proc

    def check(self) -> None:
        if self.popen.poll() is not None and self.popen.returncode != 0:
            tail = (
                self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
            )
            raise WorkerFailed(f"{self.cmd[2]} exited with {self.popen.returncode}\n{tail}")

    def stop(self) -> None:
        process_group.stop(self.popen, 10)


@dataclass
class RawConsumer:
    """bench.raw_consumer: reports through a JSON status file."""

    child: ChildProcess
    status_path: Path

    @classmethod
    def start(
        cls,
        workdir: Path,
        name: str,
        bootstrap: str,
        group: str,
        expected: int,
        topics: list[str],
        timings: dict[str, float],
    ) -> RawConsumer:
        status = workdir / f"{name}.status.json"
        cmd = [
            sys.executable,
            "-m",
            "bench.raw_consumer",
            str(status),
            bootstrap,
            group,
            str(expected),
            *topics,
        ]
        env = child_env(
            {
                "BENCH_SESSION_TIMEOUT_S": str(timings["session_timeout_s"]),
                "BENCH_HEARTBEAT_S": str(timings["heartbeat_interval_s"]),
            }
        )
        child = ChildProcess(cmd, env, workdir / f"{name}.log")
        child.start()
        return cls(child, status)

    def _status(self) -> dict[str, object]:
        try:
            return dict(json.loads(self.status_path.read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    @property
    def pid(self) -> int:
        return self.child.popen.pid

    def ready(self) -> bool:
        return bool(self._status().get("ready"))

    def processed(self) -> int:
        return int(self._status().get("count") or 0)  # type: ignore[call-overload]

    def finished_at(self) -> float | None:
        done = self._status().get("done_at")
        return float(done) if isinstance(done, int | float) else None

    def first_record_at(self) -> float | None:
        first = self._status().get("first_at")
        return float(first) if isinstance(first, int | float) else None

    def check(self) -> None:
        self.child.check()

    def stop(self) -> None:
        self.child.stop()


@dataclass
class NaiveApp:
    """bench.naive_app: progress is the row count of its SQLite table."""

    child: ChildProcess
    db_path: Path
    ready_path: Path

    @classmethod
    def start(
        cls,
        workdir: Path,
        name: str,
        bootstrap: str,
        group: str,
        topics: list[str],
        timings: dict[str, float],
    ) -> NaiveApp:
        db, ready = workdir / f"{name}.db", workdir / f"{name}.ready"
        env = child_env(
            {
                "BENCH_BOOTSTRAP": bootstrap,
                "BENCH_GROUP": group,
                "BENCH_TOPICS": ",".join(topics),
                "BENCH_DB": str(db),
                "BENCH_READY_FILE": str(ready),
                "BENCH_DATADIR": str(workdir / f"{name}-faust"),
                "BENCH_SESSION_TIMEOUT_S": str(timings["session_timeout_s"]),
                "BENCH_HEARTBEAT_S": str(timings["heartbeat_interval_s"]),
            }
        )
        child = ChildProcess(
            [sys.executable, "-m", "bench.naive_app"], env, workdir / f"{name}.log"
        )
        child.start()
        return cls(child, db, ready)

    def _count_and_last(self) -> tuple[int, float | None]:
        if not self.db_path.exists():
            return 0, None
        with sqlite3.connect(self.db_path, timeout=30) as conn:
            try:
                n, last = conn.execute("SELECT count(*), max(archived_at) FROM events").fetchone()
            except sqlite3.OperationalError:  # the table is not created yet
                return 0, None
        return int(n), last

    @property
    def pid(self) -> int:
        return self.child.popen.pid

    def ready(self) -> bool:
        return self.ready_path.exists()

    def processed(self) -> int:
        return self._count_and_last()[0]

    def archived_at(self) -> dict[str, float]:
        """event_id -> epoch seconds its row was written (just before its own commit)."""
        with sqlite3.connect(self.db_path, timeout=30) as conn:
            return dict(conn.execute("SELECT event_id, archived_at FROM events").fetchall())

    def finished_at(self) -> float | None:
        return self._count_and_last()[1]

    def check(self) -> None:
        self.child.check()

    def stop(self) -> None:
        self.child.stop()


@dataclass
class ProfiledWorker(WorkerProcess):
    """The worker under bench.sampler, which writes its stack counts to ``profile_path``."""

    profile_path: Path = Path("profile.json")

    def start(self) -> ProfiledWorker:
        cmd = [sys.executable, "-m", "bench.sampler", str(self.profile_path)]
        env = settings_env(self.settings)
        env["PYTHONPATH"] = child_env({})["PYTHONPATH"]
        self.process = process_group.spawn(cmd, env, self.log_path)
        return self


@dataclass
class OursWorker:
    """Our worker (plain or profiled); progress is the warehouse row count."""

    worker: WorkerProcess
    engine: Engine

    @property
    def pid(self) -> int:
        if self.worker.process is None:
            raise WorkerFailed("worker not started")
        return self.worker.process.pid

    def metrics(self) -> str:
        return http_get(f"{self.worker.metrics_url}/metrics")

    def ready(self) -> bool:
        try:
            body = json.loads(http_get(f"{self.worker.metrics_url}/readyz"))
        except (OSError, ValueError):
            return False
        return bool(body.get("ready")) and int(body.get("partitions", 0)) > 0

    def processed(self) -> int:
        return processed(self.engine)

    def finished_at(self) -> float | None:
        """The commit time of the last batch, from /metrics (None if it cannot be scraped)."""
        try:
            return gauge_value(self.metrics(), "aftersales_last_batch_timestamp_seconds")
        except OSError:
            return None

    def check(self) -> None:
        self.worker.check()

    def stop(self) -> None:
        self.worker.stop()

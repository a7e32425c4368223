"""A wall-clock stack sampler for every thread of a process, and a worker run under it.

``python -m bench.sampler OUT.json [INTERVAL_MS]`` runs ``aftersales worker`` (settings from the
AFTERSALES_* environment) while a daemon thread samples ``sys._current_frames()``. py-spy is
not installed here, and pyinstrument samples only the thread that started it. The worker's
children (processing, detector) are sampled the same way into ``child_path(OUT, role)``.
Counts are dumped every second and at exit.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from bench.profile_stats import frame_key, is_idle
from consumers import isolation
from consumers.isolation import _start_child as isolation_start
from pipeline.bootstrap import build_detection_runner
from pipeline.common.config import Settings

DUMP_EVERY_S = 1.0


class StackSampler:
    """Counts, per function, samples where it is the leaf (self) and where it is on the stack."""

    def __init__(self, out: Path, interval_s: float) -> None:
        self.out = out
        self.interval_s = interval_s
        self.samples = 0
        self.idle = 0
        self.self_counts: Counter[str] = Counter()
        self.total_counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        self._stop.set()
        self.dump()

    def _run(self) -> None:
        own = threading.get_ident()
        last_dump = time.monotonic()
        while not self._stop.wait(self.interval_s):
            for ident, frame in sys._current_frames().items():
                if ident != own:
                    self._record(frame)
            if time.monotonic() - last_dump >= DUMP_EVERY_S:
                self.dump()
                last_dump = time.monotonic()

    def _record(self, leaf: FrameType) -> None:
        keys = [frame_key(f.f_code.co_filename, f.f_code.co_name) for f in _stack(leaf)]
        with self._lock:
            if is_idle(leaf.f_code.co_filename, leaf.f_code.co_name):
                self.idle += 1
                return
            self.samples += 1
            self.self_counts[keys[0]] += 1
            self.total_counts.update(set(keys))

    def dump(self) -> None:
        with self._lock:
            data = {
                "interval_s": self.interval_s,
                "samples": self.samples,
                "idle_samples": self.idle,
                "self": dict(self.self_counts),
                "total": dict(self.total_counts),
            }
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.out)


def _stack(leaf: FrameType) -> Iterator[FrameType]:
    frame: FrameType | None = leaf
    while frame is not None:
        yield frame
        frame = frame.f_back


def child_path(out: Path, role: str = "batches") -> Path:
    """Where a child's samples go: the processing child's, or (role "detection") the detector's."""
    name = "child" if role == "batches" else role
    return out.with_name(f"{out.stem}.{name}{out.suffix}")


_CHILD_ENV = "BENCH_SAMPLER_CHILD"


def _start_sampled_child(settings: Settings, build: Callable[[], object], niceness: int) -> None:
    """A child's initializer (batches or detection), under its own sampler."""
    role = "detection" if getattr(build, "func", None) is build_detection_runner else "batches"
    out, _, interval_s = os.environ[_CHILD_ENV].rpartition("|")
    StackSampler(child_path(Path(out), role), float(interval_s)).start()
    isolation_start(settings, build, niceness)


def main() -> None:
    out = Path(sys.argv[1])
    interval_ms = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    sampler = StackSampler(out, interval_ms / 1000)
    sampler.start()
    # The spawned child imports this module to find its initializer and inherits the variable.
    os.environ[_CHILD_ENV] = f"{out}|{interval_ms / 1000}"
    # By its importable name: run as __main__, this module's functions do not pickle.
    isolation._start_child = importlib.import_module("bench.sampler")._start_sampled_child
    sys.argv = ["aftersales", "worker"]
    runpy.run_module("pipeline", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

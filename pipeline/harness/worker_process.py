"""Run `aftersales worker` as a child process (demo, tests, benchmarks) and wait on its progress."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from pipeline.common.errors import PipelineError
from pipeline.harness import process_group
from pipeline.harness.broker import free_port


class WorkerFailed(PipelineError):
    """The worker process exited while it was expected to run."""


def settings_env(values: Mapping[str, object]) -> dict[str, str]:
    """Settings as AFTERSALES_* environment variables, on top of this process's environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    for name, value in values.items():
        if value is not None:
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            env[f"AFTERSALES_{name.upper()}"] = str(plain)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass
class WorkerProcess:
    """One worker child; ``settings`` are Settings field names and values."""

    settings: dict[str, object]
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.settings.setdefault("metrics_port", free_port())

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.settings['metrics_port']}"

    def start(self) -> WorkerProcess:
        cmd = [sys.executable, "-m", "pipeline", "worker"]
        self.process = process_group.spawn(cmd, settings_env(self.settings), self.log_path)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            tail = ""
            if self.log_path and self.log_path.exists():
                tail = self.log_path.read_text(errors="replace")[-3000:]
            raise WorkerFailed(f"worker exited with status {self.process.returncode}\n{tail}")

    def stop(self, timeout_s: float = 30.0) -> int | None:
        if self.process is None:
            return None
        code = process_group.stop(self.process, timeout_s)
        self.process = None
        return code

    def kill(self) -> None:
        if self.process is not None:
            process_group.kill(self.process)
            self.process = None

    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(
    done: Callable[[], bool],
    *,
    timeout_s: float,
    poll_s: float = 0.25,
    check: Callable[[], None] | None = None,
    what: str = "condition",
) -> None:
    """Poll ``done`` until true; ``check`` may raise early (e.g. a dead worker)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check is not None:
            check()
        if done():
            return
        time.sleep(poll_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")

"""Child processes that never outlive their parent: spawn in a new group, stop the whole group."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO


def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGKILL this process when its parent dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def spawn(
    cmd: Sequence[str], env: Mapping[str, str] | None = None, log_path: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in its own process group; on Linux it is killed if this process dies."""
    out: IO[bytes] | int = subprocess.DEVNULL
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out = log_path.open("ab")
    return subprocess.Popen(  # noqa: S603 - argv built by the caller, no shell
        list(cmd),
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT if log_path is not None else subprocess.DEVNULL,
        preexec_fn=die_with_parent,  # noqa: PLW1509 - the point: no orphans
        start_new_session=True,
        env=dict(env) if env is not None else None,
    )


def signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> int | None:
    """SIGTERM the group, then SIGKILL it if it has not exited in ``timeout_s``."""
    if proc.poll() is None:
        signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=timeout_s)
    # Children of the group (if any) go too.
    signal_group(proc, signal.SIGKILL)
    return proc.returncode


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the group at once (crash tests)."""
    signal_group(proc, signal.SIGKILL)
    proc.wait(timeout=10)

"""Pure helpers for the stack sampler: frame names, idle frames, the top costs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

IDLE_LEAVES = frozenset(
    {
        ("selectors.py", "select"),  # the event loop waiting for I/O
        ("threading.py", "wait"),  # Condition/Event waits
        ("threading.py", "_wait_for_tstate_lock"),
        ("thread.py", "_worker"),  # a thread-pool worker waiting for work
        ("queue.py", "get"),
        # The worker and its processing child waiting on each other's pipe or exit status.
        ("connection.py", "_recv"),
        ("connection.py", "_send"),
        ("popen_fork.py", "poll"),
    }
)
"""Leaf frames (file basename, function) where a thread waits rather than works."""

ENTRY_FRAMES = frozenset(
    {"pipeline/cli/main.py:main", "pipeline/cli/main.py:worker", "consumers/worker.py:run"}
)
"""The worker's entry chain: on every main-thread stack, so it says nothing about cost."""

_TRIM_AFTER = ("site-packages/", "lib/python3.11/", "lib/python3.12/", "lib/python3.13/")


def short_path(filename: str) -> str:
    """A site-packages or stdlib path from the package on; repository files relative to it."""
    for marker in _TRIM_AFTER:
        if marker in filename:
            return filename.split(marker, 1)[1]
    for root in ("/pipeline/", "/consumers/", "/schemas/", "/producers/", "/bench/"):
        if root in filename:
            return root.strip("/") + "/" + filename.split(root, 1)[1]
    return filename


def frame_key(filename: str, function: str) -> str:
    return f"{short_path(filename)}:{function}"


def is_idle(filename: str, function: str) -> bool:
    return (filename.rsplit("/", 1)[-1], function) in IDLE_LEAVES


@dataclass(frozen=True, slots=True)
class Cost:
    function: str
    percent: float
    samples: int


def top_costs(
    counts: Mapping[str, int], samples: int, n: int = 15, prefixes: tuple[str, ...] = ()
) -> list[Cost]:
    """The ``n`` functions with the most samples, as a share of all busy samples; only those
    whose name starts with one of ``prefixes`` if any are given. Module bodies (imports) and
    the entry chain are left out."""
    if samples <= 0:
        return []
    kept = {
        k: v
        for k, v in counts.items()
        if (not prefixes or k.startswith(prefixes))
        and not k.endswith(":<module>")
        and k not in ENTRY_FRAMES
    }
    ranked = sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [Cost(name, round(100 * k / samples, 1), k) for name, k in ranked]


def counts_since(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    """What a cumulative counter gained between two snapshots (keys that gained nothing dropped)."""
    gained = {k: v - before.get(k, 0) for k, v in after.items()}
    return {k: v for k, v in gained.items() if v > 0}

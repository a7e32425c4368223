"""Pure measurement helpers: /proc parsing, histogram quantiles, rates and latency matching."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

Bucket = tuple[float, float]
"""(upper bound ``le``, cumulative count), Prometheus style; the last bound may be +Inf."""


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """Clock ticks from /proc/<pid>/stat: own user/system time and that of waited-for children."""

    utime: int
    stime: int
    cutime: int
    cstime: int

    def seconds(self, ticks_per_second: int) -> float:
        return (self.utime + self.stime + self.cutime + self.cstime) / ticks_per_second


def parse_proc_stat(text: str) -> CpuTimes:
    """Fields 14-17 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parens."""
    after_name = text[text.rindex(")") + 2 :].split()
    # after_name[0] is field 3 (state), so field n is after_name[n - 3].
    utime, stime, cutime, cstime = (int(after_name[n - 3]) for n in (14, 15, 16, 17))
    return CpuTimes(utime, stime, cutime, cstime)


def parse_proc_status_kb(text: str) -> dict[str, int]:
    """The ``kB`` lines of /proc/<pid>/status (VmRSS, VmHWM, ...) as integers."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB":
            out[name] = int(parts[0])
    return out


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (the worker runs its batches in a child process)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def cpu_seconds(pid: int) -> float:
    """CPU seconds of the process tree, reaped children included."""
    total = 0.0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/stat") as f:
                total += parse_proc_stat(f.read()).seconds(os.sysconf("SC_CLK_TCK"))
        except OSError:
            continue
    return total


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) summed over the live process tree, in MiB."""
    rss = hwm = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                kb = parse_proc_status_kb(f.read())
        except OSError:
            continue
        rss += kb.get("VmRSS", 0)
        hwm += kb.get("VmHWM", 0)
    return {"rss_mb": rss / 1024, "hwm_mb": hwm / 1024}


def histogram_buckets(metrics_text: str, name: str) -> list[Bucket]:
    """Cumulative buckets of an unlabelled histogram from Prometheus text exposition."""
    for family in text_string_to_metric_families(metrics_text):
        if family.name != name:
            continue
        buckets = [
            (float(s.labels["le"]), float(s.value))
            for s in family.samples
            if s.name == f"{name}_bucket"
        ]
        return sorted(buckets)
    return []


def gauge_value(metrics_text: str, name: str) -> float | None:
    for family in text_string_to_metric_families(metrics_text):
        if family.name == name and family.samples:
            return float(family.samples[0].value)
    return None


def bucket_delta(after: Sequence[Bucket], before: Sequence[Bucket]) -> list[Bucket]:
    """Observations made between two scrapes of the same histogram."""
    earlier = dict(before)
    return [(le, count - earlier.get(le, 0.0)) for le, count in after]


def quantile_from_buckets(buckets: Sequence[Bucket], q: float) -> float | None:
    """Prometheus' histogram_quantile: linear interpolation inside the bucket holding rank q.

    None when the histogram is empty; the highest finite bound when the rank lies in +Inf.
    """
    if not buckets or not 0 <= q <= 1:
        return None
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return lower_bound
            if count == lower_count:
                return le
            return lower_bound + (le - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = le, count
    return lower_bound


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile of a small sample (no interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[min(index, len(ordered) - 1)]


def rate(events: int, seconds: float) -> float:
    return events / seconds if seconds > 0 else 0.0


def per_10k(amount: float, events: int) -> float | None:
    return amount * 10_000 / events if events else None


def values_at_marks(
    samples: Iterable[tuple[int, float]], marks: Sequence[int]
) -> dict[int, float | None]:
    """For each mark, the value of the first (count, value) sample whose count reached it."""
    out: dict[int, float | None] = dict.fromkeys(marks)
    pending = sorted(marks)
    for count, value in sorted(samples, key=lambda s: s[0]):
        while pending and count >= pending[0]:
            out[pending.pop(0)] = value
    return out


@dataclass(frozen=True, slots=True)
class FlagLatency:
    flag_id: str
    change: str
    seconds: float


def publish_to_flag(
    flags: Iterable[tuple[float, Mapping[str, Any]]], published_at: Mapping[str, float]
) -> tuple[list[FlagLatency], int]:
    """Match flag messages (timestamp, decoded value) to the events published in this run.

    A flag's latency is its message timestamp minus the latest publish time among the events of
    its ``evidence.sample_event_ids`` that this run published; flags with no such sample are
    counted apart (second value): nothing published here explains them.
    """
    matched: list[FlagLatency] = []
    unmatched = 0
    for timestamp, value in flags:
        samples = (value.get("evidence") or {}).get("sample_event_ids") or []
        times = [published_at[str(s)] for s in samples if str(s) in published_at]
        if not times:
            unmatched += 1
            continue
        flag_id, change = str(value.get("flag_id")), str(value.get("change"))
        matched.append(FlagLatency(flag_id, change, timestamp - max(times)))
    return matched, unmatched

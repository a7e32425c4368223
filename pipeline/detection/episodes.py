"""Flag episodes: daily alarm signals turned into open/closed flags, and changes between runs."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from pipeline.detection.model import Signature
from pipeline.detection.params import DetectionParams
from pipeline.detection.ports import FloatArray

Severity = Literal["low", "medium", "high", "critical"]
ChangeKind = Literal["raised", "updated", "closed"]
BoolArray = npt.NDArray[np.bool_]

_FLAG_NAMESPACE: Final = uuid.UUID("5b0f1d0e-3c1a-4d8e-9a57-2f6f4a1c9e21")
_SEVERITY_RANK: Final = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass(frozen=True, slots=True)
class FlagEpisode:
    """One stretch of time during which a signature was flagged by one method family."""

    signature: Signature
    method: str
    opened_at: datetime
    closed_at: datetime | None
    score: float
    severity: Severity
    evidence: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def flag_id(self) -> str:
        """Stable across replays: the same evidence opens the same flag on the same day."""
        key = f"{self.signature.label}|{self.method}|{self.opened_at.date().isoformat()}"
        return str(uuid.uuid5(_FLAG_NAMESPACE, key))


@dataclass(frozen=True, slots=True)
class FlagChange:
    change: ChangeKind
    episode: FlagEpisode


@dataclass(frozen=True, slots=True, eq=False)
class DailySignal:
    """A detector's verdict for every day ``start..start+len-1`` (proleptic ordinals).

    ``alarm``: evidence crosses the threshold that day; ``clear``: the signal is back to normal
    that day; ``score`` >= 1 on alarm days. ``observed``/``expected``/``severe`` feed evidence.
    """

    method: str
    start: int
    alarm: BoolArray
    clear: BoolArray
    score: FloatArray
    observed: FloatArray
    expected: FloatArray
    severe: FloatArray
    window_days: int
    extra: Mapping[str, FloatArray] = field(default_factory=dict)


def day_start(ordinal: int) -> datetime:
    """The first instant (UTC) of an event day."""
    return datetime.combine(date.fromordinal(ordinal), time(0), tzinfo=UTC)


def severity_of(score: float, severe_in_window: float, params: DetectionParams) -> Severity:
    """Safety reports dominate: a handful of fires outranks any volume of rattles."""
    if severe_in_window >= params.critical_severe:
        return "critical"
    if severe_in_window >= params.high_severe or score >= params.high_score:
        return "high"
    if severe_in_window >= 1 or score >= params.medium_score:
        return "medium"
    return "low"


def episodes_from_signal(
    signature: Signature, signal: DailySignal, params: DetectionParams, close_after_days: int
) -> list[FlagEpisode]:
    """Open on the first alarm day; close after ``close_after_days`` clear days in a row.

    At most one episode is open at a time; a new one can open only after the previous closed.
    """
    last = signal.alarm.size - 1
    return [
        _episode(
            signature=signature,
            signal=signal,
            opened=opened,
            closed=closed,
            last=last if closed is None else closed,
            params=params,
        )
        for opened, closed in _spans(signal, close_after_days)
    ]


def _spans(
    signal: DailySignal,
    close_after_days: int,
    exact_from: int = 0,
    carried: Running | None = None,
) -> list[tuple[int, int | None]]:
    """(opening, closing) offsets of every episode; closing None while still open.

    Only days from ``exact_from`` (an offset) on are read; ``carried`` is the episode open on
    the day before, whose opening may lie before the signal's first day (a negative offset).
    """
    quiet = max(1, close_after_days)
    alarm = signal.alarm[exact_from:]
    alarm_days = np.flatnonzero(alarm) + exact_from
    if carried is None and alarm_days.size == 0:
        return []
    clear = signal.clear[exact_from:] & ~alarm
    pad = 0
    if carried is not None:
        # The carried run of clear days stands in for the days before ``exact_from``.
        pad = quiet
        before = np.zeros(pad, dtype=np.bool_)
        before[pad - min(carried.clear_run, pad) :] = True
        clear = np.concatenate((before, clear))
    not_clear = np.concatenate(([0], np.cumsum(~clear)))
    length = clear.size
    # closable[c]: days c-quiet+1..c are all clear.
    ends = np.arange(quiet - 1, length)
    closable = ends[(not_clear[ends + 1] - not_clear[ends + 1 - quiet]) == 0] - pad + exact_from
    spans: list[tuple[int, int | None]] = []
    cursor = carried.opened - signal.start if carried is not None else int(alarm_days[0])
    while True:
        opened = cursor
        candidates = closable[np.searchsorted(closable, opened + quiet) :]
        closed = int(candidates[0]) if candidates.size else None
        spans.append((opened, closed))
        if closed is None:
            return spans
        following = alarm_days[np.searchsorted(alarm_days, closed + 1) :]
        if following.size == 0:
            return spans
        cursor = int(following[0])


@dataclass(frozen=True, slots=True)
class Running:
    """The episode open at the end of the last day judged, as far as later days need it: a
    round then reads only the days its new verdicts need, not the episode's whole span."""

    episode: FlagEpisode
    """The episode as it stood that day (its peak so far, the evidence at the peak)."""
    peak_score: float
    """The unrounded score at the peak: a later day is a new peak only when it scores more."""
    clear_run: int
    """Clear days in a row up to that day (at most the days an episode needs to close)."""

    @property
    def opened(self) -> int:
        return self.episode.opened_at.date().toordinal()

    def as_json(self) -> dict[str, Any]:
        e = self.episode
        return {
            "method": e.method,
            "opened_at": e.opened_at.isoformat(),
            "score": e.score,
            "severity": e.severity,
            "evidence": e.evidence,
            "peak_score": self.peak_score,
            "clear_run": self.clear_run,
        }

    @staticmethod
    def from_json(signature: Signature, data: Mapping[str, Any]) -> Running:
        episode = FlagEpisode(
            signature=signature,
            method=data["method"],
            opened_at=datetime.fromisoformat(data["opened_at"]),
            closed_at=None,
            score=float(data["score"]),
            severity=data["severity"],
            evidence=dict(data["evidence"]),
        )
        return Running(episode, float(data["peak_score"]), int(data["clear_run"]))


@dataclass(frozen=True, slots=True)
class Verdict:
    """A detector's daily signal on a signature and the thresholds its episodes use."""

    signal: DailySignal
    params: DetectionParams
    close_after_days: int
    exact_from: int | None = None
    """The first day (ordinal) the signal is exact on, when it was computed from part of the
    history: no episode opens before it but ``carried``, the one open the day before."""
    carried: Running | None = None


def walk_changes(
    signature: Signature,
    verdicts: Sequence[Verdict],
    published: Sequence[FlagEpisode],
    first: int,
    last: int,
    tolerance: float,
) -> list[tuple[int, FlagChange]]:
    """The changes a reader of ``published`` would have been sent had the signature been judged
    on every event day ``first..last`` (ordinals, inclusive), each with the day it happened.

    On each day the signature's episodes are those of its signals cut at that day (an episode
    open that day shows its peak so far) and are diffed against what was published last, as
    :func:`diff_episodes` does. The signals are causal, so walking ``a..b`` then ``b+1..c`` gives
    what walking ``a..c`` gives: the changes do not depend on how the days are split into rounds.
    Only the days on which an episode opens, closes or reaches a new peak are diffed, since on
    any other day the cut episodes equal the previous day's.
    """
    if first > last:
        return []
    spans: list[tuple[Verdict, int, int | None]] = []
    days = {first}
    for verdict in verdicts:
        signal = verdict.signal
        exact = _exact_offset(verdict)
        carried = verdict.carried
        for opened, closed in _spans(signal, verdict.close_after_days, exact, carried):
            spans.append((verdict, opened, closed))
            lo = max(opened, first - signal.start)
            hi = min(closed if closed is not None else signal.alarm.size - 1, last - signal.start)
            days.update(d + signal.start for d in (opened, closed) if d is not None)
            if lo <= hi:
                # A new running maximum of the score since the opening moves the peak.
                if carried is not None and opened < exact:
                    scores = np.concatenate(([carried.peak_score], signal.score[exact : hi + 1]))
                    origin = exact - 1
                else:
                    scores, origin = signal.score[opened : hi + 1], opened
                running = np.maximum.accumulate(scores)
                rises = np.flatnonzero(np.diff(running) > 0) + 1 + origin
                days.update(int(d) + signal.start for d in rises if d >= lo)
    current = {episode.flag_id: episode for episode in published}
    changes: list[tuple[int, FlagChange]] = []
    for day in sorted(d for d in days if first <= d <= last):
        view: list[FlagEpisode] = []
        for verdict, opened, closed in spans:
            signal = verdict.signal
            cut = day - signal.start
            if opened > cut:
                continue
            shown = closed if closed is not None and closed <= cut else None
            view.append(_cut(signature, verdict, opened, shown, cut if shown is None else shown))
        for change in diff_episodes(
            list(current.values()), view, tolerance, withdrawn_at=day_start(day)
        ):
            changes.append((day, change))
            current[change.episode.flag_id] = change.episode
    return changes


def _exact_offset(verdict: Verdict) -> int:
    if verdict.exact_from is None:
        return 0
    return max(0, verdict.exact_from - verdict.signal.start)


def _cut(
    signature: Signature, verdict: Verdict, opened: int, closed: int | None, last: int
) -> FlagEpisode:
    """The episode opened on ``opened`` as it stands on ``last`` (offsets), its peak the
    carried one until a later day scores more."""
    signal, carried = verdict.signal, verdict.carried
    exact = _exact_offset(verdict)
    resumed = carried if carried is not None and opened < exact else None
    if resumed is not None:
        later = signal.score[exact : last + 1]
        if later.size == 0 or float(later.max()) <= resumed.peak_score:
            closed_at = None if closed is None else day_start(signal.start + closed)
            return replace(resumed.episode, closed_at=closed_at)
    episode = _episode(
        signature=signature,
        signal=signal,
        opened=opened if resumed is None else exact,
        closed=closed,
        last=last,
        params=verdict.params,
    )
    if resumed is None:
        return episode
    at_opening = {k: resumed.episode.evidence.get(k) for k in _OPENING_EVIDENCE}
    return replace(
        episode, opened_at=resumed.episode.opened_at, evidence={**episode.evidence, **at_opening}
    )


_OPENING_EVIDENCE = ("opened_observed", "opened_expected")


def running_at(verdicts: Sequence[Verdict], signature: Signature, day: int) -> Running | None:
    """The episode open at the end of ``day`` (an ordinal) and what the next days need of it;
    None when none is open (or the signals do not reach that day)."""
    for verdict in verdicts:
        signal = verdict.signal
        cut = day - signal.start
        if not 0 <= cut < signal.alarm.size:
            continue
        for opened, closed in _spans(
            signal, verdict.close_after_days, _exact_offset(verdict), verdict.carried
        ):
            if opened <= cut and (closed is None or closed > cut):
                episode = _cut(signature, verdict, opened, None, cut)
                return Running(episode, _peak_score(verdict, opened, cut), _clear_run(verdict, cut))
    return None


def _peak_score(verdict: Verdict, opened: int, cut: int) -> float:
    signal, carried = verdict.signal, verdict.carried
    exact = _exact_offset(verdict)
    if carried is not None and opened < exact:
        later = signal.score[exact : cut + 1]
        return max(carried.peak_score, float(later.max())) if later.size else carried.peak_score
    return float(signal.score[opened : cut + 1].max())


def _clear_run(verdict: Verdict, cut: int) -> int:
    """Clear (and not alarm) days in a row ending on ``cut``, at most ``close_after_days``."""
    signal, carried = verdict.signal, verdict.carried
    quiet = max(1, verdict.close_after_days)
    exact = _exact_offset(verdict)
    clear = signal.clear[exact : cut + 1] & ~signal.alarm[exact : cut + 1]
    blocked = np.flatnonzero(~clear)
    if blocked.size:
        return min(quiet, int(clear.size - 1 - blocked[-1]))
    before = carried.clear_run if carried is not None else 0
    return min(quiet, int(clear.size) + before)


def _episode(
    *,
    signature: Signature,
    signal: DailySignal,
    opened: int,
    closed: int | None,
    last: int,
    params: DetectionParams,
) -> FlagEpisode:
    peak = opened + int(np.argmax(signal.score[opened : last + 1]))
    score = float(signal.score[peak])
    severe = float(signal.severe[peak])
    evidence: dict[str, Any] = {
        "method": signal.method,
        "observed": _number(signal.observed[peak]),
        "expected": _number(signal.expected[peak]),
        "window_days": signal.window_days,
        "score": round(score, 4),
        "severe": _number(severe),
        "peak_day": date.fromordinal(signal.start + peak).isoformat(),
        "opened_observed": _number(signal.observed[opened]),
        "opened_expected": _number(signal.expected[opened]),
    }
    for name, values in signal.extra.items():
        evidence[name] = _number(values[peak])
    return FlagEpisode(
        signature=signature,
        method=signal.method,
        opened_at=day_start(signal.start + opened),
        closed_at=None if closed is None else day_start(signal.start + closed),
        score=round(score, 6),
        severity=severity_of(score, severe, params),
        evidence=evidence,
    )


def _number(value: float) -> float | None:
    number = float(value)
    # Six significant digits: claim rates per unit-day are tiny, counts are whole.
    return float(f"{number:.6g}") if math.isfinite(number) else None


def diff_episodes(
    old: Sequence[FlagEpisode],
    new: Sequence[FlagEpisode],
    tolerance: float = 0.25,
    withdrawn_at: datetime | None = None,
) -> list[FlagChange]:
    """What to publish so that a reader who saw ``old`` ends up seeing ``new``.

    Episodes match on their flag_id (signature, method, opening day). A new episode is 'raised'
    (and also 'closed' when it already ended); a known one is 'closed' when it ended, 'updated'
    when its severity changed or its score moved by more than ``tolerance`` (relative). An old
    open episode that the new evidence no longer supports (late data moved it) is 'closed' at
    ``withdrawn_at`` (default: its opening) with ``evidence["withdrawn"] = True``.
    """
    before = {episode.flag_id: episode for episode in old}
    after = {episode.flag_id: episode for episode in new}
    changes: list[FlagChange] = []
    for flag_id, episode in after.items():
        previous = before.get(flag_id)
        if previous is None:
            changes.append(FlagChange("raised", episode))
            if not episode.is_open:
                changes.append(FlagChange("closed", episode))
        elif previous.is_open and not episode.is_open:
            changes.append(FlagChange("closed", episode))
        elif _materially_changed(previous, episode, tolerance):
            changes.append(FlagChange("updated", episode))
    for flag_id, previous in before.items():
        if flag_id not in after and previous.is_open:
            closed_at = withdrawn_at or previous.opened_at
            evidence = {**previous.evidence, "withdrawn": True}
            changes.append(
                FlagChange("closed", replace(previous, closed_at=closed_at, evidence=evidence))
            )
    return changes


def _materially_changed(previous: FlagEpisode, current: FlagEpisode, tolerance: float) -> bool:
    if previous.severity != current.severity or previous.closed_at != current.closed_at:
        return True
    scale = max(abs(previous.score), 1e-9)
    return abs(current.score - previous.score) / scale > tolerance

"""The detector: evaluates pending signatures in rounds of its own, off the batch path."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline import detection
from pipeline.common.clock import Clock, wall_clock
from pipeline.common.records import Claimed, Outgoing, event_message
from pipeline.detection import DetectionParams
from pipeline.warehouse import detection_store
from pipeline.warehouse.engine import dialect_name, session_factory
from pipeline.warehouse.outbox import add as write_outbox
from pipeline.warehouse.tables import UnitsSoldRow
from pipeline.warehouse.watermark import read_watermark
from schemas.outputs import DefectFlagChanged

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Round:
    """What one evaluation found, ready to be written."""

    through: date
    """The last event day judged: the day before the watermark's, whose events may still come."""
    seen: Mapping[detection.Signature, int]
    """The pending signatures evaluated and the marks they had when read."""
    changed: list[detection.FlagEpisode]
    outbox: list[Outgoing]
    states: Mapping[detection.Signature, detection_store.SignatureState]
    stats: dict[str, int]


@dataclass(frozen=True)
class RoundOutcome:
    claimed: list[Claimed] = field(default_factory=list)
    """Flag messages written, claimed for the caller to publish."""
    stats: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Detector:
    """Reads what batches marked pending, judges it day by day in event time, writes the flag
    episodes that changed.

    Batches only add counts and mark their signatures, so evaluation never holds up archiving.
    Each signature is judged on every event day from the one after it was last judged
    (``detection_state.evaluated_through``) to the day before the watermark's, and each change
    is published as of the day it happened: the episodes and messages are a function of the
    stored counts, however rounds are spaced, restarted or shared among workers. A round reads
    without locks and then writes; a signature a batch marks again meanwhile stays pending.
    """

    params: DetectionParams
    flags_topic: str
    sweep_every: timedelta = timedelta(days=7)
    """While batches keep marking, a signature without new counts whose verdict may still
    change (an open episode, counts in a trailing window) is judged once this far behind;
    rounds with nothing pending catch every such signature up."""
    settle: timedelta = timedelta(days=1)
    """Days this close to the watermark are not judged yet: their events may still arrive."""
    limit: int = 2_000
    incremental: bool = True
    """Read a signature judged before only as far back as its new days need (off: its whole
    history every time, the reference the incremental reads are tested against)."""
    _base: detection_store.InstalledBaseRead = field(
        default_factory=lambda: detection_store.InstalledBaseRead(None)
    )
    _base_version: tuple[object, ...] | None = None

    def plan(self, session: Session) -> Round | None:
        """Judge the pending signatures, and those whose verdict may change with more days."""
        watermark = read_watermark(session)
        if watermark is None:
            return None
        through = watermark.date() - self.settle
        marked = detection_store.pending(session, self.limit)
        lag = self.sweep_every if marked else timedelta(0)
        idle = detection_store.due_signatures(session, through - lag, self.limit - len(marked))
        # Another worker's detector may hold some of them: it judges them, not this round.
        held = detection_store.try_lock_signatures(session, {*marked, *idle})
        if not held:
            return None
        states = detection_store.load_states(session, held)
        stored = detection_store.load_episodes(session, held)
        base = self._installed_base(session)
        signals = detection.daily_signals(
            held,
            detection_store.SqlCountStore(session),
            base.base,
            self.params,
            through,
            self._resume(states, stored) if self.incremental else None,
        )
        stats: dict[str, int] = {
            "signatures_evaluated": len(signals.found),
            "signatures_failed": len(signals.failed),
        }
        if base.skipped:
            stats["units_sold_rows_skipped"] = base.skipped
        changed: list[detection.FlagEpisode] = []
        outbox: list[_Message] = []
        new_states: dict[detection.Signature, detection_store.SignatureState] = {}
        for signature, verdicts in signals.found.items():
            state = states.get(signature)
            try:
                walked = self._walk(session, signature, verdicts, stored[signature], state, through)
            except Exception as exc:  # noqa: BLE001 - set one signature aside, judge the rest
                signals.failed[signature] = exc
                stats["signatures_evaluated"] -= 1
                stats["signatures_failed"] += 1
                continue
            episodes, messages, evaluated_through = walked
            changed += episodes
            outbox += messages
            for message in messages:
                if message.change == "raised":
                    key = f"flags_raised:{message.episode.severity}"
                    stats[key] = stats.get(key, 0) + 1
            latest = {e.flag_id: e for e in (*stored[signature], *episodes)}
            previous = states.get(signature)
            if previous is not None and evaluated_through != through:
                running = previous.running  # not judged further (the watermark went back)
            else:
                running = detection.running_at(verdicts, signature, through.toordinal())
            new_states[signature] = detection_store.SignatureState(
                evaluated_through=evaluated_through,
                watch_until=_watch_until(
                    self.params, latest.values(), signals.last_count_day[signature]
                ),
                running=running,
            )
        for signature, error in signals.failed.items():
            log.warning(
                "detection failed for %s, set aside until new counts arrive: %s: %s",
                signature.label, type(error).__name__, error,
            )  # fmt: skip
            previous = states.get(signature) or detection_store.SignatureState()
            new_states[signature] = replace(
                previous, error=f"{type(error).__name__}: {error}"[:2_000], failed_at=watermark
            )
        seen = {s: marks for s, marks in marked.items() if s in held}
        messages_out = [m.outgoing(self.flags_topic) for m in outbox]
        return Round(through, seen, changed, messages_out, new_states, stats)

    @staticmethod
    def _resume(
        states: Mapping[detection.Signature, detection_store.SignatureState],
        stored: Mapping[detection.Signature, list[detection.FlagEpisode]],
    ) -> dict[detection.Signature, detection.Resume]:
        """Where each signature goes on from; those absent are judged over their history."""
        found: dict[detection.Signature, detection.Resume] = {}
        for signature, episodes in stored.items():
            state = states.get(signature) or detection_store.SignatureState()
            resume = detection.resume_from(state.evaluated_through, episodes, state.running)
            if resume is not None:
                found[signature] = resume
        return found

    def _walk(
        self,
        session: Session,
        signature: detection.Signature,
        verdicts: list[detection.Verdict],
        stored: list[detection.FlagEpisode],
        state: detection_store.SignatureState | None,
        through: date,
    ) -> tuple[list[detection.FlagEpisode], list[_Message], date]:
        judged = _judged_through(state, stored)
        first = judged.toordinal() + 1 if judged is not None else 1
        changes = detection.walk_changes(
            signature, verdicts, stored, first, through.toordinal(), self.params.update_tolerance
        )
        latest = {e.flag_id: e for e in stored}
        episodes: list[detection.FlagEpisode] = []
        messages: list[_Message] = []
        for day, change in changes:
            previous = latest.get(change.episode.flag_id)
            episode = _with_context(session, change.episode, previous, day)
            latest[episode.flag_id] = episode
            episodes.append(episode)
            messages.append(_Message(change.change, episode, detection.day_start(day)))
        evaluated = through if judged is None else max(judged, through)
        return episodes, messages, evaluated

    def apply(
        self, session: Session, found: Round, now: datetime, claimant: str | None = None
    ) -> list[Claimed]:
        """Write a round's episodes, messages and progress; clear what it evaluated unless
        marked since."""
        detection_store.save_episodes(session, found.changed, now)
        detection_store.clear_pending(session, found.seen)
        detection_store.save_states(session, found.states)
        return write_outbox(session, found.outbox, now, claimant)

    def _installed_base(self, session: Session) -> detection_store.InstalledBaseRead:
        # Reloaded only when a sales report landed: rows, units or the latest report moved.
        t = UnitsSoldRow
        version = tuple(
            session.execute(
                select(func.count(), func.coalesce(func.sum(t.count), 0), func.max(t.reported_at))
            ).one()
        )
        if version != self._base_version:
            self._base = detection_store.load_installed_base(session)
            self._base_version = version
        return self._base


def _judged_through(
    state: detection_store.SignatureState | None, stored: list[detection.FlagEpisode]
) -> date | None:
    """The last day judged; flags stored before the detector kept its progress count as
    judged through their latest opening or closing day."""
    if state is not None and state.evaluated_through is not None:
        return state.evaluated_through
    days = [(e.closed_at or e.opened_at).date() for e in stored]
    return max(days, default=None)


def _watch_until(
    params: DetectionParams, episodes: Iterable[detection.FlagEpisode], last_count: int | None
) -> date | None:
    """Until when more days alone may change the verdict: forever while an episode is open,
    else while the trailing windows still hold the signature's own counts (every trigger needs
    some of them)."""
    if any(e.is_open for e in episodes):
        return None
    if last_count is None:
        return date.min
    reach = max(params.window_days, params.exposure_window_days)
    return date.fromordinal(last_count + reach)


@dataclass(frozen=True)
class _Message:
    change: str
    episode: detection.FlagEpisode
    at: datetime

    def outgoing(self, topic: str) -> Outgoing:
        return _flag_message(topic, self.change, self.episode, self.at)


@dataclass
class DetectionRunner:
    """Runs detector rounds against a warehouse, each in as short a write transaction as the
    engine allows."""

    engine: Engine
    detector: Detector
    clock: Clock = wall_clock
    _sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self._sessions = session_factory(self.engine)

    def run(self, claimant: str | None = None) -> RoundOutcome:
        if dialect_name(self.engine) == "postgresql":
            # One transaction: its advisory locks keep other workers' detectors off these
            # signatures until the episodes are written, and MVCC keeps batches unblocked.
            with self._sessions.begin() as session:
                found = self.detector.plan(session)
                if found is None:
                    return RoundOutcome()
                claimed = self.detector.apply(session, found, self.clock(), claimant)
                return RoundOutcome(claimed, found.stats)
        # SQLite has one writer: evaluate outside the write lock, then write briefly.
        with self._sessions() as session:
            found = self.detector.plan(session)
        if found is None:
            return RoundOutcome()
        with self._sessions.begin() as session:
            claimed = self.detector.apply(session, found, self.clock(), claimant)
        return RoundOutcome(claimed, found.stats)


def _with_context(
    session: Session,
    episode: detection.FlagEpisode,
    stored: detection.FlagEpisode | None,
    day: int,
) -> detection.FlagEpisode:
    """Add what the warehouse knows around the flag up to the event day of the change (never
    later, so that a replay finds the same): sample events, markets, lots."""
    evidence = {**(stored.evidence if stored else {}), **episode.evidence}
    window = timedelta(days=int(evidence.get("window_days", 90)))
    until = episode.closed_at or detection.day_start(day + 1)
    evidence.update(
        detection_store.evidence_context(session, episode.signature, until - window, until)
    )
    return replace(episode, evidence=evidence)


def _flag_message(
    topic: str, change: str, episode: detection.FlagEpisode, at: datetime
) -> Outgoing:
    """The message for one change, ``at`` the start of the event day it happened on."""
    s = episode.signature
    ident = f"{episode.flag_id}|{change}|{episode.closed_at}|{episode.score:.3f}|{episode.severity}"
    event = DefectFlagChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, ident),
        occurred_at=at,
        source="aftersales-worker",
        flag_id=episode.flag_id,
        change=change,
        status="open" if episode.is_open else "closed",
        brand=s.brand,
        model=s.model,
        variant=s.variant,
        component=s.component,
        method=episode.method,
        score=float(episode.score),
        severity=episode.severity,
        first_raised_at=episode.opened_at,
        closed_at=episode.closed_at,
        evidence=episode.evidence,
    )
    return event_message(topic, f"{s.brand}|{s.model}|{s.variant}".encode(), event)

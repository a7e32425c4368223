"""The detector: evaluates pending signatures in rounds of its own, off the batch path."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline import detection
from pipeline.clock import Clock, wall_clock
from pipeline.detection import DetectionParams
from pipeline.detection.ports import InstalledBase
from pipeline.warehouse import detection_store
from pipeline.warehouse.engine import dialect_name, session_factory
from pipeline.warehouse.tables import UnitsSoldRow
from pipeline.warehouse.watermark import read_named_time, read_watermark, write_named_time
from pipeline.warehouse.writer import Claimed, Outgoing, write_outbox
from schemas.codec import encode
from schemas.outputs import DefectFlagChanged

SWEEP = "detection_sweep"


@dataclass(frozen=True)
class Round:
    """What one evaluation found, ready to be written."""

    as_of: datetime
    seen: Mapping[detection.Signature, int]
    """The pending signatures evaluated and the marks they had when read."""
    changed: list[detection.FlagEpisode]
    outbox: list[Outgoing]
    swept: bool
    stats: dict[str, int]


@dataclass(frozen=True)
class RoundOutcome:
    claimed: list[Claimed] = field(default_factory=list)
    """Flag messages written, claimed for the caller to publish."""
    stats: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Detector:
    """Reads what batches marked pending, evaluates it, writes the flag episodes that changed.

    Batches only add counts and mark their signatures, so evaluation never holds up archiving.
    A round reads without locks and then writes; a signature a batch marks again meanwhile
    stays pending for the next round, so the last round of a signature always sees its counts.
    """

    params: DetectionParams
    flags_topic: str
    sweep_every: timedelta = timedelta(days=7)
    limit: int = 2_000
    _base: InstalledBase | None = None
    _base_version: tuple[object, ...] | None = None

    def plan(self, session: Session) -> Round | None:
        """Evaluate the pending signatures (and, weekly in event time, every open flag)."""
        as_of = read_watermark(session)
        if as_of is None:
            return None
        marked = detection_store.pending(session, self.limit)
        swept = self._sweep_due(session, as_of)
        targets = set(marked)
        if swept:
            targets.update(detection_store.open_flag_signatures(session))
        # Another worker's detector may hold some of them: it clears them, not this round.
        held = detection_store.try_lock_signatures(session, targets)
        if not held and not swept:
            return None
        episodes = detection.evaluate(
            held,
            detection_store.SqlCountStore(session),
            self._installed_base(session),
            self.params,
            as_of=as_of.date(),
        )
        stored = detection_store.load_episodes(session, list(episodes))
        changed: list[detection.FlagEpisode] = []
        outbox: list[Outgoing] = []
        stats: dict[str, int] = {"signatures_evaluated": len(episodes)}
        for signature, new in episodes.items():
            old = {e.flag_id: e for e in stored.get(signature, [])}
            for change in detection.diff_episodes(list(old.values()), new, withdrawn_at=as_of):
                previous = old.get(change.episode.flag_id)
                episode = _with_context(session, change.episode, previous, as_of)
                changed.append(episode)
                outbox.append(_flag_message(self.flags_topic, change.change, episode, as_of))
                if change.change == "raised":
                    key = f"flags_raised:{episode.severity}"
                    stats[key] = stats.get(key, 0) + 1
        seen = {s: marks for s, marks in marked.items() if s in held}
        return Round(as_of, seen, changed, outbox, swept, stats)

    def apply(
        self, session: Session, found: Round, now: datetime, claimant: str | None = None
    ) -> list[Claimed]:
        """Write a round's episodes and messages; clear what it evaluated unless marked since."""
        detection_store.save_episodes(session, found.changed, now)
        detection_store.clear_pending(session, found.seen)
        if found.swept:
            write_named_time(session, SWEEP, found.as_of)
        return write_outbox(session, found.outbox, now, claimant)

    def _sweep_due(self, session: Session, as_of: datetime) -> bool:
        last = read_named_time(session, SWEEP)
        return last is None or as_of - last >= self.sweep_every

    def _installed_base(self, session: Session) -> InstalledBase | None:
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
    as_of: datetime,
) -> detection.FlagEpisode:
    """Add what the warehouse knows around the flag: sample events, markets, lots."""
    evidence = {**(stored.evidence if stored else {}), **episode.evidence}
    window = timedelta(days=int(evidence.get("window_days", 90)))
    until = episode.closed_at or as_of
    evidence.update(
        detection_store.evidence_context(session, episode.signature, until - window, until)
    )
    return replace(episode, evidence=evidence)


def _flag_message(
    topic: str, change: str, episode: detection.FlagEpisode, as_of: datetime
) -> Outgoing:
    s = episode.signature
    ident = f"{episode.flag_id}|{change}|{episode.closed_at}|{episode.score:.3f}|{episode.severity}"
    event = DefectFlagChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, ident),
        occurred_at=as_of,
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
    return Outgoing(topic, f"{s.brand}|{s.model}|{s.variant}".encode(), encode(event))

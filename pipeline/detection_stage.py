"""The detection stage: count failures per signature in the batch, evaluate pending signatures."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pipeline import detection
from pipeline.detection import DetectionParams
from pipeline.detection.ports import InstalledBase
from pipeline.warehouse import detection_store
from pipeline.warehouse.watermark import read_named_time, read_watermark, write_named_time
from pipeline.warehouse.writer import BatchContext, Outgoing
from schemas.codec import encode
from schemas.outputs import DefectFlagChanged

SWEEP = "detection_sweep"


@dataclass
class DetectionStage:
    """Counts are added in every batch; signatures they touch are marked pending in the same
    transaction and evaluated at most every ``eval_interval_s`` (and on the worker's tick), so a
    busy stream pays for one evaluation per signature per interval, not per batch."""

    params: DetectionParams
    flags_topic: str
    eval_interval_s: float = 1.0
    sweep_every: timedelta = timedelta(days=7)
    base_ttl_s: float = 60.0
    _base: InstalledBase | None = None
    _base_loaded_at: float = float("-inf")
    _evaluated_at: float = float("-inf")

    def __call__(self, ctx: BatchContext) -> None:
        if ctx.event_time is None:
            return
        observations = self._observations(ctx)
        if observations:
            detection_store.SqlCountStore(ctx.session).add(detection.count_increments(observations))
            touched = detection.monitored(
                s for o in observations for s in detection.signatures_of(o)
            )
            detection_store.mark_pending(ctx.session, touched)
        if time.monotonic() - self._evaluated_at >= self.eval_interval_s:
            self.tick(ctx)

    def tick(self, ctx: BatchContext) -> None:
        """Evaluate every pending signature (and, weekly in event time, every open flag)."""
        self._evaluated_at = time.monotonic()
        as_of = ctx.event_time or read_watermark(ctx.session)
        if as_of is None:
            return
        targets = set(detection_store.take_pending(ctx.session))
        if self._sweep_due(ctx, as_of):
            targets.update(detection_store.open_flag_signatures(ctx.session))
        if not targets:
            return
        detection_store.lock_signatures(ctx.session, targets)
        counts = detection_store.SqlCountStore(ctx.session)
        episodes = detection.evaluate(
            targets, counts, self._installed_base(ctx), self.params, as_of=as_of.date()
        )
        stored = detection_store.load_episodes(ctx.session, list(episodes))
        changed: list[detection.FlagEpisode] = []
        for signature, new in episodes.items():
            old = {e.flag_id: e for e in stored.get(signature, [])}
            for change in detection.diff_episodes(list(old.values()), new, withdrawn_at=as_of):
                previous = old.get(change.episode.flag_id)
                episode = _with_context(ctx, change.episode, previous, as_of)
                changed.append(episode)
                ctx.outbox.append(_flag_message(self.flags_topic, change.change, episode, as_of))
                if change.change == "raised":
                    key = f"flags_raised:{episode.severity}"
                    ctx.stats[key] = ctx.stats.get(key, 0) + 1
        detection_store.save_episodes(ctx.session, changed, ctx.now)
        ctx.stats["signatures_evaluated"] = ctx.stats.get("signatures_evaluated", 0) + len(episodes)

    def _observations(self, ctx: BatchContext) -> list[detection.Observation]:
        out: list[detection.Observation] = []
        for a in ctx.new:
            inferred = ctx.enrichment.get(str(a.event.event_id), {}).get("component_inferred")
            obs = detection.observation_from_event(a.event, _already_inferred(inferred))
            if obs is not None:
                out.append(obs)
        return out

    def _sweep_due(self, ctx: BatchContext, as_of: datetime) -> bool:
        last = read_named_time(ctx.session, SWEEP)
        if last is not None and as_of - last < self.sweep_every:
            return False
        write_named_time(ctx.session, SWEEP, as_of)
        return True

    def _installed_base(self, ctx: BatchContext) -> InstalledBase | None:
        fresh = any(a.event.event_type == "units_sold.reported" for a in ctx.new)
        if fresh or time.monotonic() - self._base_loaded_at > self.base_ttl_s:
            self._base = detection_store.load_installed_base(ctx.session)
            self._base_loaded_at = time.monotonic()
        return self._base


def _already_inferred(component: str | None) -> Callable[[str], str | None]:
    """The enrichment step already classified the text; detection reuses its answer."""
    return lambda _text: component


def _with_context(
    ctx: BatchContext,
    episode: detection.FlagEpisode,
    stored: detection.FlagEpisode | None,
    as_of: datetime,
) -> detection.FlagEpisode:
    """Add what the warehouse knows around the flag: sample events, markets, lots."""
    evidence = {**(stored.evidence if stored else {}), **episode.evidence}
    window = timedelta(days=int(evidence.get("window_days", 90)))
    until = episode.closed_at or as_of
    evidence.update(
        detection_store.evidence_context(ctx.session, episode.signature, until - window, until)
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

"""The detection stage: count failures per signature in the batch and mark them pending."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline import detection
from pipeline.warehouse import detection_store
from pipeline.warehouse.writer import BatchContext


@dataclass(frozen=True)
class DetectionStage:
    """Counts are added in every batch and the signatures they touch marked pending, in the
    batch's transaction; the detector (pipeline.detector) evaluates them in rounds of its own,
    so a busy stream pays for one evaluation per signature per round, off the batch path."""

    def __call__(self, ctx: BatchContext) -> None:
        observations = self._observations(ctx)
        if not observations:
            return
        detection_store.SqlCountStore(ctx.session).add(detection.count_increments(observations))
        touched = detection.monitored(s for o in observations for s in detection.signatures_of(o))
        detection_store.mark_pending(ctx.session, touched)

    def _observations(self, ctx: BatchContext) -> list[detection.Observation]:
        out: list[detection.Observation] = []
        for a in ctx.new:
            inferred = ctx.enrichment.get(a.event.id_text, {}).get("component_inferred")
            obs = detection.observation_from_event(a.event, _already_inferred(inferred))
            if obs is not None:
                out.append(obs)
        return out


def _already_inferred(component: str | None) -> Callable[[str], str | None]:
    """The enrichment step already classified the text; detection reuses its answer."""
    return lambda _text: component

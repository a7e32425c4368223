"""The detection stage: count failures per signature in the batch and mark them pending."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta

from pipeline import detection
from pipeline.detection.dedupe import WINDOW_DAYS, Filed, copies_of, merge_copies
from pipeline.jobs.batch.model import Batch
from pipeline.jobs.batch.ports import CountStore
from schemas.feedback import ComplaintFiled


@dataclass(frozen=True)
class DetectionStage:
    """Counts are added in every batch and the signatures they touch marked pending, in the
    batch's transaction; the detector (pipeline.jobs.detector) evaluates them in rounds of its own,
    so a busy stream pays for one evaluation per signature per round, off the batch path.

    A complaint that repeats an earlier one on the same product (a repost, see
    ``pipeline.detection.dedupe``) adds nothing: copies within the batch count once, and a copy
    of a complaint archived by an earlier batch not at all. The copies stay archived as evidence.
    """

    def __call__(self, batch: Batch) -> None:
        observations = self._observations(batch)
        if not observations:
            return
        counts = batch.uow.counts
        observations = _without_copies(counts, batch, observations)
        increments = detection.count_increments(observations)
        counts.add(increments)
        # Every signature of every observation has an increment: no ledger leaves one out.
        counts.mark_pending(detection.monitored({signature for signature, _ in increments}))

    def _observations(self, batch: Batch) -> list[detection.Observation]:
        out: list[detection.Observation] = []
        for a in batch.new:
            found = batch.enrichment.get(a.event.id_text)
            inferred = found.component_inferred if found else None
            obs = detection.observation_from_event(a.event, _already_inferred(inferred))
            if obs is not None:
                out.append(obs)
        return out


def _already_inferred(component: str | None) -> Callable[[str], str | None]:
    """The enrichment step already classified the text; detection reuses its answer."""
    return lambda _text: component


def _without_copies(
    counts: CountStore, batch: Batch, observations: Sequence[detection.Observation]
) -> list[detection.Observation]:
    counted = {o.complaint_id for o in observations if o.complaint_id}
    filed = [
        Filed(
            e.complaint_id,
            (e.product.brand, e.product.model, e.product.variant),
            e.occurred_at.astimezone(UTC).date(),
            e.text,
        )
        for e in (a.event for a in batch.new)
        if isinstance(e, ComplaintFiled) and e.complaint_id in counted and e.text
    ]
    if not filed:
        return list(observations)
    since = min(f.day for f in filed) - timedelta(days=WINDOW_DAYS)
    earlier = counts.earlier_complaints(
        {f.product for f in filed}, since, {f.complaint_id for f in filed}
    )
    copies = copies_of(filed, earlier)
    if not copies:
        return list(observations)
    in_batch = {f.complaint_id for f in filed}
    # A copy of an earlier batch's complaint: the original was counted then.
    dropped = {copy for copy, original in copies.items() if original not in in_batch}
    kept = [o for o in observations if o.complaint_id not in dropped]
    return merge_copies(kept, copies)

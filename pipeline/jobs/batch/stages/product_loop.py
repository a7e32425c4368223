"""The product-loop stage: store flag triage decisions and corrective actions as they arrive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.jobs.batch.model import Batch
from schemas.product import CorrectiveActionReleased, FlagTriaged


@dataclass(frozen=True)
class ProductLoopStage:
    """One row per event (a replay or a duplicate adds nothing); what a flag's standing is, is
    worked out when it is read (pipeline.loop), from every decision and action stored."""

    def __call__(self, batch: Batch) -> None:
        decisions: list[dict[str, Any]] = []
        actions: list[dict[str, Any]] = []
        for accepted in batch.new:
            event = accepted.event
            if isinstance(event, FlagTriaged):
                decisions.append(decision_row(event))
            elif isinstance(event, CorrectiveActionReleased):
                actions.append(action_row(event))
        if decisions or actions:
            batch.uow.archive.add_rows({"flag_decisions": decisions, "corrective_actions": actions})
            batch.stats.flag_decisions += len(decisions)
            batch.stats.corrective_actions += len(actions)


def decision_row(e: FlagTriaged) -> dict[str, Any]:
    s = e.signature
    return {
        "event_id": e.id_text,
        "flag_id": e.flag_id,
        "brand": s.brand if s else None,
        "model": s.model if s else None,
        "variant": s.variant if s else None,
        "component": s.component if s else None,
        "decision": e.decision,
        "note": e.note,
        "decided_by": e.decided_by,
        "decided_at": e.decided_at,
    }


def action_row(e: CorrectiveActionReleased) -> dict[str, Any]:
    where = e.effective_from
    return {
        "event_id": e.id_text,
        "action_id": e.action_id,
        "flag_id": e.flag_id,
        "signatures": [s.model_dump() for s in e.signatures],
        "change": e.change,
        "description": e.description,
        "lot": where.lot,
        "build_date": where.build_date,
        "serial_from": where.serial_from,
        "serial_to": where.serial_to,
        "campaign_id": where.campaign_id,
        "released_by": e.released_by,
        "released_at": e.occurred_at,
    }

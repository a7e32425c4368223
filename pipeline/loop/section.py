"""The report's "Corrective actions" section: what the product team still has to do, what worked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pipeline.loop.decisions import FlagLoop
from pipeline.loop.effectiveness import Assessment


@dataclass(frozen=True)
class ActionStanding:
    """A corrective action as released, and what its effectiveness check says so far."""

    action_id: str
    released_at: datetime
    change: str
    description: str
    signatures: list[str]
    effective_from: dict[str, str]
    assessment: Assessment
    flag_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "action_id": self.action_id,
            "released_at": self.released_at.isoformat(),
            "change": self.change,
            "description": self.description,
            "signatures": self.signatures,
            "effective_from": self.effective_from,
            "flags": self.flag_ids,
            **self.assessment.as_dict(),
        }


@dataclass(frozen=True)
class ProductLoop:
    as_of: date
    flags: list[FlagLoop]
    actions: list[ActionStanding]


def corrective_actions(loop: ProductLoop) -> dict[str, Any]:
    """Open flags without an action, actions awaiting evidence, verified and failed fixes, and
    every flag the team decided on with its decision history (oldest decision first)."""
    by_verdict: dict[str, list[dict[str, object]]] = {}
    for action in loop.actions:
        by_verdict.setdefault(action.assessment.verdict, []).append(action.as_dict())
    return {
        "as_of": loop.as_of.isoformat(),
        "open_flags_without_action": [
            _flag(f) for f in loop.flags if f.status == "open" and not f.actions
        ],
        "awaiting_evidence": by_verdict.get("not yet known", []),
        "verified_fixes": by_verdict.get("effective", []),
        "failed_fixes": by_verdict.get("not effective", []),
        "decisions": [_flag(f) for f in loop.flags if f.decisions],
    }


def _flag(loop: FlagLoop) -> dict[str, object]:
    f = loop.flag
    return {
        "brand": f.brand,
        "model": f.model,
        "variant": f.variant,
        "component": f.component,
        "first_raised_at": f.opened_at.isoformat(),
        **loop.as_dict(),
    }

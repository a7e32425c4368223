"""Where each flag stands with the product team: triage, corrective actions, verdicts, recalls.

A pure fold over stored values, so a flag's state is the same however the events that built it
were batched or replayed: decisions are ordered by when they were taken (then by event id),
actions by release time, and nothing depends on arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from pipeline.detection.model import MARKET_SEPARATOR
from pipeline.detection.params import DetectionParams

Triage = Literal["untriaged", "acknowledged", "confirmed", "dismissed"]
LoopState = Literal[
    "untriaged",
    "acknowledged",
    "dismissed",
    "confirmed, no action",
    "awaiting evidence",
    "verified",
    "reopened",
]
_TRIAGE_OF: Final[dict[str, Triage]] = {
    "ack": "acknowledged",
    "confirm": "confirmed",
    "dismiss": "dismissed",
}
_VERDICT_STATE: Final[dict[str, LoopState]] = {
    "effective": "verified",
    "not effective": "reopened",
}
_OPEN_STATES = frozenset({"confirmed, no action", "awaiting evidence", "reopened"})
_CLOSED_STATES = frozenset({"dismissed", "verified"})


@dataclass(frozen=True, slots=True)
class SignatureRef:
    """A signature as a product team names it: no variant means every variant."""

    brand: str
    model: str
    variant: str | None
    component: str

    def covers(self, flag: FlagFacts) -> bool:
        """Same product (any variant when none is named; a market signature's variant is its
        own) and the same component or one above or below it in the hierarchy."""
        if (self.brand, self.model) != (flag.brand, flag.model):
            return False
        variant = flag.variant.split(MARKET_SEPARATOR, 1)[0]
        if self.variant is not None and self.variant != variant:
            return False
        a, b = self.component, flag.component
        return a == b or a.startswith(f"{b}:") or b.startswith(f"{a}:")


@dataclass(frozen=True, slots=True)
class FlagFacts:
    """A flag as the detector left it."""

    flag_id: str
    brand: str
    model: str
    variant: str
    component: str
    status: str
    opened_at: datetime
    observed: float | None = None
    """The evidence count at the flag's peak (observations in its window)."""

    @property
    def signature(self) -> tuple[str, str, str, str]:
        return (self.brand, self.model, self.variant, self.component)


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    event_id: str
    decision: str
    decided_by: str
    decided_at: datetime
    note: str | None = None
    flag_id: str | None = None
    signature: SignatureRef | None = None


@dataclass(frozen=True, slots=True)
class ActionFacts:
    action_id: str
    released_at: datetime
    signatures: tuple[SignatureRef, ...]
    change: str
    flag_id: str | None = None
    verdict: str = "not yet known"


@dataclass(frozen=True, slots=True)
class RecallFacts:
    recall_id: str
    announced_at: datetime
    signature: SignatureRef


@dataclass(frozen=True, slots=True)
class FlagLoop:
    """One flag with the product team's side of it."""

    flag: FlagFacts
    triage: Triage
    state: LoopState
    status: Literal["open", "closed"]
    """Open until the team dismisses it or its action is verified (a confirmed flag stays open
    after the detector closes it); otherwise the detector's status."""
    decisions: tuple[DecisionFacts, ...] = ()
    actions: tuple[ActionFacts, ...] = ()
    recalls: tuple[str, ...] = ()
    dismissed_with: str | None = None
    """The earlier dismissed flag whose dismissal this one inherits."""

    def as_dict(self) -> dict[str, object]:
        return {
            "flag_id": self.flag.flag_id,
            "triage": self.triage,
            "state": self.state,
            "status": self.status,
            "actions": [f"{a.action_id}: {a.verdict}" for a in self.actions],
            "recalls": list(self.recalls),
            "dismissed_with": self.dismissed_with,
            "decisions": [
                {
                    "decision": d.decision,
                    "decided_by": d.decided_by,
                    "decided_at": d.decided_at.isoformat(),
                    "note": d.note,
                }
                for d in self.decisions
            ],
        }


def decisions_of(
    flag: FlagFacts, flags: Sequence[FlagFacts], decisions: Iterable[DecisionFacts]
) -> list[DecisionFacts]:
    """The decisions about ``flag``, oldest first: those naming it, and those naming only its
    signature taken while it was the signature's latest flag."""
    mine = []
    for d in decisions:
        if d.flag_id is not None:
            if d.flag_id == flag.flag_id:
                mine.append(d)
        elif d.signature is not None and d.signature.covers(flag):
            latest = _latest_raised(flags, d.signature, d.decided_at)
            if latest is not None and latest.flag_id == flag.flag_id:
                mine.append(d)
    return sorted(mine, key=lambda d: (d.decided_at, d.event_id))


def _latest_raised(
    flags: Sequence[FlagFacts], signature: SignatureRef, at: datetime
) -> FlagFacts | None:
    raised = [f for f in flags if signature.covers(f) and f.opened_at <= at]
    return max(raised, key=lambda f: (f.opened_at, f.flag_id), default=None)


def actions_of(flag: FlagFacts, actions: Iterable[ActionFacts]) -> list[ActionFacts]:
    """Actions naming the flag, or released for its signature after it was raised; oldest
    first."""
    mine = [
        a
        for a in actions
        if a.flag_id == flag.flag_id
        or (
            a.flag_id is None
            and a.released_at >= flag.opened_at
            and any(s.covers(flag) for s in a.signatures)
        )
    ]
    return sorted(mine, key=lambda a: (a.released_at, a.action_id))


def flag_loops(
    flags: Iterable[FlagFacts],
    decisions: Iterable[DecisionFacts],
    actions: Iterable[ActionFacts],
    recalls: Iterable[RecallFacts] = (),
    params: DetectionParams | None = None,
) -> list[FlagLoop]:
    """Every flag's triage and loop state, in the order flags were raised."""
    factor = (params or DetectionParams()).dismissed_return_factor
    ordered = sorted(flags, key=lambda f: (f.opened_at, f.flag_id))
    decided = list(decisions)
    released = list(actions)
    announced = list(recalls)
    # Per exact signature: the dismissed flag later flags are measured against, and when.
    dismissed: dict[tuple[str, str, str, str], tuple[FlagFacts, datetime]] = {}
    out: list[FlagLoop] = []
    for flag in ordered:
        history = decisions_of(flag, ordered, decided)
        linked = actions_of(flag, released)
        recall_ids = tuple(
            r.recall_id
            for r in sorted(announced, key=lambda r: (r.announced_at, r.recall_id))
            if r.signature.covers(flag)
        )
        inherited = _inherited_dismissal(flag, dismissed.get(flag.signature), factor)
        loop = _state(flag, history, linked, recall_ids, inherited)
        if history and loop.triage == "dismissed":
            dismissed[flag.signature] = (flag, history[-1].decided_at)
        elif history:
            # The team took a later flag of the signature seriously: the dismissal is over.
            dismissed.pop(flag.signature, None)
        out.append(loop)
    return out


def _inherited_dismissal(
    flag: FlagFacts, reference: tuple[FlagFacts, datetime] | None, factor: float
) -> FlagFacts | None:
    """The dismissed flag this one stays quiet with: dismissed before it was raised, and its
    evidence has not grown ``factor``-fold since."""
    if reference is None:
        return None
    earlier, decided_at = reference
    if decided_at > flag.opened_at:
        return None
    before, now = earlier.observed, flag.observed
    if before is not None and now is not None and now >= factor * before:
        return None
    return earlier


def _state(
    flag: FlagFacts,
    history: Sequence[DecisionFacts],
    linked: Sequence[ActionFacts],
    recalls: tuple[str, ...],
    inherited: FlagFacts | None,
) -> FlagLoop:
    detector: Literal["open", "closed"] = "open" if flag.status == "open" else "closed"
    triage: Triage
    if history:
        triage = _TRIAGE_OF[history[-1].decision]
    elif inherited is not None:
        triage = "dismissed"
    else:
        triage = "untriaged"
    state: LoopState
    if triage == "dismissed":
        state = "dismissed"
    elif triage == "confirmed":
        if not linked:
            state = "confirmed, no action"
        else:
            state = _VERDICT_STATE.get(linked[-1].verdict, "awaiting evidence")
    else:
        state = triage
    if state in _OPEN_STATES:
        status: Literal["open", "closed"] = "open"
    elif state in _CLOSED_STATES:
        status = "closed"
    else:
        status = detector
    return FlagLoop(
        flag,
        triage,
        state,
        status,
        tuple(history),
        tuple(linked),
        recalls,
        None if history else (inherited.flag_id if inherited else None),
    )

"""Plan one service episode when a unit fails: ticket, repair, feedback and complaint, all timed."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from random import Random

from producers.simulator.catalogue import REPEAT_PROBABILITY, REPEAT_WINDOW_DAYS, VEHICLE
from producers.simulator.components import Leaf, TopComponent
from producers.simulator.config import DAY
from producers.simulator.entities import Dealer
from producers.simulator.texts import complaint_text
from producers.simulator.units import Unit

HOUR = 3600
REOPEN_WITHIN = 14 * DAY
MAX_REPEATS = 3
CALL_OUTCOMES = (
    "satisfied", "problem_persists", "new_problem", "declined", "no_answer", "callback_requested"
)  # fmt: skip
STAGES = (
    "opened", "reopened", "assigned", "escalated", "repaired", "resolved", "closed", "survey",
    "call", "comment", "complaint", "complaint_update", "complaint_confirmed", "desk_call",
    "desk_resolved", "desk_confirmed",
)  # fmt: skip
"""Every stage an episode can go through; each becomes one event."""
_SLA_HOURS = {"urgent": 24, "high": 48, "normal": 72, "low": 120}
_CHANNELS = ("dealer", "phone", "web", "app", "email", "chat")
_CHANNEL_SHARES = (0.40, 0.65, 0.80, 0.90, 0.95, 1.0)
"""Cumulative shares of _CHANNELS: the dealer desk first, then the call centre and online."""


@dataclass(frozen=True, slots=True)
class PriorRepair:
    """What a repeat failure needs to know about the repair that did not hold."""

    ticket_id: str
    dealer: Dealer
    close_ts: int | None
    depth: int


@dataclass(slots=True)
class Case:
    """One service episode, decided up front and then emitted stage by stage.

    Filled in by ``plan_case``; after that only ``position`` changes, as the engine walks
    ``stages`` (time, stage, argument) in order.
    """

    unit: Unit
    top: TopComponent
    leaf: Leaf
    mode: str
    ticket_id: str
    repair_id: str
    dealer: Dealer
    technician_id: str
    channel: str
    priority: str
    summary: str
    failure_ts: int
    open_ts: int
    assign_ts: int
    escalate_ts: int | None
    repair_ts: int
    sla_hours: int
    crash: bool
    fire: bool
    injuries: int
    repeat_depth: int
    genuine: bool
    outcome: str
    mood: float
    will_repeat: bool
    repeat_ts: int | None
    close_ts: int | None
    complaint_id: str
    stages: list[tuple[int, str, int]] = field(default_factory=list)
    position: int = 0
    desk_rounds: int = 0
    """How often the dealer's desk has acted on this episode's case (see desk.reaction)."""

    def add_stages(self, later: list[tuple[int, str, int]]) -> None:
        """Plan more stages after the current one (a desk reacting to what just happened)."""
        if later:
            rest = self.stages[self.position :] + later
            rest.sort(key=lambda stage: stage[0])
            self.stages[self.position :] = rest


class Ids:
    """Readable, run-unique business ids (ticket, repair, survey...) from per-kind counters."""

    def __init__(self) -> None:
        self._counters: dict[str, count[int]] = {}

    def next(self, prefix: str, market: str) -> str:
        counter = self._counters.setdefault(prefix, count(1))
        return f"{prefix}-{market}-{next(counter):07d}"


def business_time(ts: float, utc_offset_hours: int, rng: Random) -> int:
    """Move ``ts`` into local opening hours (08-19), the way shops and call centres work."""
    local_hour = ((int(ts) // HOUR) + utc_offset_hours) % 24
    if 8 <= local_hour < 19:
        return int(ts)
    wait_hours = (8 - local_hour) % 24
    return (int(ts) // HOUR + wait_hours) * HOUR + rng.randrange(3 * HOUR)


def plan_case(
    unit: Unit,
    top: TopComponent,
    failure_ts: int,
    *,
    defect: tuple[str, float] | None,
    repeat_of: tuple[Leaf, PriorRepair] | None,
    outlets: tuple[Dealer, ...],
    rng: Random,
    ids: Ids,
) -> Case:
    """Decide everything about the episode now.

    ``defect`` is (leaf code, share of this signature's failures it causes) while an injected
    defect is active; ``repeat_of`` is the part and repair that did not hold.
    """
    market = unit.cohort.market
    offset = market.utc_offset_hours
    prior = repeat_of[1] if repeat_of is not None else None
    caused_by_defect = False
    if repeat_of is not None:
        leaf = repeat_of[0]
    elif defect is not None and rng.random() < defect[1]:
        caused_by_defect = True
        leaf = next(leaf for leaf in top.leaves if leaf.code == defect[0])
    else:
        leaf = rng.choice(top.leaves)
    dealer = _dealer(unit, outlets, prior, rng)
    quality = dealer.quality
    repeat = prior is not None
    vehicle = unit.cohort.variant.spec.category == VEHICLE
    severity = 3.0 if caused_by_defect else 1.0
    crash = vehicle and rng.random() < top.crash_probability * severity
    fire = vehicle and rng.random() < top.fire_probability * severity
    injuries = rng.randint(1, 2) if (crash or fire) and rng.random() < 0.4 else 0
    priority = _priority(crash or fire, repeat, rng)
    open_ts = business_time(failure_ts + HOUR + rng.expovariate(1 / DAY), offset, rng)
    reopen = (
        prior is not None
        and prior.close_ts is not None
        and 0 < failure_ts - prior.close_ts < REOPEN_WITHIN
    )
    ticket_id = prior.ticket_id if reopen and prior is not None else ids.next("TK", market.country)
    assign_ts = business_time(open_ts + rng.uniform(0.2, 6) * HOUR, offset, rng)
    escalated = rng.random() < 0.05 + 0.15 * (1 - quality) + 0.2 * repeat + 0.4 * (crash or fire)
    escalate_ts = (
        business_time(max(assign_ts, open_ts + rng.uniform(1, 3) * DAY), offset, rng)
        if escalated
        else None
    )
    backorder = rng.random() < 0.15
    wait = rng.uniform(0.5, 5) * DAY + 2 * DAY * escalated + rng.uniform(2, 8) * DAY * backorder
    earliest = (escalate_ts or assign_ts) + 2 * HOUR
    repair_ts = business_time(max(earliest, open_ts + wait), offset, rng)
    outcome = _outcome(quality, rng)
    genuine = outcome == "no_fault_found" or rng.random() >= dealer.non_genuine_rate
    depth = prior.depth + 1 if prior is not None else 0
    will_repeat = depth < MAX_REPEATS and rng.random() < _repeat_probability(genuine, outcome)
    repeat_ts = (
        repair_ts + int(min(REPEAT_WINDOW_DAYS - 2, 4 + rng.expovariate(1 / 25)) * DAY)
        if will_repeat
        else None
    )
    slow = repair_ts - open_ts > 6 * DAY
    mood = 1.3 + 3.4 * quality - 1.3 * repeat - 0.4 * escalated - 0.3 * slow
    mood -= 1.0 * (outcome in ("not_fixed", "partially_fixed"))
    case = Case(
        unit=unit,
        top=top,
        leaf=leaf,
        mode=rng.choice(top.modes),
        ticket_id=ticket_id,
        repair_id=ids.next("RO", market.country),
        dealer=dealer,
        technician_id=f"{dealer.dealer_id}-T{rng.randint(1, dealer.technicians):02d}",
        channel=rng.choices(_CHANNELS, cum_weights=_CHANNEL_SHARES)[0],
        priority=priority,
        summary=complaint_text(top.code, unit.language, rng, repeat=repeat),
        failure_ts=failure_ts,
        open_ts=open_ts,
        assign_ts=assign_ts,
        escalate_ts=escalate_ts,
        repair_ts=repair_ts,
        sla_hours=_SLA_HOURS[priority],
        crash=crash,
        fire=fire,
        injuries=injuries,
        repeat_depth=depth,
        genuine=genuine,
        outcome=outcome,
        mood=mood,
        will_repeat=will_repeat,
        repeat_ts=repeat_ts,
        close_ts=None,
        complaint_id=ids.next("CP", market.country),
    )
    _schedule(case, reopen, rng)
    return case


def _schedule(case: Case, reopen: bool, rng: Random) -> None:
    """Lay out the episode's stages in time; staff work in local hours, customers any time."""
    offset = case.unit.cohort.market.utc_offset_hours
    stages = case.stages
    open_ts = case.open_ts
    repair_ts = case.repair_ts
    escalated = case.escalate_ts is not None
    stages.append((open_ts, "reopened" if reopen else "opened", 0))
    stages.append((case.assign_ts, "assigned", 0))
    if case.escalate_ts is not None:
        stages.append((case.escalate_ts, "escalated", 2 if case.crash or case.fire else 1))
    stages.append((repair_ts, "repaired", 0))
    resolve_ts = repair_ts + int(rng.uniform(0.3, 3) * HOUR)
    stages.append((resolve_ts, "resolved", 0))
    if rng.random() < 0.96:
        case.close_ts = business_time(resolve_ts + rng.uniform(0.5, 5) * DAY, offset, rng)
        stages.append((case.close_ts, "closed", int(rng.random() < 0.7)))
        if rng.random() < 0.45:
            stages.append((case.close_ts + int(rng.uniform(1, 7) * DAY), "survey", 0))
    call_chance = 0.75 if case.dealer.ownership == "owned" else 0.35
    for days, chance in ((7, call_chance), (30, call_chance * 0.6)):
        if rng.random() < chance:
            call_ts = business_time(repair_ts + days * DAY + rng.uniform(0, DAY), offset, rng)
            stages.append((call_ts, "call", _call_outcome(case, call_ts, rng)))
    if rng.random() < 0.05:
        stages.append((open_ts + int(rng.uniform(0.1, 3) * DAY), "comment", 0))
    severe = case.crash or case.fire
    complaint_chance = 0.04 + 0.15 * (case.repeat_depth > 0) + 0.1 * escalated + 0.6 * severe
    if rng.random() < complaint_chance + 0.1 * (1 - case.dealer.quality):
        filed_ts = business_time(open_ts + rng.uniform(0.2, 7) * DAY, offset, rng)
        stages.append((filed_ts, "complaint", 0))
        note_ts = filed_ts
        for note in range(rng.randint(1, 3)):
            note_ts = business_time(note_ts + rng.uniform(1, 8) * DAY, offset, rng)
            stages.append((note_ts, "complaint_update", note))
        resolved = rng.random() < 0.88 - 0.35 * case.will_repeat
        stages.append((note_ts + int(rng.uniform(2, 14) * DAY), "complaint_confirmed", resolved))
    stages.sort(key=lambda stage: stage[0])


def _dealer(
    unit: Unit, outlets: tuple[Dealer, ...], prior: PriorRepair | None, rng: Random
) -> Dealer:
    """Customers mostly go back to the shop that sold (or last repaired) the unit."""
    if prior is not None and rng.random() < 0.7:
        return prior.dealer
    if rng.random() < 0.8:
        return unit.dealer
    return rng.choice(outlets)


def _priority(severe: bool, repeat: bool, rng: Random) -> str:
    if severe:
        return "urgent"
    if repeat:
        return "high"
    draw = rng.random()
    return "low" if draw < 0.1 else "high" if draw < 0.2 else "normal"


def _outcome(quality: float, rng: Random) -> str:
    draw = rng.random()
    if draw < 0.04:
        return "no_fault_found"
    if draw < 0.04 + 0.15 * (1 - quality):
        return "not_fixed"
    if draw < 0.04 + 0.35 * (1 - quality):
        return "partially_fixed"
    return "fixed"


def _repeat_probability(genuine: bool, outcome: str) -> float:
    base = REPEAT_PROBABILITY[genuine]
    if outcome == "not_fixed":
        return max(base, 0.6)
    if outcome in ("partially_fixed", "no_fault_found"):
        return max(base, 0.35)
    return base


def _call_outcome(case: Case, call_ts: int, rng: Random) -> int:
    """Index into CALL_OUTCOMES; a repair that will not hold shows up as a persisting problem."""
    if rng.random() >= 0.7:
        return CALL_OUTCOMES.index("no_answer")
    if case.repeat_ts is not None and call_ts >= case.repeat_ts - 3 * DAY and rng.random() < 0.7:
        return CALL_OUTCOMES.index("problem_persists")
    draw = rng.random()
    if draw < 0.80:
        return CALL_OUTCOMES.index("satisfied")
    if draw < 0.84:
        return CALL_OUTCOMES.index("new_problem")
    if draw < 0.92:
        return CALL_OUTCOMES.index("callback_requested")
    return CALL_OUTCOMES.index("declined")

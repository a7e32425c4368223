"""The complaint case book: how each event moves cases between open, escalated, resolved, closed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from pipeline.casebook.attribution import Attribution, Sighting
from pipeline.casebook.book import next_deadline, transition
from pipeline.casebook.rules import Confirmation, Rules, Severity
from pipeline.casebook.state import (
    ACTIVE_STATUSES,
    ENDED_STATUSES,
    CaseLookup,
    CaseOrigin,
    CaseState,
    Decision,
)
from pipeline.casebook.transitions import (
    active_on,
    by_complaint,
    confirm,
    fits,
    latest,
    open_case,
    recently_closed,
    reopen,
    resolve,
    same_fault,
    touch,
)
from pipeline.casebook.triage import complaint_severity, worst
from schemas.base import Event
from schemas.feedback import (
    ComplaintFiled,
    ComplaintResolutionConfirmed,
    ComplaintUpdated,
    FeedbackEvent,
    FollowUpCallMade,
    SurveyAnswered,
)
from schemas.repairs import RepairCompleted
from schemas.tickets import TicketEvent, TicketOpened, TicketResolved


def lookup_for(event: Event) -> CaseLookup:
    """Which stored cases the glue must load before applying `event`."""
    product = getattr(event, "product", None)
    return CaseLookup(
        complaint_id=getattr(event, "complaint_id", None),
        serial=product.serial if product is not None else None,
    )


def apply(cases: Sequence[CaseState], event: Event, rules: Rules) -> Decision:
    """One event against the cases it may concern; events unrelated to cases change nothing.

    Breaches that happened before the event are escalated first, so the outcome does not depend
    on how events were cut into batches.
    """
    before = due_escalations(cases, event.occurred_at, rules)
    changed = {case.case_id: case for case in before.cases}
    current = [changed.get(case.case_id, case) for case in cases]
    return before.then(dispatch(current, event, rules))


def due_escalations(cases: Iterable[CaseState], now: datetime, rules: Rules) -> Decision:
    """Every time-based transition due at `now`, by deadline then case id: each open case past
    its SLA escalated (once per deadline), each resolved case past its wait for confirmation
    closed unconfirmed."""
    due = [(at, c) for c in cases if (at := next_deadline(c, rules)) is not None and now > at]
    due.sort(key=lambda pair: (pair[0], pair[1].case_id))
    return Decision.combine(transition(case, rules) for _, case in due)


def is_detractor(rules: Rules, *, nps: int | None, csat: int | None) -> bool:
    """A score at or below the detractor thresholds (NPS 0-6, CSAT 1-2 by default)."""
    return (nps is not None and nps <= rules.detractors.nps_max) or (
        csat is not None and csat <= rules.detractors.csat_max
    )


def dispatch(
    cases: Sequence[CaseState],
    event: Event,
    rules: Rules,
    sightings: Sequence[Sighting] = (),
) -> Decision:
    """What `event` does to the cases it may concern, escalations due before it left aside.

    ``sightings`` are those of the event's unit seen so far: a case it opens takes its dealer and
    market from them where the event names none.

    Events from public complaint streams (rules cases.public_sources) do nothing here: their
    authors are not our customers, so they open, confirm and reopen no case.
    """
    # apply_batch passes only the cases book.lookup_keys names: a branch finding cases by another
    # key must add that key there too.
    if rules.cases.is_public(event.source):
        return Decision()
    if isinstance(event, ComplaintFiled):
        return _complaint_filed(cases, event, rules, sightings)
    if isinstance(event, ComplaintUpdated):
        return _complaint_updated(cases, event, rules)
    if isinstance(event, ComplaintResolutionConfirmed):
        return _confirmation(cases, event, rules)
    if isinstance(event, RepairCompleted | TicketOpened | TicketResolved):
        return _service_event(cases, event, rules)
    if isinstance(event, FollowUpCallMade | SurveyAnswered):
        return _feedback(cases, event, rules, sightings)
    if not isinstance(event, TicketEvent | FeedbackEvent):
        return Decision()
    # Any other ticket or feedback event on the unit is history for its active cases.
    serial = lookup_for(event).serial
    return Decision.combine(touch(c, event, "related") for c in active_on(cases, serial))


def _complaint_filed(
    cases: Sequence[CaseState],
    event: ComplaintFiled,
    rules: Rules,
    sightings: Sequence[Sighting],
) -> Decision:
    if any(event.complaint_id in case.complaint_ids for case in cases):
        return Decision()  # a replayed complaint
    at, serial = event.occurred_at, event.product.serial
    severity = complaint_severity(
        rules.severity,
        text=event.text,
        component=event.component,
        crash=event.crash,
        fire=event.fire,
        injuries=event.injuries,
        deaths=event.deaths,
    )
    same = same_fault(cases, serial, event.component)
    active = [case for case in same if case.status in ACTIVE_STATUSES]
    target = latest(active) or recently_closed(same, at, rules)
    if target is None:
        customer = event.customer
        case = open_case(
            rules,
            origin="complaint",
            origin_id=event.complaint_id,
            at=at,
            severity=severity,
            customer_id=customer.customer_id if customer else None,
            serial=serial,
            component=event.component,
            attribution=Attribution(
                own_dealer=event.dealer_id,
                own_market=event.market,
                home_market=customer.country if customer else None,
            ),
            sightings=sightings,
            reason="complaint",
        )
        return touch(case, event, "opened")
    merged = replace(
        target,
        complaint_ids=(*target.complaint_ids, event.complaint_id),
        severity=worst(target.severity, severity),
        sla_due_at=min(target.sla_due_at, at + rules.cases.sla[severity]),
    )
    if merged.status == "resolved" or merged.status in ENDED_STATUSES:
        return touch(reopen(merged, at, rules), event, "reopened", "same fault came back")
    return touch(merged, event, "complaint_added")


def _complaint_updated(
    cases: Sequence[CaseState], event: ComplaintUpdated, rules: Rules
) -> Decision:
    case = by_complaint(cases, event.complaint_id)
    if case is None:
        return Decision()
    note = event.note.lower().lstrip()
    marks_resolution = note.startswith(rules.cases.resolution_note_prefixes)
    if marks_resolution and case.status in ("open", "escalated"):
        return touch(resolve(case, event.occurred_at), event, "resolved", "marked resolved")
    return touch(case, event, "updated")


def _confirmation(
    cases: Sequence[CaseState], event: ComplaintResolutionConfirmed, rules: Rules
) -> Decision:
    case = by_complaint(cases, event.complaint_id)
    if case is None:
        return Decision()
    at = event.occurred_at
    allowed = "resolution_confirmed" in rules.closing.of(case.reason).confirmed_by
    # A confirmation after the wait ran out still counts: the customer's word is what we wait for.
    if event.resolved and allowed and case.status != "closed":
        return touch(confirm(case, at), event, "confirmed", "customer confirmed the resolution")
    if not event.resolved and (case.status == "resolved" or case.status in ENDED_STATUSES):
        return touch(reopen(case, at, rules), event, "reopened", "customer says not resolved")
    return touch(case, event, "related")


def _service_event(
    cases: Sequence[CaseState],
    event: RepairCompleted | TicketOpened | TicketResolved,
    rules: Rules,
) -> Decision:
    at, serial = event.occurred_at, event.product.serial
    component = getattr(event, "component", None)
    resolves = isinstance(event, TicketResolved) or (
        isinstance(event, RepairCompleted)
        and event.outcome in rules.cases.resolving_repair_outcomes
    )
    decisions = []
    active = [c for c in active_on(cases, serial) if fits(c, component) and at >= c.opened_at]
    for case in active:
        if resolves and case.status in ("open", "escalated"):
            decisions.append(touch(resolve(case, at), event, "resolved"))
        else:
            decisions.append(touch(case, event, "related"))
    same = same_fault(cases, serial, component)
    if not any(case.status in ACTIVE_STATUSES for case in same):
        closed = recently_closed(same, at, rules)
        # A ticket.resolved names no component, so only repairs and new tickets can show recurrence.
        if closed is not None and not isinstance(event, TicketResolved):
            reopened = reopen(closed, at, rules)
            decisions.append(touch(reopened, event, "reopened", "same fault came back"))
            if resolves:
                decisions.append(touch(resolve(reopened, at), event, "resolved"))
    return Decision.combine(decisions)


def confirms(event: FollowUpCallMade | SurveyAnswered, rules: Rules) -> Confirmation | None:
    """Whether the call or survey is the customer saying the problem is solved, and as which kind.

    A call must reach the customer with a confirming outcome; a survey must carry a score; and
    neither may hold a score in the detractor range.
    """
    if is_detractor(rules, nps=event.nps, csat=event.csat):
        return None
    if isinstance(event, FollowUpCallMade):
        confirming = event.reached and event.outcome in rules.closing.confirming_call_outcomes
        return "call" if confirming else None
    return "survey" if event.nps is not None or event.csat is not None else None


def _confirmable(case: CaseState, kind: Confirmation, at: datetime, rules: Rules) -> bool:
    """Whether a confirmation of `kind` at `at` closes `case`, by the rule of its reason."""
    rule = rules.closing.of(case.reason)
    if kind not in rule.confirmed_by or at < case.opened_at:
        return False
    if case.status in ("resolved", "unconfirmed"):
        # Only what the customer says after the fix confirms it.
        return case.resolved_at is None or at >= case.resolved_at
    return case.status in ACTIVE_STATUSES and rule.confirms_unresolved


def _confirm_on_unit(
    cases: Sequence[CaseState],
    event: FollowUpCallMade | SurveyAnswered,
    kind: Confirmation,
    rules: Rules,
) -> Decision:
    """The customer's confirmation for every case on the unit it closes by its reason's rule:
    active ones, and ones closed unconfirmed within the reopen window (a late confirmation)."""
    at, serial = event.occurred_at, event.product.serial
    if serial is None:
        return Decision()
    window = rules.cases.reopen_window
    decisions = []
    for case in cases:
        if case.serial != serial:
            continue
        late = (
            case.status == "unconfirmed"
            and case.closed_at is not None
            and case.closed_at <= at <= case.closed_at + window
        )
        if case.status not in ACTIVE_STATUSES and not late:
            continue
        if _confirmable(case, kind, at, rules):
            note = f"customer confirmed by {kind}"
            decisions.append(touch(confirm(case, at), event, "confirmed", note))
        elif case.status in ACTIVE_STATUSES:
            decisions.append(touch(case, event, "related"))
    return Decision.combine(decisions)


def _feedback(
    cases: Sequence[CaseState],
    event: FollowUpCallMade | SurveyAnswered,
    rules: Rules,
    sightings: Sequence[Sighting],
) -> Decision:
    at, serial = event.occurred_at, event.product.serial
    active = active_on(cases, serial)
    outcome = event.outcome if isinstance(event, FollowUpCallMade) else None
    detractor = is_detractor(rules, nps=event.nps, csat=event.csat)
    kind = confirms(event, rules)
    if kind is not None:
        return _confirm_on_unit(cases, event, kind, rules)
    if outcome == "problem_persists":
        if active:
            return Decision.combine(
                touch(reopen(c, at, rules), event, "reopened", "call: problem persists")
                if c.status == "resolved"
                else touch(c, event, "related", "call: problem persists")
                for c in active
            )
        closed = recently_closed([c for c in cases if c.serial == serial], at, rules)
        if closed is not None and serial is not None:
            return touch(reopen(closed, at, rules), event, "reopened", "call: problem persists")
        return _feedback_case(cases, event, rules, sightings, "followup", "problem_persists")
    related = Decision.combine(
        touch(c, event, "related", "detractor score" if detractor else "") for c in active
    )
    if outcome == "new_problem":
        followup = _feedback_case(cases, event, rules, sightings, "followup", "new_problem")
        return related.then(followup)
    if detractor and not active:
        return _feedback_case(cases, event, rules, sightings, "detractor", "detractor")
    return related


def _feedback_case(
    cases: Sequence[CaseState],
    event: FollowUpCallMade | SurveyAnswered,
    rules: Rules,
    sightings: Sequence[Sighting],
    origin: CaseOrigin,
    reason: str,
) -> Decision:
    # A call names no dealer or market; a survey names the dealer and the customer's country.
    refs = tuple(r for r in (event.ticket_id, event.repair_id) if r)
    if isinstance(event, FollowUpCallMade):
        origin_id, customer_id = event.call_id, event.customer_id
        attribution = Attribution(refs=refs)
    else:
        origin_id, customer_id = event.survey_id, event.customer.customer_id
        attribution = Attribution(
            own_dealer=event.dealer_id, home_market=event.customer.country, refs=refs
        )
    if any(case.origin_id == origin_id and case.origin == origin for case in cases):
        return Decision()  # a replayed call or survey
    earlier = latest([c for c in cases if c.serial and c.serial == event.product.serial])
    severities: dict[str, Severity] = {
        "problem_persists": rules.severity.followup_problem_persists,
        "new_problem": rules.severity.followup_new_problem,
    }
    case = open_case(
        rules,
        origin=origin,
        origin_id=origin_id,
        at=event.occurred_at,
        severity=severities.get(reason, rules.severity.detractor),
        customer_id=customer_id,
        serial=event.product.serial,
        component=earlier.component if earlier and reason == "problem_persists" else None,
        attribution=attribution,
        sightings=sightings,
        reason=reason,
    )
    return touch(case, event, "opened", reason)

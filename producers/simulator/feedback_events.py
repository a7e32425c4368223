"""Feedback events of a service episode: surveys, follow-up calls, comments, complaint cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from random import Random

from pipeline.casebook.triage import stable_id
from producers.simulator.config import DAY
from producers.simulator.desk import DESK_SOURCE, desk_rng
from producers.simulator.service import CALL_OUTCOMES, Case, Ids
from producers.simulator.texts import comment_text, complaint_text
from producers.simulator.wire import local_time, random_uuid
from schemas.feedback import (
    CommentPosted,
    ComplaintFiled,
    ComplaintResolutionConfirmed,
    ComplaintUpdated,
    FollowUpCallMade,
    SurveyAnswered,
)

_NOTES = (
    "Case owner called the customer and confirmed the fault.",
    "Parts ordered; workshop visit booked.",
    "Dealer reports repair done; waiting for customer confirmation.",
)


class FeedbackEmitter:
    """Builds feedback events; every id and random choice comes from the run's generator."""

    def __init__(self, rng: Random, ids: Ids) -> None:
        self._rng = rng
        self._ids = ids

    def event_id(self) -> uuid.UUID:
        return random_uuid(self._rng)

    def _score(self, mood: float) -> int:
        return min(5, max(1, round(self._rng.gauss(mood, 0.7))))

    def _nps(self, csat: int) -> int:
        return min(10, max(0, round(self._rng.gauss(2.2 * csat - 1.0, 1.3))))

    def _survey(self, case: Case, ts: int, _: int) -> SurveyAnswered:
        unit = case.unit
        csat = self._score(case.mood)
        comment = None
        if self._rng.random() < 0.3:
            comment = comment_text(unit.language, happy=csat >= 4)
        return SurveyAnswered(
            event_id=self.event_id(),
            occurred_at=local_time(ts, unit.cohort.market),
            source="sim:survey",
            product=unit.product,
            survey_id=self._ids.next("SV", unit.cohort.market.country),
            customer=unit.customer,
            dealer_id=case.dealer.dealer_id,
            ticket_id=case.ticket_id,
            repair_id=case.repair_id,
            csat=csat,
            nps=self._nps(csat),
            comment=comment,
            language=unit.language,
        )

    def _call(self, case: Case, ts: int, outcome_index: int) -> FollowUpCallMade:
        unit = case.unit
        outcome = CALL_OUTCOMES[outcome_index]
        reached = outcome != "no_answer"
        csat = self._score(case.mood) if outcome == "satisfied" else None
        return FollowUpCallMade(
            event_id=self.event_id(),
            occurred_at=local_time(ts, unit.cohort.market),
            source="sim:callcentre",
            product=unit.product,
            call_id=self._ids.next("CL", unit.cohort.market.country),
            followup_id=_followup_id(case, 7 if ts - case.open_ts < 20 * DAY else 30),
            customer_id=unit.customer.customer_id,
            ticket_id=case.ticket_id,
            repair_id=case.repair_id,
            reached=reached,
            outcome=outcome,
            csat=csat,
            nps=self._nps(csat) if csat is not None else None,
            notes=None if reached else "No answer; voicemail left.",
            language=unit.language,
        )

    def _comment(self, case: Case, ts: int, _: int) -> CommentPosted:
        unit = case.unit
        return CommentPosted(
            event_id=self.event_id(),
            occurred_at=local_time(ts, unit.cohort.market),
            source="sim:web",
            product=unit.product,
            comment_id=self._ids.next("CM", unit.cohort.market.country),
            customer=unit.customer,
            channel=self._rng.choice(("web", "app", "social")),
            text=case.summary,
            language=unit.language,
        )

    def _complaint(self, case: Case, ts: int, _: int) -> ComplaintFiled:
        unit = case.unit
        text = complaint_text(
            case.top.code,
            unit.language,
            self._rng,
            repeat=case.repeat_depth > 0,
            crash=case.crash,
            fire=case.fire,
            injured=case.injuries > 0,
        )
        return ComplaintFiled(
            event_id=self.event_id(),
            occurred_at=local_time(ts, unit.cohort.market),
            source="sim:callcentre",
            product=unit.product,
            complaint_id=case.complaint_id,
            customer=unit.customer,
            market=unit.cohort.market.country,
            dealer_id=case.dealer.dealer_id,
            text=text,
            language=unit.language,
            component=case.top.code,
            failure_code=f"{case.leaf.abbreviation}-{case.mode}",
            incident_date=datetime.fromtimestamp(case.failure_ts, UTC).date(),
            crash=case.crash,
            fire=case.fire,
            injuries=case.injuries,
            usage=round(max(0, case.failure_ts - unit.sold_ts) / DAY * unit.usage_per_day, 1),
        )

    def _complaint_update(self, case: Case, ts: int, note: int) -> ComplaintUpdated:
        unit = case.unit
        return ComplaintUpdated(
            event_id=self.event_id(),
            occurred_at=local_time(ts, unit.cohort.market),
            source=DESK_SOURCE,
            product=unit.product,
            complaint_id=case.complaint_id,
            note=_NOTES[note % len(_NOTES)],
            author=f"CB-{unit.cohort.market.country}-01",
        )

    def _desk_call(self, case: Case, ts: int, solved: int) -> FollowUpCallMade:
        """The desk's call-back on a case: solved, with the scores of a customer won back, or not
        yet (the customer asks to be called again)."""
        unit = case.unit
        rng = desk_rng(case, ts, "call")
        csat = 4 + int(rng.random() < 0.5) if solved else None
        return FollowUpCallMade(
            event_id=random_uuid(rng),
            occurred_at=local_time(ts, unit.cohort.market),
            source=DESK_SOURCE,
            product=unit.product,
            call_id=self._ids.next("CB", unit.cohort.market.country),
            customer_id=unit.customer.customer_id,
            reached=True,
            outcome="satisfied" if solved else "callback_requested",
            csat=csat,
            nps=rng.randint(7, 10) if solved else None,
            language=unit.language,
        )

    def _desk_resolved(self, case: Case, ts: int, _: int) -> ComplaintUpdated:
        unit = case.unit
        return ComplaintUpdated(
            event_id=random_uuid(desk_rng(case, ts, "update")),
            occurred_at=local_time(ts, unit.cohort.market),
            source=DESK_SOURCE,
            product=unit.product,
            complaint_id=case.complaint_id,
            note="Resolved: fixed again at a second visit; waiting for customer confirmation.",
            author=f"CB-{unit.cohort.market.country}-01",
        )

    def _desk_confirmed(self, case: Case, ts: int, resolved: int) -> ComplaintResolutionConfirmed:
        """The customer's answer after the desk fixed the complaint again."""
        unit = case.unit
        return ComplaintResolutionConfirmed(
            event_id=random_uuid(desk_rng(case, ts, "confirm")),
            occurred_at=local_time(ts, unit.cohort.market),
            source=DESK_SOURCE,
            product=unit.product,
            complaint_id=case.complaint_id,
            customer_id=unit.customer.customer_id,
            resolved=bool(resolved),
        )

    def _complaint_confirmed(
        self, case: Case, ts: int, resolved: int
    ) -> ComplaintResolutionConfirmed:
        unit = case.unit
        return ComplaintResolutionConfirmed(
            event_id=self.event_id(),
            occurred_at=local_time(ts, unit.cohort.market),
            source=DESK_SOURCE,
            product=unit.product,
            complaint_id=case.complaint_id,
            customer_id=unit.customer.customer_id,
            resolved=bool(resolved),
            comment=None if resolved else comment_text(unit.language, happy=False),
        )


def _followup_id(case: Case, days: int) -> str:
    """The id the pipeline gives the call-back it plans ``days`` after this service, so the
    call-centre's call answers that follow-up (pipeline.casebook.followups.plan_followups)."""
    service = ("repair", case.repair_id) if case.repair_id else ("ticket", str(case.ticket_id))
    return stable_id("fu", *service, f"{days}d")

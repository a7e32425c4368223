"""Feedback events: surveys, follow-up calls, comments and complaints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.base import InboundBase, LongText, ShortText
from schemas.limits import MAX_PERSONS, MAX_USAGE
from schemas.parts import (
    BoundedDate,
    ComponentCode,
    CountryCode,
    Customer,
    Identifier,
    LanguageTag,
    ProductRef,
)

CallOutcome = Literal[
    "satisfied", "problem_persists", "new_problem", "declined", "no_answer", "callback_requested"
]


class FeedbackEvent(InboundBase):
    product: ProductRef


class SurveyAnswered(FeedbackEvent):
    event_type: Literal["survey.answered"] = "survey.answered"
    survey_id: Identifier
    customer: Customer
    dealer_id: Identifier | None = None
    ticket_id: Identifier | None = None
    repair_id: Identifier | None = None
    csat: int | None = Field(default=None, ge=1, le=5, description="Satisfaction 1 (worst) to 5.")
    nps: int | None = Field(default=None, ge=0, le=10, description="Likelihood to recommend 0-10.")
    comment: LongText | None = None
    language: LanguageTag | None = None


class FollowUpCallMade(FeedbackEvent):
    event_type: Literal["followup_call.made"] = "followup_call.made"
    call_id: Identifier
    followup_id: Identifier | None = Field(default=None, description="The scheduled follow-up.")
    customer_id: Identifier
    ticket_id: Identifier | None = None
    repair_id: Identifier | None = None
    reached: bool
    outcome: CallOutcome
    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    notes: LongText | None = None
    language: LanguageTag | None = None


class CommentPosted(FeedbackEvent):
    event_type: Literal["comment.posted"] = "comment.posted"
    comment_id: Identifier
    customer: Customer
    channel: Identifier = "web"
    text: LongText
    language: LanguageTag | None = None


class ComplaintFiled(FeedbackEvent):
    event_type: Literal["complaint.filed"] = "complaint.filed"
    complaint_id: Identifier
    customer: Customer | None = None
    market: CountryCode
    dealer_id: Identifier | None = None
    text: LongText | None = None
    language: LanguageTag | None = None
    component: ComponentCode | None = None
    failure_code: Identifier | None = None
    incident_date: BoundedDate | None = None
    crash: bool = False
    fire: bool = False
    injuries: int = Field(default=0, ge=0, le=MAX_PERSONS)
    deaths: int = Field(default=0, ge=0, le=MAX_PERSONS)
    usage: float | None = Field(default=None, ge=0, le=MAX_USAGE, allow_inf_nan=False)


class ComplaintUpdated(FeedbackEvent):
    event_type: Literal["complaint.updated"] = "complaint.updated"
    complaint_id: Identifier
    note: LongText
    author: Identifier | None = None


class ComplaintResolutionConfirmed(FeedbackEvent):
    event_type: Literal["complaint.resolution_confirmed"] = "complaint.resolution_confirmed"
    complaint_id: Identifier
    customer_id: Identifier
    resolved: bool = Field(description="True when the customer confirms the problem is solved.")
    comment: ShortText | None = None


FEEDBACK_EVENTS = (
    SurveyAnswered,
    FollowUpCallMade,
    CommentPosted,
    ComplaintFiled,
    ComplaintUpdated,
    ComplaintResolutionConfirmed,
)

"""Events the pipeline publishes: defect flags, follow-ups, escalations, reports, dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Event, LongText, ShortText
from schemas.parts import ComponentCode, Contract, Identifier, LanguageTag, Name

Severity = Literal["low", "medium", "high", "critical"]


class DefectFlagChanged(Event):
    """A recurring-defect flag was raised, updated with new evidence, or closed."""

    event_type: Literal["defect_flag.changed"] = "defect_flag.changed"
    flag_id: Identifier
    change: Literal["raised", "updated", "closed"]
    status: Literal["open", "closed"]
    brand: Name
    model: Name
    variant: Name | None = None
    component: ComponentCode
    method: Identifier
    score: float
    severity: Severity
    first_raised_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class FollowUpScheduled(Event):
    """A call-back to make, in the customer's language and local business hours."""

    event_type: Literal["followup.scheduled"] = "followup.scheduled"
    followup_id: Identifier
    customer_id: Identifier
    serial: Identifier | None = None
    ticket_id: Identifier | None = None
    repair_id: Identifier | None = None
    case_id: Identifier | None = None
    reason: Identifier
    due_at: AwareDatetime
    language: LanguageTag
    timezone: str


class CaseEscalated(Event):
    """A complaint case went past its SLA without confirmed resolution."""

    event_type: Literal["case.escalated"] = "case.escalated"
    case_id: Identifier
    complaint_id: Identifier
    owner: Identifier
    severity: Severity
    sla_due_at: AwareDatetime
    reason: ShortText


class ReportPublished(Event):
    """The summary of a product-improvement report."""

    event_type: Literal["report.published"] = "report.published"
    report_id: Identifier
    period_start: datetime | None = None
    period_end: datetime | None = None
    summary: dict[str, Any]


class DeadLetter(Contract):
    """A message the processors could not accept, with why and its original bytes."""

    reason: Identifier
    error: LongText
    topic: Name
    partition: int
    offset: int
    item_index: int | None = Field(default=None, description="Index within a batch message.")
    key_b64: str | None = Field(
        default=None, description="The original message key, base64 encoded (cut at 4 KiB)."
    )
    key_size: int = Field(default=0, ge=0, description="Size of the original key in bytes.")
    key_truncated: bool = Field(
        default=False, description="True when key_b64 holds only the start of the key."
    )
    value_b64: str = Field(
        description="The original message value, base64 encoded (cut at 256 KiB; see value_size)."
    )
    value_size: int = Field(default=0, ge=0, description="Size of the original value in bytes.")
    value_truncated: bool = Field(
        default=False,
        description="True when value_b64 holds only the start of the value; the warehouse keeps "
        "the same cut, no more than the dead-letter topic carries.",
    )
    received_at: AwareDatetime

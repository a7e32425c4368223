"""Event builders of the case book tests, with explicit values (imported by the test files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from pipeline.casebook import CaseState, Decision
from schemas.base import Event
from schemas.feedback import (
    ComplaintFiled,
    ComplaintResolutionConfirmed,
    FollowUpCallMade,
    SurveyAnswered,
)
from schemas.parts import Customer, ProductRef
from schemas.repairs import RepairCompleted

T0 = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)


def product(serial: str | None = "VIN1") -> ProductRef:
    return ProductRef(brand="Acme", model="Roadster", variant="2022", serial=serial)


def complaint(
    complaint_id: str = "C1", at: datetime = T0, component: str | None = "BRAKES:PADS", **extra: Any
) -> ComplaintFiled:
    return ComplaintFiled(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        product=product(extra.pop("serial", "VIN1")),
        complaint_id=complaint_id,
        customer=Customer(customer_id="K1", country="DE", language="de", timezone="Europe/Berlin"),
        market="DE",
        component=component,
        text=extra.pop("text", "grinding noise when braking"),
        **extra,
    )


def repair(at: datetime, component: str = "BRAKES:DISC", **extra: Any) -> RepairCompleted:
    return RepairCompleted(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        repair_id=extra.pop("repair_id", f"R-{at:%j%H}"),
        product=product(extra.pop("serial", "VIN1")),
        market="DE",
        component=component,
        **extra,
    )


def confirmation(at: datetime, resolved: bool, complaint_id: str = "C1") -> Event:
    return ComplaintResolutionConfirmed(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        product=product(),
        complaint_id=complaint_id,
        customer_id="K1",
        resolved=resolved,
    )


def call(at: datetime, outcome: Any, call_id: str = "CALL1", **extra: Any) -> FollowUpCallMade:
    return FollowUpCallMade(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        product=product(),
        call_id=call_id,
        customer_id="K1",
        reached=True,
        outcome=outcome,
        **extra,
    )


def survey(at: datetime, nps: int | None, csat: int | None = None, serial: str = "VIN2") -> Event:
    return SurveyAnswered(
        event_id=uuid4(),
        occurred_at=at,
        source="test",
        product=product(serial),
        survey_id=f"S-{serial}",
        customer=Customer(customer_id="K2", country="CN", language="zh", timezone="Asia/Shanghai"),
        dealer_id="D-7",
        nps=nps,
        csat=csat,
    )


def only(decision: Decision) -> CaseState:
    assert len(decision.cases) == 1, decision.cases
    return decision.cases[0]

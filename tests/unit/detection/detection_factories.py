"""Builders for detection tests: events, observations and count series from plain numbers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from pipeline.detection import DayCount, InMemoryCountStore, Observation, Signature
from pipeline.detection.model import count_increments
from schemas.feedback import ComplaintFiled
from schemas.parts import ProductRef
from schemas.repairs import PartReplaced, RepairCompleted

D0 = date(2020, 1, 1)


def at(day: date | int) -> datetime:
    """Midnight UTC of a date, or of day number ``n`` after D0."""
    if isinstance(day, int):
        day = D0 + timedelta(days=day)
    return datetime.combine(day, time(0), tzinfo=UTC)


def complaint(
    component: str | None = "ENGINE:COOLING:PUMP",
    *,
    text: str | None = None,
    crash: bool = False,
    brand: str = "Acme",
    model: str = "Roadster",
    variant: str | None = "2020",
    day: int = 0,
    complaint_id: str | None = None,
) -> ComplaintFiled:
    return ComplaintFiled(
        event_id=uuid.uuid4(),
        occurred_at=at(day),
        source="test",
        product=ProductRef(brand=brand, model=model, variant=variant, serial="VIN1"),
        complaint_id=complaint_id or f"C{uuid.uuid4().hex[:8]}",
        market="DE",
        text=text,
        component=component,
        crash=crash,
    )


def repair_event(component: str = "BRAKES:PADS", diagnosis: str | None = None) -> RepairCompleted:
    return RepairCompleted(
        event_id=uuid.uuid4(),
        occurred_at=at(3),
        source="test",
        repair_id="R1",
        product=ProductRef(brand="Acme", model="Roadster", variant="2020", serial="VIN9"),
        market="CN",
        component=component,
        diagnosis=diagnosis,
        parts=[PartReplaced(part_number="P-1", supplier="S", genuine=False)],
    )


def observation(
    day: int,
    *,
    model: str = "Roadster",
    variant: str | None = "2020",
    component: str = "ENGINE",
    severe: bool = False,
    event_id: str | None = None,
) -> Observation:
    return Observation(
        event_id=event_id or uuid.uuid4().hex,
        at=at(day),
        brand="Acme",
        model=model,
        variant=variant,
        component=component,
        kind="complaint",
        severe=severe,
        market="DE",
    )


def observations_from_counts(
    daily: Sequence[int] | np.ndarray,
    *,
    model: str = "Roadster",
    variant: str | None = "2020",
    component: str = "ENGINE",
    first_day: int = 0,
) -> list[Observation]:
    """One observation per unit of ``daily[i]`` on day ``first_day + i``; ids are reproducible."""
    out = []
    for offset, count in enumerate(daily):
        for k in range(int(count)):
            day = first_day + offset
            out.append(
                observation(
                    day,
                    model=model,
                    variant=variant,
                    component=component,
                    event_id=f"{model}-{variant}-{component}-{day}-{k}",
                )
            )
    return out


def store_of(observations: Iterable[Observation]) -> InMemoryCountStore:
    store = InMemoryCountStore()
    store.add(count_increments(observations))
    return store


def signature(
    model: str = "Roadster", variant: str = "2020", component: str = "ENGINE"
) -> Signature:
    return Signature("Acme", model, variant, component)


def day_count(n: int, severe: int = 0) -> DayCount:
    return DayCount(n, severe)

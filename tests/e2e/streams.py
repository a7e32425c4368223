"""Streams of valid events for end-to-end tests (deterministic ids, several event types)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.events import InboundEvent
from tests.helpers import CUSTOMER, make

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def service_stream(n: int, first_id: int = 1) -> list[InboundEvent]:
    """``n`` events: tickets opened and resolved, repairs and surveys on 500 units."""
    events: list[InboundEvent] = []
    for i in range(n):
        k = first_id + i
        serial = f"SN-{i % 500:04d}"
        product = {"brand": "Acme", "model": "Cool 3000", "variant": "2024", "serial": serial}
        at = T0 + timedelta(minutes=7 * i)
        kind = i % 4
        if kind == 0:
            events.append(
                make(
                    "ticket.opened",
                    k,
                    at,
                    ticket_id=f"T-{i}",
                    product=product,
                    customer=CUSTOMER,
                    market="DE",
                    channel="phone",
                )
            )
        elif kind == 1:
            events.append(
                make(
                    "ticket.resolved",
                    k,
                    at,
                    ticket_id=f"T-{i - 1}",
                    product=product,
                    resolution="ok",
                )
            )
        elif kind == 2:
            events.append(
                make(
                    "repair.completed",
                    k,
                    at,
                    repair_id=f"R-{i}",
                    product=product,
                    market="DE",
                    component="HVAC:COMPRESSOR",
                    parts=[{"part_number": "P-1", "supplier": "S", "genuine": i % 3 != 0}],
                )
            )
        else:
            events.append(
                make(
                    "survey.answered",
                    k,
                    at,
                    survey_id=f"S-{i}",
                    product=product,
                    customer=CUSTOMER,
                    csat=1 + i % 5,
                    nps=i % 11,
                )
            )
    return events


def complaint_stream(first_id: int = 1) -> list[InboundEvent]:
    """A year of sparse complaints on several parts, then a burst on one compressor."""
    start = datetime(2023, 1, 2, tzinfo=UTC)
    events: list[InboundEvent] = []
    n = first_id
    components = ["BRAKES", "ELECTRICAL", "BODY", "STEERING", "HVAC"]
    for day in range(0, 365, 61):
        for i, component in enumerate(components):
            events.append(
                _complaint(n, start + timedelta(days=day, hours=i), f"Model {i % 2}", component)
            )
            n += 1
    for k in range(40):
        events.append(_complaint(n, start + timedelta(days=380 + k), "Model 0", "HVAC:COMPRESSOR"))
        n += 1
    return events


def _complaint(n: int, at: datetime, model: str, component: str) -> InboundEvent:
    return make(
        "complaint.filed",
        n,
        at,
        complaint_id=f"C-{n}",
        product={"brand": "Acme", "model": model, "variant": "2022"},
        market="US",
        component=component,
    )

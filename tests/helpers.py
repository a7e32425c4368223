"""Builders of valid events for tests (explicit values, no randomness)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from schemas.codec import encode
from schemas.events import INBOUND, InboundEvent

PRODUCT = {"brand": "Acme", "model": "Cool 3000", "variant": "2024", "serial": "SN-1"}
CUSTOMER = {"customer_id": "C-1", "country": "DE", "language": "de", "timezone": "Europe/Berlin"}


def event_id(n: int) -> str:
    return str(uuid.UUID(int=n))


def make(event_type: str, n: int, at: datetime | None = None, **fields: Any) -> InboundEvent:
    """A valid event of ``event_type`` with id ``n`` and the given fields."""
    payload = {
        "event_id": event_id(n),
        "event_type": event_type,
        "occurred_at": (at or datetime(2024, 3, 1, 9, 0, tzinfo=UTC)).isoformat(),
        "source": "test",
        **fields,
    }
    return INBOUND.validate_python(payload)


def ticket_opened(n: int, ticket_id: str = "T-1", **kw: Any) -> InboundEvent:
    fields = {
        "ticket_id": ticket_id,
        "product": PRODUCT,
        "customer": CUSTOMER,
        "market": "DE",
        "channel": "phone",
    }
    fields.update(kw)
    return make("ticket.opened", n, **fields)


def raw(event: InboundEvent) -> bytes:
    return encode(event)

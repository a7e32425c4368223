"""Builders of valid events for tests (explicit values, no randomness)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pipeline.jobs.batch.decode import Triaged
from pipeline.jobs.batch.handle import Steps, handle_batch
from pipeline.jobs.batch.model import BatchOutcome
from pipeline.warehouse.unit_of_work import SqlUnitOfWork
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


REPO = Path(__file__).parents[1]


def aftersales(
    args: list[str], cwd: Path, timeout_s: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would: only the given AFTERSALES_* settings, 80 columns."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env={**clean, "PYTHONPATH": str(REPO), "COLUMNS": "80", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def write_batch(
    session: Session,
    batch: Triaged,
    *,
    now: datetime,
    deadletter_topic: str,
    steps: Steps | None = None,
    claimant: str | None = None,
) -> BatchOutcome:
    """One decoded batch through the batch's sequence in the caller's transaction."""
    return handle_batch(
        SqlUnitOfWork(session),
        batch,
        steps or Steps(),
        now=now,
        deadletter_topic=deadletter_topic,
        claimant=claimant,
    )

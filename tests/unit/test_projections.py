"""Ticket rows fold their events the same way whatever order the events arrive in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from pipeline.jobs.batch.projections import fold_tickets
from tests.helpers import PRODUCT, make, ticket_opened

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _lifecycle() -> list:
    return [
        ticket_opened(1, at=T0),
        make(
            "ticket.assigned",
            2,
            T0 + timedelta(hours=2),
            ticket_id="T-1",
            product=PRODUCT,
            assignee="tech-7",
        ),
        make(
            "ticket.resolved",
            3,
            T0 + timedelta(days=1),
            ticket_id="T-1",
            product=PRODUCT,
            resolution="pump replaced",
        ),
        make(
            "ticket.closed", 4, T0 + timedelta(days=2), ticket_id="T-1", product=PRODUCT, rating=4
        ),
    ]


def test_a_ticket_row_does_not_depend_on_arrival_order() -> None:
    results = {
        tuple(sorted(fold_tickets({}, list(order))["T-1"].items()))
        for order in itertools.permutations(_lifecycle())
    }
    assert len(results) == 1
    row = dict(next(iter(results)))
    assert row["status"] == "closed"
    assert row["opened_at"] == T0
    assert row["first_response_at"] == T0 + timedelta(hours=2)
    assert row["rating"] == 4


def test_a_repair_event_arriving_before_the_ticket_is_folded_later() -> None:
    first = fold_tickets({}, [_lifecycle()[2]])
    assert first["T-1"]["status"] == "resolved"
    assert first["T-1"]["opened_at"] is None
    later = fold_tickets(first, [_lifecycle()[0]])
    assert later["T-1"]["status"] == "resolved"
    assert later["T-1"]["opened_at"] == T0

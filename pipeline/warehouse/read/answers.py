"""Scored survey and call-back answers, placed by the unit or dealer when the answer lacks it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, or_, select
from sqlalchemy.orm import Session

from pipeline.reports.readings import Answer
from pipeline.warehouse.tables import DealerRow, FeedbackRow, RepairRow, TicketRow, UnitRow


def scored_answers(
    session: Session,
    *,
    since: datetime | None = None,
    brand: str | None = None,
    model: str | None = None,
) -> list[Answer]:
    """Answers with a CSAT or NPS score, oldest first, on or after ``since``.

    A follow-up call names no dealer or market, and a survey may not either; rather than count
    them as "unknown", the dealer is the answer's own, else the one of the service it is about
    (its ticket, then its repair), else the one that last serviced the unit before the answer,
    else the one that sold the unit. The market is the answer's own, else the unit's market of
    sale, else that dealer's registered country. Read at query time, so reference events that
    arrive after the answer still place it.
    """
    f = FeedbackRow
    dealer = func.coalesce(
        f.dealer_id,
        _first(TicketRow.dealer_id, TicketRow.ticket_id == f.ticket_id),
        _first(RepairRow.dealer_id, RepairRow.repair_id == f.repair_id),
        _first(
            RepairRow.dealer_id,
            RepairRow.serial == f.serial,
            RepairRow.occurred_at <= f.occurred_at,
            latest=(RepairRow.occurred_at, RepairRow.event_id),
        ),
        _first(
            TicketRow.dealer_id,
            TicketRow.serial == f.serial,
            TicketRow.opened_at <= f.occurred_at,
            latest=(TicketRow.opened_at, TicketRow.ticket_id),
        ),
        UnitRow.dealer_id,
    )
    query = (
        select(
            f.event_id,
            f.occurred_at,
            f.csat,
            f.nps,
            func.coalesce(f.market, UnitRow.market).label("market"),
            dealer.label("dealer_id"),
        )
        .outerjoin(UnitRow, UnitRow.serial == f.serial)
        .where(or_(f.csat.is_not(None), f.nps.is_not(None)))
    )
    if since is not None:
        query = query.where(f.occurred_at >= since)
    if brand is not None:
        query = query.where(f.brand == brand)
    if model is not None:
        query = query.where(f.model == model)
    placed = query.subquery()
    rows = session.execute(
        select(
            func.coalesce(placed.c.market, DealerRow.country),
            placed.c.dealer_id,
            placed.c.occurred_at,
            placed.c.csat,
            placed.c.nps,
        )
        .outerjoin(DealerRow, DealerRow.dealer_id == placed.c.dealer_id)
        .order_by(placed.c.occurred_at, placed.c.event_id)
    )
    return [Answer(m, d, at, c, n) for m, d, at, c, n in rows]


def _first(
    column: Any, *where: ColumnElement[bool], latest: Sequence[Any] = ()
) -> ScalarSelect[Any]:
    """The non-null ``column`` of the matching row, the last in ``latest`` order if several."""
    query = select(column).where(column.is_not(None), *where)
    return query.order_by(*(c.desc() for c in latest)).limit(1).scalar_subquery()

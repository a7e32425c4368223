"""Project archived events onto the warehouse's typed rows (pure: events in, row dicts out)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pipeline.enrichment import Enrichment
from pipeline.jobs.batch.ports import Row, Rows
from schemas.events import InboundEvent
from schemas.feedback import (
    CommentPosted,
    ComplaintFiled,
    ComplaintResolutionConfirmed,
    ComplaintUpdated,
    FollowUpCallMade,
    SurveyAnswered,
)
from schemas.reference import (
    DealerRegistered,
    ProductModelRegistered,
    RecallAnnounced,
    UnitSold,
    UnitsSold,
)
from schemas.repairs import RepairCompleted
from schemas.tickets import TicketEvent, TicketOpened

TICKET_STATUS = {
    "ticket.opened": "open",
    "ticket.assigned": "assigned",
    "ticket.escalated": "escalated",
    "ticket.resolved": "resolved",
    "ticket.closed": "closed",
    "ticket.reopened": "reopened",
}

# On equal event times the later lifecycle stage wins, so the fold is independent of arrival order.
_RANK = {"open": 0, "assigned": 1, "escalated": 2, "reopened": 3, "resolved": 4, "closed": 5}


def project(event: InboundEvent, enrichment: Enrichment | None, out: Rows) -> None:
    """Append the rows one new event contributes to ``out`` (table name -> rows)."""
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(event, enrichment, out)
    if isinstance(event, TicketEvent):
        out["ticket_status_history"].append(
            {
                "event_id": event.id_text,
                "ticket_id": event.ticket_id,
                "status": TICKET_STATUS[event.event_type],
                "at": event.occurred_at,
                "detail": getattr(event, "reason", None) or getattr(event, "resolution", None),
            }
        )


def new_rows() -> Rows:
    return defaultdict(list)


def _product(p: Any) -> Row:
    return {"brand": p.brand, "model": p.model, "variant": p.variant, "serial": p.serial}


def _customer(c: Any, at: datetime) -> Row:
    return {
        "customer_id": c.customer_id,
        "country": c.country,
        "language": c.language,
        "timezone": c.timezone,
        "first_seen_at": at,
    }


def _ticket_opened(e: TicketOpened, _en: Enrichment | None, out: Rows) -> None:
    out["customers"].append(_customer(e.customer, e.occurred_at))


def _repair(e: RepairCompleted, en: Enrichment | None, out: Rows) -> None:
    eid = e.id_text
    genuine = sum(p.quantity for p in e.parts if p.genuine)
    other = sum(p.quantity for p in e.parts if not p.genuine)
    out["repairs"].append(
        {
            "event_id": eid,
            "repair_id": e.repair_id,
            "ticket_id": e.ticket_id,
            **_product(e.product),
            "customer_id": e.customer_id,
            "market": e.market,
            "dealer_id": e.dealer_id,
            "technician_id": e.technician_id,
            "component": e.component,
            "failure_code": e.failure_code,
            "failure_mode": e.failure_mode or (en.failure_mode if en else None),
            "outcome": e.outcome,
            "labour_hours": e.labour_hours,
            "cost_reporting": (en.total_cost if en else None),
            "genuine_parts": genuine,
            "non_genuine_parts": other,
            "warranty_status": (en.warranty_status if en else None),
            "months_in_service": (en.months_in_service if en else None),
            "repeat_of": (en.repeat_of if en else None),
            "occurred_at": e.occurred_at,
        }
    )
    for position, part in enumerate(e.parts):
        out["repair_parts"].append(
            {
                "repair_event_id": eid,
                "position": position,
                "part_number": part.part_number,
                "supplier": part.supplier,
                "genuine": part.genuine,
                "quantity": part.quantity,
                "unit_cost": part.unit_cost.amount if part.unit_cost else None,
                "currency": part.unit_cost.currency if part.unit_cost else None,
            }
        )


def _feedback_row(e: Any, kind: str, **values: Any) -> Row:
    row: Row = {
        "event_id": e.id_text,
        "kind": kind,
        **_product(e.product),
        "customer_id": None,
        "dealer_id": None,
        "market": None,
        "ticket_id": None,
        "repair_id": None,
        "complaint_id": None,
        "csat": None,
        "nps": None,
        "reached": None,
        "outcome": None,
        "text": None,
        "language": None,
        "occurred_at": e.occurred_at,
    }
    row.update(values)
    return row


def _survey(e: SurveyAnswered, _en: Enrichment | None, out: Rows) -> None:
    out["customers"].append(_customer(e.customer, e.occurred_at))
    out["feedback"].append(
        _feedback_row(
            e,
            "survey",
            customer_id=e.customer.customer_id,
            dealer_id=e.dealer_id,
            market=e.customer.country,
            ticket_id=e.ticket_id,
            repair_id=e.repair_id,
            csat=e.csat,
            nps=e.nps,
            text=e.comment,
            language=e.language or e.customer.language,
        )
    )


def _call(e: FollowUpCallMade, _en: Enrichment | None, out: Rows) -> None:
    out["feedback"].append(
        _feedback_row(
            e,
            "followup_call",
            customer_id=e.customer_id,
            ticket_id=e.ticket_id,
            repair_id=e.repair_id,
            csat=e.csat,
            nps=e.nps,
            reached=e.reached,
            outcome=e.outcome,
            text=e.notes,
            language=e.language,
        )
    )


def _comment(e: CommentPosted, _en: Enrichment | None, out: Rows) -> None:
    out["customers"].append(_customer(e.customer, e.occurred_at))
    out["feedback"].append(
        _feedback_row(
            e,
            "comment",
            customer_id=e.customer.customer_id,
            market=e.customer.country,
            text=e.text,
            language=e.language or e.customer.language,
        )
    )


def _complaint(e: ComplaintFiled, en: Enrichment | None, out: Rows) -> None:
    if e.customer is not None:
        out["customers"].append(_customer(e.customer, e.occurred_at))
    out["complaints"].append(
        {
            "event_id": e.id_text,
            "complaint_id": e.complaint_id,
            **_product(e.product),
            "customer_id": e.customer.customer_id if e.customer else None,
            "market": e.market,
            "dealer_id": e.dealer_id,
            "component": e.component,
            "component_inferred": (en.component_inferred if en else None),
            "failure_mode": (en.failure_mode if en else None),
            "crash": e.crash,
            "fire": e.fire,
            "injuries": e.injuries,
            "deaths": e.deaths,
            "text": e.text,
            "language": e.language or (en.language_detected if en else None),
            "occurred_at": e.occurred_at,
        }
    )


def _complaint_update(e: ComplaintUpdated, _en: Enrichment | None, out: Rows) -> None:
    out["feedback"].append(
        _feedback_row(e, "complaint_update", complaint_id=e.complaint_id, text=e.note)
    )


def _confirmation(e: ComplaintResolutionConfirmed, _en: Enrichment | None, out: Rows) -> None:
    out["feedback"].append(
        _feedback_row(
            e,
            "resolution_confirmation",
            complaint_id=e.complaint_id,
            customer_id=e.customer_id,
            outcome="resolved" if e.resolved else "not_resolved",
            text=e.comment,
        )
    )


def _model(e: ProductModelRegistered, _en: Enrichment | None, out: Rows) -> None:
    key = {"brand": e.brand, "model": e.model, "variant": e.variant or ""}
    out["product_models"].append({**key, "category": e.category, "registered_at": e.occurred_at})
    out["product_components"].extend({**key, "code": c.code, "name": c.name} for c in e.components)


def _dealer(e: DealerRegistered, en: Enrichment | None, out: Rows) -> None:
    out["dealers"].append(
        {
            "dealer_id": e.dealer_id,
            "name": e.name,
            "country": e.country,
            "ownership": e.ownership,
            "group": e.group,
            "region": (en.region if en else None),
        }
    )


def _units_sold(e: UnitsSold, _en: Enrichment | None, out: Rows) -> None:
    out["units_sold"].append(
        {
            "brand": e.brand,
            "model": e.model,
            "variant": e.variant or "",
            "market": e.market,
            "month": e.month,
            "count": e.count,
            "reported_at": e.occurred_at,
        }
    )


def _unit_sold(e: UnitSold, _en: Enrichment | None, out: Rows) -> None:
    if e.customer is not None:
        out["customers"].append(_customer(e.customer, e.occurred_at))
    out["units"].append(
        {
            **_product(e.product),
            "lot": e.product.lot,
            "market": e.market,
            "dealer_id": e.dealer_id,
            "customer_id": e.customer.customer_id if e.customer else None,
            "sold_on": e.sold_on,
        }
    )


def _recall(e: RecallAnnounced, _en: Enrichment | None, out: Rows) -> None:
    out["recalls"].append(
        {
            "event_id": e.id_text,
            "recall_id": e.recall_id,
            "kind": e.kind,
            "brand": e.brand,
            "model": e.model,
            "variants": list(e.variants),
            "component": e.component,
            "market": e.market,
            "announced_on": e.announced_on,
            "units_affected": e.units_affected,
            "summary": e.summary,
        }
    )


_HANDLERS: dict[type, Any] = {
    TicketOpened: _ticket_opened,
    RepairCompleted: _repair,
    SurveyAnswered: _survey,
    FollowUpCallMade: _call,
    CommentPosted: _comment,
    ComplaintFiled: _complaint,
    ComplaintUpdated: _complaint_update,
    ComplaintResolutionConfirmed: _confirmation,
    ProductModelRegistered: _model,
    DealerRegistered: _dealer,
    UnitsSold: _units_sold,
    UnitSold: _unit_sold,
    RecallAnnounced: _recall,
}


def merge_ticket(current: Row | None, event: TicketEvent) -> Row:
    """Fold one ticket event into the ticket's row; the result does not depend on arrival order."""
    row: Row = dict(current) if current else _empty_ticket(event)
    at = event.occurred_at
    if isinstance(event, TicketOpened):
        row.update(
            customer_id=event.customer.customer_id,
            dealer_id=event.dealer_id or row.get("dealer_id"),
            market=event.market,
            channel=event.channel,
            priority=event.priority,
            component=event.component,
            sla_due_at=event.sla_due_at,
            opened_at=_earliest(row.get("opened_at"), at),
        )
    kind = event.event_type
    if kind in ("ticket.assigned", "ticket.escalated", "ticket.resolved"):
        row["first_response_at"] = _earliest(row.get("first_response_at"), at)
    if kind == "ticket.assigned" and getattr(event, "dealer_id", None):
        row["dealer_id"] = event.dealer_id  # type: ignore[attr-defined]
    if kind == "ticket.resolved":
        row["resolved_at"] = _latest(row.get("resolved_at"), at)
    if kind == "ticket.closed":
        row["closed_at"] = _latest(row.get("closed_at"), at)
        row["rating"] = event.rating if event.rating is not None else row.get("rating")  # type: ignore[attr-defined]
    if kind == "ticket.reopened":
        row["reopen_count"] = (row.get("reopen_count") or 0) + 1
    status = TICKET_STATUS[kind]
    if row.get("status_at") is None or (at, _RANK[status]) >= (
        row["status_at"],
        _RANK[row["status"]],
    ):
        row["status"], row["status_at"] = status, at
    return row


def _empty_ticket(event: TicketEvent) -> Row:
    return {
        "ticket_id": event.ticket_id,
        "serial": event.product.serial,
        "brand": event.product.brand,
        "model": event.product.model,
        "variant": event.product.variant,
        "customer_id": None,
        "dealer_id": None,
        "market": None,
        "channel": None,
        "priority": None,
        "component": None,
        "status": TICKET_STATUS[event.event_type],
        "status_at": None,
        "opened_at": None,
        "first_response_at": None,
        "resolved_at": None,
        "closed_at": None,
        "sla_due_at": None,
        "rating": None,
        "reopen_count": 0,
    }


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _latest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a


def fold_tickets(current: Mapping[str, Row], events: Sequence[TicketEvent]) -> dict[str, Row]:
    """Fold a batch of ticket events into their rows (only tickets touched are returned).

    Events are folded in the order given, arrival order, as batches of one would fold them: the
    fields where the last event wins (dealer, customer, rating) then do not depend on batch size.
    """
    rows: dict[str, Row] = {}
    for event in events:
        rows[event.ticket_id] = merge_ticket(
            rows.get(event.ticket_id) or current.get(event.ticket_id), event
        )
    return rows

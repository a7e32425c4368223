"""The SQL side of erasure and access: every table and column that holds a customer's data."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Table, delete, or_, select, update
from sqlalchemy.orm import Session

from pipeline.privacy import ERASED_TEXT, erase_body, replace_strings
from pipeline.warehouse import tables as t
from pipeline.warehouse.upsert import insert_ignore

CUSTOMER_ID_TABLES: Final = (
    t.TicketRow,
    t.RepairRow,
    t.FeedbackRow,
    t.ComplaintRow,
    t.UnitRow,
    t.CaseRow,
    t.FollowUpRow,
)
"""Tables with a customer_id column (besides customers itself, whose key it is)."""

PENDING_FOLLOWUPS: Final = ("scheduled", "attempted")
"""Follow-up statuses that may still lead to a call: an erased customer is not called."""

_SCAN_CHUNK: Final = 500
_ERASED_TIMEZONE: Final = "UTC"
"""An erased customer's time zone: a city-level zone narrows down where they live."""


def erased_among(session: Session, pseudonyms: Collection[str]) -> set[str]:
    """The pseudonyms among ``pseudonyms`` whose customers were erased."""
    if not pseudonyms:
        return set()
    row = t.ErasedCustomerRow
    return set(session.scalars(select(row.pseudonym).where(row.pseudonym.in_(set(pseudonyms)))))


def erase_customer(
    session: Session,
    customer_id: str,
    pseudonym: str,
    *,
    request_event_id: str,
    now: datetime,
    keep_topics: Collection[str] = (),
) -> dict[str, int]:
    """Erase one customer everywhere, in the caller's transaction; rows touched by table.

    Ids become ``pseudonym`` (counts, KPIs and detector series stay true), free texts become
    ERASED_TEXT, archived bodies are rewritten, dead letters and unsent messages that name the
    customer are removed (but those on ``keep_topics``: earlier erasure confirmations), pending
    follow-ups are dropped. Running it twice changes nothing more.
    """
    touched: dict[str, int] = {}

    def count(table: str, n: int) -> None:
        if n:
            touched[table] = touched.get(table, 0) + n

    count("customers", _customer_row(session, customer_id, pseudonym))
    for row in CUSTOMER_ID_TABLES:
        done = session.execute(
            update(row).where(row.customer_id == customer_id).values(customer_id=pseudonym)
        )
        count(row.__tablename__, done.rowcount)  # type: ignore[attr-defined]  # CursorResult
    tickets = set(session.scalars(select(t.TicketRow.ticket_id).where(_of(t.TicketRow, pseudonym))))
    complaints = set(
        session.scalars(select(t.ComplaintRow.complaint_id).where(_of(t.ComplaintRow, pseudonym)))
    )
    count("ticket_status_history", _erase_texts(session, t.TicketStatusRow, "detail",
        t.TicketStatusRow.ticket_id.in_(tickets)))  # fmt: skip
    feedback = or_(_of(t.FeedbackRow, pseudonym), t.FeedbackRow.complaint_id.in_(complaints))
    count("feedback", _erase_texts(session, t.FeedbackRow, "text", feedback))
    count(
        "complaints",
        _erase_texts(session, t.ComplaintRow, "text", _of(t.ComplaintRow, pseudonym)),
    )
    count("cases", _rewrite_states(session, t.CaseRow, customer_id, pseudonym, drop=False))
    count("followups", _rewrite_states(session, t.FollowUpRow, customer_id, pseudonym, drop=True))
    count("case_timeline", _timeline(session, customer_id, pseudonym))
    count("events", _events(session, customer_id, pseudonym, tickets, complaints))
    count("dead_letters", _delete_naming(session, t.DeadLetterRow, customer_id))
    count("outbox", _delete_naming(session, t.OutboxRow, customer_id, keep_topics))
    insert_ignore(
        session,
        t.ErasedCustomerRow.__table__,  # type: ignore[arg-type]  # a Table, typed as FromClause
        [{"pseudonym": pseudonym, "erased_at": now, "request_event_id": request_event_id}],
    )
    return touched


def cancel_followups(session: Session, customer_ids: Collection[str]) -> int:
    """Drop the pending follow-ups of these (erased) customers; how many were dropped."""
    if not customer_ids:
        return 0
    row = t.FollowUpRow
    found = session.execute(
        select(row.followup_id, row.state).where(
            row.customer_id.in_(set(customer_ids)), row.status.in_(PENDING_FOLLOWUPS)
        )
    ).all()
    for followup_id, state in found:
        session.execute(
            update(row)
            .where(row.followup_id == followup_id)
            .values(status="dropped", state={**state, "status": "dropped"})
        )
    return len(found)


def export_customer(session: Session, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row the warehouse holds about one customer, by table (a subject-access request)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in (t.CustomerRow, *CUSTOMER_ID_TABLES):
        table: Table = row.__table__  # type: ignore[assignment]  # a Table, typed as FromClause
        found = session.execute(select(table).where(table.c.customer_id == customer_id))
        out[table.name] = [dict(r) for r in found.mappings()]
    tickets = [r["ticket_id"] for r in out["tickets"]]
    complaints = [r["complaint_id"] for r in out["complaints"]]
    cases = [r["case_id"] for r in out["cases"]]
    history: Table = t.TicketStatusRow.__table__  # type: ignore[assignment]
    timeline: Table = t.CaseTimelineRow.__table__  # type: ignore[assignment]
    feedback: Table = t.FeedbackRow.__table__  # type: ignore[assignment]
    out["ticket_status_history"] = _rows(session, history, history.c.ticket_id.in_(tickets))
    out["case_timeline"] = _rows(session, timeline, timeline.c.case_id.in_(cases))
    extra = _rows(session, feedback, feedback.c.complaint_id.in_(complaints))
    known = {r["event_id"] for r in out["feedback"]}
    out["feedback"] += [r for r in extra if r["event_id"] not in known]
    events: Table = t.ArchivedEvent.__table__  # type: ignore[assignment]
    ids = _event_ids(session, customer_id, set(tickets), set(complaints))
    out["events"] = _rows(session, events, events.c.event_id.in_(ids))
    out["dead_letters"] = [
        {c: getattr(r, c) for c in ("dead_letter_id", "reason", "topic", "received_at", "value")}
        for r in _naming(session, t.DeadLetterRow, customer_id)
    ]
    return out


def _of(row: Any, customer_id: str) -> Any:
    return row.customer_id == customer_id


def _rows(session: Session, table: Table, where: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(select(table).where(where)).mappings()]


def _customer_row(session: Session, customer_id: str, pseudonym: str) -> int:
    table: Table = t.CustomerRow.__table__  # type: ignore[assignment]
    found = session.execute(select(table).where(table.c.customer_id == customer_id)).mappings()
    rows = [dict(r) for r in found]
    if not rows:
        return 0
    session.execute(delete(table).where(table.c.customer_id == customer_id))
    # The pseudonymous row keeps the coarse facts KPIs group by; the city-level zone goes.
    insert_ignore(
        session, table, [{**rows[0], "customer_id": pseudonym, "timezone": _ERASED_TIMEZONE}]
    )
    return 1


def _erase_texts(session: Session, row: Any, column: str, where: Any) -> int:
    col = getattr(row, column)
    done = session.execute(
        update(row).where(where, col.is_not(None), col != ERASED_TEXT).values({column: ERASED_TEXT})
    )
    return int(done.rowcount)  # type: ignore[attr-defined]  # CursorResult


def _rewrite_states(
    session: Session, row: Any, customer_id: str, pseudonym: str, *, drop: bool
) -> int:
    """Rewrite the JSON state of the customer's cases or follow-ups (it is what the case book
    loads); pending follow-ups are dropped on the way."""
    found = session.execute(select(row).where(row.customer_id == pseudonym)).scalars().all()
    for item in found:
        state = replace_strings(item.state, customer_id, pseudonym)
        if drop:  # a follow-up: the call is off, and its time zone says where they live
            if item.status in PENDING_FOLLOWUPS:
                item.status = state["status"] = "dropped"
            item.timezone = state["timezone"] = _ERASED_TIMEZONE
        item.state = state
    session.flush()
    return len(found)


def _timeline(session: Session, customer_id: str, pseudonym: str) -> int:
    cases = select(t.CaseRow.case_id).where(t.CaseRow.customer_id == pseudonym)
    rows = session.scalars(
        select(t.CaseTimelineRow).where(
            t.CaseTimelineRow.case_id.in_(cases), t.CaseTimelineRow.note.contains(customer_id)
        )
    ).all()
    for r in rows:
        r.note = (r.note or "").replace(customer_id, pseudonym)
    session.flush()
    return len(rows)


def _event_ids(
    session: Session, customer_id: str, tickets: Collection[str], complaints: Collection[str]
) -> set[str]:
    """Archived events about the customer: those naming them, and the events of their tickets
    and complaints that do not (a ticket.resolved, a complaint.updated)."""
    ev = t.ArchivedEvent
    needle = json.dumps(customer_id)[1:-1]  # as the id appears inside the JSON text
    ids = set(
        session.scalars(select(ev.event_id).where(ev.payload.contains(needle, autoescape=True)))
    )
    ids |= set(
        session.scalars(
            select(t.TicketStatusRow.event_id).where(t.TicketStatusRow.ticket_id.in_(tickets))
        )
    )
    ids |= set(
        session.scalars(
            select(t.FeedbackRow.event_id).where(t.FeedbackRow.complaint_id.in_(complaints))
        )
    )
    return ids


def _events(
    session: Session,
    customer_id: str,
    pseudonym: str,
    tickets: Collection[str],
    complaints: Collection[str],
) -> int:
    ids = sorted(_event_ids(session, customer_id, tickets, complaints))
    changed = 0
    for start in range(0, len(ids), _SCAN_CHUNK):
        chunk = ids[start : start + _SCAN_CHUNK]
        for row in session.scalars(
            select(t.ArchivedEvent).where(t.ArchivedEvent.event_id.in_(chunk))
        ):
            body = erase_body(json.loads(row.payload), {customer_id: pseudonym})
            payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            payload = payload.replace(customer_id, pseudonym)
            enrichment = replace_strings(row.enrichment, customer_id, pseudonym)
            if payload != row.payload or enrichment != row.enrichment:
                row.payload, row.enrichment = payload, enrichment
                changed += 1
        session.flush()
    return changed


def _naming(session: Session, row: Any, customer_id: str) -> Iterable[Any]:
    """Rows of dead_letters or outbox whose key, value or headers carry the customer id."""
    needles = {customer_id.encode(), json.dumps(customer_id).encode()[1:-1]}
    query = select(row).execution_options(yield_per=_SCAN_CHUNK)
    for item in session.scalars(query):
        blob = b"".join(
            (item.key or b"", b"\0", item.value or b"", b"\0", json.dumps(item.headers).encode())
        )
        if any(n in blob for n in needles):
            yield item


def _delete_naming(
    session: Session, row: Any, customer_id: str, keep_topics: Collection[str] = ()
) -> int:
    # Raw bytes cannot be rewritten safely (they failed to decode once already): they go.
    doomed = [i for i in _naming(session, row, customer_id) if i.topic not in keep_topics]
    for item in doomed:
        session.delete(item)
    session.flush()
    return len(doomed)

"""ORM tables of the feedback warehouse (the customer archive). Wire models never live here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite, which keeps no offset, gives them back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the warehouse; all datetimes must be aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Id = String(64)
Code = String(120)
NameT = String(128)
Ts = UtcDateTime()


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: Ts}  # noqa: RUF012 - SQLAlchemy API


class ArchivedEvent(Base):
    """Every accepted inbound event, verbatim: the idempotency anchor (one row per event_id)."""

    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # No index on event_type: nothing reads the archive by it alone, and every event paid for
    # it (bytes and a B-tree insert). The key (a unit's serial) finds a unit's earlier
    # sightings for the case book.
    event_type: Mapped[str] = mapped_column(String(48))
    occurred_at: Mapped[datetime] = mapped_column(Ts, index=True)
    archived_at: Mapped[datetime] = mapped_column(Ts)
    source: Mapped[str] = mapped_column(NameT)
    key: Mapped[str | None] = mapped_column(String(200), index=True)
    topic: Mapped[str] = mapped_column(NameT)
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None] = mapped_column(Ts)
    """The Kafka record timestamp: when the producer published it."""
    payload: Mapped[str] = mapped_column(Text)
    """The event as validated, JSON text (the archive copy; typed tables hold the fields)."""
    enrichment: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CustomerRow(Base):
    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(Id, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(35))
    timezone: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(Ts)


class UnitRow(Base):
    """One physical unit (serial) and what is known of its sale."""

    __tablename__ = "units"
    serial: Mapped[str] = mapped_column(Id, primary_key=True)
    brand: Mapped[str] = mapped_column(NameT)
    model: Mapped[str] = mapped_column(NameT)
    variant: Mapped[str | None] = mapped_column(NameT)
    lot: Mapped[str | None] = mapped_column(Id)
    market: Mapped[str | None] = mapped_column(String(2))
    dealer_id: Mapped[str | None] = mapped_column(Id)
    customer_id: Mapped[str | None] = mapped_column(Id)
    sold_on: Mapped[date | None] = mapped_column(Date)


class ProductModelRow(Base):
    __tablename__ = "product_models"
    brand: Mapped[str] = mapped_column(NameT, primary_key=True)
    model: Mapped[str] = mapped_column(NameT, primary_key=True)
    variant: Mapped[str] = mapped_column(NameT, primary_key=True, default="")
    category: Mapped[str] = mapped_column(Id)
    registered_at: Mapped[datetime] = mapped_column(Ts)


class ComponentRow(Base):
    __tablename__ = "product_components"
    brand: Mapped[str] = mapped_column(NameT, primary_key=True)
    model: Mapped[str] = mapped_column(NameT, primary_key=True)
    variant: Mapped[str] = mapped_column(NameT, primary_key=True, default="")
    code: Mapped[str] = mapped_column(Code, primary_key=True)
    name: Mapped[str | None] = mapped_column(NameT)


class DealerRow(Base):
    __tablename__ = "dealers"
    dealer_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(NameT)
    country: Mapped[str] = mapped_column(String(2))
    ownership: Mapped[str] = mapped_column(String(16))
    group: Mapped[str] = mapped_column(NameT)
    region: Mapped[str | None] = mapped_column(String(32))


class TicketRow(Base):
    """A service request; its status follows the latest event in event time, not arrival order."""

    __tablename__ = "tickets"
    ticket_id: Mapped[str] = mapped_column(Id, primary_key=True)
    serial: Mapped[str | None] = mapped_column(Id, index=True)
    brand: Mapped[str] = mapped_column(NameT)
    model: Mapped[str] = mapped_column(NameT)
    variant: Mapped[str | None] = mapped_column(NameT)
    customer_id: Mapped[str | None] = mapped_column(Id, index=True)
    dealer_id: Mapped[str | None] = mapped_column(Id, index=True)
    market: Mapped[str | None] = mapped_column(String(2))
    channel: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(16))
    component: Mapped[str | None] = mapped_column(Code)
    status: Mapped[str] = mapped_column(String(16))
    status_at: Mapped[datetime] = mapped_column(Ts)
    opened_at: Mapped[datetime | None] = mapped_column(Ts)
    first_response_at: Mapped[datetime | None] = mapped_column(Ts)
    resolved_at: Mapped[datetime | None] = mapped_column(Ts)
    closed_at: Mapped[datetime | None] = mapped_column(Ts)
    sla_due_at: Mapped[datetime | None] = mapped_column(Ts)
    rating: Mapped[int | None] = mapped_column(Integer)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)


class TicketStatusRow(Base):
    __tablename__ = "ticket_status_history"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(Id, index=True)
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(Ts)
    detail: Mapped[str | None] = mapped_column(Text)


class RepairRow(Base):
    __tablename__ = "repairs"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    repair_id: Mapped[str] = mapped_column(Id, index=True)
    ticket_id: Mapped[str | None] = mapped_column(Id, index=True)
    serial: Mapped[str | None] = mapped_column(Id, index=True)
    brand: Mapped[str] = mapped_column(NameT)
    model: Mapped[str] = mapped_column(NameT)
    variant: Mapped[str | None] = mapped_column(NameT)
    customer_id: Mapped[str | None] = mapped_column(Id)
    market: Mapped[str] = mapped_column(String(2))
    dealer_id: Mapped[str | None] = mapped_column(Id, index=True)
    technician_id: Mapped[str | None] = mapped_column(Id)
    component: Mapped[str] = mapped_column(Code)
    failure_code: Mapped[str | None] = mapped_column(Id)
    failure_mode: Mapped[str | None] = mapped_column(Id)
    outcome: Mapped[str] = mapped_column(String(16))
    labour_hours: Mapped[float] = mapped_column(Float)
    cost_reporting: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    genuine_parts: Mapped[int] = mapped_column(Integer, default=0)
    non_genuine_parts: Mapped[int] = mapped_column(Integer, default=0)
    warranty_status: Mapped[str | None] = mapped_column(String(16))
    months_in_service: Mapped[int | None] = mapped_column(Integer)
    repeat_of: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[datetime] = mapped_column(Ts, index=True)

    # A flag's evidence reads one model's recent repairs.
    __table_args__ = (Index("ix_repairs_model_occurred_at", "model", "occurred_at"),)


class RepairPartRow(Base):
    __tablename__ = "repair_parts"
    repair_event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    part_number: Mapped[str] = mapped_column(Id, index=True)
    supplier: Mapped[str] = mapped_column(NameT)
    genuine: Mapped[bool] = mapped_column(Boolean)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    currency: Mapped[str | None] = mapped_column(String(3))


class FeedbackRow(Base):
    """Surveys, follow-up calls, comments and complaint updates/confirmations."""

    __tablename__ = "feedback"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    serial: Mapped[str | None] = mapped_column(Id, index=True)
    brand: Mapped[str] = mapped_column(NameT)
    model: Mapped[str] = mapped_column(NameT)
    variant: Mapped[str | None] = mapped_column(NameT)
    customer_id: Mapped[str | None] = mapped_column(Id, index=True)
    dealer_id: Mapped[str | None] = mapped_column(Id)
    market: Mapped[str | None] = mapped_column(String(2))
    ticket_id: Mapped[str | None] = mapped_column(Id)
    repair_id: Mapped[str | None] = mapped_column(Id)
    complaint_id: Mapped[str | None] = mapped_column(Id, index=True)
    csat: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    reached: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    occurred_at: Mapped[datetime] = mapped_column(Ts, index=True)


class ComplaintRow(Base):
    __tablename__ = "complaints"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(Id, index=True)
    serial: Mapped[str | None] = mapped_column(Id, index=True)
    customer_id: Mapped[str | None] = mapped_column(Id)
    brand: Mapped[str] = mapped_column(NameT)
    model: Mapped[str] = mapped_column(NameT)
    variant: Mapped[str | None] = mapped_column(NameT)
    market: Mapped[str] = mapped_column(String(2))
    dealer_id: Mapped[str | None] = mapped_column(Id)
    component: Mapped[str | None] = mapped_column(Code)
    component_inferred: Mapped[str | None] = mapped_column(Code)
    failure_mode: Mapped[str | None] = mapped_column(Id)
    crash: Mapped[bool] = mapped_column(Boolean)
    fire: Mapped[bool] = mapped_column(Boolean)
    injuries: Mapped[int] = mapped_column(Integer)
    deaths: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    occurred_at: Mapped[datetime] = mapped_column(Ts, index=True)

    # A flag's evidence and a batch's repost check read one model's recent complaints.
    __table_args__ = (Index("ix_complaints_model_occurred_at", "model", "occurred_at"),)


class UnitsSoldRow(Base):
    """Installed base: units sold per model variant, market and month."""

    __tablename__ = "units_sold"
    brand: Mapped[str] = mapped_column(NameT, primary_key=True)
    model: Mapped[str] = mapped_column(NameT, primary_key=True)
    variant: Mapped[str] = mapped_column(NameT, primary_key=True, default="")
    market: Mapped[str] = mapped_column(String(2), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    reported_at: Mapped[datetime] = mapped_column(Ts)


class RecallRow(Base):
    __tablename__ = "recalls"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recall_id: Mapped[str] = mapped_column(Id, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    brand: Mapped[str] = mapped_column(NameT)
    model: Mapped[str] = mapped_column(NameT)
    variants: Mapped[dict[str, Any]] = mapped_column(JSON)
    component: Mapped[str] = mapped_column(Code)
    market: Mapped[str] = mapped_column(String(2))
    announced_on: Mapped[date] = mapped_column(Date)
    units_affected: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[str | None] = mapped_column(Text)


class SignatureCountRow(Base):
    """Failure observations per defect signature and event day: what detectors read."""

    __tablename__ = "signature_counts"
    # Read and written by key only: on SQLite the key is the table (no second copy in an index).
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012 - SQLAlchemy API
    brand: Mapped[str] = mapped_column(NameT, primary_key=True)
    model: Mapped[str] = mapped_column(NameT, primary_key=True)
    variant: Mapped[str] = mapped_column(NameT, primary_key=True)
    component: Mapped[str] = mapped_column(Code, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    severe: Mapped[int] = mapped_column(Integer)


class PendingSignatureRow(Base):
    """Signatures whose counts changed since they were last evaluated (durable across crashes)."""

    __tablename__ = "detection_pending"
    brand: Mapped[str] = mapped_column(NameT, primary_key=True)
    model: Mapped[str] = mapped_column(NameT, primary_key=True)
    variant: Mapped[str] = mapped_column(NameT, primary_key=True)
    component: Mapped[str] = mapped_column(Code, primary_key=True)
    marks: Mapped[int] = mapped_column(Integer, server_default="1")
    """Bumped by every batch that marks it: the detector clears only what it evaluated."""


class DetectionStateRow(Base):
    """How far in event time the detector has judged each signature, and why it gave up on one."""

    __tablename__ = "detection_state"
    brand: Mapped[str] = mapped_column(NameT, primary_key=True)
    model: Mapped[str] = mapped_column(NameT, primary_key=True)
    variant: Mapped[str] = mapped_column(NameT, primary_key=True)
    component: Mapped[str] = mapped_column(Code, primary_key=True)
    evaluated_through: Mapped[date | None] = mapped_column(Date, index=True)
    """The last event day judged: later rounds go on from the day after."""
    watch_until: Mapped[date | None] = mapped_column(Date)
    """Until when the verdict may change without new counts (trailing windows still hold
    some); None while an episode is open, which only more days can close."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the last evaluation failed; set aside until new counts mark the signature again."""
    failed_at: Mapped[datetime | None] = mapped_column(Ts)
    """The event-time watermark when it failed."""
    running: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The episode open on ``evaluated_through`` (its peak so far and its run of clear days):
    the next round goes on from it instead of rereading the episode's whole span."""


class DefectFlagRow(Base):
    __tablename__ = "defect_flags"
    flag_id: Mapped[str] = mapped_column(Id, primary_key=True)
    brand: Mapped[str] = mapped_column(NameT)
    model: Mapped[str] = mapped_column(NameT)
    variant: Mapped[str] = mapped_column(NameT)
    component: Mapped[str] = mapped_column(Code)
    method: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(8), index=True)
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(8))
    first_raised_at: Mapped[datetime] = mapped_column(Ts)
    closed_at: Mapped[datetime | None] = mapped_column(Ts)
    updated_at: Mapped[datetime] = mapped_column(Ts)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    __table_args__ = (Index("ix_flags_signature", "brand", "model", "variant", "component"),)


class CaseRow(Base):
    __tablename__ = "cases"
    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    complaint_id: Mapped[str | None] = mapped_column(Id, index=True)
    serial: Mapped[str | None] = mapped_column(Id, index=True)
    customer_id: Mapped[str | None] = mapped_column(Id)
    dealer_id: Mapped[str | None] = mapped_column(Id)
    market: Mapped[str | None] = mapped_column(String(2))
    component: Mapped[str | None] = mapped_column(Code)
    owner: Mapped[str] = mapped_column(Id)
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(Ts)
    sla_due_at: Mapped[datetime] = mapped_column(Ts)
    resolved_at: Mapped[datetime | None] = mapped_column(Ts)
    confirmed_at: Mapped[datetime | None] = mapped_column(Ts)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class CaseTimelineRow(Base):
    __tablename__ = "case_timeline"
    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(48), primary_key=True)
    at: Mapped[datetime] = mapped_column(Ts)
    event_type: Mapped[str] = mapped_column(String(48))
    status_after: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class FollowUpRow(Base):
    __tablename__ = "followups"
    followup_id: Mapped[str] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[str] = mapped_column(Id, index=True)
    serial: Mapped[str | None] = mapped_column(Id)
    ticket_id: Mapped[str | None] = mapped_column(Id)
    repair_id: Mapped[str | None] = mapped_column(Id)
    case_id: Mapped[str | None] = mapped_column(Id)
    dealer_id: Mapped[str | None] = mapped_column(Id)
    reason: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(Ts, index=True)
    language: Mapped[str] = mapped_column(String(35))
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(Ts)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class DeadLetterRow(Base):
    __tablename__ = "dead_letters"
    dead_letter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(48), index=True)
    error: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(NameT)
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(BigInteger)
    item_index: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    """The original message's headers, [name, base64 value] pairs, for a replay to carry."""
    received_at: Mapped[datetime] = mapped_column(Ts)
    replayed_at: Mapped[datetime | None] = mapped_column(Ts)
    """When `aftersales deadletter replay` last sent it back to its topic."""


class OutboxRow(Base):
    """Messages to publish, written in the same transaction as the state they announce."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(NameT)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Ts)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(Ts)


class PipelineStateRow(Base):
    """Small named values: the event-time watermark, and the like."""

    __tablename__ = "pipeline_state"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class ErasedCustomerRow(Base):
    """Customers erased on request, known only by pseudonym: their later events are stored
    pseudonymised (the pseudonym is a keyed hash of the id, so the id itself is never kept)."""

    __tablename__ = "erased_customers"
    pseudonym: Mapped[str] = mapped_column(Id, primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(Ts)
    request_event_id: Mapped[str] = mapped_column(String(36))


class FlagDecisionRow(Base):
    """A product team's triage decision on a flag (flag.triaged), one row per event."""

    __tablename__ = "flag_decisions"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flag_id: Mapped[str | None] = mapped_column(Id, index=True)
    brand: Mapped[str | None] = mapped_column(NameT)
    model: Mapped[str | None] = mapped_column(NameT)
    variant: Mapped[str | None] = mapped_column(NameT)
    component: Mapped[str | None] = mapped_column(Code)
    decision: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(NameT)
    decided_at: Mapped[datetime] = mapped_column(Ts, index=True)


class CorrectiveActionRow(Base):
    """A corrective action released against defect signatures (corrective_action.released)."""

    __tablename__ = "corrective_actions"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    action_id: Mapped[str] = mapped_column(Id, index=True)
    flag_id: Mapped[str | None] = mapped_column(Id, index=True)
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    change: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    lot: Mapped[str | None] = mapped_column(Id)
    build_date: Mapped[date | None] = mapped_column(Date)
    serial_from: Mapped[str | None] = mapped_column(Id)
    serial_to: Mapped[str | None] = mapped_column(Id)
    campaign_id: Mapped[str | None] = mapped_column(Id)
    released_by: Mapped[str | None] = mapped_column(NameT)
    released_at: Mapped[datetime] = mapped_column(Ts, index=True)


TABLES: dict[str, Table] = {m.__tablename__: m.__table__ for m in Base.__subclasses__()}  # type: ignore[misc]
"""Every table by name."""

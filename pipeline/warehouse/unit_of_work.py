"""The batch's unit of work on one SQLAlchemy session; each store a thin face of warehouse code."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.casebook import CaseLookup, CaseState, Contact, FollowUp, TimelineEntry
from pipeline.common.records import Claimed, Outgoing
from pipeline.detection import DayCount, Signature
from pipeline.detection.dedupe import Filed
from pipeline.detection.repeats import RepairFact
from pipeline.enrichment import Lookups
from pipeline.warehouse import casebook_store, detection_store, erasure, lookups, outbox
from pipeline.warehouse import watermark as clocks
from pipeline.warehouse.tables import TABLES
from pipeline.warehouse.upsert import insert_ignore, insert_new, upsert
from schemas.events import InboundEvent

Row = dict[str, Any]

INSERT_ONLY: Final = (
    "customers",
    "ticket_status_history",
    "repairs",
    "repair_parts",
    "feedback",
    "complaints",
    "recalls",
    "product_components",
    "flag_decisions",
    "corrective_actions",
)
"""Append-only tables keyed by event id or natural key: a replay leaves them as they are."""
UPSERT_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "dealers": ("dealer_id",),
    "product_models": ("brand", "model", "variant"),
    "units": ("serial",),
    "units_sold": ("brand", "model", "variant", "market", "month"),
}
"""Reference tables where the latest registration wins."""


class SqlArchive:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_dead_letters(self, rows: Sequence[Row]) -> set[str]:
        return insert_new(self.session, TABLES["dead_letters"], rows, "dead_letter_id")

    def add_events(self, rows: Sequence[Row]) -> set[str]:
        return insert_new(self.session, TABLES["events"], rows, "event_id")

    def add_rows(self, rows: Mapping[str, list[Row]]) -> None:
        unknown = rows.keys() - UPSERT_KEYS.keys() - set(INSERT_ONLY)
        if unknown:
            raise ValueError(f"no way to write rows of {sorted(unknown)}")
        for name, keys in UPSERT_KEYS.items():
            upsert(self.session, TABLES[name], _last_per_key(rows.get(name, []), keys), keys)
        for name in INSERT_ONLY:
            insert_ignore(self.session, TABLES[name], rows.get(name, []))

    def tickets(self, ticket_ids: Collection[str]) -> dict[str, Row]:
        table = TABLES["tickets"]
        query = select(table).where(table.c.ticket_id.in_(ticket_ids))
        return {r["ticket_id"]: dict(r) for r in self.session.execute(query).mappings()}

    def save_tickets(self, rows: Sequence[Row]) -> None:
        upsert(self.session, TABLES["tickets"], rows, ("ticket_id",))


def _last_per_key(rows: list[Row], keys: Sequence[str]) -> list[Row]:
    """One row per key (the last to arrive, as batches of one would leave it): upserts touch a
    row once."""
    return list({tuple(r[k] for k in keys): r for r in rows}.values())


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, messages: Sequence[Outgoing], now: datetime, claimant: str | None
    ) -> list[Claimed]:
        return outbox.add(self.session, messages, now, claimant)

    def forget(self, ids: Sequence[int]) -> None:
        outbox.forget(self.session, ids)


class SqlClocks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def watermark(self) -> datetime | None:
        return clocks.read_watermark(self.session)

    def watermark_after(self, latest: datetime) -> datetime:
        return clocks.watermark_after(self.session, latest)

    def advance_watermark(self, latest: datetime) -> None:
        clocks.advance_watermark(self.session, latest)

    def partition_clocks(self, partitions: Iterable[int]) -> dict[int, datetime]:
        return clocks.read_partition_clocks(self.session, partitions)

    def advance_partition_clock(self, partition: int, latest: datetime) -> None:
        clocks.advance_watermark(self.session, latest, clocks.partition_clock_name(partition))


class SqlCases:
    def __init__(self, session: Session) -> None:
        self.session = session

    def load_cases(self, lookups: Iterable[CaseLookup]) -> list[CaseState]:
        return casebook_store.load_cases(self.session, lookups)

    def overdue_cases(self, now: datetime, partitions: Collection[int]) -> list[CaseState]:
        return casebook_store.overdue_cases(self.session, now, partitions=partitions)

    def unconfirmed_due(
        self, now: datetime, wait: timedelta, partitions: Collection[int]
    ) -> list[CaseState]:
        return casebook_store.unconfirmed_due(self.session, now, wait, partitions=partitions)

    def archived_sightings(
        self, serials: Collection[str], skip: Collection[str]
    ) -> list[InboundEvent]:
        return casebook_store.archived_sightings(self.session, serials, skip)

    def save_cases(self, cases: Sequence[CaseState]) -> None:
        casebook_store.save_cases(self.session, cases)

    def append_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        casebook_store.append_timeline(self.session, entries)

    def contacts_for(
        self, wanted: Mapping[UUID, tuple[str | None, str | None, str | None]]
    ) -> dict[UUID, Contact]:
        return casebook_store.contacts_for(self.session, wanted)

    def load_followups(
        self,
        customer_ids: Collection[str],
        followup_ids: Collection[str],
        due_since: datetime,
        ticket_ids: Collection[str],
        repair_ids: Collection[str],
    ) -> list[FollowUp]:
        return casebook_store.load_followups(
            self.session, customer_ids, followup_ids, due_since, ticket_ids, repair_ids
        )

    def save_followups(self, followups: Sequence[FollowUp], dealers: Mapping[str, str]) -> None:
        casebook_store.save_followups(self.session, followups, dealers)


class SqlLookups:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lookups(
        self,
        serials: Collection[str],
        dealer_ids: Collection[str],
        brand_models: Collection[tuple[str, str]],
    ) -> Lookups:
        return lookups.load_lookups(self.session, serials, dealer_ids, brand_models)

    def recent_repairs(
        self, serials: Collection[str], since: datetime
    ) -> list[tuple[str, RepairFact]]:
        return lookups.recent_repairs(self.session, serials, since)


class SqlCounts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, increments: Mapping[tuple[Signature, date], DayCount]) -> None:
        detection_store.SqlCountStore(self.session).add(increments)

    def mark_pending(self, signatures: Collection[Signature]) -> None:
        detection_store.mark_pending(self.session, signatures)

    def earlier_complaints(
        self,
        products: Collection[tuple[str, str, str | None]],
        since: date,
        excluding: Collection[str],
    ) -> list[Filed]:
        return detection_store.earlier_complaints(self.session, products, since, excluding)


class SqlErasures:
    def __init__(self, session: Session) -> None:
        self.session = session

    def erased_among(self, pseudonyms: Collection[str]) -> set[str]:
        return erasure.erased_among(self.session, pseudonyms)

    def erase_customer(
        self,
        customer_id: str,
        pseudonym: str,
        *,
        request_event_id: str,
        now: datetime,
        keep_topics: Collection[str],
    ) -> dict[str, int]:
        return erasure.erase_customer(
            self.session,
            customer_id,
            pseudonym,
            request_event_id=request_event_id,
            now=now,
            keep_topics=keep_topics,
        )

    def cancel_followups(self, pseudonyms: Collection[str]) -> int:
        return erasure.cancel_followups(self.session, pseudonyms)


class SqlUnitOfWork:
    """Every store of a batch over one session; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.archive = SqlArchive(session)
        self.outbox = SqlOutbox(session)
        self.clocks = SqlClocks(session)
        self.cases = SqlCases(session)
        self.lookups = SqlLookups(session)
        self.counts = SqlCounts(session)
        self.erasures = SqlErasures(session)

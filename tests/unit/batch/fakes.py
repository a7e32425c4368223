"""A hand-written unit of work for the batch's stages: plain dicts and lists, no database."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from pipeline.casebook import CaseLookup, CaseState, Contact, FollowUp, TimelineEntry
from pipeline.common.records import Claimed, Outgoing
from pipeline.detection import DayCount, InMemoryCountStore, Signature
from pipeline.detection.dedupe import Filed
from pipeline.detection.repeats import RepairFact
from pipeline.enrichment import Lookups
from schemas.events import InboundEvent

Row = dict[str, Any]


@dataclass
class FakeArchive:
    events: dict[str, Row] = field(default_factory=dict)
    dead_letters: dict[str, Row] = field(default_factory=dict)
    rows: dict[str, list[Row]] = field(default_factory=dict)
    ticket_rows: dict[str, Row] = field(default_factory=dict)

    def add_dead_letters(self, rows: Sequence[Row]) -> set[str]:
        return _insert_new(self.dead_letters, rows, "dead_letter_id")

    def add_events(self, rows: Sequence[Row]) -> set[str]:
        return _insert_new(self.events, rows, "event_id")

    def add_rows(self, rows: Mapping[str, list[Row]]) -> None:
        for name, more in rows.items():
            self.rows.setdefault(name, []).extend(more)

    def tickets(self, ticket_ids: Collection[str]) -> dict[str, Row]:
        return {t: dict(self.ticket_rows[t]) for t in ticket_ids if t in self.ticket_rows}

    def save_tickets(self, rows: Sequence[Row]) -> None:
        self.ticket_rows.update({r["ticket_id"]: r for r in rows})


def _insert_new(table: dict[str, Row], rows: Sequence[Row], key: str) -> set[str]:
    new = {r[key] for r in rows if r[key] not in table}
    for row in rows:
        table.setdefault(row[key], row)
    return new


@dataclass
class FakeOutbox:
    messages: list[tuple[Outgoing, str | None]] = field(default_factory=list)
    forgotten: list[int] = field(default_factory=list)

    def add(
        self, messages: Sequence[Outgoing], now: datetime, claimant: str | None
    ) -> list[Claimed]:
        first = len(self.messages)
        self.messages.extend((m, claimant) for m in messages)
        if claimant is None:
            return []
        return [(first + i, m) for i, m in enumerate(messages)]

    def forget(self, ids: Sequence[int]) -> None:
        self.forgotten.extend(ids)


@dataclass
class FakeClocks:
    now: datetime | None = None
    partitions: dict[int, datetime] = field(default_factory=dict)

    def watermark(self) -> datetime | None:
        return self.now

    def watermark_after(self, latest: datetime) -> datetime:
        return latest if self.now is None or latest > self.now else self.now

    def advance_watermark(self, latest: datetime) -> None:
        self.now = self.watermark_after(latest)

    def partition_clocks(self, partitions: Iterable[int]) -> dict[int, datetime]:
        return {p: self.partitions[p] for p in partitions if p in self.partitions}

    def advance_partition_clock(self, partition: int, latest: datetime) -> None:
        seen = self.partitions.get(partition)
        self.partitions[partition] = latest if seen is None or latest > seen else seen


@dataclass
class NoCases:
    """A case store that never holds a case (for stages other than the case book)."""

    def load_cases(self, lookups: Iterable[CaseLookup]) -> list[CaseState]:
        return []

    def overdue_cases(self, now: datetime, partitions: Collection[int]) -> list[CaseState]:
        return []

    def unconfirmed_due(
        self, now: datetime, wait: timedelta, partitions: Collection[int]
    ) -> list[CaseState]:
        return []

    def archived_sightings(
        self, serials: Collection[str], skip: Collection[str]
    ) -> list[InboundEvent]:
        return []

    def save_cases(self, cases: Sequence[CaseState]) -> None:
        raise AssertionError("no case store here")

    def append_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        raise AssertionError("no case store here")

    def contacts_for(
        self, wanted: Mapping[UUID, tuple[str | None, str | None, str | None]]
    ) -> dict[UUID, Contact]:
        return {}

    def load_followups(
        self,
        customer_ids: Collection[str],
        followup_ids: Collection[str],
        due_since: datetime,
        ticket_ids: Collection[str],
        repair_ids: Collection[str],
    ) -> list[FollowUp]:
        return []

    def save_followups(self, followups: Sequence[FollowUp], dealers: Mapping[str, str]) -> None:
        raise AssertionError("no case store here")


@dataclass
class FakeLookups:
    known: Lookups = field(default_factory=Lookups)
    repairs: list[tuple[str, RepairFact]] = field(default_factory=list)
    """(event id, repair) of repairs archived earlier."""

    def lookups(
        self,
        serials: Collection[str],
        dealer_ids: Collection[str],
        brand_models: Collection[tuple[str, str]],
    ) -> Lookups:
        return self.known

    def recent_repairs(
        self, serials: Collection[str], since: datetime
    ) -> list[tuple[str, RepairFact]]:
        return [(eid, r) for eid, r in self.repairs if r.serial in serials and r.at >= since]


@dataclass
class FakeCounts:
    store: InMemoryCountStore = field(default_factory=InMemoryCountStore)
    pending: set[Signature] = field(default_factory=set)
    complaints: list[Filed] = field(default_factory=list)

    def add(self, increments: Mapping[tuple[Signature, date], DayCount]) -> None:
        self.store.add(increments)

    def mark_pending(self, signatures: Collection[Signature]) -> None:
        self.pending.update(signatures)

    def earlier_complaints(
        self,
        products: Collection[tuple[str, str, str | None]],
        since: date,
        excluding: Collection[str],
    ) -> list[Filed]:
        return [
            f
            for f in self.complaints
            if f.product in products and f.day >= since and f.complaint_id not in excluding
        ]


@dataclass
class FakeErasures:
    erased: set[str] = field(default_factory=set)

    def erased_among(self, pseudonyms: Collection[str]) -> set[str]:
        return self.erased & set(pseudonyms)

    def erase_customer(
        self,
        customer_id: str,
        pseudonym: str,
        *,
        request_event_id: str,
        now: datetime,
        keep_topics: Collection[str],
    ) -> dict[str, int]:
        self.erased.add(pseudonym)
        return {}

    def cancel_followups(self, pseudonyms: Collection[str]) -> int:
        return 0


@dataclass
class FakeUnitOfWork:
    archive: FakeArchive = field(default_factory=FakeArchive)
    outbox: FakeOutbox = field(default_factory=FakeOutbox)
    clocks: FakeClocks = field(default_factory=FakeClocks)
    cases: NoCases = field(default_factory=NoCases)
    lookups: FakeLookups = field(default_factory=FakeLookups)
    counts: FakeCounts = field(default_factory=FakeCounts)
    erasures: FakeErasures = field(default_factory=FakeErasures)

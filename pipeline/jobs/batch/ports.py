"""What a batch needs from storage, as typed stores in one unit of work (one transaction).

The warehouse implements them (``pipeline.warehouse.unit_of_work``); tests of a stage pass
hand-written fakes. Stores are plain methods over plain values: no session leaks into a stage.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from pipeline.casebook import CaseLookup, CaseState, Contact, FollowUp, TimelineEntry
from pipeline.common.records import Claimed, Outgoing
from pipeline.detection import DayCount, Signature
from pipeline.detection.dedupe import Filed
from pipeline.detection.repeats import RepairFact
from pipeline.enrichment import Lookups
from schemas.events import InboundEvent

Row = dict[str, Any]
Rows = dict[str, list[Row]]
"""Table name -> rows to write."""


class ArchiveStore(Protocol):
    """The archive of events and dead letters, and the tables projected from it."""

    def add_dead_letters(self, rows: Sequence[Row]) -> set[str]:
        """Store dead letters not stored before; return the ids that were new."""
        ...

    def add_events(self, rows: Sequence[Row]) -> set[str]:
        """Archive events not archived before; return the event ids that were new."""
        ...

    def add_rows(self, rows: Rows) -> None:
        """Write projected rows: reference tables take the latest row per key, the rest keep
        the first (a replay leaves them as they are)."""
        ...

    def tickets(self, ticket_ids: Collection[str]) -> dict[str, Row]:
        """The stored rows of these tickets."""
        ...

    def save_tickets(self, rows: Sequence[Row]) -> None: ...


class OutboxStore(Protocol):
    def add(
        self, messages: Sequence[Outgoing], now: datetime, claimant: str | None
    ) -> list[Claimed]:
        """Store messages to publish after commit; claimed for ``claimant`` (and returned with
        their ids, in order) when one is given, else left for any relay to claim."""
        ...

    def forget(self, ids: Sequence[int]) -> None:
        """Delete delivered messages."""
        ...


class ClockStore(Protocol):
    """Event-time clocks: the stream's watermark and one per partition number."""

    def watermark(self) -> datetime | None: ...

    def watermark_after(self, latest: datetime) -> datetime:
        """What the watermark would be once ``latest`` is seen (nothing written)."""
        ...

    def advance_watermark(self, latest: datetime) -> None: ...

    def partition_clocks(self, partitions: Iterable[int]) -> dict[int, datetime]: ...

    def advance_partition_clock(self, partition: int, latest: datetime) -> None: ...


class CaseStore(Protocol):
    """Complaint cases, their timelines, and follow-up calls."""

    def load_cases(self, lookups: Iterable[CaseLookup]) -> list[CaseState]: ...

    def overdue_cases(self, now: datetime, partitions: Collection[int]) -> list[CaseState]: ...

    def unconfirmed_due(
        self, now: datetime, wait: timedelta, partitions: Collection[int]
    ) -> list[CaseState]: ...

    def archived_sightings(
        self, serials: Collection[str], skip: Collection[str]
    ) -> list[InboundEvent]:
        """Events archived earlier that place these units (at a dealer, in a market)."""
        ...

    def save_cases(self, cases: Sequence[CaseState]) -> None: ...

    def append_timeline(self, entries: Sequence[TimelineEntry]) -> None: ...

    def contacts_for(
        self, wanted: Mapping[UUID, tuple[str | None, str | None, str | None]]
    ) -> dict[UUID, Contact]: ...

    def load_followups(
        self,
        customer_ids: Collection[str],
        followup_ids: Collection[str],
        due_since: datetime,
        ticket_ids: Collection[str],
        repair_ids: Collection[str],
    ) -> list[FollowUp]: ...

    def save_followups(self, followups: Sequence[FollowUp], dealers: Mapping[str, str]) -> None: ...


class LookupStore(Protocol):
    """Reference data enrichment reads: units, dealers, models, and recent repairs."""

    def lookups(
        self,
        serials: Collection[str],
        dealer_ids: Collection[str],
        brand_models: Collection[tuple[str, str]],
    ) -> Lookups: ...

    def recent_repairs(
        self, serials: Collection[str], since: datetime
    ) -> list[tuple[str, RepairFact]]:
        """(event id, repair) of these units' repairs from ``since`` on."""
        ...


class CountStore(Protocol):
    """Daily failure counts per signature, and which signatures the detector must judge."""

    def add(self, increments: Mapping[tuple[Signature, date], DayCount]) -> None: ...

    def mark_pending(self, signatures: Collection[Signature]) -> None: ...

    def earlier_complaints(
        self,
        products: Collection[tuple[str, str, str | None]],
        since: date,
        excluding: Collection[str],
    ) -> list[Filed]: ...


class ErasureStore(Protocol):
    def erased_among(self, pseudonyms: Collection[str]) -> set[str]: ...

    def erase_customer(
        self,
        customer_id: str,
        pseudonym: str,
        *,
        request_event_id: str,
        now: datetime,
        keep_topics: Collection[str],
    ) -> dict[str, int]:
        """Pseudonymise the customer everywhere; rows changed per table."""
        ...

    def cancel_followups(self, pseudonyms: Collection[str]) -> int: ...


class UnitOfWork(Protocol):
    """Everything one batch reads and writes, in one transaction."""

    @property
    def archive(self) -> ArchiveStore: ...

    @property
    def outbox(self) -> OutboxStore: ...

    @property
    def clocks(self) -> ClockStore: ...

    @property
    def cases(self) -> CaseStore: ...

    @property
    def lookups(self) -> LookupStore: ...

    @property
    def counts(self) -> CountStore: ...

    @property
    def erasures(self) -> ErasureStore: ...

"""One flag's signature over its period: daily failures, complaints, where, dealers, parts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from pipeline.common.errors import PipelineError
from pipeline.detection.model import ANY, MARKET_SEPARATOR
from pipeline.reports.flag_evidence import Said, whole
from pipeline.reports.readings import FlagDetailReadings, StoredFlag
from pipeline.warehouse.read.flags import signature_days, stored_flag
from pipeline.warehouse.read.recalls import matching_recalls
from pipeline.warehouse.read.scope import Query, under
from pipeline.warehouse.tables import (
    ComplaintRow,
    ComponentRow,
    DealerRow,
    DefectFlagRow,
    RepairPartRow,
    RepairRow,
    UnitRow,
)
from schemas.flag_detail import Breakdown, Dealer, Part

LOOKBACK_DAYS: Final = 90
"""Complaints and repairs count from this many days (or the detector's window, if longer) before
the flag was first raised: the run-up a reader compares the flag's weeks with."""
VERBATIM_CANDIDATES: Final = 200
"""The latest complaints (with the detector's samples) that verbatims are chosen among."""


class FlagNotFound(PipelineError):
    """No flag with this id in the warehouse."""


def flag_ids(session: Session) -> list[str]:
    """Every flag's id, in id order."""
    return list(session.scalars(select(DefectFlagRow.flag_id).order_by(DefectFlagRow.flag_id)))


def read_flag_detail(session: Session, flag_id: str, *, now: datetime) -> FlagDetailReadings:
    """The flag and its signature's complaints and repairs as of ``now``.

    Complaints and repairs count from ``LOOKBACK_DAYS`` (or the detector's window) before the
    flag was first raised to its closing (or ``now``).
    """
    row = session.get(DefectFlagRow, flag_id)
    if row is None:
        raise FlagNotFound(f"no flag {flag_id!r}: `aftersales flags --status all` lists them")
    flag = stored_flag(row)
    on = _Signature.of(flag, now)
    return FlagDetailReadings(
        as_of=now,
        flag=flag,
        variant=on.variant,
        market=on.market,
        start=on.start,
        end=on.end,
        registered_name=_registered_name(session, on),
        daily=signature_days(session, flag, _day(on.end), _day(on.start)),
        complaints=_complaints(session, on, flag.evidence),
        markets=_breakdown(session, on, ComplaintRow.market, RepairRow.market),
        lots=_breakdown(session, on, UnitRow.lot, UnitRow.lot, via_unit=True),
        dealers=_dealers(session, on),
        parts=_parts(session, on),
        recalls=matching_recalls(session, on.brand, on.model, on.component, on.variant),
    )


@dataclass(frozen=True, slots=True)
class _Signature:
    """Which complaints and repairs a flag concerns, and over which period."""

    brand: str
    model: str
    variant: str | None
    market: str | None
    component: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, flag: StoredFlag, now: datetime) -> _Signature:
        variant, _, market = flag.variant.partition(MARKET_SEPARATOR)
        window = max(whole(flag.evidence.get("window_days")) or 0, LOOKBACK_DAYS)
        return cls(
            brand=flag.brand,
            model=flag.model,
            variant=None if variant == ANY else variant,
            market=market or None,
            component=flag.component,
            start=flag.first_raised_at - timedelta(days=window),
            end=min(flag.closed_at or now, now),
        )

    def rows(self, query: Query, table: type[ComplaintRow] | type[RepairRow]) -> Query:
        """``query`` limited to the signature's rows of ``table`` in the period."""
        component: Any = (
            func.coalesce(ComplaintRow.component, ComplaintRow.component_inferred)
            if table is ComplaintRow
            else RepairRow.component
        )
        query = query.where(
            table.brand == self.brand,
            table.model == self.model,
            table.occurred_at >= self.start,
            table.occurred_at <= self.end,
            under(component, self.component),
        )
        if self.variant is not None:
            query = query.where(table.variant == self.variant)
        if self.market is not None:
            query = query.where(table.market == self.market)
        return query


def _registered_name(session: Session, on: _Signature) -> str | None:
    """The product registration's name for the component, the variant's own first."""
    return session.scalars(
        select(ComponentRow.name)
        .where(
            ComponentRow.brand == on.brand,
            ComponentRow.model == on.model,
            ComponentRow.code == on.component,
            ComponentRow.name.is_not(None),
        )
        .order_by(ComponentRow.variant != (on.variant or ""), ComponentRow.variant)
        .limit(1)
    ).first()


def _complaints(session: Session, on: _Signature, evidence: dict[str, Any]) -> list[Said]:
    """The detector's sample complaints, then the latest ones, newest first."""
    query = on.rows(
        select(
            ComplaintRow.complaint_id, ComplaintRow.brand, ComplaintRow.model,
            ComplaintRow.variant, ComplaintRow.occurred_at, ComplaintRow.text,
            ComplaintRow.language, ComplaintRow.customer_id, ComplaintRow.serial,
            ComplaintRow.market,
        ).where(ComplaintRow.text.is_not(None)),
        ComplaintRow,
    )  # fmt: skip
    samples = [str(s) for s in evidence.get("sample_event_ids") or [] if s]
    latest = query.order_by(ComplaintRow.occurred_at.desc(), ComplaintRow.event_id)
    found = [
        *session.execute(query.where(ComplaintRow.event_id.in_(samples))),
        *session.execute(latest.limit(VERBATIM_CANDIDATES)),
    ]
    return [
        Said(cid, (brand, model, variant), at, text, language, (customer, serial), market)
        for cid, brand, model, variant, at, text, language, customer, serial, market in found
    ]


def _breakdown(
    session: Session, on: _Signature, complaint_key: Any, repair_key: Any, *, via_unit: bool = False
) -> list[Breakdown]:
    """Distinct complaints and repairs per key: a column of the rows, or of their units."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    sources: tuple[tuple[type[ComplaintRow] | type[RepairRow], Any, Any], ...] = (
        (ComplaintRow, complaint_key, ComplaintRow.complaint_id),
        (RepairRow, repair_key, RepairRow.repair_id),
    )
    for i, (table, key, ident) in enumerate(sources):
        query = select(key, func.count(distinct(ident)))
        if via_unit:
            query = query.select_from(table).join(UnitRow, UnitRow.serial == table.serial)
        for value, n in session.execute(
            on.rows(query.where(key.is_not(None)), table).group_by(key)
        ):
            counts[value][i] += int(n)
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    return [Breakdown(key=k, complaints=c, repairs=r) for k, (c, r) in ranked]


def _dealers(session: Session, on: _Signature) -> list[Dealer]:
    per_dealer = {
        b.key: b for b in _breakdown(session, on, ComplaintRow.dealer_id, RepairRow.dealer_id)
    }
    known = {
        d.dealer_id: d
        for d in session.scalars(select(DealerRow).where(DealerRow.dealer_id.in_(list(per_dealer))))
    }
    return [
        Dealer(
            dealer_id=key,
            name=known[key].name if key in known else None,
            country=known[key].country if key in known else None,
            complaints=b.complaints,
            repairs=b.repairs,
        )
        for key, b in per_dealer.items()
    ]


def _parts(session: Session, on: _Signature) -> list[Part]:
    part = (RepairPartRow.part_number, RepairPartRow.supplier, RepairPartRow.genuine)
    query = on.rows(
        select(*part, func.count(distinct(RepairRow.repair_id)), func.sum(RepairPartRow.quantity))
        .select_from(RepairPartRow)
        .join(RepairRow, RepairRow.event_id == RepairPartRow.repair_event_id),
        RepairRow,
    ).group_by(*part)
    parts = [
        Part(part_number=p, supplier=s, genuine=bool(g), repairs=int(n), quantity=int(q or 0))
        for p, s, g, n, q in session.execute(query)
    ]
    return sorted(parts, key=lambda p: (-p.repairs, p.part_number, p.supplier, p.genuine))


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()

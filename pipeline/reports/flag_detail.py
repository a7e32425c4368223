"""One defect flag as a self-contained JSON document: evidence, verbatims, where, recalls."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from pipeline.common.errors import PipelineError
from pipeline.common.output import to_json
from pipeline.detection.model import ANY, MARKET_SEPARATOR
from pipeline.enrichment.taxonomy import Taxonomy
from pipeline.reports.flag_evidence import (
    Said,
    distinct_verbatims,
    explain_method,
    explain_score,
    number,
    weekly_counts,
    whole,
)
from pipeline.reports.recalls import matching_recalls
from pipeline.reports.scope import Query, under
from pipeline.warehouse.tables import (
    ComplaintRow,
    ComponentRow,
    DealerRow,
    DefectFlagRow,
    RepairPartRow,
    RepairRow,
    SignatureCountRow,
    UnitRow,
)
from schemas.flag_detail import (
    Breakdown,
    Component,
    Dealer,
    Evidence,
    Flag,
    FlagDetail,
    Part,
    Verbatim,
)

LOOKBACK_DAYS: Final = 90
"""Complaints and repairs count from this many days (or the detector's window, if longer) before
the flag was first raised: the run-up a reader compares the flag's weeks with."""
MAX_VERBATIMS: Final = 10
VERBATIM_CANDIDATES: Final = 200
"""The latest complaints (with the detector's samples) that verbatims are chosen among."""
_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]")


class FlagNotFound(PipelineError):
    """No flag with this id in the warehouse."""


def flag_detail(
    session: Session, flag_id: str, *, now: datetime, taxonomy: Taxonomy | None = None
) -> dict[str, Any]:
    """The flag as a JSON-ready dict (see ``schemas.flag_detail.FlagDetail``), as of ``now``.

    Complaints and repairs count from ``LOOKBACK_DAYS`` (or the detector's window) before the
    flag was first raised to its closing (or ``now``). ``taxonomy`` names components the product
    registration does not.
    """
    return flag_document(session, flag_id, now=now, taxonomy=taxonomy).model_dump(mode="json")


def flag_document(
    session: Session, flag_id: str, *, now: datetime, taxonomy: Taxonomy | None = None
) -> FlagDetail:
    row = session.get(DefectFlagRow, flag_id)
    if row is None:
        raise FlagNotFound(f"no flag {flag_id!r}: `aftersales flags --status all` lists them")
    on = _Signature.of(row, now)
    evidence = dict(row.evidence or {})
    return FlagDetail(
        as_of=now,
        flag=_flag(session, row, on, evidence, taxonomy),
        evidence=_evidence(session, on, evidence),
        verbatims=_verbatims(session, on, evidence),
        markets=_breakdown(session, on, ComplaintRow.market, RepairRow.market),
        lots=_breakdown(session, on, UnitRow.lot, UnitRow.lot, via_unit=True),
        dealers=_dealers(session, on),
        parts=_parts(session, on),
        recalls=matching_recalls(session, on.brand, on.model, on.component, on.variant),
    )


def write_flag_details(
    session: Session,
    directory: Path,
    *,
    now: datetime,
    taxonomy: Taxonomy | None = None,
    flag_ids: Iterable[str] | None = None,
) -> list[Path]:
    """``<directory>/<flag id>.json`` for the given flags (default: every flag); their paths."""
    ids = (
        flag_ids
        if flag_ids is not None
        else session.scalars(select(DefectFlagRow.flag_id).order_by(DefectFlagRow.flag_id)).all()
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for flag_id in ids:
        path = directory / f"{file_name(flag_id)}.json"
        document = flag_detail(session, flag_id, now=now, taxonomy=taxonomy)
        path.write_text(to_json(document) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def file_name(flag_id: str) -> str:
    """The flag id as a file name: ids our detector makes (UUIDs) stay as they are."""
    return _SAFE_NAME.sub("_", flag_id).lstrip(".") or "_"


@dataclass(frozen=True, slots=True)
class _Signature:
    """Which complaints and repairs a flag concerns, and over which period."""

    brand: str
    model: str
    variant: str | None
    market: str | None
    component: str
    key_variant: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, flag: DefectFlagRow, now: datetime) -> _Signature:
        variant, _, market = flag.variant.partition(MARKET_SEPARATOR)
        window = max(whole((flag.evidence or {}).get("window_days")) or 0, LOOKBACK_DAYS)
        return cls(
            brand=flag.brand,
            model=flag.model,
            variant=None if variant == ANY else variant,
            market=market or None,
            component=flag.component,
            key_variant=flag.variant,
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


def _flag(
    session: Session,
    row: DefectFlagRow,
    on: _Signature,
    evidence: Mapping[str, Any],
    taxonomy: Taxonomy | None,
) -> Flag:
    observed, expected = number(evidence.get("observed")), number(evidence.get("expected"))
    window = whole(evidence.get("window_days"))
    return Flag(
        flag_id=row.flag_id,
        signature="/".join((row.brand, row.model, row.variant, row.component)),
        brand=row.brand,
        model=row.model,
        variant=on.variant,
        product=" ".join(p for p in (row.brand, row.model, on.variant) if p),
        component=Component(code=row.component, name=component_name(session, on, taxonomy)),
        market=on.market,
        severity=cast(Any, row.severity),
        status="open" if row.status == "open" else "closed",
        first_seen=row.first_raised_at,
        closed_at=row.closed_at,
        method=row.method,
        method_explained=explain_method(row.method),
        observed=observed,
        expected=expected,
        window_days=window,
        score=row.score,
        score_explained=explain_score(row.score, evidence),
    )


def component_name(session: Session, on: _Signature, taxonomy: Taxonomy | None) -> str:
    """The product registration's name for the component, else the taxonomy's, else the code
    in words (``WATER_PUMP`` -> "Water pump")."""
    registered = session.scalars(
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
    if registered:
        return registered
    named = taxonomy.components.get(taxonomy.canonical(on.component)) if taxonomy else None
    return named or on.component.replace("_", " ").replace(":", ", ").capitalize()


def _evidence(session: Session, on: _Signature, detector: dict[str, Any]) -> Evidence:
    rows = session.execute(
        select(SignatureCountRow.day, SignatureCountRow.n).where(
            SignatureCountRow.brand == on.brand,
            SignatureCountRow.model == on.model,
            SignatureCountRow.variant == on.key_variant,
            SignatureCountRow.component == on.component,
            SignatureCountRow.day >= _day(on.start),
            SignatureCountRow.day <= _day(on.end),
        )
    ).all()
    weekly = weekly_counts(((d, n) for d, n in rows), _day(on.start), _day(on.end))
    return Evidence(
        period_start=_day(on.start),
        period_end=_day(on.end),
        weekly=weekly,
        total=sum(w.observed for w in weekly),
        detector=detector,
    )


def _verbatims(session: Session, on: _Signature, evidence: Mapping[str, Any]) -> list[Verbatim]:
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
    said = [
        Said(cid, (brand, model, variant), at, text, language, (customer, serial), market)
        for cid, brand, model, variant, at, text, language, customer, serial, market in found
    ]
    return distinct_verbatims(said)[:MAX_VERBATIMS]


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

"""The product loop's read side: flags, decisions, actions, recalls and what effectiveness needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Mapped, Session

from pipeline.loop.decisions import (
    ActionFacts,
    DecisionFacts,
    FlagFacts,
    RecallFacts,
    SignatureRef,
)
from pipeline.loop.effectiveness import Claim, Cohort, FieldUnit, UnitClaim
from pipeline.warehouse.tables import (
    CorrectiveActionRow,
    DefectFlagRow,
    FlagDecisionRow,
    RecallRow,
    RepairRow,
    UnitRow,
    UnitsSoldRow,
)

Product = tuple[str, str, str | None]
"""(brand, model, variant); variant None: every variant."""


def load_flags(session: Session) -> list[FlagFacts]:
    out = []
    for f in session.scalars(select(DefectFlagRow)):
        observed = (f.evidence or {}).get("observed")
        out.append(
            FlagFacts(
                f.flag_id,
                f.brand,
                f.model,
                f.variant,
                f.component,
                f.status,
                f.first_raised_at,
                float(observed) if isinstance(observed, int | float) else None,
            )
        )
    return out


def load_decisions(session: Session) -> list[DecisionFacts]:
    out = []
    for d in session.scalars(select(FlagDecisionRow)):
        signature = None
        if d.brand and d.model and d.component:
            signature = SignatureRef(d.brand, d.model, d.variant, d.component)
        out.append(
            DecisionFacts(
                d.event_id, d.decision, d.decided_by, d.decided_at, d.note, d.flag_id, signature
            )
        )
    return out


def load_actions(session: Session) -> list[CorrectiveActionRow]:
    """The latest release of every action (a re-release under the same id replaces it)."""
    latest: dict[str, CorrectiveActionRow] = {}
    rows = session.scalars(
        select(CorrectiveActionRow).order_by(
            CorrectiveActionRow.released_at, CorrectiveActionRow.event_id
        )
    )
    for row in rows:
        session.expunge(row)
        latest[row.action_id] = row
    return sorted(latest.values(), key=lambda r: (r.released_at, r.action_id))


def action_facts(row: CorrectiveActionRow, verdict: str) -> ActionFacts:
    return ActionFacts(
        row.action_id,
        row.released_at,
        tuple(signatures_of(row)),
        row.change,
        row.flag_id,
        verdict,
    )


def signatures_of(row: CorrectiveActionRow) -> list[SignatureRef]:
    return [
        SignatureRef(s["brand"], s["model"], s.get("variant"), s["component"])
        for s in row.signatures
    ]


def load_recalls(session: Session) -> list[RecallFacts]:
    out: list[RecallFacts] = []
    for r in session.scalars(select(RecallRow)):
        at = datetime.combine(r.announced_on, time(0), tzinfo=UTC)
        named: list[str] = list(r.variants or [])
        variants: list[str | None] = [*named] if named else [None]
        out.extend(
            RecallFacts(r.recall_id, at, SignatureRef(r.brand, r.model, v, r.component))
            for v in variants
        )
    return out


def _product_filter(
    products: Collection[Product], columns: tuple[Mapped[str], Mapped[str], Mapped[str | None]]
) -> ColumnElement[bool]:
    brand, model, variant = columns
    clauses = [
        and_(brand == b, model == m) if v is None else and_(brand == b, model == m, variant == v)
        for b, m, v in products
    ]
    return or_(false(), *clauses)


def cohorts(session: Session, products: Collection[Product]) -> list[Cohort]:
    """Units sold per month of sale and market, for the products."""
    t = UnitsSoldRow
    rows = session.execute(
        select(t.month, t.market, func.sum(t.count))
        .where(_product_filter(products, (t.brand, t.model, t.variant)))
        .group_by(t.month, t.market)
    )
    return [Cohort(date(int(m[:4]), int(m[5:7]), 1), int(n), market) for m, market, n in rows]


def _component_filter(components: Iterable[str]) -> ColumnElement[bool]:
    return or_(
        false(),
        *(
            or_(RepairRow.component == c, RepairRow.component.startswith(f"{c}:"))
            for c in components
        ),
    )


@dataclass(frozen=True, slots=True)
class RepairClaim:
    """A repair of a watched component on a unit whose sale is on record."""

    serial: str
    sold_on: date
    day: date
    failure_code: str | None
    repeat: bool
    """A repeat repair (the same unit and fault family within the repeat window)."""
    market: str
    """Where the unit was sold, else where it was repaired."""


def claims(
    session: Session, products: Collection[Product], components: Collection[str]
) -> list[RepairClaim]:
    """Repairs of the components on units whose sale is on record."""
    r, u = RepairRow, UnitRow
    rows = session.execute(
        select(
            r.serial,
            u.sold_on,
            r.occurred_at,
            r.failure_code,
            r.repeat_of,
            func.coalesce(u.market, r.market),
        )
        .join(u, u.serial == r.serial)
        .where(
            _product_filter(products, (r.brand, r.model, r.variant)),
            _component_filter(components),
            u.sold_on.is_not(None),
        )
    )
    return [
        RepairClaim(serial, sold, at.astimezone(UTC).date(), code, repeat is not None, market)
        for serial, sold, at, code, repeat, market in rows
        if serial is not None and sold is not None
    ]


def build_claims(rows: Iterable[RepairClaim]) -> list[Claim]:
    """First repairs only: a unit back for the same fault is one failure, counted once."""
    return [Claim(c.sold_on, c.day, c.market) for c in rows if not c.repeat]


def latest_claim_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(RepairRow.occurred_at)))


def lot_cutover(session: Session, products: Collection[Product], lot: str) -> date | None:
    """The day the lot's first unit was sold: where a change from that lot shows in sales."""
    u = UnitRow
    return session.scalar(
        select(func.min(u.sold_on)).where(
            u.lot == lot,
            _product_filter(products, (u.brand, u.model, u.variant)),
        )
    )


def serial_cutover(session: Session, serial: str) -> date | None:
    return session.scalar(select(UnitRow.sold_on).where(UnitRow.serial == serial))


def field_population(
    session: Session,
    products: Collection[Product],
    released: date,
    campaign_id: str,
    rows: Iterable[RepairClaim],
) -> tuple[list[FieldUnit], list[UnitClaim]]:
    """Units sold before a field campaign, when the campaign repaired each (a repair booked
    with the campaign id as failure code), and their other repairs: repeats count here, since a
    unit back after its campaign repair is what a failing field fix looks like."""
    u = UnitRow
    repaired: dict[str, date] = {}
    claims_out: list[UnitClaim] = []
    for c in rows:
        if c.failure_code == campaign_id:
            repaired[c.serial] = min(c.day, repaired.get(c.serial, c.day))
        else:
            claims_out.append(UnitClaim(c.serial, c.day))
    sold = session.execute(
        select(u.serial, u.sold_on).where(
            _product_filter(products, (u.brand, u.model, u.variant)),
            u.sold_on.is_not(None),
            u.sold_on < released,
        )
    )
    population = [FieldUnit(s, on, repaired.get(s)) for s, on in sold if on is not None]
    return population, claims_out


def products_of(signatures: Iterable[SignatureRef]) -> tuple[list[Product], list[str]]:
    products = sorted({(s.brand, s.model, s.variant) for s in signatures}, key=str)
    components = sorted({s.component for s in signatures})
    return products, components


def grouped(values: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for key, value in values:
        out[key].append(value)
    return out

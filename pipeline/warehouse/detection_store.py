"""Detection's state in the warehouse: daily counts per signature, installed base, flag episodes."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast

import numpy as np
from sqlalchemy import (
    Date,
    Select,
    TextClause,
    bindparam,
    delete,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from pipeline.detection import ANY, DayCount, FlagEpisode, Running, Signature
from pipeline.detection.dedupe import Filed
from pipeline.detection.ports import DayRange, InMemoryInstalledBase, Series, month_start
from pipeline.warehouse.engine import dialect_name
from pipeline.warehouse.tables import (
    ComplaintRow,
    DefectFlagRow,
    DetectionStateRow,
    PendingSignatureRow,
    RepairRow,
    SignatureCountRow,
    UnitRow,
    UnitsSoldRow,
)
from pipeline.warehouse.upsert import add_counts, upsert

_SIG = ("brand", "model", "variant", "component")
_COUNT_COLUMNS = (*_SIG, "day", "n", "severe")
_CHUNK = 400

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SqlCountStore:
    """The CountStore port over ``signature_counts``: commutative increments, one read per batch."""

    session: Session

    def add(self, increments: Mapping[tuple[Signature, date], DayCount]) -> None:
        # Sorted keys keep concurrent workers' row locks in one order (no deadlocks on
        # PostgreSQL); plain tuples sort without a Python call per comparison.
        keyed = sorted(
            (s.brand, s.model, s.variant, s.component, day, c.n, c.severe)
            for (s, day), c in increments.items()
        )
        rows = [dict(zip(_COUNT_COLUMNS, values, strict=True)) for values in keyed]
        add_counts(
            self.session,
            SignatureCountRow.__table__,  # type: ignore[arg-type]
            rows,
            keys=(*_SIG, "day"),
            counters=("n", "severe"),
        )

    def series(
        self, signatures: Collection[Signature], since: date | None = None
    ) -> dict[Signature, Series]:
        wanted = list(dict.fromkeys(signatures))
        shared: dict[str, Any] = {} if since is None else {"since": since}
        rows = self._per_key(
            wanted, lambda dialect, n: _series_query(dialect, n, since is not None), shared=shared
        )
        return _grouped(wanted, rows)

    def series_from(self, since: Mapping[Signature, int | None]) -> dict[Signature, Series]:
        wanted = sorted(since)
        return _grouped(wanted, self._per_key(wanted, _series_from_query, days=since))

    def day_range(self, signatures: Collection[Signature]) -> dict[Signature, DayRange | None]:
        return {
            Signature(b, m, v, c): None if first is None else (first, last)
            for b, m, v, c, first, last in self._per_key(sorted(set(signatures)), _range_query)
        }

    def first_day_from(self, since: Mapping[Signature, int]) -> dict[Signature, int | None]:
        return {
            Signature(b, m, v, c): first
            for b, m, v, c, first in self._per_key(sorted(since), _first_from_query, days=since)
        }

    def _per_key(
        self,
        wanted: Sequence[Signature],
        query: Callable[[str, int], TextClause],
        days: Mapping[Signature, int | None] | None = None,
        shared: Mapping[str, Any] | None = None,
    ) -> Iterator[Any]:
        """The rows of ``query`` over these keys (and each key's day, when ``days`` is given),
        in chunks the drivers take."""
        conn = self.session.connection()
        dialect = dialect_name(self.session)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            values: dict[str, Any] = dict(shared or {})
            for i, s in enumerate(chunk):
                values |= {f"b{i}": s.brand, f"m{i}": s.model, f"v{i}": s.variant}
                values[f"c{i}"] = s.component
                if days is not None:
                    day = days[s]
                    values[f"s{i}"] = (
                        date.min if day is None else date.fromordinal(max(1, day))
                    ).isoformat()
            yield from conn.execute(query(dialect, len(chunk)), values)


def _grouped(wanted: Sequence[Signature], rows: Iterable[Any]) -> dict[Signature, Series]:
    """Rows of (key, day number, n, severe) as each wanted key's series."""
    found: dict[tuple[str, str, str, str], list[tuple[int, int, int]]] = {}
    # Day numbers from the database: a long history is many rows, and each date costs.
    for brand, model, variant, component, ordinal, n, severe in rows:
        found.setdefault((brand, model, variant, component), []).append((ordinal, n, severe))
    return {s: _series(found.get((s.brand, s.model, s.variant, s.component), [])) for s in wanted}


def _ordinal(dialect: str, column: str) -> str:
    """SQL for a date column's proleptic ordinal: day numbers cost less to fetch than dates."""
    if dialect == "postgresql":
        return f"({column} - DATE '0001-01-01' + 1)"
    return f"CAST(julianday({column}) - 1721424.5 AS INTEGER)"  # julianday('0001-01-01') + 1


def _keys(signatures: int, *extra: str) -> str:
    return ", ".join(
        "("
        + ", ".join((f":b{i}", f":m{i}", f":v{i}", f":c{i}", *(e.format(i) for e in extra)))
        + ")"
        for i in range(signatures)
    )


@functools.lru_cache(maxsize=64)
def _series_from_query(dialect: str, signatures: int) -> TextClause:
    """As :func:`_series_query`, each key read from its own first day on."""
    since = "CAST(:s{} AS DATE)" if dialect == "postgresql" else ":s{}"
    return text(
        f"WITH w(b, m, v, c, s) AS (VALUES {_keys(signatures, since)}) "  # noqa: S608 - placeholders only
        f"SELECT t.brand, t.model, t.variant, t.component, {_ordinal(dialect, 't.day')}, t.n, "
        "t.severe FROM w JOIN signature_counts t "
        "ON t.brand = w.b AND t.model = w.m AND t.variant = w.v AND t.component = w.c "
        "AND t.day >= w.s"
    )


@functools.lru_cache(maxsize=64)
def _range_query(dialect: str, signatures: int) -> TextClause:
    """The first and last day of each key: two seeks in its index, not a read of its history."""
    bound = (
        "(SELECT {}(t.day) FROM signature_counts t WHERE t.brand = w.b AND t.model = w.m "
        "AND t.variant = w.v AND t.component = w.c)"
    )
    first = _ordinal(dialect, bound.format("min"))
    last = _ordinal(dialect, bound.format("max"))
    return text(
        f"WITH w(b, m, v, c) AS (VALUES {_keys(signatures)}) "  # noqa: S608 - placeholders only
        f"SELECT w.b, w.m, w.v, w.c, {first}, {last} FROM w"
    )


@functools.lru_cache(maxsize=64)
def _first_from_query(dialect: str, signatures: int) -> TextClause:
    """Each key's first day on or after its own: one seek in its index."""
    since = "CAST(:s{} AS DATE)" if dialect == "postgresql" else ":s{}"
    first = _ordinal(
        dialect,
        "(SELECT min(t.day) FROM signature_counts t WHERE t.brand = w.b AND t.model = w.m "
        "AND t.variant = w.v AND t.component = w.c AND t.day >= w.s)",
    )
    return text(
        f"WITH w(b, m, v, c, s) AS (VALUES {_keys(signatures, since)}) "  # noqa: S608 - placeholders only
        f"SELECT w.b, w.m, w.v, w.c, {first} FROM w"
    )


@functools.lru_cache(maxsize=64)
def _series_query(dialect: str, signatures: int, since: bool) -> TextClause:
    """The daily counts of ``signatures`` keys, joined to them so that each is looked up in the
    key's index: SQLite scans the whole table for a row-value ``IN`` list, so a read would
    cost the history of every signature instead of the history of those asked for."""
    sql = (
        f"WITH w(b, m, v, c) AS (VALUES {_keys(signatures)}) "  # noqa: S608 - placeholders only
        f"SELECT t.brand, t.model, t.variant, t.component, {_ordinal(dialect, 't.day')}, t.n, "
        "t.severe FROM w JOIN signature_counts t "
        "ON t.brand = w.b AND t.model = w.m AND t.variant = w.v AND t.component = w.c"
    )
    if not since:
        return text(sql)
    return text(f"{sql} WHERE t.day >= :since").bindparams(bindparam("since", type_=Date))


def _series(rows: list[tuple[int, int, int]]) -> Series:
    if not rows:
        return Series.empty()
    rows.sort()
    days, n, severe = np.array(rows, dtype=np.int64).T
    return Series(days.copy(), n.copy(), severe.copy())


def mark_pending(session: Session, signatures: Collection[Signature]) -> None:
    """Mark signatures for the detector; a mark on a pending signature bumps its ``marks``."""
    rows = [
        dict(zip(_SIG, (s.brand, s.model, s.variant, s.component), strict=True)) | {"marks": 1}
        for s in sorted(signatures)
    ]
    add_counts(
        session,
        PendingSignatureRow.__table__,  # type: ignore[arg-type]
        rows,
        keys=_SIG,
        counters=("marks",),
    )


def pending(session: Session, limit: int = 2_000) -> dict[Signature, int]:
    """Pending signatures and their marks, without locking them (batches keep marking)."""
    t = PendingSignatureRow
    rows = session.execute(
        select(t.brand, t.model, t.variant, t.component, t.marks)
        .order_by(t.brand, t.model, t.variant, t.component)
        .limit(limit)
    )
    return {Signature(b, m, v, c): marks for b, m, v, c, marks in rows}


def clear_pending(session: Session, seen: Mapping[Signature, int]) -> None:
    """Clear the signatures evaluated as of ``seen``; one marked again since stays pending."""
    if not seen:
        return
    t = PendingSignatureRow
    stmt = delete(t).where(
        t.brand == bindparam("b"),
        t.model == bindparam("m"),
        t.variant == bindparam("v"),
        t.component == bindparam("c"),
        t.marks == bindparam("k"),
    )
    rows = [
        {"b": s.brand, "m": s.model, "v": s.variant, "c": s.component, "k": marks}
        for s, marks in sorted(seen.items())
    ]
    session.connection().execute(stmt, rows)


def try_lock_signatures(session: Session, signatures: Collection[Signature]) -> set[Signature]:
    """The signatures this transaction now holds: on PostgreSQL, those no other worker's
    detector is evaluating (held until commit); SQLite has a single detector, so all of them."""
    if dialect_name(session) != "postgresql" or not signatures:
        return set(signatures)
    by_key = {_lock_key(s): s for s in signatures}
    held = session.scalars(
        text(
            "SELECT k FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS ordered "
            "WHERE pg_try_advisory_xact_lock(k)"
        ),
        {"keys": sorted(by_key)},
    )
    return {by_key[k] for k in held}


def _lock_key(signature: Signature) -> int:
    digest = hashlib.blake2b(signature.label.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class InstalledBaseRead:
    """The installed base, or None when no sales were ever reported, and the rows left out."""

    base: InMemoryInstalledBase | None
    skipped: int = 0


def load_installed_base(session: Session) -> InstalledBaseRead:
    """Units sold per product and month; a row whose month is no calendar month (``0000-01``,
    stored before the contract refused it) is left out and reported, never a crash."""
    rows = session.execute(
        select(
            UnitsSoldRow.brand,
            UnitsSoldRow.model,
            UnitsSoldRow.variant,
            UnitsSoldRow.market,
            UnitsSoldRow.month,
            UnitsSoldRow.count.label("units"),
        )
    ).all()
    usable = []
    for r in rows:
        try:
            month_start(r.month)
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning(
                "units_sold row %s/%s/%s/%s month %r left out of the installed base: %s",
                r.brand, r.model, r.variant, r.market, r.month, exc,
            )  # fmt: skip
            continue
        usable.append(r)
    if not usable:
        return InstalledBaseRead(None, len(rows))
    base = InMemoryInstalledBase.from_sales(
        ((r.brand, r.model, r.variant or None, r.market, r.month), int(r.units)) for r in usable
    )
    return InstalledBaseRead(base, len(rows) - len(usable))


def load_episodes(
    session: Session, signatures: Collection[Signature]
) -> dict[Signature, list[FlagEpisode]]:
    """Stored flag episodes of these signatures."""
    out: dict[Signature, list[FlagEpisode]] = {s: [] for s in signatures}
    for r in _rows_of(session, DefectFlagRow, list(out)):
        sig = Signature(r.brand, r.model, r.variant, r.component)
        out[sig].append(
            FlagEpisode(
                signature=sig,
                method=r.method,
                opened_at=r.first_raised_at,
                closed_at=r.closed_at,
                score=r.score,
                severity=cast(Any, r.severity),
                evidence=dict(r.evidence),
            )
        )
    return out


def _rows_of(
    session: Session,
    table: type[DefectFlagRow] | type[DetectionStateRow],
    wanted: Sequence[Signature],
) -> Iterator[Any]:
    """The rows of ``table`` keyed by these signatures, read in chunks the drivers take."""
    t = table
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        yield from session.scalars(
            select(t).where(
                tuple_(t.brand, t.model, t.variant, t.component).in_(
                    [(s.brand, s.model, s.variant, s.component) for s in chunk]
                )
            )
        )


@dataclass(frozen=True)
class SignatureState:
    """How far a signature was judged (``evaluated_through``, an event day), until when its
    verdict may change without new counts (None: while an episode is open), and why its last
    evaluation failed, if it did."""

    evaluated_through: date | None = None
    watch_until: date | None = None
    error: str | None = None
    failed_at: datetime | None = None
    running: Running | None = None
    """The episode open on ``evaluated_through``, which the next round goes on from."""


def load_states(
    session: Session, signatures: Collection[Signature]
) -> dict[Signature, SignatureState]:
    """The stored state of these signatures; those never judged are absent."""
    return {
        Signature(r.brand, r.model, r.variant, r.component): SignatureState(
            r.evaluated_through,
            r.watch_until,
            r.error,
            r.failed_at,
            None if r.running is None else Running.from_json(Signature(*_key(r)), r.running),
        )
        for r in _rows_of(session, DetectionStateRow, sorted(signatures))
    }


def _key(row: Any) -> tuple[str, str, str, str]:
    return (row.brand, row.model, row.variant, row.component)


def save_states(session: Session, states: Mapping[Signature, SignatureState]) -> None:
    rows: list[dict[str, Any]] = [
        dict(zip(_SIG, (s.brand, s.model, s.variant, s.component), strict=True))
        | {
            "evaluated_through": state.evaluated_through,
            "watch_until": state.watch_until,
            "error": state.error,
            "failed_at": state.failed_at,
            "running": None if state.running is None else state.running.as_json(),
        }
        for s, state in sorted(states.items())
    ]
    upsert(session, DetectionStateRow.__table__, rows, _SIG)  # type: ignore[arg-type]


def due_signatures(session: Session, before: date, limit: int) -> list[Signature]:
    """Signatures without new counts whose verdict may still change on days they were not
    judged yet (judged before ``before``, an episode open or counts in a trailing window),
    those judged the longest ago first; failed ones wait for new counts."""
    if limit <= 0:
        return []
    t = DetectionStateRow
    rows = session.execute(
        select(t.brand, t.model, t.variant, t.component)
        .where(
            t.error.is_(None),
            t.evaluated_through < before,
            or_(t.watch_until.is_(None), t.watch_until > t.evaluated_through),
        )
        .order_by(t.evaluated_through, t.brand, t.model, t.variant, t.component)
        .limit(limit)
    )
    return [Signature(*r) for r in rows]


def save_episodes(session: Session, episodes: Iterable[FlagEpisode], now: datetime) -> None:
    rows: list[dict[str, Any]] = [
        {
            "flag_id": e.flag_id,
            "brand": e.signature.brand,
            "model": e.signature.model,
            "variant": e.signature.variant,
            "component": e.signature.component,
            "method": e.method,
            "status": "open" if e.is_open else "closed",
            "score": float(e.score),
            "severity": e.severity,
            "first_raised_at": e.opened_at,
            "closed_at": e.closed_at,
            "updated_at": now,
            "evidence": e.evidence,
        }
        for e in episodes
    ]
    rows.sort(key=lambda r: r["flag_id"])
    upsert(session, DefectFlagRow.__table__, list(_unique(rows)), ("flag_id",))  # type: ignore[arg-type]


def _unique(rows: Sequence[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    return {r["flag_id"]: r for r in rows}.values()


def evidence_context(
    session: Session, signature: Signature, since: datetime, until: datetime, samples: int = 5
) -> dict[str, Any]:
    """Latest complaint/repair ids, and counts by market and production lot, behind a flag:
    events at ``since`` or later and before ``until``."""
    found: list[tuple[datetime, str, str, str | None]] = []
    values = {
        "brand": signature.brand,
        "model": signature.model,
        "variant": signature.variant,
        "component": signature.component,
        "below": f"{signature.component}:",
        "since": since,
        "until": until,
    }
    conn = session.connection()
    for table in (ComplaintRow, RepairRow):
        statement = _evidence_query(table, signature.variant != ANY)
        found.extend(tuple(r) for r in conn.execute(statement, values))  # type: ignore[misc]
    found.sort(reverse=True)
    return {
        "sample_event_ids": [event_id for _, event_id, _, _ in found[:samples]],
        "markets": dict(Counter(market for _, _, market, _ in found).most_common(10)),
        "lots": dict(Counter(lot for _, _, _, lot in found if lot).most_common(10)),
    }


@functools.cache
def _evidence_query(
    table: type[ComplaintRow] | type[RepairRow], one_variant: bool
) -> Select[datetime, str, str, str | None]:
    """The evidence rows of one table, built once: a detector round asks for every change it
    finds, and building the expression cost more than running it."""
    query = (
        select(table.occurred_at, table.event_id, table.market, UnitRow.lot)
        .outerjoin(UnitRow, UnitRow.serial == table.serial)
        .where(
            table.brand == bindparam("brand"),
            table.model == bindparam("model"),
            table.occurred_at >= bindparam("since"),
            table.occurred_at < bindparam("until"),
            or_(
                table.component == bindparam("component"),
                table.component.startswith(bindparam("below")),
            ),
        )
        .order_by(table.occurred_at.desc())
        .limit(2_000)
    )
    if one_variant:
        query = query.where(table.variant == bindparam("variant"))
    return query


def earlier_complaints(
    session: Session,
    products: Collection[tuple[str, str, str | None]],
    since: date,
    excluding: Collection[str],
) -> list[Filed]:
    """Archived complaints with text on these products (brand, model, variant) from ``since``
    on, except those in ``excluding``: the originals a batch's reposts are looked up among."""
    if not products:
        return []
    start = datetime.combine(since, time(0), tzinfo=UTC)
    rows = session.execute(
        select(
            ComplaintRow.complaint_id,
            ComplaintRow.brand,
            ComplaintRow.model,
            ComplaintRow.variant,
            ComplaintRow.occurred_at,
            ComplaintRow.text,
        ).where(
            ComplaintRow.model.in_(sorted({p[1] for p in products})),
            ComplaintRow.occurred_at >= start,
            ComplaintRow.text.is_not(None),
        )
    ).all()
    wanted = set(products)
    return [
        Filed(cid, (brand, model, variant), at.astimezone(UTC).date(), text)
        for cid, brand, model, variant, at, text in rows
        if (brand, model, variant) in wanted and cid not in excluding
    ]

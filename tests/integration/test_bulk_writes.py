"""The idempotent bulk writes of every sink, on SQLite and PostgreSQL: types, defaults, repeats."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline.warehouse.tables import TABLES
from pipeline.warehouse.upsert import add_counts, insert_ignore, insert_new, upsert
from tests.conftest import both_warehouses

AT = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))


def _event(event_id: str, enrichment: Mapping[str, object] | None) -> dict[str, object]:
    return {
        "event_id": event_id,
        "event_type": "repair.completed",
        "occurred_at": AT,
        "archived_at": AT,
        "source": "dealer-app",
        "key": "SN-1",
        "topic": "aftersales.repairs",
        "partition": 0,
        "offset": 2**40,
        "published_at": None,
        "payload": '{"quote": "\\"x\\"", "tab": "\\t"}',
        "enrichment": enrichment,
    }


@both_warehouses()
def test_insert_new_returns_only_new_keys_and_keeps_every_type(warehouse: Engine) -> None:
    events = TABLES["events"]
    enrichment = {"market": "DE", "nested": {"list": [1, 2.5, None]}, "text": 'naïve "q"'}
    with Session(warehouse) as session, session.begin():
        first = insert_new(
            session, events, [_event("a", enrichment), _event("b", None)], "event_id"
        )
        again = insert_new(session, events, [_event("a", None), _event("c", None)], "event_id")
    assert first == {"a", "b"}
    assert again == {"c"}
    with Session(warehouse) as session:
        rows = {r.event_id: r for r in session.execute(select(events)).all()}
    assert rows["a"].enrichment == enrichment  # the first write wins
    assert rows["b"].enrichment is None
    assert rows["a"].occurred_at == AT
    assert rows["a"].occurred_at.tzinfo is not None
    assert rows["a"].offset == 2**40
    assert rows["a"].payload == '{"quote": "\\"x\\"", "tab": "\\t"}'
    assert rows["a"].published_at is None


@both_warehouses()
def test_bytes_and_decimals_round_trip(warehouse: Engine) -> None:
    dead, parts = TABLES["dead_letters"], TABLES["repair_parts"]
    raw = bytes(range(256))
    letter = {
        "dead_letter_id": "d1",
        "reason": "invalid_json",
        "error": "bad",
        "topic": "t",
        "partition": 1,
        "offset": 7,
        "item_index": None,
        "key": None,
        "value": raw,
        "received_at": AT,
    }
    part = {
        "repair_event_id": "r1",
        "position": 0,
        "part_number": "P-1",
        "supplier": "ACME",
        "genuine": False,
        "quantity": 3,
        "unit_cost": Decimal("12.3456"),
        "currency": "EUR",
    }
    with Session(warehouse) as session, session.begin():
        insert_ignore(session, dead, [letter])
        insert_ignore(session, parts, [part, {**part, "position": 1, "unit_cost": None}])
    with Session(warehouse) as session:
        stored = session.execute(select(dead.c.value, dead.c.key)).one()
        costs = session.execute(
            select(parts.c.unit_cost, parts.c.genuine).order_by(parts.c.position)
        ).all()
    assert bytes(stored.value) == raw
    assert stored.key is None
    assert [(c.unit_cost, c.genuine) for c in costs] == [(Decimal("12.3456"), False), (None, False)]


@both_warehouses()
def test_upsert_last_row_per_key_wins_and_python_defaults_apply(warehouse: Engine) -> None:
    models = TABLES["product_models"]
    row = {"brand": "B", "model": "M", "category": "car", "registered_at": AT}
    with Session(warehouse) as session, session.begin():
        upsert(session, models, [row], ("brand", "model", "variant"))
        upsert(
            session,
            models,
            [{**row, "variant": "", "category": "van"}, {**row, "variant": "", "category": "bus"}],
            ("brand", "model", "variant"),
        )
    with Session(warehouse) as session:
        stored = session.execute(select(models.c.variant, models.c.category)).all()
    assert [(r.variant, r.category) for r in stored] == [("", "bus")]


@both_warehouses()
def test_add_counts_adds_repeated_and_existing_keys(warehouse: Engine) -> None:
    counts = TABLES["signature_counts"]
    day = date(2025, 3, 1)
    key = {"brand": "B", "model": "M", "variant": "V", "component": "brakes", "day": day}
    keys = ("brand", "model", "variant", "component", "day")
    with Session(warehouse) as session, session.begin():
        add_counts(session, counts, [{**key, "n": 2, "severe": 1}], keys, ("n", "severe"))
        add_counts(
            session,
            counts,
            [{**key, "n": 1, "severe": 0}, {**key, "n": 4, "severe": 2}],
            keys,
            ("n", "severe"),
        )
    with Session(warehouse) as session:
        stored = session.execute(select(counts.c.n, counts.c.severe, counts.c.day)).one()
    assert (stored.n, stored.severe, stored.day) == (7, 3, day)


def test_naive_datetimes_are_refused() -> None:
    from pipeline.warehouse.pg_bulk import _record_type

    _, _, convert = _record_type(TABLES["events"].c.occurred_at.type)
    assert convert is not None
    assert convert(datetime(2025, 1, 1, tzinfo=UTC)) == datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="naive"):
        convert(datetime(2025, 1, 1))


def test_sqlite_bulk_rows_are_stored_as_sqlalchemy_stores_them(warehouse: Engine) -> None:
    """Text comparisons (event time ranges, ISO days) rely on one stored format per type."""
    from sqlalchemy import insert, text

    events = TABLES["events"]
    counts = TABLES["signature_counts"]
    ours = [_event("bulk", {"market": "DE", "n": [1, 2.5]}), _event("bulk-2", None)]
    theirs = [{**row, "event_id": f"sa-{row['event_id']}"} for row in ours]
    day = {"brand": "B", "model": "M", "variant": "V", "day": date(2025, 3, 1), "severe": 0}
    with Session(warehouse) as session, session.begin():
        insert_ignore(session, events, ours)
        session.execute(insert(events), theirs)
        keys = ("brand", "model", "variant", "component", "day")
        add_counts(session, counts, [{**day, "component": "bulk", "n": 1}], keys, ("n",))
        session.execute(insert(counts), [{**day, "component": "sa", "n": 1}])
    with warehouse.connect() as conn:
        stored = {r[0]: r[1:] for r in conn.execute(text("SELECT * FROM events ORDER BY event_id"))}
        days = conn.execute(text("SELECT component, day FROM signature_counts")).all()
    for row in ours:
        assert stored[row["event_id"]] == stored[f"sa-{row['event_id']}"]
    assert {d for _, d in days} == {"2025-03-01"}

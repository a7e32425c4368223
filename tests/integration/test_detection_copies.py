"""Reposts of one complaint count once in the stored signature counts, in any batch size."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from pipeline.bootstrap import build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.decode import decode_batch
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.tables import ComplaintRow, SignatureCountRow
from schemas.topics import Topics
from tests.conftest import both_warehouses
from tests.helpers import raw, write_batch
from tests.unit.detection.detection_factories import at, complaint

TOPICS = Topics()
TEXT = "发动机在高速上突然熄火两次，4S店检查后说一切正常，但是问题一直没有解决，希望厂家重视。"
OTHER = "Brake pedal goes soft when it rains and the ABS light comes on at low speed, twice."


def _archive(engine: Engine, batch: int) -> None:
    events = [
        complaint("ENGINE", text=TEXT + ("" if i % 2 else "！！"), complaint_id=f"C{i}", day=i)
        for i in range(6)
    ] + [complaint("BRAKES", text=OTHER, complaint_id="B1", day=2)]
    steps = build_steps(Settings())
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        messages = [
            Message(TOPICS.feedback, 0, start + i, b"k", raw(e)) for i, e in enumerate(chunk)
        ]
        with session_factory(engine).begin() as session:
            write_batch(
                session,
                decode_batch(messages, TOPICS, at(10)),
                now=at(10),
                deadletter_topic=TOPICS.deadletter,
                steps=steps,
            )


def _counted(engine: Engine, component: str) -> int:
    with session_factory(engine)() as session:
        total = session.scalar(
            select(func.sum(SignatureCountRow.n)).where(
                SignatureCountRow.variant == "2020", SignatureCountRow.component == component
            )
        )
        archived = session.scalar(select(func.count()).select_from(ComplaintRow))
    assert archived == 7, "every copy stays archived as evidence"
    return int(total or 0)


@both_warehouses()
@pytest.mark.parametrize("batch", [1, 3, 7])
def test_six_posts_of_one_complaint_count_once_and_another_complaint_still_counts(
    warehouse: Engine, batch: int
) -> None:
    _archive(warehouse, batch)
    assert _counted(warehouse, "ENGINE") == 1
    assert _counted(warehouse, "BRAKES") == 1

"""Workers in one consumer group share partitions; joining or leaving mid-stream changes nothing,
and neither do lanes writing batches at once within a worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import wait_until
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.tables import DefectFlagRow
from producers.publisher import Publisher
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import Pipeline, make_pipeline
from tests.e2e.streams import complaint_stream, service_stream


def _events() -> list:
    return service_stream(9_000) + complaint_stream(first_id=100_000)


def _publish(pipeline: Pipeline, events: list) -> threading.Thread:
    def send() -> None:
        with Publisher(pipeline.settings) as publisher:
            for event in events:
                publisher.publish(event)
            publisher.flush()

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def _flags(pipeline: Pipeline) -> list[tuple[str, ...]]:
    with session_factory(pipeline.engine)() as session:
        return sorted(
            (f.brand, f.model, f.variant, f.component, f.method, f"{f.first_raised_at:%Y-%m-%d}")
            for f in session.scalars(select(DefectFlagRow))
            if not f.evidence.get("withdrawn")
        )


@pytest.fixture
def two_pipelines(tansu: EmbeddedBroker, tmp_path: Path) -> Iterator[tuple[Pipeline, Pipeline]]:
    urls = [create_pg_database(), create_pg_database()]
    pipelines = (
        # The reference writes one batch at a time; the group's workers write two lanes at once.
        make_pipeline(tansu, urls[0], tmp_path / "single", batch_lanes=1),
        make_pipeline(tansu, urls[1], tmp_path / "group", batch_lanes=2),
    )
    try:
        yield pipelines
    finally:
        for p in pipelines:
            for w in p.workers:
                w.stop()
            p.engine.dispose()
        for url in urls:
            drop_pg_database(url)


def test_workers_joining_and_leaving_lose_and_duplicate_nothing_and_flag_the_same(
    two_pipelines: tuple[Pipeline, Pipeline],
) -> None:
    single, group = two_pipelines
    events = _events()

    worker = single.worker("solo")
    _publish(single, events).join(timeout=300)
    wait_until(
        lambda: single.counts()["events"] >= len(events),
        timeout_s=300,
        check=worker.check,
        what="single worker done",
    )

    first, second = group.worker("w1"), group.worker("w2")
    sender = _publish(group, events)
    wait_until(
        lambda: group.counts()["events"] >= 3_000,
        timeout_s=300,
        check=first.check,
        what="a third in",
    )
    third = group.worker("w3")
    wait_until(
        lambda: group.counts()["events"] >= 6_000,
        timeout_s=300,
        check=third.check,
        what="two thirds in",
    )
    second.stop()
    sender.join(timeout=300)
    wait_until(
        lambda: group.counts()["events"] >= len(events),
        timeout_s=300,
        check=third.check,
        what="group done",
    )

    for p in (single, group):
        # Each worker's detector evaluates changed signatures in its own rounds: let it settle.
        wait_until(
            lambda p=p: p.counts()["detection_pending"] == 0 and p.counts()["outbox"] == 0,
            timeout_s=120,
            what="pending detection evaluated",
        )
    assert group.counts()["events"] == len(events)
    for table in (
        "tickets",
        "repairs",
        "feedback",
        "complaints",
        "ticket_status_history",
        "signature_counts",
    ):
        assert group.counts()[table] == single.counts()[table], table
    assert _flags(group) == _flags(single)
    assert _flags(single), "the stream must raise flags"

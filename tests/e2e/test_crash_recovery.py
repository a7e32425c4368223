"""A worker killed at any moment and restarted loses nothing and duplicates nothing."""

from __future__ import annotations

import threading

from pipeline.harness.worker_process import wait_until
from producers.publisher import Publisher
from tests.e2e.conftest import Pipeline
from tests.e2e.streams import service_stream

N_EVENTS = 8_000
KILLS_AT = (1_200, 3_600, 6_000)


def _publish(pipeline: Pipeline, events: list, done: threading.Event) -> None:
    with Publisher(pipeline.settings) as publisher:
        for i, event in enumerate(events):
            publisher.publish(event)
            if i % 10 == 0:  # every tenth event is sent twice: producers retry too
                publisher.publish(event)
        publisher.flush()
    done.set()


def test_sigkilled_workers_leave_exactly_the_unique_events(tansu_pipeline: Pipeline) -> None:
    """Runs on Tansu: noida-db 0.2.3 never expires the group membership of a SIGKILLed consumer,
    so no new member is assigned partitions again (measured: none within 60 s, with any
    rebalance timeout). Apache Kafka and Tansu expire it after the session timeout."""
    pipeline = tansu_pipeline
    events = service_stream(N_EVENTS)
    published = threading.Event()
    sender = threading.Thread(target=_publish, args=(pipeline, events, published), daemon=True)
    worker = pipeline.worker("worker-0")
    sender.start()
    for n, threshold in enumerate(KILLS_AT, start=1):
        wait_until(
            lambda t=threshold: pipeline.counts()["events"] >= t,
            timeout_s=180,
            check=worker.check,
            what=f"{threshold} events archived",
        )
        worker.kill()
        worker = pipeline.worker(f"worker-{n}")
    sender.join(timeout=300)
    assert published.is_set()
    wait_until(
        lambda: pipeline.counts()["events"] >= N_EVENTS,
        timeout_s=300,
        check=worker.check,
        what="every event archived",
    )
    counts = pipeline.counts()
    assert counts["events"] == N_EVENTS
    assert counts["tickets"] == N_EVENTS // 4
    assert counts["ticket_status_history"] == N_EVENTS // 2
    assert counts["repairs"] == N_EVENTS // 4
    assert counts["feedback"] == N_EVENTS // 4
    assert counts["dead_letters"] == 0

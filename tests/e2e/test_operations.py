"""What ops rely on: /metrics counts what happened, /readyz tells the truth, outages heal."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import WorkerProcess, wait_until
from producers.publisher import Publisher
from tests.conftest import WAREHOUSE_KINDS, create_pg_database, drop_pg_database
from tests.e2e.conftest import Pipeline, make_pipeline
from tests.e2e.streams import service_stream


def scrape(worker: WorkerProcess) -> dict[str, float]:
    """Sample name (with labels) -> value from the worker's /metrics."""
    with urllib.request.urlopen(f"{worker.metrics_url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


def total(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k.startswith(name + "{"))


def ready(worker: WorkerProcess) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{worker.metrics_url}/readyz", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("warehouse_url", WAREHOUSE_KINDS[:1], indirect=True)
def test_metrics_count_what_was_consumed_archived_and_dead_lettered(pipeline: Pipeline) -> None:
    good = service_stream(300)
    worker = pipeline.worker()
    with Publisher(pipeline.settings) as publisher:
        for event in good:
            publisher.publish(event)
        for bad in (b"{", b"[]x", b'{"event_type": "nope"}'):
            publisher.publish_raw(pipeline.settings.topics.repairs, b"k", bad)
        publisher.flush()
    wait_until(
        lambda: pipeline.counts()["events"] == 300 and pipeline.counts()["dead_letters"] == 3,
        timeout_s=120,
        check=worker.check,
        what="stream processed",
    )
    wait_until(
        lambda: total(scrape(worker), "aftersales_events_archived_total") == 300,
        timeout_s=10,
        what="metrics updated",
    )
    samples = scrape(worker)
    assert total(samples, "aftersales_messages_consumed_total") == 303
    assert total(samples, "aftersales_dead_letters_total") == 3
    assert samples["aftersales_dead_letters_total{reason=invalid_json}"] == 2
    assert samples["aftersales_dead_letters_total{reason=unknown_event_type}"] == 1
    assert samples["aftersales_events_archived_total{event_type=ticket.opened}"] == 75
    assert total(samples, "aftersales_publish_to_archive_seconds_count") == 303
    status, body = ready(worker)
    assert status == 200, body
    tickets_lag = f"aftersales_consumer_lag{{topic={pipeline.settings.topics.tickets}}}"
    wait_until(
        lambda: scrape(worker).get(tickets_lag) == 0,
        timeout_s=20,
        what="consumer lag gauge reports the caught-up worker",
    )
    assert "aftersales_cases_open{}" in scrape(worker)


def _pg_running() -> bool:
    probe = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]
    return subprocess.run(probe, check=False, timeout=30).returncode == 0


def _pg_ctl(action: str) -> None:
    if (action == "start") == _pg_running():
        return
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        [
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            "main",
            action,
            *(["-m", "fast"] if action == "stop" else []),
        ],
        check=True,
        timeout=60,
    )
    wait_until(
        lambda: _pg_running() == (action == "start"), timeout_s=30, what=f"PostgreSQL {action}"
    )


@pytest.fixture
def pg_pipeline(tansu: EmbeddedBroker, tmp_path: Path) -> Iterator[Pipeline]:
    url = create_pg_database()
    p = make_pipeline(tansu, url, tmp_path, warehouse_retry_max_s=2.0)
    try:
        yield p
    finally:
        for w in p.workers:
            w.stop()
        p.engine.dispose()
        _pg_ctl("start")
        drop_pg_database(url)


def test_a_postgres_outage_mid_stream_loses_nothing_duplicates_nothing(
    pg_pipeline: Pipeline,
) -> None:
    pipeline = pg_pipeline
    events = service_stream(8_000)
    worker = pipeline.worker()
    done = threading.Event()

    def send() -> None:
        with Publisher(pipeline.settings) as publisher:
            for event in events:
                publisher.publish(event)
            publisher.flush()
        done.set()

    threading.Thread(target=send, daemon=True).start()
    wait_until(
        lambda: pipeline.counts()["events"] >= 1_500,
        timeout_s=120,
        check=worker.check,
        what="stream flowing",
    )
    wait_until(lambda: ready(worker)[0] == 200, timeout_s=30, what="ready before the outage")
    _pg_ctl("stop")
    try:
        wait_until(
            lambda: ready(worker)[0] == 503,
            timeout_s=30,
            what="/readyz unready while PostgreSQL is down",
        )
        wait_until(
            lambda: total(scrape(worker), "aftersales_warehouse_errors_total") > 0,
            timeout_s=30,
            what="warehouse errors counted",
        )
        assert scrape(worker)["aftersales_warehouse_up{}"] == 0
        assert worker.alive()
    finally:
        _pg_ctl("start")
    pipeline.engine.dispose()
    assert done.wait(120)
    wait_until(
        lambda: pipeline.counts()["events"] >= len(events),
        timeout_s=240,
        check=worker.check,
        what="caught up after the outage",
    )
    counts = pipeline.counts()
    assert counts["events"] == len(events)
    assert counts["tickets"] == len(events) // 4
    assert counts["repairs"] == len(events) // 4
    assert counts["feedback"] == len(events) // 4
    assert ready(worker)[0] == 200
    assert scrape(worker)["aftersales_warehouse_up{}"] == 1

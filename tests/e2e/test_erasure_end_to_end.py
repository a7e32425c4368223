"""Erasure through the running pipeline: the request goes in on its topic, the customer's traces
leave every table, counts stay, one confirmation goes out, and no log line names the customer."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import settings_env, wait_until
from producers.publisher import Publisher
from tests.conftest import WAREHOUSE_KINDS
from tests.e2e.conftest import Pipeline, make_pipeline
from tests.integration.test_erasure import (
    CUSTOMER_ID,
    TRACES,
    _aggregates,
    _dead_letter,
    _history,
    _traces,
)


@pytest.fixture
def tansu_any_warehouse(
    tansu: EmbeddedBroker, warehouse_url: str, tmp_path: Path
) -> Iterator[Pipeline]:
    p = make_pipeline(tansu, warehouse_url, tmp_path, log_format="json", log_level="DEBUG")
    try:
        yield p
    finally:
        for w in p.workers:
            w.stop()
        p.engine.dispose()


def _counts(pipeline: Pipeline) -> dict[str, object]:
    """The aggregates an erasure must keep. The request is dated now, which moves event time
    past the cases' deadlines: their status may move on, their number may not."""
    found = _aggregates(pipeline.engine)
    found["cases"] = sorted((reason, severity, n) for _, reason, severity, n in found["cases"])
    return found


def _erased_messages(pipeline: Pipeline) -> list[dict]:
    consumer = KafkaConsumer(
        pipeline.settings.topics.erasures,
        bootstrap_servers=pipeline.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        return [json.loads(m.value) for m in consumer]
    finally:
        consumer.close()


@pytest.mark.parametrize("warehouse_url", WAREHOUSE_KINDS, indirect=True)
def test_an_erasure_request_on_its_topic_erases_the_customer_everywhere_and_in_no_log(
    tansu_any_warehouse: Pipeline,
) -> None:
    pipeline = tansu_any_warehouse
    history = _history()
    worker = pipeline.worker()
    with Publisher(pipeline.settings, compression=None) as publisher:
        for _, event in history:
            publisher.publish(event)
        family, value = _dead_letter()
        publisher.publish_raw(pipeline.settings.topics.name(family), b"SN-1", value)
        publisher.flush()
    wait_until(
        lambda: (
            pipeline.counts()["events"] == len(history) and pipeline.counts()["dead_letters"] == 1
        ),
        timeout_s=60,
        check=worker.check,
        what="the customer's history archived",
    )
    assert _traces(pipeline.engine), "the history holds the customer before the erasure"
    before = _counts(pipeline)

    subprocess.run(
        [sys.executable, "-m", "pipeline", "customers", "erase", CUSTOMER_ID],
        env=settings_env(pipeline.values),
        check=True,
        capture_output=True,
        timeout=120,
    )
    wait_until(
        lambda: pipeline.counts().get("erased_customers") == 1 and not _traces(pipeline.engine),
        timeout_s=60,
        check=worker.check,
        what="the customer erased from every table",
    )
    assert _counts(pipeline) == before, "counts, cases and KPIs stay true"
    confirmations = _erased_messages(pipeline)
    assert [c["customer_id"] for c in confirmations] == [CUSTOMER_ID], "confirmed exactly once"

    worker.stop()
    log = (pipeline.tmp / "worker.log").read_text(encoding="utf-8", errors="replace")
    assert log.strip(), "the worker logged its run"
    assert [t for t in TRACES if t in log] == [], "no log line carries the customer's data"

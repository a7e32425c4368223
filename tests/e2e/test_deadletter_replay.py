"""Operators list dead letters and send them back once the cause is fixed: each event is
archived once, however often it is replayed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from pipeline.harness.worker_process import settings_env, wait_until
from producers.publisher import Publisher
from tests.e2e.conftest import Pipeline
from tests.e2e.test_operations import scrape, total
from tests.helpers import ticket_opened


def _cli(pipeline: Pipeline, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env=settings_env(pipeline.values),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_dead_letters_replayed_after_a_fix_are_archived_once(tansu_pipeline: Pipeline) -> None:
    pipeline = tansu_pipeline
    pipeline.values["max_future_skew_s"] = 60
    ahead = datetime.now(UTC) + timedelta(hours=3)
    early = [ticket_opened(n, f"T-{n}", at=ahead) for n in range(1, 4)]
    worker = pipeline.worker()
    with Publisher(pipeline.settings, compression=None) as publisher:
        for event in early:
            publisher.publish_raw(
                pipeline.settings.topics.tickets,
                b"SN-1",
                json.dumps(json.loads(event.model_dump_json())).encode(),
                [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")],
            )
        publisher.flush()
    wait_until(
        lambda: pipeline.counts()["dead_letters"] == 3,
        timeout_s=60,
        check=worker.check,
        what="events dated ahead of the clock dead-lettered",
    )
    listed = json.loads(_cli(pipeline, "deadletter", "list", "--format", "json").stdout)
    assert [d["reason"] for d in listed] == ["future_event_time"] * 3

    # The fix: this deployment's producers run ahead by hours; allow it and replay.
    worker.stop()
    pipeline.values["max_future_skew_s"] = 86_400
    worker = pipeline.worker("worker-after-fix")
    _cli(pipeline, "deadletter", "replay", "--reason", "future_event_time")
    wait_until(
        lambda: pipeline.counts()["events"] == 3,
        timeout_s=60,
        check=worker.check,
        what="replayed events archived",
    )
    second = _cli(pipeline, "deadletter", "replay")
    assert "0 dead letter(s)" in second.stderr, "a dead letter is replayed once"
    _cli(pipeline, "deadletter", "replay", "--again")
    listed = json.loads(_cli(pipeline, "deadletter", "list", "--format", "json").stdout)
    assert all(d["replayed_at"] for d in listed)
    wait_until(
        lambda: total(scrape(worker), "aftersales_events_duplicate_total") == 3,
        timeout_s=60,
        check=worker.check,
        what="the second replay consumed and skipped as duplicates",
    )
    assert pipeline.counts()["events"] == 3, "replaying again archives nothing twice"
    assert pipeline.counts()["dead_letters"] == 3

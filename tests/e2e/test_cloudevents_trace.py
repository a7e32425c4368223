"""On a real broker: our messages are CloudEvents, and a caller's traceparent comes back on what
its event causes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline.harness.worker_process import wait_until
from producers.publisher import Publisher
from schemas.export import published_document
from tests.e2e.conftest import Pipeline, read_messages
from tests.e2e.streams import service_stream

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events"
TRACE = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
OTHER_TRACE = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _read(pipeline: Pipeline, topic: str, expected: int) -> list[tuple[dict, dict]]:
    found = read_messages(pipeline.settings.kafka_bootstrap, topic, expected)
    return [(json.loads(value), headers) for value, headers in found]


def test_a_traceparent_comes_back_on_the_follow_up_or_dead_letter_its_event_causes(
    tansu_pipeline: Pipeline,
) -> None:
    pipeline = tansu_pipeline
    opened, resolved = service_stream(2)
    complaint = json.loads((EXAMPLES / "complaint.filed.json").read_text(encoding="utf-8"))
    settings = pipeline.settings
    worker = pipeline.worker()
    with Publisher(settings, compression=None) as publisher:
        publisher.publish(opened)
        publisher.publish(resolved, headers=[("traceparent", TRACE)])
        publisher.publish_raw(
            settings.topics.feedback,
            b"k",
            json.dumps(complaint).encode(),
            [
                ("ce_specversion", b"1.0"),
                ("ce_type", b"complaint.updated"),
                ("traceparent", OTHER_TRACE),
            ],
        )
        publisher.flush()
    wait_until(
        lambda: pipeline.counts()["events"] == 2 and pipeline.counts()["outbox"] == 0,
        timeout_s=30,
        check=worker.check,
        what="both events archived and the outbox drained",
    )
    followups = _read(pipeline, settings.topics.followups, 2)
    assert followups, "the resolved ticket schedules its follow-up calls"
    for followup, headers in followups:
        assert followup["ticket_id"] == resolved.ticket_id
        assert headers["traceparent"] == TRACE
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_id"].decode() == followup["event_id"]
        assert headers["ce_type"] == b"followup.scheduled"
        assert headers["ce_source"] == settings.event_source.encode()
        assert headers["content-type"] == b"application/json"
    ((dead, dead_headers),) = _read(pipeline, settings.topics.deadletter, 1)
    assert dead["reason"] == "cloudevent_mismatch"
    assert dead_headers["traceparent"] == OTHER_TRACE
    assert dead_headers["ce_type"] == b"deadletter"
    assert dead_headers["ce_source"] == settings.event_source.encode()
    for name in ("asyncapi.json", "followup.scheduled.v1.json"):
        with urllib.request.urlopen(f"{worker.metrics_url}/schemas/{name}", timeout=5) as served:
            assert served.read() == published_document(name), "the worker serves what it ships"
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(f"{worker.metrics_url}/schemas/codec.py", timeout=5)
    wait_until(
        lambda: "0af7651916cd43dd8448eb211c80319c" in (pipeline.tmp / "worker.log").read_text(),
        timeout_s=5,
        what="the dead letter logged with its trace id",
    )

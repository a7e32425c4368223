"""Poison events from an independent client: the worker stays up, every bad event is a dead
letter with its reason, and the good events around it are archived once, promptly."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import wait_until
from producers.publisher import Publisher
from tests.e2e.conftest import Pipeline, make_pipeline, read_messages
from tests.e2e.streams import service_stream

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events"

Change = Callable[[dict[str, Any]], None]


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _set(path: str, value: object) -> Change:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for part in parents:
            doc = doc[part]
        doc[last] = value

    return change


# (topic family, example, change): each valid but for the change.
POISON: list[tuple[str, str, Change]] = [
    ("tickets", "ticket.opened", _set("customer.timezone", "America")),
    ("tickets", "ticket.opened", _set("customer.timezone", "Etc")),
    ("tickets", "ticket.opened", _set("customer.timezone", "../../etc/passwd")),
    ("tickets", "ticket.opened", _set("occurred_at", "9999-12-31T23:00-05:00")),
    ("tickets", "ticket.opened", _set("occurred_at", "0001-01-01T00:30+05:00")),
    ("tickets", "ticket.opened", _set("occurred_at", "0001-01-01T00:00Z")),
    ("tickets", "ticket.opened", _set("occurred_at", "2999-01-01T00:00Z")),
    ("tickets", "ticket.opened", _set("occurred_at", "2100-01-01T00:00Z")),
    ("tickets", "ticket.opened", _set("sla_due_at", "9999-12-31T23:59+00:00")),
    ("tickets", "ticket.opened", _set("description", "nul \u0000 inside")),
    ("tickets", "ticket.opened", _set("event_type", "ticket.\u0000opened")),
    ("reference", "recall.announced", _set("units_affected", 10**30)),
    ("reference", "units_sold.reported", _set("month", "0000-01")),
    ("reference", "units_sold.reported", _set("month", "2024-13")),
    ("feedback", "complaint.filed", _set("injuries", 2**63)),
    ("feedback", "complaint.filed", _set("incident_date", "0001-01-01")),
    ("repairs", "repair.completed", _set("labour_hours", float("nan"))),
]


def _poison_values() -> list[tuple[str, bytes]]:
    out = []
    for family, name, change in POISON:
        doc = copy.deepcopy(_example(name))
        change(doc)
        out.append((family, json.dumps(doc).encode()))
    return out


@pytest.mark.parametrize(
    ("broker_kind", "warehouse_url"),
    [("tansu", "sqlite"), ("noida", "postgresql")],
    indirect=["warehouse_url"],
)
def test_poison_events_are_dead_letters_and_never_stop_or_stall_the_worker(
    broker_kind: str, warehouse_url: str, tmp_path: Path
) -> None:
    """Each broker and each warehouse once (the pairs cover both of each)."""
    with EmbeddedBroker(broker_kind) as broker:  # type: ignore[arg-type]
        pipeline = make_pipeline(broker, warehouse_url, tmp_path)
        try:
            _poison_run(pipeline)
        finally:
            for worker in pipeline.workers:
                worker.stop()
            pipeline.engine.dispose()


def _poison_run(pipeline: Pipeline) -> None:
    topics = pipeline.settings.topics
    poison = _poison_values()
    extra = [
        ("tickets", b"[]"),
        ("tickets", b"[[]]"),
        ("tickets", b"[" * 100_000),
    ]
    good_before, good_after = service_stream(30), service_stream(30, first_id=50_000)
    worker = pipeline.worker()
    with Publisher(pipeline.settings, compression=None) as publisher:
        for event in good_before:
            publisher.publish(event)
        for family, value in [*poison, *extra]:
            publisher.publish_raw(f"{pipeline.values['topic_prefix']}.{family}.v1", b"k", value)
        publisher.publish_raw(topics.tickets, b"K" * 700_000, b'{"event_type": "nope"}')
        for event in good_after:
            publisher.publish(event)
        publisher.flush()
    bad = len(poison) + len(extra) + 1
    wait_until(
        lambda: (
            pipeline.counts()["events"] == len(good_before) + len(good_after)
            and pipeline.counts()["dead_letters"] == bad
        ),
        timeout_s=90,
        check=worker.check,
        what="good events archived and every poison event dead-lettered",
    )
    letters = _dead_letter_messages(pipeline, bad)
    assert len(letters) == bad, "every dead letter reaches the dead-letter topic"
    for value, headers in letters:
        body = json.loads(value)
        assert body["reason"], body
        assert headers["__connect.errors.topic"].decode() == body["topic"]
        assert int(headers["__connect.errors.offset"]) == body["offset"]
        assert headers["__connect.errors.exception.message"]
    reasons = {json.loads(v)["reason"] for v, _ in letters}
    assert {"future_event_time", "schema_violation", "empty_batch"} <= reasons
    (big_key,) = [json.loads(v) for v, _ in letters if json.loads(v)["key_truncated"]]
    assert big_key["key_size"] == 700_000
    assert worker.alive()
    counts = pipeline.counts()
    assert counts["events"] == len(good_before) + len(good_after), "nothing doubled"


def _dead_letter_messages(pipeline: Pipeline, expected: int) -> list[tuple[bytes, dict]]:
    return read_messages(
        pipeline.settings.kafka_bootstrap, pipeline.settings.topics.deadletter, expected
    )

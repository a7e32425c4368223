"""The processors' edge: any Kafka client can publish; bad input goes to the dead-letter topic."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka import KafkaConsumer

from pipeline.harness.worker_process import wait_until
from producers.publisher import Publisher
from schemas.codec import Rejected, decode
from schemas.events import FAMILY_OF_TYPE
from tests.conftest import WAREHOUSE_KINDS
from tests.e2e.conftest import Pipeline
from tests.e2e.streams import service_stream
from tests.helpers import raw

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events"

MALFORMED: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("bad_encoding", b"\xff\xfe\x00{"),
    ("invalid_json", b'{"event_type": "ticket.opened", '),
    ("not_an_object", b"[1]"),
    ("not_an_object", b'"a string"'),
    ("missing_event_type", b'{"event_id": "x"}'),
    ("unknown_event_type", b'{"event_type": "ticket.teleported"}'),
    ("schema_violation", b'{"event_type": "ticket.opened", "event_id": "not-a-uuid"}'),
    ("oversize", b'{"pad": "' + b"x" * 1_010_000 + b'"}'),  # over our 1 MB, under Kafka's
]


def _dead_letters(pipeline: Pipeline, expected: int) -> list[dict]:
    consumer = KafkaConsumer(
        pipeline.settings.topics.deadletter,
        bootstrap_servers=pipeline.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=2000,
    )
    found: list[dict] = []
    try:
        for _ in range(30):
            found += [json.loads(m.value) for m in consumer]
            if len(found) >= expected:
                break
    finally:
        consumer.close()
    return found


@pytest.mark.parametrize("warehouse_url", WAREHOUSE_KINDS[:1], indirect=True)
def test_malformed_messages_land_in_the_dead_letter_topic_and_valid_ones_are_archived(
    pipeline: Pipeline,
) -> None:
    good = service_stream(40)
    worker = pipeline.worker()
    with Publisher(pipeline.settings, compression=None) as publisher:
        for i, event in enumerate(good):
            publisher.publish(event)
            if i < len(MALFORMED):
                publisher.publish_raw(pipeline.settings.topics.tickets, b"k", MALFORMED[i][1])
        publisher.flush()
    wait_until(
        lambda: (
            pipeline.counts()["events"] == len(good)
            and pipeline.counts()["dead_letters"] == len(MALFORMED)
        ),
        timeout_s=120,
        check=worker.check,
        what="valid events archived and bad ones dead-lettered",
    )
    letters = _dead_letters(pipeline, len(MALFORMED))
    assert sorted(d["reason"] for d in letters) == sorted(r for r, _ in MALFORMED)
    for letter in letters:
        original = base64.b64decode(letter["value_b64"])
        sent = {v for r, v in MALFORMED if r == letter["reason"]}
        if letter["value_truncated"]:
            assert letter["reason"] == "oversize"
            assert any(v.startswith(original) and len(v) == letter["value_size"] for v in sent)
        else:
            assert original in sent
        assert letter["topic"] == pipeline.settings.topics.tickets
        assert letter["error"]
    assert worker.alive()


def _mutations() -> st.SearchStrategy[bytes]:
    valid = json.loads(raw(service_stream(1)[0]))
    garbage = st.binary(min_size=0, max_size=300)
    json_values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=10,
    )
    mutated = st.tuples(st.sampled_from(sorted(valid)), json_values).map(
        lambda kv: json.dumps({**valid, kv[0]: kv[1]}).encode()
    )
    return st.one_of(garbage, mutated, json_values.map(lambda v: json.dumps(v).encode()))


def test_fuzzed_messages_never_stop_the_worker(tansu_pipeline: Pipeline) -> None:
    pipeline = tansu_pipeline
    corpus: list[bytes] = []

    @settings(
        max_examples=150, derandomize=True, suppress_health_check=list(HealthCheck), deadline=None
    )
    @given(_mutations())
    def collect(value: bytes) -> None:
        corpus.append(value)

    collect()
    decoded = [d for v in corpus for d in decode(v, "tickets")]
    expected_dead = sum(1 for d in decoded if isinstance(d, Rejected))
    expected_good = {str(d.event_id) for d in decoded if not isinstance(d, Rejected)}
    good = service_stream(20, first_id=10_000)
    worker = pipeline.worker()
    with Publisher(pipeline.settings, compression=None) as publisher:
        for value in corpus:
            publisher.publish_raw(pipeline.settings.topics.tickets, b"fuzz", value)
        for event in good:
            publisher.publish(event)
        publisher.flush()
    wait_until(
        lambda: (
            pipeline.counts()["events"] == len(good) + len(expected_good)
            and pipeline.counts()["dead_letters"] == expected_dead
        ),
        timeout_s=120,
        check=worker.check,
        what="every fuzzed message archived or dead-lettered",
    )
    assert worker.alive()


@pytest.mark.parametrize("warehouse_url", WAREHOUSE_KINDS[:1], indirect=True)
def test_events_from_an_independent_client_built_from_the_published_examples_are_archived(
    pipeline: Pipeline,
) -> None:
    from confluent_kafka import Producer

    worker = pipeline.worker()
    producer = Producer({"bootstrap.servers": pipeline.settings.kafka_bootstrap, "acks": "all"})
    inbound = []
    for path in sorted(EXAMPLES.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        family = FAMILY_OF_TYPE.get(doc.get("event_type", ""))
        if family is None:
            continue  # outbound examples and the dead letter
        inbound.append(doc["event_id"])
        product = doc.get("product", {})
        key = (
            product.get("serial")
            or f"{doc.get('brand', product.get('brand'))}|{doc.get('model', product.get('model'))}|"
        )
        producer.produce(
            f"{pipeline.values['topic_prefix']}.{family}.v1",
            key=key.encode(),
            value=path.read_bytes(),
        )
    assert producer.flush(30) == 0
    wait_until(
        lambda: pipeline.counts()["events"] == len(inbound),
        timeout_s=120,
        check=worker.check,
        what="examples archived",
    )
    assert pipeline.counts()["dead_letters"] == 0

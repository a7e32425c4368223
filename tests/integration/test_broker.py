"""Embedded brokers start on a free port, answer Kafka requests and leave no process behind."""

from __future__ import annotations

import pytest

from pipeline.common.config import Settings
from pipeline.harness.broker import BROKER_KINDS, EmbeddedBroker, answers_kafka
from pipeline.harness.topics_admin import ensure_topics


@pytest.mark.parametrize("kind", BROKER_KINDS)
def test_a_broker_starts_answers_and_stops_without_orphans(kind: str) -> None:
    broker = EmbeddedBroker(kind)  # type: ignore[arg-type]
    with broker:
        answers_kafka(broker.bootstrap)
        process = broker.process
        assert process is not None
    assert process.poll() is not None, "the broker process must be gone after stop()"
    with pytest.raises(Exception):  # noqa: B017, PT011 - any client error: nothing listens
        answers_kafka(broker.bootstrap, timeout_s=0.5)


def test_topics_are_created_with_the_configured_partitions(tansu: EmbeddedBroker) -> None:
    from kafka import KafkaConsumer

    settings = Settings(kafka_bootstrap=tansu.bootstrap, topic_prefix="parts", topic_partitions=3)
    ensure_topics(settings)
    ensure_topics(settings)  # a second call keeps what exists
    consumer = KafkaConsumer(bootstrap_servers=tansu.bootstrap)
    try:
        assert consumer.partitions_for_topic(settings.topics.tickets) == {0, 1, 2}
    finally:
        consumer.close()

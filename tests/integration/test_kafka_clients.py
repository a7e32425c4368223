"""The Kafka clients a service may use each publish and read back through the embedded brokers:
kafka-python, aiokafka and librdkafka (confluent-kafka) on both, Debian's kcat on noida-db."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from pipeline.harness.broker import EmbeddedBroker

pytestmark = pytest.mark.integration

CLIENTS = ("kafka-python", "aiokafka", "librdkafka")


@pytest.fixture(scope="module", params=("tansu", "noida"))
def broker(request: pytest.FixtureRequest) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(request.param) as running:
        yield running


def _kafka_python(
    bootstrap: str, topic: str, key: bytes, value: bytes
) -> list[tuple[bytes, bytes]]:
    from kafka import KafkaConsumer, KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(topic, key=key, value=value).get(timeout=20)
    producer.close()
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=15_000
    )
    try:
        for record in consumer:
            return [(record.key, record.value)]
        return []
    finally:
        consumer.close()


def _aiokafka(bootstrap: str, topic: str, key: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    async def run() -> list[tuple[bytes, bytes]]:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            record = await asyncio.wait_for(consumer.getone(), timeout=20)
            return [(record.key or b"", record.value or b"")]
        finally:
            await consumer.stop()

    return asyncio.run(run())


def _librdkafka(bootstrap: str, topic: str, key: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, value, key)
    assert producer.flush(20) == 0, "librdkafka could not deliver"
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"compat-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
        }
    )
    # Read the partition directly, as kcat -C does: what is tested is the protocol, not the
    # group coordinator's timing.
    partitions = consumer.list_topics(topic, timeout=20).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    try:
        for _ in range(40):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                return [(message.key() or b"", message.value() or b"")]
        return []
    finally:
        consumer.close()


ROUND_TRIPS = {"kafka-python": _kafka_python, "aiokafka": _aiokafka, "librdkafka": _librdkafka}


@pytest.mark.parametrize("client", CLIENTS)
def test_a_client_publishes_and_reads_back_through_the_embedded_broker(
    broker: EmbeddedBroker, client: str
) -> None:
    topic = f"compat-{client}-{uuid.uuid4().hex[:8]}"
    key, value = b"NW-K3-0004711", '{"event_type":"ticket.opened","note":"čaj 茶"}'.encode()
    assert ROUND_TRIPS[client](broker.bootstrap, topic, key, value) == [(key, value)]


def test_kcat_publishes_and_reads_back_through_noida() -> None:
    """Debian's kcat (librdkafka 2.0) and noida-db; with Tansu it fails (README: Known limits)."""
    kcat = shutil.which("kcat")
    assert kcat, "kcat missing: apt-get install kcat (make test installs it)"
    topic = f"compat-kcat-{uuid.uuid4().hex[:8]}"
    with EmbeddedBroker("noida") as noida:
        subprocess.run(
            [kcat, "-P", "-b", noida.bootstrap, "-t", topic, "-k", "NW-K3-0004711"],
            input=b'{"event_type":"ticket.opened"}\n',
            check=True,
            timeout=30,
        )
        read = subprocess.run(
            [
                kcat,
                "-C",
                "-b",
                noida.bootstrap,
                "-t",
                topic,
                "-e",
                "-o",
                "beginning",
                "-f",
                "%k %s\n",
            ],
            capture_output=True,
            check=True,
            timeout=30,
        )
    assert read.stdout == b'NW-K3-0004711 {"event_type":"ticket.opened"}\n'

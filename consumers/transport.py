"""Faust's aiokafka transport with a configurable fetch wait (Faust fixes it at 1.5 s)."""

from __future__ import annotations

from typing import Any

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka


def with_fetch_wait(app: faust.App, fetch_max_wait_ms: int) -> faust.App:
    """Make ``app`` consume with ``fetch_max_wait_ms`` (Kafka's ``fetch.max.wait.ms``).

    A broker may hold a fetch that long before it answers with what it has; some (Tansu among
    them) do so even when records are waiting, which puts up to the whole wait on every event's
    latency at a steady trickle. Faust passes a fixed 1,500 ms to aiokafka and has no setting.
    """

    class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
        def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
            consumer = super()._create_worker_consumer(transport)
            # aiokafka reads it when start() builds the fetcher, which has not happened yet.
            consumer._fetch_max_wait_ms = fetch_max_wait_ms
            return consumer

    class WaitingConsumer(faust_aiokafka.Consumer):
        def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
            return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    class Transport(faust_aiokafka.Transport):
        Consumer = WaitingConsumer

    app.transport = Transport(app.conf.broker_consumer, app)
    return app

"""The worker's Kafka consumer asks the broker to hold fetches no longer than configured."""

from __future__ import annotations

import asyncio

import faust

from consumers.transport import with_fetch_wait


def _worker_consumer_fetch_wait(app: faust.App) -> int:
    async def build() -> int:
        # Built, never started: nothing connects to the (unreachable) broker.
        thread = app.consumer._thread  # type: ignore[attr-defined]
        consumer = thread._create_consumer(loop=asyncio.get_running_loop())
        wait = consumer._fetch_max_wait_ms
        await consumer.stop()
        return int(wait)

    return asyncio.run(build())


def test_the_configured_fetch_wait_reaches_aiokafka() -> None:
    app = faust.App("fetch-wait", broker="kafka://127.0.0.1:9", web_enabled=False)
    with_fetch_wait(app, 42)
    assert _worker_consumer_fetch_wait(app) == 42


def test_faust_alone_would_hold_fetches_for_a_second_and_a_half() -> None:
    app = faust.App("fetch-wait-default", broker="kafka://127.0.0.1:9", web_enabled=False)
    assert _worker_consumer_fetch_wait(app) == 1500
